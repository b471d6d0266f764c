"""A signer's video in, ranked glosses out, through every door: the pipeline (path, bytes, frames), a folder
made by `save_pretrained` alone (`zero-shot-sign-classification`, and `video-classification` for an ISLR model),
`handler.py` (raw and base64 video bytes) and `lexsign predict --video`, all on the pose `lexsign pose extract`
writes for the same video (MediaPipe Holistic through pose-format)."""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny import TINY_HALI
from video_clip import cut_clip, decoded_frames

from lexsign_hf import HALIConfig, HALIForSignClassification, HALIModel, HALIProcessor
from lexsign_hf.cli import main
from lexsign_hf.hub import TASK, zero_shot_pipeline
from lexsign_hf.pose import read_pose

pytestmark = pytest.mark.slow  # MediaPipe Holistic runs once per door (a 10-frame clip, ~3 s each on 2 cores)
pytest.importorskip("mediapipe")

LABELS_TEXT = (
    "MOTHER: 5 hand, palm facing left, thumb touches the chin; tap twice.\n"
    "HELP: A hand on the flat non-dominant palm; both move up.\n"
    "THANKS: Flat hand at the chin, palm in; move forward and down.\n"
    "THANKS: The flat hand starts at the lips and moves out toward the person thanked.\n"
)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("video")


@pytest.fixture(scope="module")
def clip(work) -> Path:
    return cut_clip(work / "sign.mp4", frames=10)


@pytest.fixture(scope="module")
def extracted(clip, work):
    """The clip's pose as `lexsign pose extract` writes it (cached for the module)."""
    assert main(["pose", "extract", str(clip), "--out", str(work / "poses")]) == 0
    return read_pose(work / "poses" / "sign.pose")


@pytest.fixture(scope="module")
def processor(minilm_path):
    return HALIProcessor.from_text_pretrained(minilm_path, max_frames=32)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return HALIModel(HALIConfig(**TINY_HALI)).eval()


@pytest.fixture(scope="module")
def folder(model, processor, work) -> Path:
    """A model folder made by `save_pretrained` alone (model + processor), no `lexsign push`."""
    target = work / "model"
    model.save_pretrained(target)
    processor.save_pretrained(target)
    return target


def ranking(answer: list[dict]) -> list[str]:
    return [item["label"] for item in answer]


def test_every_door_gives_the_extract_pose_ranking(clip, extracted, model, processor, folder, work, capsys):
    from transformers import pipeline

    from lexsign_hf.models.hali.labels_hali import parse_labels

    labels, descriptions = parse_labels(LABELS_TEXT)
    parameters = {"candidate_labels": labels, "descriptions": descriptions}
    assert extracted.frame_size == (540.0, 720.0) and extracted.num_frames == 10
    local = zero_shot_pipeline(model, processor)
    expected = local(extracted, **parameters)  # the `lexsign pose extract` pose, as a PoseSequence
    assert ranking(expected) == ranking(local(str(work / "poses" / "sign.pose"), **parameters))
    assert sorted(ranking(expected)) == [
        "HELP",
        "MOTHER",
        "THANKS",
    ]  # THANKS once: its 2 descriptions averaged

    video_pose, frame_size = processor.pose_reader.read(clip)
    assert frame_size == extracted.frame_size
    np.testing.assert_allclose(
        video_pose, extracted.canonical(), atol=0.5
    )  # pixels: MediaPipe repeats to <1 px

    remote = pipeline(TASK, model=str(folder), trust_remote_code=True)
    assert type(remote).__module__.startswith("transformers_modules.")
    spec = importlib.util.spec_from_file_location("endpoint_handler", folder / "handler.py")
    handler_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler_module)
    handler = handler_module.EndpointHandler(str(folder))
    video = clip.read_bytes()
    answers = {
        "pipeline path": local(str(clip), **parameters),
        "pipeline bytes": local(video, **parameters),
        "pipeline frames": local(decoded_frames(clip), fps=30.0, **parameters),
        "pipeline labels text": local(clip, labels=LABELS_TEXT),
        "saved folder": remote(str(clip), **parameters),
        "handler raw bytes": handler({"inputs": video, "parameters": {"labels": LABELS_TEXT}}),
        "handler base64": handler({"inputs": base64.b64encode(video).decode(), "parameters": parameters}),
    }
    labels_file = work / "labels.txt"
    labels_file.write_text(LABELS_TEXT)
    assert main(["predict", "--model", str(folder), "--video", str(clip), "--labels", str(labels_file)]) == 0
    answers["lexsign predict --video"] = json.loads(capsys.readouterr().out)["predictions"]
    for name, found in answers.items():
        assert ranking(found) == ranking(expected), name
        assert [item["score"] for item in found] == pytest.approx(  # MediaPipe's sub-pixel jitter
            [item["score"] for item in expected], abs=0.03
        ), name


def test_islr_folder_serves_video_classification(clip, processor, work):
    """`pipeline("video-classification", model=folder, trust_remote_code=True)("sign.mp4")` on a folder made by
    `save_pretrained` alone ranks the model's own classes."""
    from transformers import pipeline

    torch.manual_seed(0)
    classes = ["MOTHER", "HELP", "THANKS"]
    config = HALIConfig(
        **TINY_HALI, id2label=dict(enumerate(classes)), label2id={c: i for i, c in enumerate(classes)}
    )
    islr = HALIForSignClassification(config).eval()
    target = work / "islr"
    islr.save_pretrained(target)
    processor.save_pretrained(target)
    saved = json.loads((target / "config.json").read_text())
    assert set(saved["custom_pipelines"]) == {"video-classification", TASK}
    assert saved["custom_pipelines"]["video-classification"]["pt"] == ["AutoModelForSequenceClassification"]
    classify = pipeline("video-classification", model=str(target), trust_remote_code=True)
    answer = classify(str(clip), top_k=3)
    assert sorted(ranking(answer)) == sorted(classes)
    with torch.no_grad():
        pose, size = processor.pose_reader.read(clip)
        logits = islr(**processor(poses=[pose], frame_sizes=[size])).logits[0]
    assert ranking(answer) == [classes[i] for i in logits.argsort(descending=True).tolist()]


def test_bad_video_says_why_in_one_line(model, processor, work):
    classifier = zero_shot_pipeline(model, processor)
    broken = work / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    for given in (str(broken), broken.read_bytes()):
        with pytest.raises(ValueError) as raised:
            classifier(given, candidate_labels=["A", "B"])
        assert "cannot be decoded as a video" in str(raised.value) and "\n" not in str(raised.value)
    black = np.zeros((4, 64, 64, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="video frames: no person detected in 4 frames"):
        classifier(black, candidate_labels=["A", "B"])

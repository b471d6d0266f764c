"""The `zero-shot-sign-classification` pipeline: inputs, ranking, description cache, bad input, remote loading
from a saved folder (fresh process, no `lexsign_hf`) and the Inference Endpoints handler."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny import TINY_HALI

from lexsign_hf import HALIConfig, HALIForSignClassification, HALIModel, HALIProcessor, HALIZeroShotClassifier
from lexsign_hf.hub import TASK, load_zero_shot_pipeline, save_zero_shot_pipeline, zero_shot_pipeline
from lexsign_hf.pose import read_pose, to_canonical

LABELS = ["MOTHER", "HELP", "THANKS"]
DESCRIPTIONS = [
    "5 hand, palm facing left, thumb touches the chin; tap twice.",
    "A hand on the flat non-dominant palm; both move up.",
    "Flat hand at the chin, palm in; move forward and down.",
]


def random_pose(seed: int = 0, frames: int = 20) -> np.ndarray:
    pose = np.random.default_rng(seed).normal(size=(frames, 77, 3)).astype(np.float32)
    pose[..., 2] = 1.0
    return pose


@pytest.fixture(scope="module")
def processor(minilm_path):
    return HALIProcessor.from_text_pretrained(minilm_path, max_frames=32)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return HALIModel(HALIConfig(**TINY_HALI)).eval()


@pytest.fixture(scope="module")
def classifier(model, processor):
    return zero_shot_pipeline(model, processor)


@pytest.fixture(scope="module")
def pose_files(shared_data) -> list[Path]:
    files = sorted((shared_data / "pose-samples").rglob("*.pose"))
    assert files, "no .pose samples in ../shared/data/pose-samples"
    return files


def test_ranks_every_candidate_with_probabilities(classifier):
    ranked = classifier(random_pose(), candidate_labels=LABELS, descriptions=DESCRIPTIONS)
    assert sorted(item["label"] for item in ranked) == sorted(LABELS)
    scores = [item["score"] for item in ranked]
    assert scores == sorted(scores, reverse=True)
    assert sum(scores) == pytest.approx(1.0, abs=1e-5)
    assert (
        classifier(random_pose(), candidate_labels=LABELS, descriptions=DESCRIPTIONS, top_k=2) == ranked[:2]
    )


def test_scores_match_the_zero_shot_classifier(classifier, model, processor):
    pose = random_pose(3)
    reference = HALIZeroShotClassifier(model, processor)
    reference.set_vocabulary(LABELS, DESCRIPTIONS)
    expected = reference.classify([pose], top_k=3)[0]
    ranked = classifier(pose, candidate_labels=LABELS, descriptions=DESCRIPTIONS)
    assert [item["label"] for item in ranked] == [item["label"] for item in expected]
    assert [item["score"] for item in ranked] == pytest.approx([item["score"] for item in expected], abs=1e-6)


def test_labels_describe_themselves_by_default(classifier):
    pose = random_pose(1)
    default = classifier(pose, candidate_labels=DESCRIPTIONS)
    explicit = classifier(pose, candidate_labels=DESCRIPTIONS, descriptions=DESCRIPTIONS)
    assert default == explicit


def test_parameters_given_when_the_pipeline_is_built(model, processor, classifier):
    fixed = zero_shot_pipeline(model, processor, candidate_labels=LABELS, descriptions=DESCRIPTIONS, top_k=2)
    pose = random_pose(2)
    assert fixed(pose) == classifier(pose, candidate_labels=LABELS, descriptions=DESCRIPTIONS, top_k=2)
    assert len(fixed(pose, top_k=3)) == 3


def test_a_list_of_inputs_is_a_batch(classifier):
    poses = [random_pose(4), random_pose(5, frames=9)]
    batch = classifier(poses, candidate_labels=LABELS, descriptions=DESCRIPTIONS)
    assert batch == [classifier(pose, candidate_labels=LABELS, descriptions=DESCRIPTIONS) for pose in poses]


def test_description_embeddings_are_cached(model, processor):
    classifier = zero_shot_pipeline(model, processor, description_cache_size=1, text_batch_size=2)
    calls = []
    encode = model.get_text_features

    def counting(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        return encode(*args, **kwargs)

    model.get_text_features = counting
    try:
        first = classifier(random_pose(6), candidate_labels=LABELS, descriptions=DESCRIPTIONS)
        assert calls == [2, 1]  # three descriptions in batches of two
        classifier([random_pose(7), random_pose(8)], candidate_labels=LABELS, descriptions=DESCRIPTIONS)
        assert calls == [2, 1]  # the vocabulary was not encoded again
        classifier(random_pose(6), candidate_labels=LABELS[:2], descriptions=DESCRIPTIONS[:2])
        assert calls == [2, 1, 2]
        assert classifier(random_pose(6), candidate_labels=LABELS, descriptions=DESCRIPTIONS) == first
        assert calls == [2, 1, 2, 2, 1]  # cache size 1: the first vocabulary was evicted
    finally:
        del model.get_text_features


def test_pose_files_bytes_and_paths_match_the_package_readers(classifier, pose_files):
    for path in pose_files:
        expected = read_pose(path).canonical()
        np.testing.assert_allclose(classifier.load_pose(path), expected, atol=1e-6, err_msg=str(path))
        np.testing.assert_allclose(classifier.load_pose(path.read_bytes()), expected, atol=1e-6)
    ranked = classifier(str(pose_files[0]), candidate_labels=LABELS, descriptions=DESCRIPTIONS)
    assert ranked == classifier(
        read_pose(pose_files[0]).canonical(), candidate_labels=LABELS, descriptions=DESCRIPTIONS
    )


@pytest.mark.parametrize("scheme", ["hand_i", "left_hand_i"])
def test_coco_wholebody_files_of_every_pose_format_naming_scheme(classifier, tmp_path, scheme):
    """The pipeline reads `.pose` headers with its saved layout table (no lexsign_hf on the Hub): COCO-WholeBody
    files with generic (`hand_i`) or per-side (`left_hand_i`) hand names give the package reader's skeleton."""
    from test_pose_layouts import coco_from_real_openpose

    path = tmp_path / f"{scheme}.pose"
    with path.open("wb") as file:
        coco_from_real_openpose(scheme).write(file)
    np.testing.assert_allclose(classifier.load_pose(path), read_pose(path).canonical(), atol=1e-6)
    np.testing.assert_allclose(
        classifier.load_pose(path.read_bytes()), read_pose(path).canonical(), atol=1e-6
    )


def test_arrays_in_another_layout_and_npy_files(classifier, tmp_path):
    from lexsign_hf.synth import LAYOUT, sample_record, synthesize

    coco = synthesize(sample_record(np.random.default_rng(0)), seed=0)
    np.testing.assert_allclose(
        classifier.load_pose(coco, layout=LAYOUT), to_canonical(coco, LAYOUT), atol=1e-6
    )
    np.save(tmp_path / "sign.npy", coco)
    np.testing.assert_allclose(
        classifier.load_pose(tmp_path / "sign.npy", layout=LAYOUT), to_canonical(coco, LAYOUT), atol=1e-6
    )
    tensor = torch.from_numpy(random_pose(9))
    np.testing.assert_array_equal(classifier.load_pose(tensor), tensor.numpy())


def test_islr_model_ranks_its_own_classes_without_candidates(processor):
    torch.manual_seed(0)
    config = HALIConfig(
        **TINY_HALI, id2label=dict(enumerate(LABELS)), label2id={v: k for k, v in enumerate(LABELS)}
    )
    classifier = zero_shot_pipeline(HALIForSignClassification(config), processor)
    own = classifier(random_pose(), top_k=2)
    assert len(own) == 2 and {item["label"] for item in own} <= set(LABELS)
    zero_shot = classifier(random_pose(), candidate_labels=["A", "B"], descriptions=DESCRIPTIONS[:2])
    assert {item["label"] for item in zero_shot} == {"A", "B"}


@pytest.mark.parametrize(
    ("inputs", "parameters", "message"),
    [
        (None, {"candidate_labels": []}, "candidate_labels: expected a non-empty list"),
        (None, {}, "candidate_labels: expected a non-empty list of glosses (this model has no class head)"),
        (None, {"candidate_labels": ["A", "A"]}, "duplicate labels ['A']"),
        (None, {"candidate_labels": ["A", ""]}, "every label must be a non-empty string"),
        (None, {"candidate_labels": ["A", "B"], "descriptions": ["one"]}, "one description per candidate label (2)"),
        (None, {"candidate_labels": ["A", "B"], "descriptions": ["fine.", " ;. "]}, "the description of 'B' has no words"),
        (None, {"candidate_labels": ["A", "B"], "top_k": 0}, "top_k must be a positive integer"),
        (None, {"candidate_labels": ["A", "B"], "colour": "red"}, "unknown zero-shot-sign-classification parameters"),
        ("missing.pose", {"candidate_labels": ["A", "B"]}, "pose or video file not found"),
        (b"not a pose file", {"candidate_labels": ["A", "B"]}, "<bytes>: not a readable .pose file"),
        (np.zeros((10, 50, 3)), {"candidate_labels": ["A", "B"]}, "is not a canonical (frames, 77, 2|3) skeleton"),
        (np.zeros((10, 133, 3)), {"candidate_labels": ["A", "B"], "layout": "kinect"}, "unknown layout 'kinect'"),
        (np.zeros((10, 130, 3)), {"candidate_labels": ["A", "B"], "layout": "coco_wholebody_133"}, "expected (frames, 133, 3)"),
        (np.full((10, 77, 3), np.nan), {"candidate_labels": ["A", "B"]}, "NaN or inf"),
        (np.zeros((10, 77, 3)), {"candidate_labels": ["A", "B"]}, "all-zero sequence"),
        (np.zeros((0, 77, 3)), {"candidate_labels": ["A", "B"]}, "has no frames"),
        ({"pose": 1}, {"candidate_labels": ["A", "B"]}, "unsupported pose input of type dict"),
    ],
)  # fmt: skip
def test_bad_input_raises_clear_errors(classifier, tmp_path, inputs, parameters, message):
    if inputs is None:
        inputs = random_pose()
    elif isinstance(inputs, str):
        inputs = str(tmp_path / inputs)
    error = FileNotFoundError if message.startswith("pose or video file not found") else ValueError
    with pytest.raises(error) as raised:
        classifier(inputs, **parameters)
    assert message in str(raised.value)


def test_unsupported_file_type(classifier, tmp_path):
    path = tmp_path / "sign.csv"
    path.write_text("x,y\n")
    with pytest.raises(
        ValueError, match="unsupported file type '.csv'; expected a .pose or .npy file, or a video"
    ):
        classifier(str(path), candidate_labels=["A", "B"])


def test_saved_folder_serves_the_pipeline_and_the_endpoint_handler(
    model, processor, classifier, pose_files, tmp_path
):
    """`pipeline(task, model=folder, trust_remote_code=True)` and `handler.py` run the folder's own copy of the
    code (`transformers_modules.*`); `lexsign push` checks the same in a fresh process without the package."""
    import importlib.util

    from transformers import pipeline

    folder = save_zero_shot_pipeline(model, processor, tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    assert config["custom_pipelines"][TASK] == {
        "impl": "pipeline_hali.ZeroShotSignClassificationPipeline",
        "pt": ["AutoModel"],
        "type": "multimodal",
    }
    code = {"pipeline_hali.py", "pose_inputs.py", "labels_hali.py", "handler.py"}
    assert code | {"pose_layouts.json", "processor_config.json", "requirements.txt"} <= {
        path.name for path in folder.iterdir()
    }
    for name in code:
        assert not re.search(r"^\s*(from|import) lexsign_hf", (folder / name).read_text(), re.MULTILINE), name
    parameters = {"candidate_labels": LABELS, "descriptions": DESCRIPTIONS}
    pose = random_pose(11)

    remote = pipeline(TASK, model=str(folder), trust_remote_code=True)
    assert type(remote).__module__.startswith("transformers_modules.")
    spec = importlib.util.spec_from_file_location("endpoint_handler", folder / "handler.py")
    handler_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler_module)
    handler = handler_module.EndpointHandler(str(folder))
    encoded = base64.b64encode(pose_files[0].read_bytes()).decode()
    answers = {
        "file": (remote(str(pose_files[0]), **parameters), classifier(str(pose_files[0]), **parameters)),
        "array": (remote(pose, **parameters), classifier(pose, **parameters)),
        "handler .pose": (handler({"inputs": encoded, "parameters": parameters}), classifier(str(pose_files[0]), **parameters)),
        "handler array": (handler({"inputs": pose.tolist(), "parameters": parameters}), classifier(pose, **parameters)),
        "reloaded": (load_zero_shot_pipeline(folder)(pose, **parameters), classifier(pose, **parameters)),
    }  # fmt: skip
    for name, (found, expected) in answers.items():
        assert [item["label"] for item in found] == [item["label"] for item in expected], name
        assert [item["score"] for item in found] == pytest.approx(
            [item["score"] for item in expected], abs=1e-5
        )

    bad_requests = {
        'request body: expected a JSON object with "inputs"': {"parameters": parameters},
        '"inputs": a string must be a base64-encoded video or .pose file': {
            "inputs": "%%%",
            "parameters": parameters,
        },
        '"inputs": keypoint lists must form a (frames, keypoints, 3) grid': {"inputs": [[1, 2], [3]]},
        "\"parameters\": unknown keys ['speed']": {"inputs": encoded, "parameters": {"speed": 2}},
        '"parameters": expected an object, got list': {"inputs": encoded, "parameters": ["A"]},
        "candidate_labels: expected a non-empty list": {
            "inputs": encoded,
            "parameters": {"candidate_labels": []},
        },
    }
    for message, request in bad_requests.items():
        with pytest.raises(ValueError) as raised:
            handler(request)
        assert message in str(raised.value)

"""The objects users hold reach HALI as they are: `HALIProcessor` and the pipeline take `PoseSequence` (what
`lexsign_hf.pose.read_pose` returns), pose-format `Pose`, paths, bytes and arrays, for both normalisations,
carrying the frame size; the shipped layout table is `lexsign_hf.pose.LAYOUTS`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from pose_format import Pose
from test_pose_layouts import coco_from_real_openpose
from tiny import TINY_HALI

from lexsign_hf import HALIConfig, HALIModel, HALIProcessor
from lexsign_hf.hub import save_zero_shot_pipeline, zero_shot_pipeline
from lexsign_hf.hub.export import pose_layout_table
from lexsign_hf.models.hali.pose_inputs import POSE_LAYOUTS_FILE
from lexsign_hf.pose import processor_input, read_pose

HOLISTIC = Path(__file__).parents[2] / "shared/data/pose-samples/pose-format-tests/mediapipe.pose"


@pytest.fixture(scope="module")
def shoulder(minilm_path):
    return HALIProcessor.from_text_pretrained(minilm_path, max_frames=32)


@pytest.fixture(scope="module")
def uni_sign(minilm_path):
    return HALIProcessor.from_text_pretrained(minilm_path, max_frames=32, pose_normalization="uni_sign")


@pytest.fixture(scope="module")
def coco_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("coco") / "coco.pose"
    with path.open("wb") as file:
        coco_from_real_openpose("left_hand_i").write(file)
    return path


def test_shipped_layout_table_is_the_package_layouts():
    shipped = Path(__file__).parents[1] / "lexsign_hf/models/hali" / POSE_LAYOUTS_FILE
    assert json.loads(shipped.read_text()) == json.loads(json.dumps(pose_layout_table()))


@pytest.mark.parametrize("normalization", ["shoulder", "uni_sign"])
@pytest.mark.parametrize("sample", ["holistic", "coco"])
def test_processor_takes_every_pose_object_alike(request, normalization, sample, coco_file):
    """PoseSequence, Pose, path and bytes give the same tensors as the documented array route
    (`processor_input` + the frame size passed by hand)."""
    processor = request.getfixturevalue(normalization)
    path = HOLISTIC if sample == "holistic" else coco_file
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    sequence = read_pose(path)
    assert sequence.frame_size is not None
    array = processor_input(sequence.data, sequence.layout, processor.pose_normalization)
    expected = processor(poses=[array], frame_sizes=[sequence.frame_size])
    for name, given in {
        "PoseSequence": sequence,
        "Pose": Pose.read(path.read_bytes()),
        "path": str(path),
        "Path": path,
        "bytes": path.read_bytes(),
        "list of one": [sequence],
    }.items():
        found = processor(poses=given)
        torch.testing.assert_close(found["pose_values"], expected["pose_values"], msg=name)
        torch.testing.assert_close(found["pose_mask"], expected["pose_mask"], msg=name)
    if normalization == "uni_sign":  # the frame size matters here: pixels without one are refused
        with pytest.raises(ValueError, match="without a frame size"):
            processor(poses=[array])
        explicit = processor(poses=[sequence], frame_sizes=[(1.0, 1.0)])  # an explicit size wins
        assert not torch.allclose(explicit["pose_values"], expected["pose_values"])
        by_hand = processor(poses=[array], frame_sizes=[(1.0, 1.0)])
        torch.testing.assert_close(explicit["pose_values"], by_hand["pose_values"])


def test_processor_names_the_bad_input(shoulder, tmp_path):
    with pytest.raises(ValueError, match=r"pose 1: unsupported pose input of type dict"):
        shoulder(poses=[np.ones((4, 77, 3), np.float32), {"x": 1}])
    with pytest.raises(FileNotFoundError, match="pose or video file not found"):
        shoulder(poses=str(tmp_path / "missing.pose"))


def test_pipeline_and_saved_processor_take_pose_objects(shoulder, tmp_path):
    if not HOLISTIC.exists():
        pytest.skip(f"shared data not available: {HOLISTIC}")
    torch.manual_seed(0)
    model = HALIModel(HALIConfig(**TINY_HALI)).eval()
    classifier = zero_shot_pipeline(model, shoulder)
    parameters = {"candidate_labels": ["A", "B"], "descriptions": ["Flat hand.", "Fist, palm down."]}
    expected = classifier(str(HOLISTIC), **parameters)
    assert classifier(read_pose(HOLISTIC), **parameters) == expected
    assert classifier(Pose.read(HOLISTIC.read_bytes()), **parameters) == expected
    folder = save_zero_shot_pipeline(model, shoulder, tmp_path / "model")
    reloaded = HALIProcessor.from_pretrained(folder)
    assert reloaded.pose_layouts == json.loads((folder / POSE_LAYOUTS_FILE).read_text())
    assert "pose_layouts" not in json.loads((folder / "processor_config.json").read_text())
    torch.testing.assert_close(
        reloaded(poses=Pose.read(HOLISTIC.read_bytes()))["pose_values"],
        shoulder(poses=HOLISTIC)["pose_values"],
    )

"""HALIProcessor: fragments, pose normalisation, frame sampling, bad input and save/load."""

from __future__ import annotations

import numpy as np
import pytest

from lexsign_hf.data.descriptions import split_fragments as data_split_fragments
from lexsign_hf.models.hali import HALIProcessor, split_fragments

EDGE_CASES = [
    "A hand, palm facing in, at the chin; move forward twice.",
    "no punctuation at all",
    "Line one\nline two… and three",
    "- dash-led piece, 'quoted' piece; \u201cfancy\u201d.",
    "手掌向下，向前移动。",
    "word, , ... ; -- , end",
    "  leading spaces,trailing  ",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_processor_and_data_fragmenters_agree(text):
    assert split_fragments(text) == data_split_fragments(text)


@pytest.mark.parametrize("text", ["", "   ", ",.;!?", "-- ; ''"])
def test_text_without_words_is_rejected(text):
    with pytest.raises(ValueError, match="no words"):
        split_fragments(text)


@pytest.fixture
def processor(minilm_path):
    return HALIProcessor.from_text_pretrained(minilm_path, max_frames=8, max_fragments=3)


def test_fragment_ids_follow_punctuation_and_cap(processor):
    batch = processor(text=["a, b; c. d, e"])
    tokens = processor.tokenizer.convert_ids_to_tokens(batch["input_ids"][0])
    ids = dict(zip(tokens, batch["fragment_ids"][0].tolist(), strict=True))
    assert ids["[CLS]"] == -1 and ids[","] == -1
    assert [ids[t] for t in "abc"] == [0, 1, 2]
    assert ids["d"] == ids["e"] == 2  # fragments past max_fragments merge into the last


def canonical_pose(frames: int, shoulder_width: float = 100.0) -> np.ndarray:
    pose = np.zeros((frames, 77, 3), dtype=np.float32)
    pose[..., 2] = 1.0
    pose[..., :2] = 300.0
    pose[:, 3, :2] = (300.0 - shoulder_width / 2, 200.0)
    pose[:, 4, :2] = (300.0 + shoulder_width / 2, 200.0)
    pose[:, 60:, 2] = 0.0  # face missing
    return pose


def test_poses_are_shoulder_normalised_sampled_and_padded(processor):
    batch = processor(poses=[canonical_pose(20), canonical_pose(5)], return_tensors="np")
    values, mask = batch["pose_values"], batch["pose_mask"]
    assert values.shape == (2, 8, 77, 3) and mask.sum(1).tolist() == [8, 5]
    assert np.allclose(values[0, 0, 3, :2], (-0.5, 0.0)) and np.allclose(values[0, 0, 4, :2], (0.5, 0.0))
    assert np.all(values[0, :, 60:, :2] == 0)  # missing points carry no coordinates
    assert np.all(values[1, 5:] == 0)


@pytest.mark.parametrize(
    "pose, message",
    [
        (np.zeros((10, 50, 3), dtype=np.float32), "canonical"),
        (np.zeros((0, 77, 3), dtype=np.float32), "no frames"),
        (np.zeros((10, 77, 3), dtype=np.float32), "all-zero"),
        (np.full((10, 77, 3), np.nan, dtype=np.float32), "NaN"),
    ],
)
def test_bad_poses_raise_clear_errors(processor, pose, message):
    with pytest.raises(ValueError, match=message):
        processor(poses=[pose])


def test_save_and_load_keep_settings(processor, tmp_path):
    processor.save_pretrained(tmp_path)
    reloaded = HALIProcessor.from_pretrained(tmp_path)
    assert (reloaded.max_frames, reloaded.max_fragments) == (8, 3)
    text = ["Flat hand, palm down; circle."]
    assert reloaded(text=text)["fragment_ids"].tolist() == processor(text=text)["fragment_ids"].tolist()

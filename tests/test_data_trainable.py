"""`lexsign_hf.data.with_poses`: `load_dataset(folder, config)` metadata rows + poses = trainable rows, the same
as the training loader joins them, from a LexSign folder or a folder of pose files."""

from __future__ import annotations

import shutil

import datasets
import numpy as np
import pytest
import torch
from test_data_pose_build import _write_index

from lexsign_hf import HALIProcessor
from lexsign_hf import pose as pose_lib
from lexsign_hf.data import with_poses
from lexsign_hf.data.build import build_lexsign
from lexsign_hf.data.collator import HALIDataCollator
from lexsign_hf.data.pose_store import load_video_config

SIGNS = ("kleine", "kinder", "essen")


@pytest.fixture(scope="module")
def pose_dir(shared_data, tmp_path_factory):
    """Three real MediaPipe poses (reduced holistic 178) of the shared Swiss German signs."""
    folder = tmp_path_factory.mktemp("poses")
    for sign in SIGNS:
        shutil.copyfile(
            shared_data / "pose-samples/spoken-to-signed-dummy-lexicon-dsgs" / f"{sign}.pose",
            folder / f"{sign}.pose",
        )
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory, pose_dir):
    folder = tmp_path_factory.mktemp("trainable")
    index = _write_index(folder / "mini.json", {sign: [(sign, "train")] for sign in SIGNS})
    build_lexsign(folder / "out", wlasl=index, poses=pose_dir, asl_spec=None, islr_sizes=(3,), progress=False)
    return folder / "out"


def test_rows_from_load_dataset_become_trainable(built, pose_dir, minilm_path):
    rows = datasets.load_dataset(str(built), "wlasl3", split="train")
    assert "pose" not in rows.column_names  # metadata only
    joined = with_poses(rows, built)
    reference = load_video_config(built, "wlasl3", split="train")
    assert joined.column_names == reference.column_names
    for found, expected in zip(joined.with_format("numpy"), reference.with_format("numpy"), strict=True):
        np.testing.assert_array_equal(found["pose"], expected["pose"])
        assert found["video_id"] == expected["video_id"] and found["layout"] == expected["layout"]

    from_files = with_poses(rows, pose_dir)  # a folder of <video_id>.pose files, each row's span cut
    for found, expected in zip(from_files.with_format("numpy"), reference.with_format("numpy"), strict=True):
        np.testing.assert_array_equal(found["pose"], expected["pose"])
        assert (
            found["width"] == expected["width"] == pose_lib.read_pose(pose_dir / "kinder.pose").frame_size[0]
        )

    collator = HALIDataCollator(HALIProcessor.from_text_pretrained(minilm_path, max_frames=16))
    batch = collator([{**row, "description": row["gloss"]} for row in joined.with_format("numpy")])
    assert batch["pose_values"].shape[:2] == (3, 16) and torch.equal(
        batch["labels"], torch.tensor(joined["label"])
    )
    assert with_poses(datasets.load_dataset(str(built), "wlasl3"), built)["train"].num_rows == 3


def test_missing_poses_are_named(built, tmp_path):
    rows = datasets.load_dataset(str(built), "wlasl3", split="train")
    with pytest.raises(
        ValueError, match=r"no pose file in .* for video_id\(s\) \['essen', 'kinder', 'kleine'\]"
    ):
        with_poses(rows, tmp_path)
    with pytest.raises(ValueError, match="has no 'video_id' column"):
        with_poses(rows.remove_columns("video_id"), built)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        with_poses(rows, tmp_path / "nowhere")

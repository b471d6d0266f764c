from __future__ import annotations

import datasets
import numpy as np
import pytest
import yaml

from lexsign_hf.data.hub_layout import pose_feature, write_dataset_folder


def _features(num_keypoints: int | None = 5) -> datasets.Features:
    return datasets.Features(
        {
            "video_id": datasets.Value("string"),
            "label": datasets.ClassLabel(names=["a", "b"]),
            "pose": pose_feature(num_keypoints),
            "layout": datasets.Value("string"),
            "fps": datasets.Value("float32"),
        }
    )


def _rows(num_rows: int, num_keypoints: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    for index in range(num_rows):
        yield {
            "video_id": f"v{index}",
            "label": index % 2,
            "pose": rng.random((2 + index, num_keypoints, 3), dtype=np.float32),
            "layout": "test_layout",
            "fps": 25.0,
        }


def test_folder_round_trips_variable_length_poses(tmp_path):
    expected = list(_rows(5))
    write_dataset_folder(
        tmp_path,
        {
            "c1": {"train": _rows(5), "test": iter(expected[:2])},
            "c2": {"train": datasets.Dataset.from_list(expected[:3], features=_features())},
        },
        _features(),
        "# Test dataset\n",
        default_config="c1",
        config_files={"c1": {"classes.json": {"classes": ["a", "b"]}}},
    )
    assert sorted(p.name for p in (tmp_path / "data" / "c1").iterdir()) == [
        "classes.json",
        "test-00000-of-00001.parquet",
        "train-00000-of-00001.parquet",
    ]
    front_matter = yaml.safe_load((tmp_path / "README.md").read_text().split("---")[1])
    assert [config["config_name"] for config in front_matter["configs"]] == ["c1", "c2"]
    assert front_matter["configs"][0]["default"] is True
    assert {info["config_name"] for info in front_matter["dataset_info"]} == {"c1", "c2"}

    loaded = datasets.load_dataset(str(tmp_path), "c1")
    assert loaded["train"].num_rows == 5 and loaded["test"].num_rows == 2
    assert loaded["train"].features == _features()
    for row, original in zip(loaded["train"].with_format("numpy"), expected, strict=True):
        assert row["video_id"] == original["video_id"]
        np.testing.assert_array_equal(row["pose"], original["pose"])
    assert datasets.load_dataset(str(tmp_path), "c2", split="train").num_rows == 3

    streamed = list(datasets.load_dataset(str(tmp_path), "c1", split="train", streaming=True))
    assert [row["video_id"] for row in streamed] == [row["video_id"] for row in expected]
    np.testing.assert_array_equal(np.asarray(streamed[4]["pose"], dtype=np.float32), expected[4]["pose"])


def test_mixed_keypoint_counts_use_nested_lists(tmp_path):
    rows = [*_rows(2, num_keypoints=5), *_rows(2, num_keypoints=7)]
    write_dataset_folder(tmp_path, {"mixed": {"train": rows}}, _features(None), "# mixed\n")
    loaded = datasets.load_dataset(str(tmp_path), "mixed", split="train")
    assert [np.asarray(row["pose"]).shape for row in loaded] == [(2, 5, 3), (3, 5, 3), (2, 7, 3), (3, 7, 3)]


def test_rewrite_replaces_shards_and_never_leaves_temporaries(tmp_path):
    write_dataset_folder(tmp_path, {"c": {"train": _rows(6)}}, _features(), "# v1\n", max_shard_size=1)
    assert len(list((tmp_path / "data" / "c").glob("train-*-of-00006.parquet"))) == 6
    write_dataset_folder(tmp_path, {"c": {"train": _rows(3)}}, _features(), "# v2\n")
    assert [p.name for p in (tmp_path / "data" / "c").iterdir()] == ["train-00000-of-00001.parquet"]
    assert datasets.load_dataset(str(tmp_path), "c", split="train").num_rows == 3


def test_interrupted_split_leaves_no_shard(tmp_path):
    def failing_rows():
        yield from _rows(2)
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        write_dataset_folder(tmp_path, {"c": {"train": failing_rows()}}, _features(), "# x\n")
    assert list((tmp_path / "data" / "c").iterdir()) == []
    assert not (tmp_path / "README.md").exists()


def test_empty_split_is_left_out(tmp_path):
    write_dataset_folder(tmp_path, {"c": {"train": _rows(2), "test": []}}, _features(), "# x\n")
    assert list(datasets.load_dataset(str(tmp_path), "c")) == ["train"]


def test_row_with_undeclared_column_is_rejected(tmp_path):
    bad = {**next(_rows(1)), "extra": 1}
    with pytest.raises(ValueError, match=r"undeclared columns \['extra'\]"):
        write_dataset_folder(tmp_path, {"c": {"train": [bad]}}, _features(), "# x\n")

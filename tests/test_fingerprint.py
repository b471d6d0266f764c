"""Data fingerprints cover every file the evaluated examples came from, including the shared pose store."""

import json

import pytest

from lexsign_hf.fingerprint import data_fingerprint, weights_fingerprint


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_data_fingerprint_covers_the_referenced_pose_config(tmp_path):
    _write(tmp_path / "data/asl100/train-00000.parquet", "metadata rows")
    _write(tmp_path / "data/asl100/classes.json", json.dumps({"poses_config": "asl_poses"}))
    _write(tmp_path / "data/asl_poses/train-00000.parquet", "poses v1")
    first = data_fingerprint(tmp_path, "asl100")
    assert first["poses_config"] == "asl_poses" and first["files"] == 3 and first["splits"] == ["train"]
    _write(tmp_path / "data/asl_poses/train-00000.parquet", "poses v2")
    assert data_fingerprint(tmp_path, "asl100")["sha256"] != first["sha256"]


def test_two_builds_of_the_same_poses_share_a_fingerprint(tmp_path, three_pose_index):
    """The pose store is a `save_to_disk` folder: its shards count, not `state.json` (a fresh `_fingerprint` per
    write) nor `cache-*.arrow` files `datasets` adds; changed poses change the fingerprint."""
    from lexsign_hf.data.build import build_lexsign

    poses, index = three_pose_index
    prints = []
    for name in ("a", "b"):
        build_lexsign(
            tmp_path / name, wlasl=index, poses=poses, asl_spec=None, islr_sizes=(3,), progress=False
        )
        prints.append(data_fingerprint(tmp_path / name, "wlasl3"))
    assert prints[0] == prints[1] and prints[0]["poses_config"] == "asl_poses"
    (tmp_path / "a/data/asl_poses/cache-0123.arrow").write_bytes(b"a datasets cache file")
    assert data_fingerprint(tmp_path / "a", "wlasl3") == prints[1]
    for shard in (tmp_path / "b/data/asl_poses").glob("data-*.arrow"):
        shard.write_bytes(shard.read_bytes()[:-8] + b"\0" * 8)
    assert data_fingerprint(tmp_path / "b", "wlasl3")["sha256"] != prints[0]["sha256"]


def test_data_fingerprint_is_location_independent_and_errors_name_the_folder(tmp_path):
    for root in ("a", "b"):
        _write(tmp_path / root / "data/synth/test-00000.parquet", "rows")
    assert data_fingerprint(tmp_path / "a", "synth") == data_fingerprint(tmp_path / "b", "synth")
    with pytest.raises(FileNotFoundError, match="missing"):
        data_fingerprint(tmp_path / "a", "missing")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        weights_fingerprint(tmp_path)

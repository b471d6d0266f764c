"""Data fingerprints cover every file the evaluated examples came from, including a shared pose config."""

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


def test_data_fingerprint_is_location_independent_and_errors_name_the_folder(tmp_path):
    for root in ("a", "b"):
        _write(tmp_path / root / "data/synth/test-00000.parquet", "rows")
    assert data_fingerprint(tmp_path / "a", "synth") == data_fingerprint(tmp_path / "b", "synth")
    with pytest.raises(FileNotFoundError, match="missing"):
        data_fingerprint(tmp_path / "a", "missing")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        weights_fingerprint(tmp_path)

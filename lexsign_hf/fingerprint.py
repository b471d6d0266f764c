"""Fingerprints that bind an evaluation result to the exact weights and data it was measured on.

Every evaluation JSON the package writes records ``weights_fingerprint`` (the sha256 of the evaluated
``model.safetensors``) and ``data_fingerprint`` (the sha256 of the dataset config's files); `lexsign push model`
refuses results whose weights fingerprint is not that of the folder it publishes. Imports nothing else of the
package.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

WEIGHTS_FILE = "model.safetensors"
WEIGHTS_INDEX_FILE = "model.safetensors.index.json"
WEIGHTS_KEY = "weights_fingerprint"
DATA_KEY = "data_fingerprint"
_CHUNK = 1 << 20

__all__ = ["DATA_KEY", "WEIGHTS_KEY", "data_fingerprint", "file_sha256", "weights_fingerprint"]


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def weights_fingerprint(model_dir: str | os.PathLike) -> dict[str, str]:
    """``{"file": "model.safetensors", "sha256": ...}`` of a saved model folder. A sharded checkpoint is
    fingerprinted by its index file: the sha256 of the index's shard names each followed by the shard's sha256."""
    model_dir = Path(model_dir)
    single = model_dir / WEIGHTS_FILE
    if single.is_file():
        return {"file": WEIGHTS_FILE, "sha256": file_sha256(single)}
    index = model_dir / WEIGHTS_INDEX_FILE
    if not index.is_file():
        raise FileNotFoundError(f"{model_dir}: no {WEIGHTS_FILE} or {WEIGHTS_INDEX_FILE} to fingerprint")
    try:
        shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise ValueError(
            f"{index}: not a safetensors index (expected a JSON object with 'weight_map')"
        ) from None
    digest = hashlib.sha256()
    for shard in shards:
        digest.update(f"{shard}\0{file_sha256(model_dir / shard)}\n".encode())
    return {"file": WEIGHTS_INDEX_FILE, "sha256": digest.hexdigest()}


def data_fingerprint(data_dir: str | os.PathLike, config: str) -> dict[str, Any]:
    """``{"config", "splits", "files", "sha256"}`` of config `config` of a Hub-layout dataset folder: the sha256 over
    the relative path and sha256 of every file in ``data/<config>/`` (parquet shards, ``classes.json``) and, when
    ``classes.json`` names the pose store (``poses_config``), of the store's shards too, so two
    folders with the same data have the same fingerprint wherever they are."""
    data_dir = Path(data_dir)
    config_dir = data_dir / "data" / config
    files = _data_files(config_dir)
    if not files:
        raise FileNotFoundError(
            f"{config_dir}: no data files to fingerprint (is {config!r} a config of {data_dir}?)"
        )
    splits = sorted({path.name.split("-")[0] for path in files if path.suffix == ".parquet"})
    poses_config = _poses_config(config_dir / "classes.json")
    if poses_config is not None:
        files += _store_files(data_dir / "data" / poses_config)
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(data_dir / 'data').as_posix()}\0{file_sha256(path)}\n".encode())
    fingerprint = {"config": config, "splits": splits, "files": len(files), "sha256": digest.hexdigest()}
    if poses_config is not None:
        fingerprint["poses_config"] = poses_config
    return fingerprint


def _data_files(config_dir: Path) -> list[Path]:
    return sorted(path for path in config_dir.rglob("*") if path.is_file() and not path.name.startswith("."))


def _store_files(store_dir: Path) -> list[Path]:
    """The data of a pose store: the Arrow shards its ``state.json`` lists (`save_to_disk`; not the ``cache-*``
    files `datasets` may add beside them, nor ``state.json``, whose ``_fingerprint`` differs between two writes of
    the same rows), or every file of an older parquet store."""
    state = store_dir / "state.json"
    if not state.is_file():
        return _data_files(store_dir)
    try:
        shards = [entry["filename"] for entry in json.loads(state.read_text(encoding="utf-8"))["_data_files"]]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise ValueError(f"{state}: not a `save_to_disk` state file (expected '_data_files')") from None
    return sorted(store_dir / shard for shard in shards)


def _poses_config(classes_file: Path) -> str | None:
    """The ``poses_config`` a LexSign video config's ``classes.json`` names (poses stored once for all configs)."""
    if not classes_file.is_file():
        return None
    try:
        metadata = json.loads(classes_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(f"{classes_file}: not a JSON file") from None
    poses_config = metadata.get("poses_config") if isinstance(metadata, dict) else None
    return str(poses_config) if poses_config else None

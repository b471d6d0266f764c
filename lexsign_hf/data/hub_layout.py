"""Write a Hugging Face Hub dataset folder: parquet shards, README YAML `configs:` and `dataset_info:`.

The folder loads with ``datasets.load_dataset(folder, config)`` (also offline and with ``streaming=True``) and can
be uploaded to the Hub unchanged. Layout::

    README.md                                     dataset card; YAML front matter declares configs + features
    data/<config>/<split>-00000-of-0000N.parquet  shards
    data/<config>/<name>.json                     optional per-config metadata (e.g. classes.json)
    data/<store>/data-0000N-of-0000M.arrow        a `save_to_disk` folder (`write_saved_dataset`, e.g. the poses)

Shards are written under hidden temporary names and renamed once complete, so an interrupted write never leaves
a partial shard that looks complete; the README is replaced last. A `save_to_disk` folder is not a config: it loads
with ``datasets.load_from_disk`` as memory-mapped Arrow, so reading it adds nothing to the `datasets` cache.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
from datasets.arrow_writer import ArrowWriter, ParquetWriter
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

logger = logging.getLogger(__name__)

DEFAULT_MAX_SHARD_SIZE = 500 * 1024 * 1024
_BATCH_ROWS = 1000
_MAX_BATCH_BYTES = 64 * 1024 * 1024
SHARD_TEMPLATE = "{split}-{index:05d}-of-{num_shards:05d}.parquet"


def pose_feature(num_keypoints: int | None, num_channels: int = 3) -> datasets.Array3D | datasets.List:
    """Feature for a (T, K, C) float32 pose array with variable T.

    With a fixed keypoint count ``Array3D(shape=(None, K, C))`` (compact, loads as one array); with mixed
    keypoint counts (several layouts in one config) a nested ``List`` of float32.
    """
    if num_keypoints is None:
        return datasets.List(datasets.List(datasets.List(datasets.Value("float32"))))
    return datasets.Array3D(shape=(None, num_keypoints, num_channels), dtype="float32")


def write_dataset_folder(
    out_dir: str | os.PathLike,
    configs: Mapping[str, Mapping[str, datasets.Dataset | Iterable[Mapping[str, Any]]]],
    features: datasets.Features | Mapping[str, datasets.Features],
    card: DatasetCard | str,
    *,
    default_config: str | None = None,
    config_files: Mapping[str, Mapping[str, Any]] | None = None,
    max_shard_size: int = DEFAULT_MAX_SHARD_SIZE,
) -> Path:
    """Write ``configs`` (config → split → rows) as a Hub dataset folder and return its path.

    Args:
        out_dir: target folder (created; other files in it are kept, stale shards of the written splits removed).
        configs: per config, per split, a `datasets.Dataset` or an iterable of row dicts (consumed once, so a
            generator streams rows without holding them in memory). A split without rows is left out.
        features: one `datasets.Features` for every config, or a mapping config → features.
        card: the dataset card (`DatasetCard` or markdown text, with or without YAML front matter); its YAML gets
            `configs:` and `dataset_info:` for exactly the configs written here.
        default_config: config loaded when none is named.
        config_files: config → {file name: JSON-serialisable object}, written as ``data/<config>/<file name>``.
        max_shard_size: approximate uncompressed bytes per parquet shard.
    """
    out_dir = Path(out_dir)
    if not configs:
        raise ValueError("write_dataset_folder: `configs` is empty; nothing to write.")
    if default_config is not None and default_config not in configs:
        raise ValueError(
            f"write_dataset_folder: default_config {default_config!r} is not among {sorted(configs)}."
        )
    out_dir.mkdir(parents=True, exist_ok=True)

    infos = {}
    metadata_configs = {}
    for config_name, splits in configs.items():
        _check_name(config_name, "config")
        config_features = features[config_name] if not isinstance(features, datasets.Features) else features
        if not isinstance(config_features, datasets.Features):
            raise ValueError(f"write_dataset_folder: no datasets.Features given for config {config_name!r}.")
        config_dir = out_dir / "data" / config_name
        config_dir.mkdir(parents=True, exist_ok=True)
        split_dict = SplitDict()
        data_files = []
        for split, rows in splits.items():
            _check_name(split, "split")
            num_examples, num_bytes = _write_split(config_dir, split, rows, config_features, max_shard_size)
            if num_examples == 0:  # parquet readers reject row-less shards: an empty split is left out
                logger.warning(
                    "write_dataset_folder: split %r of config %r has no rows; not written.",
                    split,
                    config_name,
                )
                continue
            split_dict.add(SplitInfo(name=split, num_bytes=num_bytes, num_examples=num_examples))
            data_files.append({"split": split, "path": f"data/{config_name}/{split}-*.parquet"})
        if not data_files:
            raise ValueError(f"write_dataset_folder: config {config_name!r} has no rows in any split.")
        for file_name, content in ((config_files or {}).get(config_name) or {}).items():
            write_json_atomic(config_dir / file_name, content)
        metadata_configs[config_name] = {"data_files": data_files}
        if config_name == default_config:
            metadata_configs[config_name]["default"] = True
        infos[config_name] = DatasetInfo(features=config_features, splits=split_dict, config_name=config_name)

    card = _as_card(card)
    for key in (MetadataConfigs.FIELD_NAME, "dataset_info"):
        card.data.pop(key, None)
    MetadataConfigs(metadata_configs).to_dataset_card_data(card.data)
    DatasetInfosDict(infos).to_dataset_card_data(card.data)
    readme = out_dir / "README.md"
    tmp_readme = readme.with_name(".README.md.tmp")
    card.save(tmp_readme)
    os.replace(tmp_readme, readme)
    return out_dir


def write_saved_dataset(
    path: str | os.PathLike,
    rows: Iterable[Mapping[str, Any]],
    features: datasets.Features,
    *,
    scratch_dir: str | os.PathLike,
    max_shard_size: int = DEFAULT_MAX_SHARD_SIZE,
) -> int:
    """Write ``rows`` (consumed once, in batches) as the `save_to_disk` folder ``path``; return the row count.

    The rows stream into one Arrow file under ``scratch_dir`` (same file system as ``path``), which `save_to_disk`
    shards into a hidden sibling of ``path``; that replaces ``path`` whole (an earlier store, or an earlier
    parquet config of the same name) only once complete, so an interrupted write leaves the old folder as it was.
    """
    path = Path(path)
    scratch_dir = Path(scratch_dir)
    scratch_dir.mkdir(parents=True, exist_ok=True)
    staged = scratch_dir / f"{path.name}.arrow"
    num_rows = 0
    with ArrowWriter(features=features, path=str(staged)) as writer:
        for batch, batch_rows, _ in _iter_batches(rows, features, _MAX_BATCH_BYTES):
            writer.write_batch(batch)
            num_rows += batch_rows
        writer.finalize()
    if num_rows == 0:
        staged.unlink()
        raise ValueError(f"write_saved_dataset: no rows to write to {path}.")
    fresh = path.with_name(f".{path.name}.new")
    old = path.with_name(f".{path.name}.old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    dataset = datasets.Dataset.from_file(str(staged))
    dataset.save_to_disk(str(fresh), max_shard_size=max_shard_size)
    del dataset
    if path.exists():
        os.replace(path, old)
    os.replace(fresh, path)
    shutil.rmtree(old, ignore_errors=True)
    staged.unlink()
    return num_rows


def write_json_atomic(path: str | os.PathLike, content: Any) -> Path:
    """Write ``content`` as indented UTF-8 JSON to ``path`` through a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _write_split(
    config_dir: Path,
    split: str,
    rows: datasets.Dataset | Iterable[Mapping[str, Any]],
    features: datasets.Features,
    max_shard_size: int,
) -> tuple[int, int]:
    """Write one split as shards (none when it has no rows); return (number of rows, approximate bytes)."""
    for stale in config_dir.glob(f".{split}-*.parquet.tmp"):
        stale.unlink()
    tmp_paths: list[Path] = []
    writer = None
    shard_bytes = total_bytes = num_examples = 0
    try:
        for batch, num_rows, num_bytes in _iter_batches(
            rows, features, min(max_shard_size, _MAX_BATCH_BYTES)
        ):
            if writer is None or shard_bytes >= max_shard_size:
                if writer is not None:
                    writer.finalize()
                    writer.close()
                tmp_paths.append(config_dir / f".{split}-{len(tmp_paths):05d}.parquet.tmp")
                writer = ParquetWriter(features=features, path=str(tmp_paths[-1]))
                shard_bytes = 0
            if isinstance(batch, pa.Table):
                writer.write_table(batch)
            else:
                writer.write_batch(batch)
            shard_bytes += num_bytes
            total_bytes += num_bytes
            num_examples += num_rows
        if writer is not None:
            writer.finalize()
            writer.close()
    except BaseException:
        if writer is not None:
            writer.close()
        for tmp in tmp_paths:
            tmp.unlink(missing_ok=True)
        raise
    for stale in config_dir.glob(f"{split}-*-of-*.parquet"):
        stale.unlink()
    for index, tmp in enumerate(tmp_paths):
        final = config_dir / SHARD_TEMPLATE.format(split=split, index=index, num_shards=len(tmp_paths))
        os.replace(tmp, final)
    return num_examples, total_bytes


def _iter_batches(
    rows: datasets.Dataset | Iterable[Mapping[str, Any]], features: datasets.Features, max_batch_bytes: int
) -> Iterator[tuple[pa.Table | dict[str, list], int, int]]:
    """Yield (batch, rows, approximate bytes): Arrow tables of a `Dataset`, or encoded column dicts of plain rows.

    A batch holds at most ``_BATCH_ROWS`` rows and about ``max_batch_bytes``, so large pose arrays stay bounded.
    """
    if isinstance(rows, datasets.Dataset):
        if rows.features != features:
            rows = rows.cast(features)
        for table in rows.with_format("arrow").iter(batch_size=_BATCH_ROWS):
            yield table, table.num_rows, table.nbytes
        return
    columns: dict[str, list] = {name: [] for name in features}
    num_rows = num_bytes = 0
    for row in rows:
        _check_columns(row, features)
        for name in features:
            value = row[name]
            columns[name].append(value)
            num_bytes += (
                value.nbytes if isinstance(value, np.ndarray) else len(value) if isinstance(value, str) else 8
            )
        num_rows += 1
        if num_rows == _BATCH_ROWS or num_bytes >= max_batch_bytes:
            yield _encode_columns(columns, features), num_rows, num_bytes
            columns = {name: [] for name in features}
            num_rows = num_bytes = 0
    if num_rows:
        yield _encode_columns(columns, features), num_rows, num_bytes


def _encode_columns(columns: dict[str, list], features: datasets.Features) -> dict[str, list]:
    """Encode only what needs it: class names to ids (ids are range-checked); other columns pass as they are."""
    encoded = {}
    for name, values in columns.items():
        feature = features[name]
        if isinstance(feature, datasets.ClassLabel):
            encoded[name] = [feature.encode_example(value) for value in values]
        elif _is_plain(feature):
            encoded[name] = values
        else:
            encoded[name] = [feature.encode_example(value) if value is not None else None for value in values]
    return encoded


def _is_plain(feature: Any) -> bool:
    """Whether values of ``feature`` are stored as given (no encoding step)."""
    if isinstance(feature, datasets.List):
        return _is_plain(feature.feature)
    return isinstance(
        feature, datasets.Value | datasets.Array2D | datasets.Array3D | datasets.Array4D | datasets.Array5D
    )


def _check_columns(row: Mapping[str, Any], features: datasets.Features) -> None:
    missing = [name for name in features if name not in row]
    extra = [name for name in row if name not in features]
    if missing or extra:
        raise ValueError(
            f"write_dataset_folder: row {row.get('video_id', row.get('gloss', ''))!r} does not match the declared "
            f"features (missing columns {missing}, undeclared columns {extra})."
        )


def _as_card(card: DatasetCard | str) -> DatasetCard:
    if isinstance(card, DatasetCard):
        return DatasetCard(card.content)  # a copy: the caller's card keeps its own YAML
    if not isinstance(card, str):
        raise ValueError(
            f"write_dataset_folder: `card` must be a DatasetCard or markdown text, got {type(card)}."
        )
    return DatasetCard(card if card.lstrip().startswith("---") else f"---\n{{}}\n---\n{card}")


def _check_name(name: str, kind: str) -> None:
    if not name or not all(char.isalnum() or char in "_-." for char in name) or name.startswith("."):
        raise ValueError(
            f"write_dataset_folder: invalid {kind} name {name!r} (use letters, digits, '_', '-', '.')."
        )

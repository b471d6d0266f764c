"""`with_poses`: the rows `datasets.load_dataset(folder, "asl1000")` returns (metadata: video id, gloss, label,
frame span) with their poses joined, so that they are trainable rows for `HALIDataCollator` / the Trainer.

```python
import datasets
from lexsign_hf.data import with_poses

rows = with_poses(datasets.load_dataset("lexsign_out", "asl1000", split="train"), "lexsign_out")
rows[0]["pose"], rows[0]["layout"]  # (T, K, 3) keypoints, as stored
```

The poses come from a LexSign dataset folder (the config its ``classes.json`` names, as
`pose_store.load_video_config` joins them), from a folder of pose files named ``<video_id>.<ext>`` (any format
`lexsign_hf.pose.read_pose` reads; a row's ``frame_start``/``frame_end`` cut its span), or from a dataset of
stored poses (``video_id``, ``pose``, ``layout``, ...).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import datasets
import numpy as np

from .. import pose as pose_lib
from .hub_layout import pose_feature
from .pose_store import POSES_CONFIG_KEY, find_pose_files, instance_span, join_poses, load_pose_store

POSE_COLUMNS = ("pose", "layout", "fps", "width", "height")


def with_poses(
    dataset: datasets.Dataset | datasets.DatasetDict,
    poses: str | os.PathLike | datasets.Dataset,
    config: str | None = None,
) -> datasets.Dataset | datasets.DatasetDict:
    """`dataset` with ``pose``, ``layout``, ``fps``, ``width``, ``height`` joined by ``video_id``.

    `poses` is a LexSign dataset folder, a folder of pose files, or a dataset of stored poses; `config` names
    the dataset's config in a LexSign folder (default: the one it was loaded as). A row whose video has no pose is
    an error naming it."""
    if isinstance(dataset, datasets.DatasetDict):
        return datasets.DatasetDict(
            {name: with_poses(split, poses, config) for name, split in dataset.items()}
        )
    if "video_id" not in dataset.column_names:
        raise ValueError(
            f"with_poses: the dataset has no 'video_id' column (columns: {dataset.column_names})"
        )
    if isinstance(poses, datasets.Dataset):
        return _join(dataset, poses, "the given poses dataset")
    folder = Path(poses)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"with_poses: {folder} is not a folder (a LexSign dataset or a pose-file folder)"
        )
    if (folder / "data").is_dir() and (folder / "README.md").is_file():
        config = config or dataset.info.config_name
        classes = folder / "data" / str(config) / "classes.json"
        if not classes.is_file():
            raise ValueError(
                f"with_poses: {classes} not found; pass config= the dataset's config in {folder} (got {config!r})"
            )
        poses_config = json.loads(classes.read_text(encoding="utf-8")).get(POSES_CONFIG_KEY)
        if poses_config is None:
            raise ValueError(f"with_poses: {classes} names no poses config (the build stored no poses)")
        return _join(dataset, load_pose_store(folder, poses_config), f"{folder} pose store {poses_config!r}")
    return _join(dataset, _read_pose_files(dataset, folder), str(folder))


def _read_pose_files(dataset: datasets.Dataset, folder: Path) -> datasets.Dataset:
    """The poses of `dataset`'s rows from `folder`, one per row (its frame span cut), as a stored-poses table."""
    files = find_pose_files(folder)
    missing = sorted(set(dataset["video_id"]) - set(files))
    if missing:
        raise ValueError(
            f"with_poses: no pose file in {folder} for video_id(s) {missing[:5]} (named <video_id>.<ext>)"
        )
    starts = dataset["frame_start"] if "frame_start" in dataset.column_names else [None] * len(dataset)
    ends = dataset["frame_end"] if "frame_end" in dataset.column_names else [None] * len(dataset)
    rows = {name: [] for name in ("video_id", *POSE_COLUMNS)}
    for video_id, start, end in zip(dataset["video_id"], starts, ends, strict=True):
        sequence = pose_lib.read_pose(files[video_id])
        span = instance_span(sequence.num_frames, start, end)
        width, height = sequence.frame_size or (None, None)
        for name, value in zip(
            rows,
            (
                video_id,
                sequence.data if span is None else sequence.data[span],
                sequence.layout,
                sequence.fps,
                width,
                height,
            ),
            strict=True,
        ):
            rows[name].append(value)
    widths = {pose.shape[1] for pose in rows["pose"]}
    features = datasets.Features(
        {
            "video_id": datasets.Value("string"),
            "pose": pose_feature(widths.pop() if len(widths) == 1 else None),
            "layout": datasets.Value("string"),
            "fps": datasets.Value("float32"),
            "width": datasets.Value("float32"),
            "height": datasets.Value("float32"),
        }
    )
    rows["pose"] = [np.asarray(pose, dtype=np.float32) for pose in rows["pose"]]
    return datasets.Dataset.from_dict(rows, features=features)


def _join(table: datasets.Dataset, stored: datasets.Dataset, source: str) -> datasets.Dataset:
    if "video_id" not in stored.column_names or "pose" not in stored.column_names:
        raise ValueError(
            f"with_poses: {source} needs 'video_id' and 'pose' columns (has {stored.column_names})"
        )
    return join_poses(table, stored, f"with_poses: {source}")

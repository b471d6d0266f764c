"""Poses of a LexSign build: the pose folder read once into a `PoseCache`, and the rows and features of the
``<language>_poses`` config that stores each video's pose once."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import datasets

from .hub_layout import pose_feature
from .pose_store import PoseCache, find_pose_files, instance_span


def open_pose_cache(
    folder: str | os.PathLike,
    known_videos: set[str],
    indexes: str,
    cache_dir: Path,
    chunk_size: int,
    progress: bool,
    frame_size: tuple[float, float] | None = None,
) -> PoseCache:
    ignored: list[Path] = []
    files = find_pose_files(folder, ignored)
    unknown = [str(path) for video_id, path in files.items() if video_id not in known_videos]
    if unknown:
        raise ValueError(
            f"{len(unknown)} pose file(s) in {folder} are named by a video_id that is not in the index ({indexes}), e.g. "
            f"{unknown[:5]} (pose files must be named <video_id>.<ext>)."
        )
    if not files:
        raise ValueError(
            f"pose folder {folder} holds no pose files (expected <video_id>.pose, .npy, .npz, ...)."
        )
    cache = PoseCache(
        files, cache_dir, chunk_size=chunk_size, ignored=ignored, root=folder, frame_size=frame_size
    )
    cache.prepare(progress=progress)
    return cache


def stored_span(row: Mapping[str, Any], cache: PoseCache) -> slice | None:
    """The instance's frames in its stored pose (None: keep the pose whole)."""
    if "frame_start" not in row:
        return None
    return instance_span(cache.num_frames(row["video_id"]), row["frame_start"], row["frame_end"])


def pose_rows(
    video_ids: list[str], cache: PoseCache, spans: Mapping[str, slice | None]
) -> Iterator[dict[str, Any]]:
    for video_id in video_ids:
        stored = cache[video_id]
        span = spans[video_id]
        data = stored.data if span is None else stored.data[span]
        width, height = stored.frame_size or (None, None)
        yield {
            "video_id": video_id,
            "pose_file": cache.relative_path(video_id),
            "pose": data,
            "layout": stored.layout,
            "fps": stored.fps,
            "width": width,
            "height": height,
        }


def pose_features(cache: PoseCache) -> datasets.Features:
    keypoint_counts = cache.keypoint_counts()
    return datasets.Features(
        {
            "video_id": datasets.Value("string"),
            "pose_file": datasets.Value("string"),  # relative to the pose folder: errors in training name it
            "pose": pose_feature(next(iter(keypoint_counts)) if len(keypoint_counts) == 1 else None),
            "layout": datasets.Value("string"),
            "fps": datasets.Value("float32"),
            "width": datasets.Value("float32"),  # the video frame, where the pose file records it (else null)
            "height": datasets.Value("float32"),
        }
    )

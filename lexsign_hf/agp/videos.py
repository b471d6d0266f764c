"""Which videos to describe: rows (gloss, video_id, WLASL frame span) from a LexSign config or a CSV index,
matched to files ``<video_id>.mp4`` (or another container PyAV reads) in a videos folder, or to skeletons
``<video_id>.pose``, rendered once to skeleton videos (cached) so that every MLLM path runs from poses.

Clips are cut to WLASL's ``frame_start``/``frame_end`` by the one rule the bench and the LoRA data share
(`lexsign_hf.mllm.video.clip_span`); `trim=False` keeps whole files (clips that are already cut)."""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".webm", ".mkv", ".mov", ".avi")
POSE_SUFFIX = ".pose"
_SPAN_COLUMNS = ("frame_start", "frame_end")


@dataclass(frozen=True)
class SignVideo:
    """One video of a gloss (`span`: WLASL's 1-based first/last frame, last -1 = to the end; None = whole file)."""

    gloss: str
    video_id: str
    path: Path
    span: tuple[int, int] | None = None


def find_video(videos_dir: str | Path, video_id: str) -> Path | None:
    """The video file of `video_id` in `videos_dir` (``<video_id>.mp4``, ``.webm``, ..., else ``.pose``), or None."""
    for suffix in (*VIDEO_SUFFIXES, POSE_SUFFIX):
        candidate = Path(videos_dir) / f"{video_id}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def load_index_rows(dataset: str | Path, config: str, split: str | None = "train") -> list[dict[str, Any]]:
    """Rows (``gloss``, ``video_id`` and ``frame_start``/``frame_end`` when present) of a LexSign config.

    `split=None` reads every split. Only these columns are read, so a config that stores poses does not load them.
    """
    import datasets

    try:
        builder = datasets.load_dataset_builder(str(dataset), config)
    except (FileNotFoundError, ValueError) as error:
        raise ValueError(f"cannot open config {config!r} of dataset {dataset}: {error}") from None
    names = list(builder.info.features or {})
    missing = [name for name in ("gloss", "video_id") if name not in names]
    if names and missing:
        raise ValueError(f"dataset {dataset} config {config!r} lacks column(s) {missing} (has {names})")
    columns = ["gloss", "video_id"] + [name for name in _SPAN_COLUMNS if name in names]
    loaded = datasets.load_dataset(str(dataset), config, split=split, columns=columns)
    tables = loaded.values() if isinstance(loaded, datasets.DatasetDict) else [loaded]
    return [row for table in tables for row in table.to_list()]


def read_index_csv(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a CSV index with ``gloss`` and ``video_id`` columns (optional ``frame_start``, ``frame_end``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"video index not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in ("gloss", "video_id") if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: header lacks column(s) {missing} (found {reader.fieldnames})")
        rows = []
        for row in reader:
            if not (row["gloss"] or "").strip() or not (row["video_id"] or "").strip():
                raise ValueError(f"{path}:{reader.line_num}: empty gloss or video_id")
            span = {key: int(row[key]) for key in _SPAN_COLUMNS if (row.get(key) or "").strip()}
            rows.append({"gloss": row["gloss"].strip(), "video_id": row["video_id"].strip(), **span})
    return rows


def match_videos(
    rows: Iterable[dict[str, Any]],
    videos_dir: str | Path,
    glosses: Iterable[str] | None = None,
    trim: bool = True,
    render_dir: str | Path | None = None,
) -> tuple[list[SignVideo], Counter]:
    """The rows' video files (restricted to `glosses` when given); counts of rows without a usable file.

    `.pose` files are rendered to skeleton videos in `render_dir` (default `default_render_dir()`); one that
    cannot be read is skipped and counted (``unreadable_pose``)."""
    from lexsign_hf.mllm.video import clip_span

    videos_dir = Path(videos_dir)
    if not videos_dir.is_dir():
        raise FileNotFoundError(f"videos folder not found: {videos_dir}")
    wanted = set(glosses) if glosses is not None else None
    counts: Counter = Counter()
    videos = []
    for row in rows:
        if wanted is not None and row["gloss"] not in wanted:
            counts["outside_gloss_set"] += 1
            continue
        path = find_video(videos_dir, str(row["video_id"]))
        if path is None:
            counts["missing_video"] += 1
            continue
        if path.suffix == POSE_SUFFIX:
            from lexsign_hf.pose.render import default_render_dir, render_cached

            try:
                path = render_cached(path, render_dir or default_render_dir())
            except (OSError, ValueError) as error:
                counts["unreadable_pose"] += 1
                logger.warning("skipped %s: %s", path, error)
                continue
            counts["rendered_pose"] += 1
        span = clip_span(row, trim)
        videos.append(SignVideo(gloss=row["gloss"], video_id=str(row["video_id"]), path=path, span=span))
    if counts["missing_video"]:
        logger.warning("%d video(s) of the index have no file in %s", counts["missing_video"], videos_dir)
    return videos, counts

"""Video decoding with PyAV, frame-sampling policies, temporal perturbation and mp4 writing."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np


@dataclass(frozen=True)
class FramePolicy:
    """Which frames of a video a model sees.

    Frames are sampled at `fps` (all frames when `fps` is None or above the file's rate); when more than
    `max_frames` remain, the `central` window of `max_frames` consecutive samples is kept (or, with
    `central=False`, `max_frames` samples spread over the whole video). With `temporal_perturbation=p > 0`
    each kept frame is dropped or repeated with probability p (seeded per video from `seed`).
    """

    fps: float | None = 5.0
    max_frames: int | None = 16
    central: bool = True
    temporal_perturbation: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if self.fps is not None and self.fps <= 0:
            raise ValueError(f"FramePolicy.fps must be positive or None, got {self.fps}")
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError(f"FramePolicy.max_frames must be >= 1 or None, got {self.max_frames}")
        if not 0.0 <= self.temporal_perturbation < 1.0:
            raise ValueError(
                f"FramePolicy.temporal_perturbation must be in [0, 1), got {self.temporal_perturbation}"
            )

    @classmethod
    def open_model(cls) -> FramePolicy:
        """The paper's open-model setting: the central 16 frames sampled at 5 fps."""
        return cls(fps=5.0, max_frames=16, central=True)

    @classmethod
    def closed_model(cls) -> FramePolicy:
        """The paper's closed-model (API) setting: the whole video at 10 fps."""
        return cls(fps=10.0, max_frames=None)


@dataclass
class VideoClip:
    """Sampled frames `(T, H, W, 3)` uint8, their rate and their indices in the source file."""

    frames: np.ndarray
    fps: float
    indices: list[int] = field(default_factory=list)


def clip_span(row: Mapping[str, Any], trim: bool = True) -> tuple[int, int] | None:
    """The one WLASL trimming rule of the bench, AGP and LoRA data: the 1-based ``frame_start``..``frame_end``
    of `row` (``frame_end`` -1 or absent = to the end), or None for the whole file (`trim` off, for clips that
    are already cut; no span in the row; or a span that is the whole file anyway)."""
    if not trim or row.get("frame_start") is None:
        return None
    try:
        first = int(row["frame_start"])
        last = int(row["frame_end"]) if row.get("frame_end") is not None else -1
    except (TypeError, ValueError):
        raise ValueError(
            f"frame_start/frame_end must be integers, got {row.get('frame_start')!r}/{row.get('frame_end')!r}"
        ) from None
    if last >= 0 and last < first:
        raise ValueError(f"frame_end {last} is before frame_start {first}")
    return None if first <= 1 and last < 0 else (max(first, 1), last)


def read_video(
    path: str | Path,
    policy: FramePolicy | None = None,
    span: tuple[int, int] | None = None,
    key: str | None = None,
) -> VideoClip:
    """Decode `path` with PyAV and sample it under `policy` (default: every frame).

    `span=(first, last)` keeps the 1-based frames `first..last` of the file (`last=-1`: to the end), as in
    WLASL's `frame_start`/`frame_end`. `key` seeds the temporal perturbation (default: the file name).
    """
    path = Path(path)
    policy = policy or FramePolicy(fps=None, max_frames=None)
    if not path.is_file():
        raise FileNotFoundError(f"video file not found: {path}")
    first, last = span or (1, -1)
    first = max(int(first), 1)
    last = math.inf if last is None or int(last) < 0 else int(last)

    frames, indices = [], []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError(f"{path} has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            source_fps = float(stream.average_rate or stream.guessed_rate or 25.0)
            step = source_fps / policy.fps if policy.fps is not None and policy.fps < source_fps else 1.0
            next_sample = 0.0
            for index, frame in enumerate(container.decode(stream)):
                position = index + 1 - first  # 0-based position inside the span
                if position < 0:
                    continue
                if index + 1 > last:
                    break
                if position + 1e-6 >= next_sample:
                    frames.append(frame.to_ndarray(format="rgb24"))
                    indices.append(index)
                    next_sample += step
    except (av.FFmpegError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot decode video {path}: {error}") from error
    if not frames:
        raise ValueError(f"no frames decoded from {path} (span {span})")

    keep = _limit(len(frames), policy)
    frames = [frames[i] for i in keep]
    indices = [indices[i] for i in keep]
    clip = VideoClip(frames=np.stack(frames), fps=min(source_fps, policy.fps or source_fps), indices=indices)
    return apply_perturbation(clip, policy, key if key is not None else path.name)


def probe_video(path: str | Path) -> str | None:
    """None when the first frame of `path` decodes, else why not (a one-line reason naming the file)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return f"{path} has no video stream"
            for _ in container.decode(container.streams.video[0]):
                return None
    except (av.FFmpegError, OSError, UnicodeDecodeError) as error:
        return f"cannot decode video {path}: {error}"
    return f"no frames decoded from {path}"


def apply_perturbation(clip: VideoClip, policy: FramePolicy, key: str) -> VideoClip:
    """Apply `policy.temporal_perturbation` to `clip`, seeded by `(policy.seed, key)`."""
    if policy.temporal_perturbation <= 0:
        return clip
    rng = np.random.default_rng([policy.seed, zlib.crc32(key.encode("utf-8"))])
    order = perturb_temporal(np.arange(len(clip.frames)), policy.temporal_perturbation, rng)
    indices = [clip.indices[i] for i in order] if clip.indices else []
    return VideoClip(frames=clip.frames[order], fps=clip.fps, indices=indices)


def perturb_temporal(frames: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Drop or repeat (equally likely) each frame with probability `p`; at least one frame survives."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"perturbation probability must be in [0, 1), got {p}")
    out = []
    for frame, perturbed, drop in zip(
        frames, rng.random(len(frames)) < p, rng.random(len(frames)) < 0.5, strict=True
    ):
        if not perturbed:
            out.append(frame)
        elif not drop:
            out.extend([frame, frame])
    if not out:
        out.append(frames[len(frames) // 2])
    return np.stack(out)


def write_video(path: str | Path, frames: np.ndarray | list[np.ndarray], fps: float = 25.0) -> Path:
    """Encode `(T, H, W, 3)` uint8 RGB frames as an H.264 mp4 (even sizes; written atomically)."""
    path = Path(path)
    frames = np.asarray(frames, dtype=np.uint8)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got shape {frames.shape}")
    height, width = frames.shape[1] - frames.shape[1] % 2, frames.shape[2] - frames.shape[2] % 2
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream(
            "libx264" if "libx264" in av.codecs_available else "mpeg4", rate=round(fps)
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame[:height, :width], format="rgb24")))
        container.mux(stream.encode())
    tmp.replace(path)
    return path


def _limit(num_samples: int, policy: FramePolicy) -> list[int]:
    if policy.max_frames is None or num_samples <= policy.max_frames:
        return list(range(num_samples))
    if policy.central:
        start = (num_samples - policy.max_frames) // 2
        return list(range(start, start + policy.max_frames))
    return np.linspace(0, num_samples - 1, policy.max_frames).round().astype(int).tolist()

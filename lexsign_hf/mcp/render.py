"""Draw a canonical (T, 77, 3) skeleton as an animated GIF, so an annotator can watch a sign from its pose file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lexsign_hf.pose import CANONICAL_SLICES, NUM_CANONICAL_KEYPOINTS

_BODY_EDGES = ((1, 0), (0, 2), (3, 4), (3, 5), (5, 7), (4, 6), (6, 8))
_HAND_EDGES = tuple((0 if k == 0 else 4 * f + k, 4 * f + k + 1) for f in range(5) for k in range(4)) + (
    (5, 9),
    (9, 13),
    (13, 17),
    (0, 17),
)
_FACE_CHAINS = (tuple(range(0, 9)), (9, 10, 11), (12, 13, 14), (15, 16, 17))
_MOUTH_CHAIN = (*range(8), 0)
_STYLE = {  # part: (edges or chains, colour)
    "body": (_BODY_EDGES, "#444444"),
    "left_hand": (_HAND_EDGES, "#d62728"),
    "right_hand": (_HAND_EDGES, "#1f77b4"),
}


def _limits(sequence: np.ndarray) -> tuple[float, float, float, float]:
    points = sequence[..., :2][sequence[..., 2] > 0]
    if len(points) == 0:
        return 0.0, 1.0, 0.0, 1.0
    (x0, y0), (x1, y1) = np.percentile(points, 1, axis=0), np.percentile(points, 99, axis=0)
    margin = 0.12 * max(x1 - x0, y1 - y0, 1e-6)
    return x0 - margin, x1 + margin, y0 - margin, y1 + margin


def _draw(frame: np.ndarray, limits: tuple[float, float, float, float], size: int):
    from PIL import Image, ImageDraw

    x0, x1, y0, y1 = limits
    scale = (size - 1) / max(x1 - x0, y1 - y0)
    pad_x, pad_y = (size - 1 - scale * (x1 - x0)) / 2, (size - 1 - scale * (y1 - y0)) / 2
    points = [(pad_x + (x - x0) * scale, pad_y + (y - y0) * scale) for x, y in frame[:, :2]]
    visible = frame[:, 2] > 0
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    width = max(1, size // 110)
    for part, (edges, colour) in _STYLE.items():
        offset = CANONICAL_SLICES[part].start
        for a, b in edges:
            if visible[offset + a] and visible[offset + b]:
                draw.line([points[offset + a], points[offset + b]], fill=colour, width=2 * width)
    for part, chains in (("face", _FACE_CHAINS), ("mouth", (_MOUTH_CHAIN,))):
        offset = CANONICAL_SLICES[part].start
        for chain in chains:
            index = [offset + i for i in chain if visible[offset + i]]
            if len(index) > 1:
                draw.line([points[i] for i in index], fill="#2ca02c", width=width)
    for (x, y), shown in zip(points, visible, strict=True):
        if shown:
            draw.ellipse([x - width, y - width, x + width, y + width], fill="black")
    return image


def _checked(sequence: np.ndarray) -> np.ndarray:
    sequence = np.asarray(sequence, dtype=np.float32)
    if sequence.ndim != 3 or sequence.shape[1:] != (NUM_CANONICAL_KEYPOINTS, 3) or len(sequence) == 0:
        raise ValueError(
            f"expected a canonical (frames > 0, {NUM_CANONICAL_KEYPOINTS}, 3) skeleton, got {sequence.shape}"
        )
    return sequence


def render_canonical_frames(sequence: np.ndarray, size: int = 320) -> np.ndarray:
    """The canonical skeleton `sequence` (T, 77, 3) drawn as (T, size, size, 3) uint8 RGB frames."""
    sequence = _checked(sequence)
    limits = _limits(sequence)
    return np.stack([np.asarray(_draw(frame, limits, size)) for frame in sequence])


def render_canonical_gif(
    sequence: np.ndarray, path: str | Path, fps: float = 12.5, size: int = 320, max_frames: int = 120
) -> Path:
    """Write the canonical skeleton `sequence` (T, 77, 3) as an animated GIF of `size`² pixels (image
    coordinates, y down; at most `max_frames` frames, evenly subsampled)."""
    sequence = _checked(sequence)
    step = max(1, int(np.ceil(len(sequence) / max_frames)))
    limits = _limits(sequence)
    images = [_draw(frame, limits, size) for frame in sequence[::step]]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp.gif")
    images[0].save(
        temporary, save_all=True, append_images=images[1:], duration=int(1000 * step / fps), loop=0
    )
    os.replace(temporary, path)
    return path

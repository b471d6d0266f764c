"""Draw COCO-WholeBody 133 skeletons (e.g. from the synthetic signer) as PNG frame strips or animated GIFs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["render_animation", "render_frames"]

_BODY_EDGES = (
    (5, 6),
    (5, 7),
    (7, 9),
    (6, 8),
    (8, 10),
    (5, 11),
    (6, 12),
    (11, 12),
    (0, 1),
    (0, 2),
    (1, 3),
    (2, 4),
)
_HAND_EDGES = tuple(
    (a, b)
    for finger in range(5)
    for a, b in zip(
        [0] + [4 * finger + i for i in range(1, 4)], [4 * finger + i for i in range(1, 5)], strict=True
    )
)
_FACE_CHAINS = (range(0, 17), range(17, 22), range(22, 27), range(27, 31), range(31, 36), (*range(36, 42), 36),
                (*range(42, 48), 42), (*range(48, 60), 48), (*range(60, 68), 60))  # fmt: skip
_PARTS = (  # (offset, edges, colour)
    (0, _BODY_EDGES, "#444444"),
    (91, _HAND_EDGES, "#d62728"),  # left hand
    (112, _HAND_EDGES, "#1f77b4"),  # right hand
)


def _check(sequence: np.ndarray) -> np.ndarray:
    sequence = np.asarray(sequence, dtype=np.float32)
    if sequence.ndim != 3 or sequence.shape[1:] != (133, 3) or len(sequence) == 0:
        raise ValueError(f"expected a (frames > 0, 133, 3) COCO-WholeBody array, got shape {sequence.shape}")
    return sequence


def _draw(ax, frame: np.ndarray, limits: tuple[float, float, float, float]) -> None:
    visible = frame[:, 2] > 0
    for offset, edges, colour in _PARTS:
        for a, b in edges:
            if visible[offset + a] and visible[offset + b]:
                ax.plot(*frame[[offset + a, offset + b], :2].T, color=colour, linewidth=1.5)
    for chain in _FACE_CHAINS:
        index = [23 + i for i in chain if visible[23 + i]]
        if len(index) > 1:
            ax.plot(*frame[index, :2].T, color="#2ca02c", linewidth=0.8)
    ax.scatter(*frame[visible, :2].T, s=3, color="black", zorder=3)
    x0, x1, y0, y1 = limits
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)  # image coordinates: y down
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def _limits(sequence: np.ndarray) -> tuple[float, float, float, float]:
    points = sequence[..., :2][sequence[..., 2] > 0]
    if len(points) == 0:
        return 0.0, 1.0, 0.0, 1.0
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    margin = 0.05 * max(x1 - x0, y1 - y0, 1e-6)
    return x0 - margin, x1 + margin, y0 - margin, y1 + margin


def render_frames(
    sequence: np.ndarray, path: str | os.PathLike, frames: Sequence[int] | int = 6, title: str | None = None
) -> Path:
    """Draw `frames` (indices, or a count spread evenly over the sequence) side by side into a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sequence = _check(sequence)
    if isinstance(frames, int):
        frames = np.linspace(0, len(sequence) - 1, min(frames, len(sequence))).round().astype(int).tolist()
    limits = _limits(sequence)
    figure, axes = plt.subplots(1, len(frames), figsize=(2.6 * len(frames), 3.2), squeeze=False)
    for ax, index in zip(axes[0], frames, strict=True):
        _draw(ax, sequence[index], limits)
        ax.set_title(f"frame {index}", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(temporary, dpi=100)
    plt.close(figure)
    os.replace(temporary, path)
    return path


def render_animation(
    sequence: np.ndarray, path: str | os.PathLike, fps: float = 12.5, size: float = 3.2
) -> Path:
    """Write the whole sequence as an animated GIF at `path` (matplotlib frames assembled with Pillow)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    sequence = _check(sequence)
    limits = _limits(sequence)
    images = []
    figure, ax = plt.subplots(figsize=(size, size))
    for frame in sequence:
        ax.clear()
        _draw(ax, frame, limits)
        figure.canvas.draw()
        images.append(Image.fromarray(np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()))
    plt.close(figure)
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp.gif")
    images[0].save(temporary, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    os.replace(temporary, path)
    return path

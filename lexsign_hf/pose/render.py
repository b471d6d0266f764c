"""Render a keypoint sequence as a skeleton video, so that pose-only users can feed video models.

Any supported layout is drawn through the canonical 77-point skeleton (body, both hands, mouth, face): bones as
lines, the signer's left hand and right hand in two distinct colours, at the sequence's own frame rate. A
`RenderStyle` fixes the look (canvas, colours, line widths), the camera (zoom, rotation, shift) and the body
(shoulder width, arm length, hand and head size); `perturbed_style` draws another body and camera for the
spatial control of LexSign-Bench. `render_cached` renders once per (file content, style) into a cache folder.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

from .layouts import CANONICAL_SLICES
from .readers import PoseSequence, read_pose

Colour = tuple[int, int, int]

# Bones over the canonical indices (see `CANONICAL_PARTS`): body 0 nose, 1/2 ears, 3/4 shoulders, 5/6 elbows,
# 7/8 wrists; hands in MediaPipe order (0 wrist, 1-4 thumb, 5-8 index, 9-12 middle, 13-16 ring, 17-20 pinky);
# mouth as a closed 8-point loop; face: jaw 0-8, left brow 9-11, right brow 12-14, nose 15-17.
BODY_BONES = ((1, 0), (0, 2), (3, 4), (3, 5), (5, 7), (4, 6), (6, 8))
HAND_BONES = (
    (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20),
)  # fmt: skip
MOUTH_BONES = tuple((i, (i + 1) % 8) for i in range(8))
FACE_BONES = (*((i, i + 1) for i in range(8)), (9, 10), (10, 11), (12, 13), (13, 14), (15, 16), (16, 17))


@dataclass(frozen=True)
class RenderStyle:
    """How a skeleton is drawn: canvas, colours and widths, camera, and body proportions (1.0 = as recorded)."""

    size: int = 384
    background: Colour = (16, 16, 16)
    body_colour: Colour = (230, 230, 230)
    left_hand_colour: Colour = (255, 140, 0)
    right_hand_colour: Colour = (40, 160, 255)
    face_colour: Colour = (150, 150, 150)
    mouth_colour: Colour = (235, 60, 80)
    line_width: int = 3
    joint_radius: int = 2
    margin: float = 0.08
    zoom: float = 1.0
    rotation_deg: float = 0.0
    shift: tuple[float, float] = (0.0, 0.0)
    shoulder_scale: float = 1.0
    arm_scale: float = 1.0
    hand_scale: float = 1.0
    head_scale: float = 1.0

    def __post_init__(self):
        if self.size < 16:
            raise ValueError(f"RenderStyle.size must be >= 16 pixels, got {self.size}")
        for name in ("zoom", "shoulder_scale", "arm_scale", "hand_scale", "head_scale"):
            if not getattr(self, name) > 0:
                raise ValueError(f"RenderStyle.{name} must be positive, got {getattr(self, name)}")

    def key(self) -> str:
        """A short hash of every field (cache key)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def perturbed_style(seed: int, base: RenderStyle | None = None) -> RenderStyle:
    """Another body seen by another camera: proportions within ±15 %, rotation within ±12°, zoom 0.8-1.0,
    a shift of up to 8 % of the canvas, and a fresh colour scheme (hands still in two distinct colours)."""
    base = base or RenderStyle()
    rng = np.random.default_rng([seed, 0x5AFE])

    def colour(low: int = 60) -> Colour:
        return tuple(int(c) for c in rng.integers(low, 256, size=3))

    hue = rng.permutation(3)
    left = [255, 90, 30]
    right = [30, 220, 120]
    return RenderStyle(
        size=base.size,
        background=tuple(int(c) for c in rng.integers(0, 50, size=3)),
        body_colour=colour(140),
        left_hand_colour=tuple(int(left[i]) for i in hue),
        right_hand_colour=tuple(int(right[i]) for i in hue),
        face_colour=colour(),
        mouth_colour=colour(),
        line_width=base.line_width + int(rng.integers(-1, 2)),
        joint_radius=base.joint_radius,
        margin=base.margin,
        zoom=float(rng.uniform(0.8, 1.0)),
        rotation_deg=float(rng.uniform(-12, 12)),
        shift=(float(rng.uniform(-0.08, 0.08)), float(rng.uniform(-0.08, 0.08))),
        shoulder_scale=float(rng.uniform(0.85, 1.15)),
        arm_scale=float(rng.uniform(0.85, 1.15)),
        hand_scale=float(rng.uniform(0.85, 1.15)),
        head_scale=float(rng.uniform(0.85, 1.15)),
    )


def reshape_body(points: np.ndarray, valid: np.ndarray, style: RenderStyle) -> np.ndarray:
    """Apply the style's body proportions to canonical `(T, 77, 2)` points (invalid points are left as they are).

    Shoulders move apart about their midpoint; each elbow and wrist follow their shoulder along the arm scaled
    by `arm_scale`, each hand moves with its wrist and is scaled about it; the head scales about the nose."""
    out = points.copy()
    body, left_hand, right_hand = (
        CANONICAL_SLICES["body"],
        CANONICAL_SLICES["left_hand"],
        CANONICAL_SLICES["right_hand"],
    )
    b = out[:, body]
    vb = valid[:, body]
    original = points[:, body]
    both = vb[:, 3] & vb[:, 4]
    middle = (original[:, 3] + original[:, 4]) / 2
    head = np.r_[0:3, CANONICAL_SLICES["mouth"], CANONICAL_SLICES["face"]]
    nose = original[:, 0]
    for t in np.flatnonzero(vb[:, 0]):
        out[t, head] = nose[t] + style.head_scale * (points[t, head] - nose[t])
    for shoulder, elbow, wrist, hand in ((3, 5, 7, left_hand), (4, 6, 8, right_hand)):
        moved = original[:, shoulder].copy()
        moved[both] = middle[both] + style.shoulder_scale * (original[both, shoulder] - middle[both])
        b[:, shoulder] = np.where(vb[:, [shoulder]], moved, b[:, shoulder])
        new_elbow = moved + style.arm_scale * (original[:, elbow] - original[:, shoulder])
        ok_elbow = vb[:, shoulder] & vb[:, elbow]
        b[ok_elbow, elbow] = new_elbow[ok_elbow]
        new_wrist = new_elbow + style.arm_scale * (original[:, wrist] - original[:, elbow])
        ok_wrist = ok_elbow & vb[:, wrist]
        b[ok_wrist, wrist] = new_wrist[ok_wrist]
        anchor_valid = valid[:, hand][:, 0] | vb[:, wrist]
        anchor = np.where(valid[:, hand][:, [0]], points[:, hand][:, 0], original[:, wrist])
        delta = np.where(ok_wrist[:, None], b[:, wrist] - original[:, wrist], 0.0)
        scaled = anchor[:, None] + style.hand_scale * (points[:, hand] - anchor[:, None]) + delta[:, None]
        out[:, hand] = np.where((anchor_valid[:, None] & valid[:, hand])[..., None], scaled, out[:, hand])
    out[:, body] = b
    return out


def _project(points: np.ndarray, valid: np.ndarray, style: RenderStyle) -> np.ndarray:
    """Canvas coordinates: fit every valid point of the sequence into the canvas (aspect kept, y down), then the
    camera (rotation and zoom about the centre, shift)."""
    size = style.size
    if not valid.any():
        return np.full(points.shape, size / 2)
    seen = points[valid]
    low, high = seen.min(axis=0), seen.max(axis=0)
    extent = float(max(high - low)) or 1.0
    scale = (1 - 2 * style.margin) * size / extent * style.zoom
    centred = (points - (low + high) / 2) * scale
    angle = math.radians(style.rotation_deg)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return centred @ rotation.T + size / 2 + np.asarray(style.shift) * size


def render_frames(sequence: PoseSequence, style: RenderStyle | None = None) -> np.ndarray:
    """`(T, size, size, 3)` uint8 RGB frames of the skeleton."""
    style = style or RenderStyle()
    canonical = sequence.canonical()
    valid = (canonical[..., 2] > 0) & np.isfinite(canonical[..., :2]).all(axis=-1)
    points = np.where(valid[..., None], canonical[..., :2], 0.0).astype(np.float64)
    pixels = _project(reshape_body(points, valid, style), valid, style)
    parts = (
        ("face", FACE_BONES, style.face_colour, 1),
        ("mouth", MOUTH_BONES, style.mouth_colour, 1),
        ("body", BODY_BONES, style.body_colour, style.line_width + 1),
        ("left_hand", HAND_BONES, style.left_hand_colour, style.line_width),
        ("right_hand", HAND_BONES, style.right_hand_colour, style.line_width),
    )
    frames = np.empty((len(canonical), style.size, style.size, 3), dtype=np.uint8)
    for t in range(len(canonical)):
        image = Image.new("RGB", (style.size, style.size), style.background)
        draw = ImageDraw.Draw(image)
        for part, bones, colour, width in parts:
            offset = CANONICAL_SLICES[part].start
            for a, b in bones:
                if valid[t, offset + a] and valid[t, offset + b]:
                    draw.line(
                        [tuple(pixels[t, offset + a]), tuple(pixels[t, offset + b])], fill=colour, width=width
                    )
            if part.endswith("hand"):
                radius = style.joint_radius
                for k in range(CANONICAL_SLICES[part].stop - offset):
                    if valid[t, offset + k]:
                        x, y = pixels[t, offset + k]
                        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
        frames[t] = np.asarray(image)
    return frames


def encode_mp4(path: str | Path, frames: np.ndarray, fps: float) -> Path:
    """Write `(T, H, W, 3)` uint8 RGB frames as an H.264 mp4 (even sizes, exact frame rate; atomic)."""
    from fractions import Fraction

    path = Path(path)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"frames must be a non-empty (T, H, W, 3) array, got shape {frames.shape}")
    height, width = frames.shape[1] - frames.shape[1] % 2, frames.shape[2] - frames.shape[2] % 2
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame[:height, :width], format="rgb24")))
        container.mux(stream.encode())
    tmp.replace(path)
    return path


def render_pose(source: str | Path | PoseSequence, out: str | Path, style: RenderStyle | None = None) -> Path:
    """Render a keypoint file (any supported layout) or a `PoseSequence` to an mp4 at its own frame rate."""
    sequence = source if isinstance(source, PoseSequence) else read_pose(source)
    if sequence.num_frames == 0:
        raise ValueError(f"{sequence.source}: no frames to render")
    return encode_mp4(out, render_frames(sequence, style), sequence.fps)


def default_render_dir() -> Path:
    """Where renderings are cached by default: ``$HF_HOME/lexsign/rendered`` (HF_HOME default
    ``~/.cache/huggingface``)."""
    return Path(os.environ.get("HF_HOME", "~/.cache/huggingface")).expanduser() / "lexsign" / "rendered"


def render_cached(path: str | Path, cache_dir: str | Path, style: RenderStyle | None = None) -> Path:
    """The rendering of `path` under `style` in `cache_dir`, rendered on first use (keyed by content + style)."""
    path = Path(path)
    style = style or RenderStyle()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    target = Path(cache_dir) / f"{path.stem}-{digest}-{style.key()}.mp4"
    if not target.is_file():
        render_pose(path, target, style)
    return target

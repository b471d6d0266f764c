"""The synthetic signer's movement: the per-frame timeline of a sign (rest, holds, strokes, repetitions) and the
movement path of the dominant hand between its locations."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from ..data.phonology import PhonRecord
from .body import _DIRECTIONS
from .params import SignerParams


def _smooth(u: np.ndarray) -> np.ndarray:
    return u * u * (3 - 2 * u)


def _entry_choice(record: PhonRecord, options: tuple[str, ...]) -> str:
    """A stable per-sign choice for what the coding leaves open (e.g. the direction of a straight path)."""
    return options[zlib.crc32(record.entry_id.encode()) % len(options)]


@dataclass
class _Timeline:
    """Per-frame phase of one sign: `u` position on the stroke (0..1), `active` weight (0 rest .. 1 signing)."""

    u: np.ndarray
    stroke: np.ndarray  # index of the stroke a frame belongs to (-1 outside strokes)
    active: np.ndarray


def _timeline(
    record: PhonRecord, params: SignerParams, rng: np.random.Generator, enter: bool = True, leave: bool = True
) -> _Timeline:
    """Rise from rest (`enter`), holds and strokes, return to rest (`leave`); a segment inside a sequential sign
    has neither rise nor return."""
    speed = params.speed * rng.uniform(0.9, 1.1)
    stroke_frames = max(4, round(rng.uniform(10, 14) / speed))
    return_frames = max(2, round(stroke_frames * 0.5))
    repetitions = params.repetitions if record.repeated_movement else 1
    periodic = record.movement in ("Circular", "BackAndForth", "Other")
    hold_start = max(1, params.hold_frames + int(rng.integers(-1, 2)))
    hold_end = max(1, params.hold_frames + int(rng.integers(-1, 2)))
    rest = max(2, params.rest_frames + int(rng.integers(-1, 2)))

    rest_start, rest_end = rest if enter else 0, rest if leave else 0
    u, stroke = [np.zeros(rest_start + hold_start)], [np.full(rest_start + hold_start, -1)]
    for index in range(repetitions):
        u.append(np.linspace(0, 1, stroke_frames + 1)[1:])
        stroke.append(np.full(stroke_frames, index))
        if index < repetitions - 1 and not periodic:
            u.append(np.linspace(1, 0, return_frames + 1)[1:])
            stroke.append(np.full(return_frames, index))
    end_u = 1.0 if not periodic else 0.0
    u.append(np.full(hold_end + rest_end, end_u))
    stroke.append(np.full(hold_end + rest_end, -1))
    u_all = np.concatenate(u)
    total = len(u_all)
    active = np.ones(total)
    active[:rest_start] = _smooth(np.linspace(0, 1, rest_start + 1)[:-1])
    active[total - rest_end :] = _smooth(np.linspace(1, 0, rest_end + 1)[1:])
    return _Timeline(u=u_all, stroke=np.concatenate(stroke), active=active)


def _path(
    record: PhonRecord, start: np.ndarray, end: np.ndarray, u: np.ndarray, amplitude: float
) -> np.ndarray:
    """Wrist-effector offsets from `start` along the movement path, (T, 3)."""
    displacement = end - start
    if np.linalg.norm(displacement) < 1e-6 and record.movement != "None":
        direction = record.movement_direction or _entry_choice(record, ("forward", "down", "outward", "up"))
        displacement = np.asarray(_DIRECTIONS[direction]) * 0.13 * amplitude
    length = max(float(np.linalg.norm(displacement)), 1e-6)
    unit = displacement / length
    up = np.array([0.0, 1.0, 0.0]) if abs(unit[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    normal = up - unit * (up @ unit)
    normal /= np.linalg.norm(normal)
    s = _smooth(u)[:, None]
    movement = record.movement
    if movement == "Straight":
        return displacement * s
    if movement == "Curved":
        return displacement * s + normal * 0.35 * length * np.sin(np.pi * s)
    if movement == "Circular":
        radius = 0.065 * amplitude
        angle = 2 * np.pi * u[:, None]
        circle = radius * (
            (1 - np.cos(angle)) * np.array([1.0, 0, 0]) + np.sin(angle) * np.array([0, 1.0, 0])
        )
        drift = displacement * s if np.linalg.norm(end - start) > 1e-6 else 0.0
        return circle + drift
    if movement == "BackAndForth":
        return 0.5 * displacement * 0.5 * (1 - np.cos(4 * np.pi * u[:, None]))
    if movement == "Z-shaped":
        zigzag = 2 * np.abs(((3 * u[:, None]) % 2) - 1) - 1  # triangle wave
        return displacement * u[:, None] + normal * 0.045 * amplitude * (1 - zigzag) / 2
    if movement == "X-shaped":
        a = 0.06 * amplitude
        first = u[:, None] < 0.5
        v = (u[:, None] % 0.5) * 2
        stroke_a = np.array([-a, a, 0]) + v * np.array([2 * a, -2 * a, 0])
        stroke_b = np.array([a, a, 0]) + v * np.array([-2 * a, -2 * a, 0])
        return np.where(first, stroke_a, stroke_b)
    if movement == "Other":
        return 0.02 * amplitude * np.stack([np.sin(6 * np.pi * u), 0.5 * np.sin(12 * np.pi * u), 0 * u], -1)
    return displacement * s  # "None": stays at the start (or goes to a coded second location)

"""The synthetic signer's hands: 21 joints by forward kinematics from a handshape, palm orientations, rotations.

Right hand, units of hand length; `_hand_world` blends two handshapes and turns them into the world frame of
`lexsign_hf.synth.signer`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .inventory import HANDSHAPE_POSES

# ---------------------------------------------------------------------------------------------------- hand model
# Right hand, units of hand length (wrist to middle fingertip). Local axes: x radial (thumb side), y along the
# fingers, z out of the palm. Fingers: index, middle, ring, little.
_MCP = np.array([[0.10, 0.46, 0.0], [0.03, 0.48, 0.0], [-0.04, 0.46, 0.0], [-0.10, 0.42, 0.0]])
_PHALANGES = np.array([[0.21, 0.14, 0.11], [0.24, 0.16, 0.12], [0.22, 0.15, 0.11], [0.17, 0.11, 0.09]])
_THUMB_CMC = np.array([0.11, 0.10, 0.03])
_THUMB_SEGMENTS = np.array([0.20, 0.16, 0.13])
_ABDUCTION = np.radians(
    [[4.0, 0.0, -4.0, -9.0], [14.0, 2.0, -12.0, -25.0], [-9.0, 3.0, -4.0, -9.0]]
)  # 0, 1, x
_FINGER_STATES = {  # MCP, PIP, DIP flexion in degrees
    "E": (0, 0, 0),
    "F": (85, 5, 0),
    "B": (20, 90, 60),
    "C": (40, 45, 30),
    "O": (55, 50, 30),
    "Q": (55, 10, 5),
    "X": (90, 100, 70),
    "L": (20, 25, 15),
}
_THUMB_DIRECTIONS = {  # directions of the three thumb segments (CMC→MCP, MCP→IP, IP→tip)
    "o": ((0.8, 0.55, 0.15), (0.75, 0.65, 0.1), (0.6, 0.8, 0.05)),
    "s": ((0.45, 0.85, 0.25), (0.2, 0.95, 0.25), (0.1, 0.99, 0.1)),
    "a": ((0.3, 0.7, 0.6), (-0.5, 0.5, 0.7), (-0.9, 0.2, 0.4)),
    "p": ((0.2, 0.7, 0.7), (-0.6, 0.5, 0.6), (-0.8, -0.2, 0.5)),
    "c": ((0.6, 0.6, 0.5), (0.4, 0.6, 0.7), (0.1, 0.6, 0.8)),
}


@dataclass(frozen=True)
class _HandShape:
    """Numeric handshape: finger flexion (4, 3) and abduction (4,) in radians, thumb joints (4, 3) local."""

    flexion: np.ndarray
    abduction: np.ndarray
    thumb: np.ndarray


def _fingers(flexion: np.ndarray, abduction: np.ndarray) -> np.ndarray:
    """Finger joints (..., 4, 4, 3): MCP, PIP, DIP, tip of each finger, by forward kinematics."""
    theta = np.cumsum(flexion, axis=-1)  # (..., 4, 3) cumulative flexion toward the palm
    b = abduction[..., None]
    directions = np.stack([np.sin(b) * np.cos(theta), np.cos(b) * np.cos(theta), np.sin(theta)], axis=-1)
    steps = directions * _PHALANGES[..., None]
    joints = _MCP[:, None, :] + np.concatenate(
        [np.zeros_like(steps[..., :1, :]), np.cumsum(steps, axis=-2)], -2
    )
    return joints


@functools.lru_cache(maxsize=512)
def _handshape(code: str, spread_override: bool | None = None, closed: bool | None = None) -> _HandShape:
    """Handshape of an ASL-LEX code; `closed` forces the fingers shut/open (aperture change end point)."""
    fingers, thumb_state, spread = HANDSHAPE_POSES.get(code, HANDSHAPE_POSES["lax"]).split()
    flexion = np.radians([_FINGER_STATES[state] for state in fingers]).astype(np.float64)
    if closed is not None:
        flexion = np.radians([_FINGER_STATES["X" if closed else "E"]] * 4).astype(np.float64)
        thumb_state = "a" if closed else "o"
    if spread_override is not None and spread != "x":
        spread = "1" if spread_override else "0"
    abduction = _ABDUCTION[{"0": 0, "1": 1, "x": 2}[spread]].copy()
    joints = _fingers(flexion, abduction)
    if thumb_state == "t" and closed is None:
        touching = [index for index, state in enumerate(fingers) if state in "OQB"]
        target = joints[touching[0] if touching else 0, 3] + np.array([0.02, 0.0, 0.02])
        along = target - _THUMB_CMC
        bulge = np.array([0.06, 0.0, 0.05])
        thumb = np.stack(
            [_THUMB_CMC, _THUMB_CMC + 0.4 * along + bulge, _THUMB_CMC + 0.72 * along + 0.6 * bulge, target]
        )
    else:
        directions = np.asarray(_THUMB_DIRECTIONS[thumb_state], dtype=np.float64)
        directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
        thumb = _THUMB_CMC + np.concatenate(
            [np.zeros((1, 3)), np.cumsum(directions * _THUMB_SEGMENTS[:, None], 0)]
        )
    return _HandShape(flexion=flexion, abduction=abduction, thumb=thumb)


def hand_keypoints(flexion: np.ndarray, abduction: np.ndarray, thumb: np.ndarray) -> np.ndarray:
    """21 hand joints (..., 21, 3) in the local hand frame (MediaPipe order), units of hand length."""
    fingers = _fingers(flexion, abduction)  # (..., 4, 4, 3)
    wrist = np.zeros(fingers.shape[:-3] + (1, 3))
    return np.concatenate([wrist, thumb, fingers.reshape(fingers.shape[:-3] + (16, 3))], axis=-2)


# ------------------------------------------------------------------------------------------------- orientations
def _frame(radial, fingers, palm) -> np.ndarray:
    return np.array([radial, fingers, palm], dtype=np.float64).T  # columns: local x, y, z in the world


# Right hand: palm normal and finger direction per palm orientation (columns of the local→world rotation).
_ORIENTATIONS = {
    "in": _frame((-1, 0, 0), (0, 1, 0), (0, 0, -1)),
    "out": _frame((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "down": _frame((1, 0, 0), (0, 0, 1), (0, -1, 0)),
    "up": _frame((-1, 0, 0), (0, 0, 1), (0, 1, 0)),
    "side": _frame((0, 1, 0), (0, 0, 1), (1, 0, 0)),
    "rest": _frame((0, 0, 1), (0, -1, 0), (1, 0, 0)),
}


def _rotation(axis: np.ndarray, angle: np.ndarray | float) -> np.ndarray:
    """Rotation matrices (..., 3, 3) about unit `axis` (3,) by `angle` (...) (Rodrigues)."""
    x, y, z = axis
    cross = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    angle = np.asarray(angle, dtype=np.float64)[..., None, None]
    return np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * (cross @ cross)


def _orthonormal(matrices: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd(matrices)
    return u @ vt


def _hand_world(
    shape_a: _HandShape, shape_b: _HandShape, blend: np.ndarray, rotation: np.ndarray
) -> np.ndarray:
    """Local hand joints blended between two handshapes (T,) and rotated to the world, (T, 21, 3) × hand length."""
    w = blend[:, None, None]
    flexion = shape_a.flexion * (1 - w) + shape_b.flexion * w
    abduction = shape_a.abduction * (1 - blend[:, None]) + shape_b.abduction * blend[:, None]
    thumb = shape_a.thumb * (1 - w) + shape_b.thumb * w
    local = hand_keypoints(flexion, abduction, thumb)
    return local @ np.swapaxes(rotation, -1, -2)


def _orientation_matrix(name: str, tilt_degrees: float) -> np.ndarray:
    base = _ORIENTATIONS[name]
    # fingers lean toward the midline (+X for the right hand) by rotating about the palm normal
    return _rotation(base[:, 2], np.radians(tilt_degrees) * (1 if name in ("in", "rest") else -1)) @ base

"""The synthetic signer: a phonological record → a COCO-WholeBody 133 keypoint sequence.

The scene is built in metres in a signer-centred frame (X to the camera's right, i.e. the signer's left; Y up;
Z toward the camera; origin between the shoulders) for a right-handed signer, then mirrored for left-handed
signers, and projected by a perspective camera onto a `IMAGE_SIZE` frame:

- each hand: 21 joints (MediaPipe order) by forward kinematics from the handshape (`HANDSHAPE_POSES`: per-finger
  flexion of MCP/PIP/DIP, abduction for spread, thumb placement), rotated by the palm orientation and the wrist
  twist (ulnar rotation);
- the dominant wrist follows the movement path (straight, arc, circle, back-and-forth, zigzag, X, wiggle, taps)
  between body-anchored start and end locations, with holds at start and end, a rise from and a return to rest,
  repetitions, contact (the hand reaches the location's surface) and handshape / spread changes;
- the non-dominant hand rests, mirrors the dominant one (symmetrical signs), or is held as a base (asymmetrical);
- elbows by two-link inverse kinematics; a 68-point iBUG face with a moving mouth; shoulders, hips, ears, eyes;
- a `SynthSign` performs its segments one after the other (rise from rest, segment, transition, segment, return),
  with its mouth shape (open, rounded, stretched, puffed cheeks) and facial action (raised or furrowed brows, head
  nod or shake) during the segment that carries them.

Signer variation (`SignerParams`): body proportions, handedness, speed, amplitude, camera scale / shift / roll /
pitch / yaw, keypoint jitter, dropped detections (x = y = confidence = 0) and variable length. Everything is
vectorised over frames and deterministic from the seed.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import numpy as np

from ..data.phonology import PhonRecord, infer_palm_orientation
from .inventory import HANDSHAPE_POSES
from .sign import SynthSign

__all__ = ["FPS", "IMAGE_SIZE", "LAYOUT", "NUM_KEYPOINTS", "SignerParams", "hand_keypoints", "synthesize"]

LAYOUT = "coco_wholebody_133"
NUM_KEYPOINTS = 133
IMAGE_SIZE = (512, 512)  # width, height in pixels
FPS = 25.0

# COCO-WholeBody 133: body 0-22, face 23-90 (iBUG 68), left hand 91-111, right hand 112-132.
_FACE = slice(23, 91)
_LEFT_HAND = slice(91, 112)
_RIGHT_HAND = slice(112, 133)
_BODY_PAIRS = (
    (1, 2),
    (3, 4),
    (5, 6),
    (7, 8),
    (9, 10),
    (11, 12),
    (13, 14),
    (15, 16),
    (17, 20),
    (18, 21),
    (19, 22),
)
_LOWER_BODY = tuple(range(13, 23))  # knees, ankles, feet: outside an upper-body sign-language frame

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
_SELECTED = {"i": 0, "m": 1, "r": 2, "p": 3}


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


# -------------------------------------------------------------------------------------------------- body anchors
# Minor locations on the head and body of a right-handed signer (dominant side at -X), metres.
_ANCHORS = {
    "Forehead": (0.0, 0.29, 0.09),
    "HeadTop": (0.0, 0.37, 0.03),
    "Eye": (-0.035, 0.245, 0.085),
    "CheekNose": (-0.055, 0.19, 0.08),
    "UpperLip": (0.0, 0.18, 0.1),
    "Mouth": (0.0, 0.165, 0.1),
    "Chin": (0.0, 0.12, 0.085),
    "UnderChin": (0.0, 0.1, 0.05),
    "HeadAway": (-0.1, 0.22, 0.22),
    "Neck": (0.0, 0.05, 0.05),
    "Shoulder": (-0.17, -0.01, 0.05),
    "Clavicle": (-0.07, -0.03, 0.07),
    "TorsoTop": (0.0, -0.12, 0.12),
    "TorsoMid": (0.0, -0.25, 0.13),
    "TorsoBottom": (0.0, -0.38, 0.12),
    "Waist": (-0.05, -0.46, 0.11),
    "Hips": (-0.14, -0.52, 0.08),
    "BodyAway": (-0.05, -0.18, 0.32),
    "Neutral": (-0.06, -0.16, 0.32),
}
_MAJOR_DEFAULT = {"Head": "HeadAway", "Body": "TorsoTop", "Neutral": "Neutral", "Other": "Neutral"}
_DIRECTIONS = {
    "forward": (0.0, 0.0, 1.0),
    "back": (0.0, 0.0, -1.0),
    "down": (0.0, -1.0, 0.0),
    "up": (0.0, 1.0, 0.0),
    "outward": (-1.0, 0.0, 0.0),
    "across": (1.0, 0.0, 0.0),
}
_EFFECTOR = np.array([0.0, 0.62, 0.06])  # the part of the hand placed on a location (mid fingers, palm side)
_BASE_POSITION = np.array([-0.04, -0.2, 0.27])  # non-dominant base hand, mirrored construction (see _scene)


def _face_template() -> np.ndarray:
    """iBUG 68-point face in metres, origin at the nose bridge; point 0 on the signer's right (-X)."""
    i = np.arange(17) / 16.0
    jaw = np.stack([-0.068 * np.cos(np.pi * i), 0.01 - 0.095 * np.sin(np.pi * i)], -1)
    brow_x = np.linspace(-0.055, -0.012, 5)
    right_brow = np.stack([brow_x, 0.045 + 0.008 * np.sin(np.linspace(0.3, 2.8, 5))], -1)
    left_brow = right_brow[::-1] * np.array([-1, 1])
    bridge = np.stack([np.zeros(4), np.linspace(0.03, -0.005, 4)], -1)
    nose_base = np.array(
        [[-0.015, -0.014], [-0.008, -0.016], [0.0, -0.018], [0.008, -0.016], [0.015, -0.014]]
    )
    right_eye = np.array(
        [[-0.045, 0.025], [-0.037, 0.03], [-0.027, 0.03], [-0.019, 0.025], [-0.027, 0.021], [-0.037, 0.021]]
    )
    left_eye = right_eye[[3, 2, 1, 0, 5, 4]] * np.array([-1, 1])
    outer_lip = np.array(
        [[-0.024, -0.04], [-0.016, -0.033], [-0.006, -0.03], [0.0, -0.031], [0.006, -0.03], [0.016, -0.033],
         [0.024, -0.04], [0.016, -0.048], [0.006, -0.051], [0.0, -0.052], [-0.006, -0.051], [-0.016, -0.048]]
    )  # fmt: skip
    inner_lip = np.array(
        [[-0.019, -0.04], [-0.007, -0.037], [0.0, -0.037], [0.007, -0.037], [0.019, -0.04], [0.007, -0.043],
         [0.0, -0.043], [-0.007, -0.043]]
    )  # fmt: skip
    xy = np.concatenate(
        [jaw, right_brow, left_brow, bridge, nose_base, right_eye, left_eye, outer_lip, inner_lip]
    )
    z = 0.09 * np.sqrt(np.clip(1 - (xy[:, 0] / 0.075) ** 2, 0, 1)) + np.where(np.arange(68) == 30, 0.025, 0.0)
    return np.concatenate([xy, z[:, None]], -1)


_FACE_TEMPLATE = _face_template()
_LOWER_LIP = np.array([55, 56, 57, 58, 59, 65, 66, 67])  # iBUG lower-lip points
_FACE_MIRROR = np.array(
    [
        int(np.argmin(np.abs(_FACE_TEMPLATE[:, :2] - point[:2] * np.array([-1, 1])).sum(-1)))
        for point in _FACE_TEMPLATE
    ]
)


def _mirror_permutation() -> np.ndarray:
    permutation = np.arange(NUM_KEYPOINTS)
    for left, right in _BODY_PAIRS:
        permutation[left], permutation[right] = right, left
    permutation[_FACE] = 23 + _FACE_MIRROR
    permutation[_LEFT_HAND] = np.arange(112, 133)
    permutation[_RIGHT_HAND] = np.arange(91, 112)
    return permutation


_MIRROR = _mirror_permutation()


# ---------------------------------------------------------------------------------------------------- the signer
@dataclass(frozen=True)
class SignerParams:
    """One signer and camera. Lengths in metres, angles in degrees, jitter in pixels, speed as a factor."""

    left_handed: bool = False
    body_scale: float = 1.0
    shoulder_width: float = 0.38
    arm_scale: float = 1.0
    hand_length: float = 0.19
    speed: float = 1.0
    amplitude: float = 1.0
    repetitions: int = 2
    hold_frames: int = 5
    rest_frames: int = 7
    finger_tilt: float = 15.0
    camera_scale: float = 1.0
    camera_shift: tuple[float, float] = (0.0, 0.0)
    camera_roll: float = 0.0
    camera_pitch: float = 8.0
    camera_yaw: float = 0.0
    jitter: float = 0.0
    drop_rate: float = 0.0

    @classmethod
    def sample(cls, rng: np.random.Generator) -> SignerParams:
        """A random signer: about 1 in 8 left-handed, ±10 % proportions, ±25 % speed, small camera changes."""
        return cls(
            left_handed=bool(rng.random() < 0.125),
            body_scale=float(rng.uniform(0.9, 1.1)),
            shoulder_width=float(rng.uniform(0.34, 0.43)),
            arm_scale=float(rng.uniform(0.93, 1.07)),
            hand_length=float(rng.uniform(0.17, 0.21)),
            speed=float(rng.uniform(0.75, 1.3)),
            amplitude=float(rng.uniform(0.75, 1.3)),
            repetitions=int(rng.choice([2, 2, 3])),
            hold_frames=int(rng.integers(2, 8)),
            rest_frames=int(rng.integers(4, 10)),
            finger_tilt=float(rng.uniform(0.0, 30.0)),
            camera_scale=float(rng.uniform(0.85, 1.15)),
            camera_shift=(float(rng.uniform(-30, 30)), float(rng.uniform(-20, 20))),
            camera_roll=float(rng.uniform(-5, 5)),
            camera_pitch=float(rng.uniform(3, 15)),
            camera_yaw=float(rng.uniform(-12, 12)),
            jitter=float(rng.uniform(0.5, 2.5)),
            drop_rate=float(rng.uniform(0.0, 0.06)),
        )


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


def _location_point(
    code: str | None, major: str, body_scale: float, nondominant: dict[str, np.ndarray]
) -> tuple:
    """(point, surface normal) of a minor location; hand/arm locations read the non-dominant arm's joints."""
    if major == "Hand" or (code or "").startswith(("Palm", "Finger", "Heel", "HandAway")):
        hand = nondominant["hand"]  # (21, 3) at the base pose
        palm_center = hand[[0, 5, 9, 13, 17]].mean(0)
        palm_normal = nondominant["palm_normal"]
        radial = hand[5] - hand[17]
        radial /= np.linalg.norm(radial)
        finger_dir = hand[12] - hand[9]
        finger_dir /= np.linalg.norm(finger_dir)
        table = {
            "Palm": (palm_center, palm_normal),
            "PalmBack": (palm_center, -palm_normal),
            "Heel": (0.7 * hand[0] + 0.3 * hand[9], palm_normal),
            "FingerTip": (hand[12], finger_dir),
            "FingerFront": (hand[10], palm_normal),
            "FingerBack": (hand[10], -palm_normal),
            "FingerRadial": (hand[6], radial),
            "FingerUlnar": (hand[18], -radial),
            "HandAway": (palm_center + 0.1 * palm_normal, palm_normal),
        }
        return table.get(code, table["Palm"])
    if major == "Arm":
        wrist, elbow, shoulder = nondominant["wrist"], nondominant["elbow"], nondominant["shoulder"]
        mid = 0.5 * (wrist + elbow)
        up = np.array([0.0, 1.0, 0.0])
        front = np.array([0.0, 0.0, 1.0])
        table = {
            "ForearmBack": (mid + 0.03 * up, up),
            "ForearmFront": (mid - 0.03 * up, -up),
            "ForearmUlnar": (mid - 0.02 * up + 0.02 * front, front),
            "ForearmRadial": (mid + 0.02 * front, front),
            "ArmAway": (mid + 0.12 * up, up),
            "WristBack": (wrist + 0.03 * up, up),
            "WristFront": (wrist - 0.03 * up, -up),
            "ElbowBack": (elbow, up),
            "UpperArm": (0.5 * (shoulder + elbow) + 0.04 * front, front),
        }
        return table.get(code, table["ForearmBack"])
    anchor = _ANCHORS.get(code or "", _ANCHORS[_MAJOR_DEFAULT.get(major, "Neutral")])
    point = np.asarray(anchor) * body_scale
    normal = np.array([0.0, 0.0, 1.0])
    if code in ("Shoulder", "Hips", "Waist"):
        normal = np.array([-0.5, 0.0, 0.85])
    return point, normal


def _arm_ik(shoulder: np.ndarray, wrist: np.ndarray, upper: float, fore: float, side: float) -> tuple:
    """Elbow positions (T, 3) by two-link IK (elbow out, down and back); wrists pulled in if out of reach."""
    offset = wrist - shoulder
    distance = np.linalg.norm(offset, axis=-1, keepdims=True)
    reach = 0.995 * (upper + fore)
    wrist = np.where(distance > reach, shoulder + offset / distance * reach, wrist)
    distance = np.clip(distance, abs(upper - fore) + 1e-3, reach)
    axis = offset / np.maximum(np.linalg.norm(offset, axis=-1, keepdims=True), 1e-9)
    cos_a = (upper**2 + distance**2 - fore**2) / (2 * upper * distance)
    sin_a = np.sqrt(np.clip(1 - cos_a**2, 0, 1))
    pole = np.array([1.0 * side, -0.8, -0.2])
    bend = pole - axis * (axis @ pole)[..., None]
    bend /= np.maximum(np.linalg.norm(bend, axis=-1, keepdims=True), 1e-9)
    elbow = shoulder + upper * (cos_a * axis + sin_a * bend)
    return elbow, wrist


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


def _scene(
    record: PhonRecord,
    params: SignerParams,
    rng: np.random.Generator,
    enter: bool = True,
    leave: bool = True,
    mouth: str | None = None,
    face_action: str | None = None,
) -> np.ndarray:
    """World coordinates (T, 133, 3) of a right-handed signer performing `record` (one segment), with the
    non-manual `mouth` shape and `face_action` made while signing."""
    timeline = _timeline(record, params, rng, enter, leave)
    frames = len(timeline.u)
    scale = params.body_scale
    half_width = params.shoulder_width * scale / 2
    upper_arm, forearm = 0.29 * scale * params.arm_scale, 0.26 * scale * params.arm_scale
    hand_length = params.hand_length * scale
    amplitude = params.amplitude * rng.uniform(0.9, 1.1)
    sway = np.cumsum(rng.normal(0, 0.0015, (frames, 3)), 0)  # slow body drift
    sway -= sway.mean(0)
    shoulders = {-1: np.array([-half_width, 0.0, 0.0]), 1: np.array([half_width, 0.0, 0.0])}

    two_handed = record.sign_type != "OneHanded"
    symmetric = record.sign_type in ("SymmetricalOrAlternating", "SymmetryViolation", "DominanceViolation")
    base = record.sign_type in ("AsymmetricalSameHandshape", "AsymmetricalDifferentHandshape") or (
        record.major_location in ("Hand", "Arm") and not symmetric
    )

    # Non-dominant arm held as a base, built as a right arm at the mirrored place then reflected to +X.
    reflect = np.array([-1.0, 1.0, 1.0])
    nd_code = record.nondominant_handshape or ("lax" if record.major_location == "Arm" else record.handshape)
    nd_shape = _handshape(nd_code)
    nd_orientation = _base_orientation(record)
    nd_rotation = _rotation(np.array([0.0, 1.0, 0.0]), np.radians(-50.0)) @ _orientation_matrix(
        nd_orientation, 0.0
    )
    if record.major_location == "Arm":
        nd_rotation = _orientation_matrix("down", 0.0)
        nd_rotation = _rotation(np.array([0.0, 1.0, 0.0]), np.radians(-80.0)) @ nd_rotation
    nd_wrist_m = _BASE_POSITION * scale - nd_rotation @ (_EFFECTOR * hand_length) * 0.5
    if record.major_location == "Arm":
        nd_wrist_m = np.array([0.02, -0.2, 0.3]) * scale
    nd_elbow_m = _arm_ik(shoulders[-1], nd_wrist_m[None], upper_arm, forearm, -1.0)[0][0]
    nd_hand_m = (
        nd_wrist_m
        + (nd_rotation @ hand_keypoints(nd_shape.flexion, nd_shape.abduction, nd_shape.thumb).T).T
        * hand_length
    )
    nondominant = {
        "hand": nd_hand_m * reflect,
        "palm_normal": (nd_rotation[:, 2]) * reflect,
        "wrist": nd_wrist_m * reflect,
        "elbow": nd_elbow_m * reflect,
        "shoulder": shoulders[1],
    }

    # Dominant hand: start/end locations, contact, path.
    start, normal = _location_point(record.minor_location, record.major_location, scale, nondominant)
    second = record.second_minor_location
    if second is None or second == record.minor_location or second in ("Other", "OtherAway"):
        end = start.copy()
    elif (
        second.endswith("Away")
        and second != "BodyAway"
        or second == "Neutral"
        and record.minor_location != "Neutral"
    ):
        end = start + (np.array([-0.04, -0.02, 0.14]) * amplitude if second.endswith("Away") else 0.0)
        if second == "Neutral":
            end = np.asarray(_ANCHORS["Neutral"]) * scale
    else:
        end = _location_point(second, record.major_location, scale, nondominant)[0]
    gap = 0.015 if record.contact else 0.07
    start = start + normal * gap
    end = end + normal * gap
    if symmetric and record.major_location in ("Neutral", "Body", "Head", "Other"):
        lateral = 0.04 if record.contact else 0.1
        start = start + np.array([-lateral, 0, 0]) * (start[0] > -lateral)
        end = end + np.array([-lateral, 0, 0]) * (end[0] > -lateral)
    offsets = _path(record, start, end, timeline.u, amplitude)
    if record.movement == "None" and record.contact:  # taps: the hand leaves and touches the location
        taps = np.where(timeline.stroke >= 0, np.sin(np.pi * timeline.u), 1.0)
        offsets = offsets + normal * 0.05 * (1 - taps)[:, None]
    target = start + offsets

    # Orientation, wrist twist, handshape and spread changes over time.
    orientation = record.palm_orientation or _default_orientation(record)
    rotation0 = _orientation_matrix(orientation, params.finger_tilt)
    stroke_weight = np.where(timeline.stroke >= 0, _smooth(timeline.u), np.where(timeline.u > 0.5, 1.0, 0.0))
    if record.movement in ("Circular", "BackAndForth", "Other"):
        stroke_weight = np.where(timeline.stroke >= 0, 0.5 * (1 - np.cos(2 * np.pi * timeline.u)), 0.0)
    twist = np.radians(70.0) * stroke_weight * float(bool(record.ulnar_rotation))
    rotation = _rotation(rotation0[:, 1], twist) @ rotation0
    wobble = _rotation(
        np.array([0.0, 0.0, 1.0]), rng.normal(0, 0.03) + 0.02 * np.sin(np.linspace(0, 3, frames))
    )
    rotation = wobble @ rotation
    shape_start = _handshape(record.handshape)
    if record.flexion_change:
        shape_end = _handshape(record.handshape, closed=record.flexion in ("FullyOpen", None))
    elif record.spread_change:
        shape_end = _handshape(record.handshape, spread_override=not record.spread)
    else:
        shape_end = shape_start
    rest_shape = _handshape("lax")

    rest_rotation = _orientation_matrix("rest", 0.0)
    rest_target = np.array([-half_width - 0.02, -0.55 * scale, 0.08])
    active = timeline.active
    a = active[:, None]
    blend_rot = _orthonormal(rest_rotation * (1 - a[..., None]) + rotation * a[..., None])
    hand_local = _hand_world(shape_start, shape_end, stroke_weight, blend_rot)
    rest_local = _hand_world(rest_shape, rest_shape, np.zeros(frames), blend_rot)
    hand = rest_local * (1 - a[..., None]) + hand_local * a[..., None]
    effector = blend_rot @ _EFFECTOR * hand_length
    rest_wrist = rest_target
    wrist = (target - effector) * a + rest_wrist * (1 - a) + sway
    elbow, wrist = _arm_ik(shoulders[-1] + sway, wrist, upper_arm, forearm, -1.0)
    dominant_hand = wrist[:, None] + hand * hand_length

    # Non-dominant hand over time.
    if symmetric:
        nd_hand = dominant_hand * reflect
        if record.sign_type == "DominanceViolation" and record.nondominant_handshape:
            nd_local = _hand_world(nd_shape, nd_shape, np.zeros(frames), blend_rot)
            nd_local = rest_local * (1 - a[..., None]) + nd_local * a[..., None]
            nd_hand = (wrist[:, None] + nd_local * hand_length) * reflect
        nd_elbow = elbow * reflect
    else:
        rest_pose = _hand_world(
            rest_shape, rest_shape, np.zeros(frames), np.broadcast_to(rest_rotation, (frames, 3, 3))
        )
        nd_hand = (rest_target + rest_pose * hand_length) * reflect + sway[:, None]
        if base or two_handed:
            held = nondominant["hand"][None] + sway[:, None]
            nd_hand = held * a[..., None] + nd_hand * (1 - a[..., None])
        nd_elbow, _ = _arm_ik(shoulders[1] + sway, nd_hand[:, 0], upper_arm, forearm, 1.0)

    # Head, face (mouth moves a little), body.
    head_center = np.array([0.0, 0.215 * scale, 0.0]) + sway * 0.8
    head_turn = _rotation(
        np.array([0.0, 1.0, 0.0]), rng.normal(0, 0.05) + 0.04 * np.sin(np.linspace(0, 2, frames))
    )
    mouth_open = np.clip(rng.normal(0.3, 0.3) + 0.5 * np.sin(np.linspace(0, rng.uniform(2, 6), frames)), 0, 1)
    template = np.broadcast_to(_FACE_TEMPLATE * scale, (frames, 68, 3)).copy()
    template[:, _LOWER_LIP, 1] -= 0.01 * scale * mouth_open[:, None]
    template, head_turn = _non_manual(template, head_turn, active, mouth, face_action, scale)
    face = template @ np.swapaxes(head_turn, -1, -2) + head_center[:, None]

    points = np.zeros((frames, NUM_KEYPOINTS, 3))
    points[:, 0] = face[:, 30]
    points[:, 1] = face[:, 42:48].mean(1)  # left eye (signer's left, +X)
    points[:, 2] = face[:, 36:42].mean(1)
    points[:, 3] = head_center + np.array([0.075, -0.005, -0.03]) * scale
    points[:, 4] = head_center + np.array([-0.075, -0.005, -0.03]) * scale
    points[:, 5] = shoulders[1] + sway
    points[:, 6] = shoulders[-1] + sway
    points[:, 7] = nd_elbow
    points[:, 8] = elbow
    points[:, 9] = nd_hand[:, 0]
    points[:, 10] = wrist
    points[:, 11] = np.array([0.13, -0.52, 0.0]) * scale + sway
    points[:, 12] = np.array([-0.13, -0.52, 0.0]) * scale + sway
    points[:, _FACE] = face
    points[:, _LEFT_HAND] = nd_hand
    points[:, _RIGHT_HAND] = dominant_hand
    return points


def _non_manual(
    face: np.ndarray,
    head_turn: np.ndarray,
    weight: np.ndarray,
    mouth: str | None,
    face_action: str | None,
    scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Mouth shape and facial action on the face template (T, 68, 3) and head rotation (T, 3, 3), faded in and
    out with the signing weight (T,)."""
    w = weight[:, None]
    lips = np.arange(48, 68)
    center = face[:, lips].mean(1, keepdims=True)
    if mouth == "open":
        face[:, _LOWER_LIP, 1] -= 0.022 * scale * w
        face[:, 6:11, 1] -= 0.02 * scale * w  # the jaw drops with the lower lip
    elif mouth in ("rounded", "stretched", "puffed"):
        face[:, _LOWER_LIP, 1] = (
            face[:, _LOWER_LIP, 1] * (1 - w) + (face[:, _LOWER_LIP, 1] + 0.006 * scale) * w
        )
        factor = {"rounded": 0.55, "stretched": 1.35, "puffed": 0.85}[mouth]
        face[:, lips, 0] = center[..., 0] + (face[:, lips, 0] - center[..., 0]) * (1 + (factor - 1) * w)
        if mouth == "rounded":
            face[:, lips, 2] += 0.012 * scale * w
        if mouth == "puffed":
            face[:, 2:15, 0] *= 1 + 0.14 * w  # cheeks bulge
    if face_action in ("raised_brows", "furrowed_brows"):
        brows = np.arange(17, 27)
        lift = 0.014 if face_action == "raised_brows" else -0.007
        face[:, brows, 1] += lift * scale * w
        if face_action == "furrowed_brows":
            face[:, brows, 0] *= 1 - 0.18 * w
    elif face_action in ("nod", "shake"):
        cycles = np.linspace(0, 2 * np.pi * 2.5, len(weight))
        axis = np.array([1.0, 0.0, 0.0]) if face_action == "nod" else np.array([0.0, 1.0, 0.0])
        head_turn = (
            _rotation(axis, (0.22 if face_action == "nod" else 0.35) * np.sin(cycles) * weight) @ head_turn
        )
    return face, head_turn


def _sign_scene(sign: SynthSign, params: SignerParams, rng: np.random.Generator) -> np.ndarray:
    """World coordinates (T, 133, 3) of all segments of `sign` in order, joined by short transitions."""
    last = len(sign.segments) - 1
    scenes = []
    for index, segment in enumerate(sign.segments):
        carries = index == sign.non_manual_segment
        scenes.append(
            _scene(
                segment,
                params,
                rng,
                enter=index == 0,
                leave=index == last,
                mouth=sign.mouth if carries else None,
                face_action=sign.face if carries else None,
            )
        )
    joined = [scenes[0]]
    for scene in scenes[1:]:
        steps = max(3, round(rng.uniform(5, 8) / params.speed))
        w = _smooth(np.linspace(0, 1, steps + 2)[1:-1])[:, None, None]
        joined += [joined[-1][-1] * (1 - w) + scene[0] * w, scene]
    return np.concatenate(joined)


def _default_orientation(record: PhonRecord) -> str:
    return infer_palm_orientation(record) or _entry_choice(record, ("out", "down", "side", "in"))


def _base_orientation(record: PhonRecord) -> str:
    if record.minor_location in ("Palm", "Heel", "FingerFront", "FingerTip"):
        return "up"
    if record.minor_location in ("PalmBack", "FingerBack"):
        return "down"
    return "side"


def _project(points: np.ndarray, params: SignerParams) -> np.ndarray:
    """Perspective projection of world points (T, K, 3) to pixel coordinates (T, K, 2)."""
    yaw = _rotation(np.array([0.0, 1.0, 0.0]), np.radians(params.camera_yaw))
    pitch = _rotation(np.array([1.0, 0.0, 0.0]), np.radians(params.camera_pitch))
    camera = points @ (pitch @ yaw).T
    distance, focal = 2.5, 1050.0 * params.camera_scale
    depth = distance - camera[..., 2]
    x = focal * camera[..., 0] / depth
    y = -focal * (camera[..., 1] + 0.05) / depth
    roll = np.radians(params.camera_roll)
    xr = np.cos(roll) * x - np.sin(roll) * y
    yr = np.sin(roll) * x + np.cos(roll) * y
    width, height = IMAGE_SIZE
    return np.stack(
        [xr + width / 2 + params.camera_shift[0], yr + height * 0.42 + params.camera_shift[1]], -1
    )


def synthesize(
    sign: PhonRecord | SynthSign,
    seed: int = 0,
    params: SignerParams | None = None,
    max_frames: int | None = 64,
) -> np.ndarray:
    """Keypoints (T, 133, 3) float32 — x, y in pixels of a `IMAGE_SIZE` frame, confidence — in COCO-WholeBody order.

    `sign` is one phonological record or a `SynthSign` (segments in sequence, non-manual features). `params` is
    the signer (sampled from `seed` when None); `seed` also drives the per-instance variation (timing, amplitude,
    jitter, dropped detections). Sequences longer than `max_frames` are uniformly subsampled.
    """
    rng = np.random.default_rng(seed)
    if params is None:
        params = SignerParams.sample(rng)
    if isinstance(sign, PhonRecord):
        sign = SynthSign.single(sign)
    points = _sign_scene(sign, params, rng)
    if params.left_handed:
        points = points[:, _MIRROR] * np.array([-1.0, 1.0, 1.0])
    xy = _project(points, params)
    frames = len(xy)
    if params.jitter > 0:
        xy = xy + rng.normal(0, params.jitter, xy.shape)
    confidence = rng.uniform(0.75, 0.98, (frames, NUM_KEYPOINTS))
    confidence[:, 91:] = rng.uniform(0.45, 0.95, (frames, 42))
    confidence[:, list(_LOWER_BODY)] = 0.0
    for hand in (_LEFT_HAND, _RIGHT_HAND):
        bursts = rng.poisson(params.drop_rate * frames / 3) if params.drop_rate > 0 else 0
        for _ in range(bursts):
            first = int(rng.integers(frames))
            confidence[first : first + int(rng.integers(1, 6)), hand] = 0.0
    width, height = IMAGE_SIZE
    outside = (xy[..., 0] < 0) | (xy[..., 0] >= width) | (xy[..., 1] < 0) | (xy[..., 1] >= height)
    confidence[outside] = 0.0
    xy[confidence <= 0] = 0.0
    sequence = np.concatenate([xy, confidence[..., None]], -1).astype(np.float32)
    if max_frames is not None and frames > max_frames:
        sequence = sequence[np.linspace(0, frames - 1, max_frames).round().astype(int)]
    return sequence

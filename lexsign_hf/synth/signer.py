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

The parts: `hand` (hand kinematics, palm orientations), `body` (skeleton, body anchors, face, arm IK), `motion`
(timeline and movement paths) and `params` (`SignerParams`); this module builds the scene and projects it.
"""

from __future__ import annotations

import numpy as np

from ..data.phonology import PhonRecord, infer_palm_orientation
from .body import (
    _ANCHORS,
    _BASE_POSITION,
    _EFFECTOR,
    _FACE,
    _FACE_TEMPLATE,
    _LEFT_HAND,
    _LOWER_BODY,
    _LOWER_LIP,
    _MIRROR,
    _RIGHT_HAND,
    NUM_KEYPOINTS,
    _arm_ik,
    _location_point,
    _non_manual,
)
from .hand import _hand_world, _handshape, _orientation_matrix, _orthonormal, _rotation, hand_keypoints
from .motion import _entry_choice, _path, _smooth, _timeline
from .params import SignerParams
from .sign import SynthSign

__all__ = ["FPS", "IMAGE_SIZE", "LAYOUT", "NUM_KEYPOINTS", "SignerParams", "hand_keypoints", "synthesize"]

LAYOUT = "coco_wholebody_133"
IMAGE_SIZE = (512, 512)  # width, height in pixels
FPS = 25.0


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

"""The synthetic signer's body: the COCO-WholeBody 133 skeleton, body anchors of the minor locations, the iBUG
face with its mouth shapes and facial actions, and the arms' inverse kinematics.

Metres, in the signer-centred frame of `lexsign_hf.synth.signer` (right-handed signer; mirrored with `_MIRROR`).
"""

from __future__ import annotations

import numpy as np

from .hand import _rotation

NUM_KEYPOINTS = 133

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

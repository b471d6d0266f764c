"""Write keypoints as real pose-format `.pose` files, with the header components pose-format's own tools use."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

from .layouts import MEDIAPIPE_POSE_POINTS, Layout, get_layout

# mediapipe's POSE_CONNECTIONS and HAND_CONNECTIONS (mediapipe itself is not a dependency); every 21-point hand
# (MediaPipe, COCO-WholeBody, OpenPose) stores its joints in the same order, so HAND_CONNECTIONS serves all.
POSE_CONNECTIONS = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12), (11, 13), (13, 15),
    (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16), (16, 18), (16, 20), (16, 22), (18, 20), (11, 23),
    (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28), (27, 29), (28, 30), (29, 31), (30, 32), (27, 31),
    (28, 32),
)  # fmt: skip
HAND_CONNECTIONS = (
    (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12), (9, 13),
    (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20),
)  # fmt: skip
# Body limbs of COCO-WholeBody (its 23 body and feet points) and OpenPose BODY_25, by point name.
COCO_BODY_LIMBS = (
    ("left_ankle", "left_knee"), ("left_knee", "left_hip"), ("right_ankle", "right_knee"), ("right_knee", "right_hip"),
    ("left_hip", "right_hip"), ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "right_shoulder"), ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
    ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"), ("left_eye", "right_eye"), ("nose", "left_eye"),
    ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"), ("left_ear", "left_shoulder"),
    ("right_ear", "right_shoulder"), ("left_ankle", "left_big_toe"), ("left_ankle", "left_small_toe"),
    ("left_ankle", "left_heel"), ("right_ankle", "right_big_toe"), ("right_ankle", "right_small_toe"),
    ("right_ankle", "right_heel"),
)  # fmt: skip
OPENPOSE_BODY_LIMBS = (
    ("Neck", "RShoulder"), ("RShoulder", "RElbow"), ("RElbow", "RWrist"), ("Neck", "LShoulder"),
    ("LShoulder", "LElbow"), ("LElbow", "LWrist"), ("Neck", "MidHip"), ("Nose", "LEye"), ("Nose", "REye"),
    ("Nose", "LEar"), ("Nose", "REar"), ("Neck", "Nose"), ("MidHip", "RHip"), ("RHip", "RKnee"),
    ("RKnee", "RAnkle"), ("MidHip", "LHip"), ("LHip", "LKnee"), ("LKnee", "LAnkle"), ("RAnkle", "RHeel"),
    ("RAnkle", "RBigToe"), ("RBigToe", "RSmallToe"), ("LAnkle", "LHeel"), ("LAnkle", "LBigToe"),
    ("LBigToe", "LSmallToe"),
)  # fmt: skip
COLORS = {"body": (255, 0, 0), "face": (128, 0, 0), "left_hand": (0, 255, 0), "right_hand": (255, 128, 0)}


def write_pose_file(
    path: str | Path,
    data: np.ndarray,
    layout: str,
    fps: float,
    width: int | None = None,
    height: int | None = None,
) -> Path:
    """Write (T, K, 3) x, y, confidence keypoints in `layout` as a `.pose` file (atomically); return its path.

    Joints with confidence 0 are stored masked. MediaPipe layouts are written as XYZC with z = 0. `width` and
    `height` (the header's frame size) default to the extent of the coordinates.
    """
    path = Path(path)
    spec = get_layout(layout)
    data = np.asarray(data, dtype=np.float32)
    if data.ndim != 3 or data.shape[1:] != (spec.num_keypoints, 3) or data.shape[0] == 0:
        raise ValueError(
            f"{path}: data has shape {data.shape}; expected (frames > 0, {spec.num_keypoints}, 3) for {layout}"
        )
    if not np.isfinite(data).all():
        raise ValueError(f"{path}: data has NaN or infinite values")
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"{path}: fps is {fps}; expected a positive frame rate")
    confidence = np.where(data[..., 2] > 0, data[..., 2], 0.0).astype(np.float32)
    coordinates = np.where(confidence[..., None] > 0, data[..., :2], 0.0)
    if spec.point_format == "XYZC":
        coordinates = np.concatenate([coordinates, np.zeros_like(coordinates[..., :1])], axis=-1)
    width = width or max(1, math.ceil(float(coordinates[..., 0].max())))
    height = height or max(1, math.ceil(float(coordinates[..., 1].max())))
    header = PoseHeader(
        version=0.2,
        dimensions=PoseHeaderDimensions(width=width, height=height, depth=0),
        components=header_components(spec),
    )
    body = NumPyPoseBody(fps=fps, data=coordinates[:, None], confidence=confidence[:, None])
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as file:
            Pose(header, body).write(file)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def header_components(layout: Layout) -> list[PoseHeaderComponent]:
    """pose-format header components for `layout`, in its stored order (the face has points, no limbs)."""
    components = []
    for component in layout.components:
        name = component.name.upper()
        present = {point: i for i, point in enumerate(component.points)}
        if "HAND" in name:
            limbs, color = list(HAND_CONNECTIONS), COLORS["left_hand" if "LEFT" in name else "right_hand"]
        elif "FACE" in name:
            limbs, color = [], COLORS["face"]
        else:
            named = [(MEDIAPIPE_POSE_POINTS[a], MEDIAPIPE_POSE_POINTS[b]) for a, b in POSE_CONNECTIONS]
            named += [*COCO_BODY_LIMBS, *OPENPOSE_BODY_LIMBS]
            limbs = [(present[a], present[b]) for a, b in named if a in present and b in present]
            color = COLORS["body"]
        components.append(
            PoseHeaderComponent(
                name=component.name,
                points=list(component.points),
                limbs=limbs,
                colors=[color],
                point_format=layout.point_format,
            )
        )
    return components

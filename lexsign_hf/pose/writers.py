"""Write keypoints as real pose-format `.pose` files, with the header components pose-format's own tools use."""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions
from pose_format.utils.cocowholebody133_header import cocowholebody_components
from pose_format.utils.openpose import OpenPose_Components

from .layouts import MEDIAPIPE_POSE_POINTS, Layout, get_layout

# mediapipe's POSE_CONNECTIONS and HAND_CONNECTIONS (mediapipe itself is not a dependency).
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
HOLISTIC_COLORS = {
    "POSE_LANDMARKS": [(255, 0, 0)],
    "FACE_LANDMARKS": [(128, 0, 0)],
    "LEFT_HAND_LANDMARKS": [(0, 255, 0)],
    "RIGHT_HAND_LANDMARKS": [(255, 128, 0)],
    "POSE_WORLD_LANDMARKS": [(255, 0, 0)],
}


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
    """pose-format header components for `layout`, in its stored order."""
    if layout.name == "coco_wholebody_133":
        return cocowholebody_components()
    if layout.name == "openpose_137":
        return copy.deepcopy(OpenPose_Components)
    components = []
    for component in layout.components:
        if component.name.startswith("POSE"):
            present = {point: i for i, point in enumerate(component.points)}
            named = [(MEDIAPIPE_POSE_POINTS[a], MEDIAPIPE_POSE_POINTS[b]) for a, b in POSE_CONNECTIONS]
            limbs = [(present[a], present[b]) for a, b in named if a in present and b in present]
        elif component.name.endswith("HAND_LANDMARKS"):
            limbs = list(HAND_CONNECTIONS)
        else:  # the face mesh tesselation ships with mediapipe only: points without limbs
            limbs = []
        components.append(
            PoseHeaderComponent(
                name=component.name,
                points=list(component.points),
                limbs=limbs,
                colors=HOLISTIC_COLORS[component.name],
                point_format=layout.point_format,
            )
        )
    return components

"""Keypoint layouts and their mapping onto the canonical 77-point skeleton HALI consumes.

A [`Layout`] lists the components of a keypoint file in stored order, with the point names pose-format writes
in `.pose` headers, and names for each canonical slot the (component, point) it is taken from. Slots a layout
lacks (the nose and ears of the reduced holistic body, for instance) stay at x = y = 0 with confidence 0.

Canonical landmark choices (left/right are the signer's anatomical sides):

| part   | MediaPipe holistic (face mesh index)          | COCO-WholeBody / OpenPose face (iBUG-68 index) |
|--------|-----------------------------------------------|------------------------------------------------|
| mouth  | 291, 267, 0, 37, 61, 84, 17, 314              | 54, 52, 51, 50, 48, 58, 57, 56                  |
| jaw    | 454, 361, 365, 378, 152, 149, 136, 132, 234   | 16, 14, 12, 10, 8, 6, 4, 2, 0                   |
| brows  | left 300, 334, 336; right 70, 105, 107        | left 26, 24, 22; right 17, 19, 21               |
| nose   | 6, 1, 2 (bridge, tip, base)                   | 27, 30, 33                                      |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from pose_format.pose_header import PoseHeader
from pose_format.utils import cocowholebody133_header as coco
from pose_format.utils import openpose

CANONICAL_PARTS: dict[str, int] = {"body": 9, "left_hand": 21, "right_hand": 21, "mouth": 8, "face": 18}
NUM_CANONICAL_KEYPOINTS = sum(CANONICAL_PARTS.values())


def _part_slices() -> dict[str, slice]:
    slices, start = {}, 0
    for name, count in CANONICAL_PARTS.items():
        slices[name] = slice(start, start + count)
        start += count
    return slices


CANONICAL_SLICES: dict[str, slice] = _part_slices()

# MediaPipe names, as pose-format writes them (mediapipe PoseLandmark / HandLandmark member names).
MEDIAPIPE_POSE_POINTS = (
    "NOSE", "LEFT_EYE_INNER", "LEFT_EYE", "LEFT_EYE_OUTER", "RIGHT_EYE_INNER", "RIGHT_EYE", "RIGHT_EYE_OUTER",
    "LEFT_EAR", "RIGHT_EAR", "MOUTH_LEFT", "MOUTH_RIGHT", "LEFT_SHOULDER", "RIGHT_SHOULDER", "LEFT_ELBOW",
    "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_PINKY", "RIGHT_PINKY", "LEFT_INDEX", "RIGHT_INDEX",
    "LEFT_THUMB", "RIGHT_THUMB", "LEFT_HIP", "RIGHT_HIP", "LEFT_KNEE", "RIGHT_KNEE", "LEFT_ANKLE", "RIGHT_ANKLE",
    "LEFT_HEEL", "RIGHT_HEEL", "LEFT_FOOT_INDEX", "RIGHT_FOOT_INDEX",
)  # fmt: skip
MEDIAPIPE_HAND_POINTS = (
    "WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP", "INDEX_FINGER_MCP", "INDEX_FINGER_PIP",
    "INDEX_FINGER_DIP", "INDEX_FINGER_TIP", "MIDDLE_FINGER_MCP", "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP",
    "MIDDLE_FINGER_TIP", "RING_FINGER_MCP", "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP", "PINKY_MCP",
    "PINKY_PIP", "PINKY_DIP", "PINKY_TIP",
)  # fmt: skip
# What `pose_format.utils.generic.reduce_holistic` keeps: the body without face, hand and leg points ...
REDUCED_POSE_POINTS = (
    "LEFT_SHOULDER", "RIGHT_SHOULDER", "LEFT_ELBOW", "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_HIP",
    "RIGHT_HIP",
)  # fmt: skip
# ... and the 128 face-mesh points of mediapipe's FACEMESH_CONTOURS (lips, eyes, brows, face oval).
REDUCED_FACE_POINTS = tuple(
    str(i)
    for i in (
        0, 7, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80, 81, 82,
        84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153,
        154, 155, 157, 158, 159, 160, 161, 162, 163, 172, 173, 176, 178, 181, 185, 191, 234, 246, 249, 251, 263,
        267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317,
        318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382,
        384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466,
    )
)  # fmt: skip

# Canonical face/mouth landmarks as indices into the MediaPipe face mesh and into the iBUG 68-point face.
MESH_MOUTH = (291, 267, 0, 37, 61, 84, 17, 314)
MESH_FACE = (454, 361, 365, 378, 152, 149, 136, 132, 234, 300, 334, 336, 70, 105, 107, 6, 1, 2)
IBUG_MOUTH = (54, 52, 51, 50, 48, 58, 57, 56)
IBUG_FACE = (16, 14, 12, 10, 8, 6, 4, 2, 0, 26, 24, 22, 17, 19, 21, 27, 30, 33)


@dataclass(frozen=True)
class Component:
    """One component of a layout: its pose-format header name, point names, and other names it goes by."""

    name: str
    points: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """A keypoint layout: components in stored order and the source of every canonical slot."""

    name: str
    components: tuple[Component, ...]
    canonical_points: tuple[tuple[str, str], ...]  # one (component, point) per canonical slot
    point_format: str  # as pose-format writes it: "XYC" (2D + score) or "XYZC" (MediaPipe, with depth)

    @property
    def num_keypoints(self) -> int:
        return sum(len(component.points) for component in self.components)

    @cached_property
    def canonical_index(self) -> np.ndarray:
        """(77,) index into the stored keypoints for every canonical slot, -1 where this layout lacks it."""
        index, offset = {}, 0
        for component in self.components:
            index.update({(component.name, point): offset + i for i, point in enumerate(component.points)})
            offset += len(component.points)
        return np.array([index.get(ref, -1) for ref in self.canonical_points], dtype=np.int64)

    @cached_property
    def part_counts(self) -> dict[str, int]:
        """How many slots of each canonical part carry real data in this layout."""
        present = self.canonical_index >= 0
        return {name: int(present[part].sum()) for name, part in CANONICAL_SLICES.items()}

    def header_index(self, header_components: Sequence[tuple[str, Sequence[str]]]) -> np.ndarray | None:
        """Index into a header's keypoints that reorders them into this layout, or None if they do not match.

        `header_components` is a list of (component name, point names) in the header's order; components must
        match one to one (by name or alias) with the same point names, in any order.
        """
        offsets, offset = {}, 0
        for name, points in header_components:
            offsets[name] = (offset, {point: i for i, point in enumerate(points)})
            offset += len(points)
        if len(offsets) != len(header_components) or len(offsets) != len(self.components):
            return None
        index = []
        for component in self.components:
            name = next((n for n in (component.name, *component.aliases) if n in offsets), None)
            if name is None:
                return None
            start, positions = offsets[name]
            if set(positions) != set(component.points) or len(positions) != len(component.points):
                return None
            index.extend(start + positions[point] for point in component.points)
        return np.array(index, dtype=np.int64)


def _canonical_points(body, left_hand, right_hand, mouth, face) -> tuple[tuple[str, str], ...]:
    points = (*body, *left_hand, *right_hand, *mouth, *face)
    assert len(points) == NUM_CANONICAL_KEYPOINTS
    return points


def _holistic_layout(name: str, components: tuple[Component, ...]) -> Layout:
    body = ("NOSE", "LEFT_EAR", "RIGHT_EAR", "LEFT_SHOULDER", "RIGHT_SHOULDER", "LEFT_ELBOW", "RIGHT_ELBOW")
    canonical = _canonical_points(
        [("POSE_LANDMARKS", point) for point in (*body, "LEFT_WRIST", "RIGHT_WRIST")],
        [("LEFT_HAND_LANDMARKS", point) for point in MEDIAPIPE_HAND_POINTS],
        [("RIGHT_HAND_LANDMARKS", point) for point in MEDIAPIPE_HAND_POINTS],
        [("FACE_LANDMARKS", str(i)) for i in MESH_MOUTH],
        [("FACE_LANDMARKS", str(i)) for i in MESH_FACE],
    )
    return Layout(name, components, canonical, "XYZC")


def _mediapipe_components(face_points: int, world: bool) -> dict[str, Component]:
    components = {
        "POSE_LANDMARKS": Component("POSE_LANDMARKS", MEDIAPIPE_POSE_POINTS),
        "FACE_LANDMARKS": Component("FACE_LANDMARKS", tuple(str(i) for i in range(face_points))),
        "LEFT_HAND_LANDMARKS": Component("LEFT_HAND_LANDMARKS", MEDIAPIPE_HAND_POINTS),
        "RIGHT_HAND_LANDMARKS": Component("RIGHT_HAND_LANDMARKS", MEDIAPIPE_HAND_POINTS),
    }
    if world:
        components["POSE_WORLD_LANDMARKS"] = Component("POSE_WORLD_LANDMARKS", MEDIAPIPE_POSE_POINTS)
    return components


def _coco_wholebody_layout() -> Layout:
    components = (
        Component("BODY", tuple(coco.BODY_POINTS), ("BODY_133",)),
        Component("FACE", tuple(coco.FACE_POINTS), ("FACE_133",)),
        Component("LEFT_HAND", tuple(coco.HAND_POINTS), ("LEFT_HAND_133",)),
        Component("RIGHT_HAND", tuple(coco.HAND_POINTS), ("RIGHT_HAND_133",)),
    )
    body = ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow")
    canonical = _canonical_points(
        [("BODY", point) for point in (*body, "left_wrist", "right_wrist")],
        [("LEFT_HAND", point) for point in coco.HAND_POINTS],
        [("RIGHT_HAND", point) for point in coco.HAND_POINTS],
        [("FACE", coco.FACE_POINTS[i]) for i in IBUG_MOUTH],
        [("FACE", coco.FACE_POINTS[i]) for i in IBUG_FACE],
    )
    return Layout("coco_wholebody_133", components, canonical, "XYC")


def _openpose_layout() -> Layout:
    components = tuple(Component(c.name, tuple(c.points)) for c in openpose.OpenPose_Components)
    body, face, left_hand, right_hand = (c.name for c in components)
    canonical = _canonical_points(
        [(body, point) for point in ("Nose", "LEar", "REar", "LShoulder", "RShoulder", "LElbow", "RElbow")]
        + [(body, "LWrist"), (body, "RWrist")],
        [(left_hand, point) for point in openpose.HAND_POINTS],
        [(right_hand, point) for point in openpose.HAND_POINTS],
        [(face, openpose.FACE_POINTS[i]) for i in IBUG_MOUTH],
        [(face, openpose.FACE_POINTS[i]) for i in IBUG_FACE],
    )
    return Layout("openpose_137", components, canonical, "XYC")


def _build_layouts() -> dict[str, Layout]:
    mediapipe = _mediapipe_components(468, world=False)
    # Kaggle "ASL Signs" order: face, left_hand, pose, right_hand (how its parquet rows and arrays are stacked).
    kaggle = tuple(mediapipe[name] for name in ("FACE_LANDMARKS", "LEFT_HAND_LANDMARKS", "POSE_LANDMARKS"))
    reduced = (
        Component("POSE_LANDMARKS", REDUCED_POSE_POINTS),
        Component("FACE_LANDMARKS", REDUCED_FACE_POINTS),
        mediapipe["LEFT_HAND_LANDMARKS"],
        mediapipe["RIGHT_HAND_LANDMARKS"],
    )
    layouts = [
        _coco_wholebody_layout(),
        _openpose_layout(),
        _holistic_layout("holistic_reduced_178", reduced),
        _holistic_layout("mediapipe_holistic_543", (*kaggle, mediapipe["RIGHT_HAND_LANDMARKS"])),
        _holistic_layout("mediapipe_holistic_576", tuple(_mediapipe_components(468, world=True).values())),
        _holistic_layout("mediapipe_holistic_586", tuple(_mediapipe_components(478, world=True).values())),
    ]
    return {layout.name: layout for layout in layouts}


LAYOUTS: dict[str, Layout] = _build_layouts()


def get_layout(name: str) -> Layout:
    if name not in LAYOUTS:
        raise ValueError(f"unknown pose layout {name!r}; expected one of {sorted(LAYOUTS)}")
    return LAYOUTS[name]


def _expected() -> str:
    return ", ".join(f"{layout.num_keypoints} ({name})" for name, layout in LAYOUTS.items())


def detect_layout(num_keypoints: int, header: PoseHeader | None = None) -> str:
    """Name of the layout of `num_keypoints` points per frame; with a pose-format `PoseHeader`, from its components."""
    if header is not None:
        components = [(component.name, component.points) for component in header.components]
        for name, layout in LAYOUTS.items():
            if layout.header_index(components) is not None:
                return name
        found = ", ".join(f"{name} ({len(points)})" for name, points in components)
        raise ValueError(
            f"unknown pose layout: header components [{found}]; expected the components of one of {_expected()}"
        )
    for name, layout in LAYOUTS.items():
        if layout.num_keypoints == num_keypoints:
            return name
    raise ValueError(
        f"unknown pose layout: {num_keypoints} keypoints per frame; expected one of {_expected()}"
    )


def to_canonical(array: np.ndarray, layout: str) -> np.ndarray:
    """Map (T, K, 3) x, y, confidence in `layout` onto the canonical (T, 77, 3) float32 skeleton.

    Slots the layout lacks, and joints with confidence 0, get x = y = confidence = 0.
    """
    spec = get_layout(layout)
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 3 or array.shape[1:] != (spec.num_keypoints, 3):
        raise ValueError(
            f"pose array has shape {array.shape}; expected (frames, {spec.num_keypoints}, 3) for layout {layout}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"pose array for layout {layout} has NaN or infinite values")
    index = spec.canonical_index
    canonical = np.where((index >= 0)[None, :, None], array[:, np.maximum(index, 0)], 0.0).astype(np.float32)
    canonical[canonical[..., 2] <= 0] = 0.0
    return canonical

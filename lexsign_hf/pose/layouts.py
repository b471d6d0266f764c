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

A layout is recognised by its structure: the number of components and their sizes in stored order (a `.pose`
file whose components carry recognised names may also store them in another order). Names are a check, never
the key: every naming scheme pose-format has used is accepted (COCO-WholeBody hands `hand_i`, or `left_hand_i`
/ `right_hand_i`; face `face-i` or `face_i`; components `BODY` or `BODY_133`); points named in a known scheme
are taken by name, points with unknown names by position; a file whose recognised names contradict its
structure (left-hand points where the right hand belongs) is rejected. Point names are defined here, not
imported from pose-format, whose module-level constants have moved between releases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only a type here: `lexsign --help` must not import pose-format
    from pose_format.pose_header import PoseHeader

MEDIAPIPE_543 = 543  # MediaPipe holistic points without world landmarks (Kaggle's or pose-format's order)
FACE_TO_BODY_MAX = 0.6  # the face mesh spans well under the body's box (about 0.2-0.4 on real recordings)
CANONICAL_PARTS: dict[str, int] = {"body": 9, "left_hand": 21, "right_hand": 21, "mouth": 8, "face": 18}
NUM_CANONICAL_KEYPOINTS = sum(CANONICAL_PARTS.values())


def _part_slices() -> dict[str, slice]:
    slices, start = {}, 0
    for name, count in CANONICAL_PARTS.items():
        slices[name] = slice(start, start + count)
        start += count
    return slices


CANONICAL_SLICES: dict[str, slice] = _part_slices()

# COCO-WholeBody 133 (MMPose, RTMPose, AlphaPose, pose-format): 17 body + 6 feet, 68 face, two hands.
COCO_BODY_POINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel",
)  # fmt: skip
COCO_FACE_POINTS = tuple(f"face-{i}" for i in range(68))
COCO_HAND_POINTS = tuple(f"hand_{i}" for i in range(21))
# OpenPose BODY_25, face 70 and hands, named as pose-format's OpenPose reader writes them.
OPENPOSE_BODY_POINTS = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip", "RHip", "RKnee",
    "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe",
    "RSmallToe", "RHeel",
)  # fmt: skip
OPENPOSE_FACE_POINTS = tuple(
    f"{prefix}_{i}"
    for prefix, span in (
        ("FB", range(17)), ("FEB", range(17, 27)), ("FN", range(27, 36)), ("FE", range(36, 48)),
        ("FLO", range(48, 60)), ("FLI", range(60, 68)), ("FP", range(68, 70)),
    )
    for i in span
)  # fmt: skip
OPENPOSE_HAND_POINTS = (
    "BASE", "T_STT", "T_BCMC", "T_MCP", "T_IP", "I_CMC", "I_MCP", "I_PIP", "I_DIP", "M_CMC", "M_MCP", "M_PIP",
    "M_DIP", "R_CMC", "R_MCP", "R_PIP", "R_DIP", "P_CMC", "P_MCP", "P_PIP", "P_DIP",
)  # fmt: skip
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
    """One component of a layout: its name, point names, and the other names it and its points go by.

    `points` are the names this package writes; each scheme in `point_schemes` names the same points, in the
    same order, as some other writer does.
    """

    name: str
    points: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    point_schemes: tuple[tuple[str, ...], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def point_index(self, points: Sequence[str]) -> np.ndarray | None:
        """Position in `points` of each of this component's points, if `points` is one of its naming schemes."""
        for scheme in (self.points, *self.point_schemes):
            if len(points) == len(scheme) and set(points) == set(scheme):
                position = {point: i for i, point in enumerate(points)}
                return np.array([position[point] for point in scheme], dtype=np.int64)
        return None


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

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(component.points) for component in self.components)

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
        """Index into a header's keypoints that puts them in this layout's order, or None if they do not fit.

        `header_components` is a list of (component name, point names) in the header's order. They fit when
        every component is recognised by name with the right size (in any order), or when the sizes match
        this layout's in stored order and no recognised name, of a component or of its points, says otherwise.
        """
        if len(header_components) != len(self.components):
            return None
        order = self._order_by_name(header_components)
        if order is None:
            if tuple(len(points) for _, points in header_components) != self.sizes:
                return None
            order = list(range(len(self.components)))
        offsets = np.cumsum([0, *(len(points) for _, points in header_components)])
        index = []
        for component, position in zip(self.components, order, strict=True):
            name, points = header_components[position]
            if self._claimed_elsewhere(component, name, points):
                return None
            within = component.point_index(points)
            index.append(offsets[position] + (np.arange(len(points)) if within is None else within))
        return np.concatenate(index).astype(np.int64)

    def _order_by_name(self, header_components: Sequence[tuple[str, Sequence[str]]]) -> list[int] | None:
        """Header position of each component when every header component is recognised by name and size."""
        positions = {name: i for i, (name, _) in enumerate(header_components)}
        order = []
        for component in self.components:
            found = [positions[name] for name in component.names if name in positions]
            if len(found) != 1 or len(header_components[found[0]][1]) != len(component.points):
                return None
            order.append(found[0])
        return order if len(set(order)) == len(order) else None

    def _claimed_elsewhere(self, component: Component, name: str, points: Sequence[str]) -> bool:
        """Whether a header component placed at `component` carries the name or point names of another one."""
        others = [other for other in self.components if other is not component]
        if name not in component.names and any(name in other.names for other in others):
            return True
        return component.point_index(points) is None and any(
            other.point_index(points) is not None for other in others
        )


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


COCO_WHOLEBODY = "coco_wholebody_133"


def _coco_wholebody_layout() -> Layout:
    components = (
        Component("BODY", COCO_BODY_POINTS, ("BODY_133",)),
        Component("FACE", COCO_FACE_POINTS, ("FACE_133",), (tuple(f"face_{i}" for i in range(68)),)),
        Component(
            "LEFT_HAND", COCO_HAND_POINTS, ("LEFT_HAND_133",), (tuple(f"left_hand_{i}" for i in range(21)),)
        ),
        Component(
            "RIGHT_HAND",
            COCO_HAND_POINTS,
            ("RIGHT_HAND_133",),
            (tuple(f"right_hand_{i}" for i in range(21)),),
        ),
    )
    body = ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow")
    canonical = _canonical_points(
        [("BODY", point) for point in (*body, "left_wrist", "right_wrist")],
        [("LEFT_HAND", point) for point in COCO_HAND_POINTS],
        [("RIGHT_HAND", point) for point in COCO_HAND_POINTS],
        [("FACE", COCO_FACE_POINTS[i]) for i in IBUG_MOUTH],
        [("FACE", COCO_FACE_POINTS[i]) for i in IBUG_FACE],
    )
    return Layout(COCO_WHOLEBODY, components, canonical, "XYC")


def _openpose_layout() -> Layout:
    body, face, left_hand, right_hand = (
        "pose_keypoints_2d", "face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
    )  # fmt: skip
    components = (
        Component(body, OPENPOSE_BODY_POINTS),
        Component(face, OPENPOSE_FACE_POINTS),
        Component(left_hand, OPENPOSE_HAND_POINTS),
        Component(right_hand, OPENPOSE_HAND_POINTS),
    )
    canonical = _canonical_points(
        [(body, point) for point in ("Nose", "LEar", "REar", "LShoulder", "RShoulder", "LElbow", "RElbow")]
        + [(body, "LWrist"), (body, "RWrist")],
        [(left_hand, point) for point in OPENPOSE_HAND_POINTS],
        [(right_hand, point) for point in OPENPOSE_HAND_POINTS],
        [(face, OPENPOSE_FACE_POINTS[i]) for i in IBUG_MOUTH],
        [(face, OPENPOSE_FACE_POINTS[i]) for i in IBUG_FACE],
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


def mediapipe_543_order(xy: np.ndarray) -> np.ndarray | None:
    """Index putting (T, 543, 2) MediaPipe holistic points into Kaggle's order, or None if the points do not tell.

    The orders are told apart by structure: the 468-point face mesh spans a much smaller box than the 33 body
    points (shoulders, elbows, hips). In each frame, each order's face block and body block are measured; the
    order whose face block is the smaller one (median ratio below `FACE_TO_BODY_MAX`) in the frames where both
    are detected wins, and only if the other order's ratio is not below it as well.
    """
    pose_format = np.r_[33:501, 501:522, 0:33, 522:543]  # pose-format's (pose, face, left, right) → Kaggle's
    kaggle = np.arange(MEDIAPIPE_543)
    ratios = [_face_to_body(xy[:, order]) for order in (kaggle, pose_format)]
    fits = [ratio is not None and ratio < FACE_TO_BODY_MAX for ratio in ratios]
    if fits.count(True) != 1:
        return None
    return kaggle if fits[0] else pose_format


def _face_to_body(xy: np.ndarray) -> float | None:
    """Median over frames of the face block's extent over the body block's, in Kaggle's order."""
    face, body = xy[:, :468], xy[:, 489:522]
    ratios = []
    for face_points, body_points in zip(face, body, strict=True):
        face_points = face_points[np.isfinite(face_points).all(-1) & (face_points != 0).any(-1)]
        body_points = body_points[np.isfinite(body_points).all(-1) & (body_points != 0).any(-1)]
        if len(face_points) < 10 or len(body_points) < 5:
            continue
        body_extent = float(np.ptp(body_points, axis=0).max())
        if body_extent > 0:
            ratios.append(float(np.ptp(face_points, axis=0).max()) / body_extent)
    return float(np.median(ratios)) if ratios else None


def to_canonical(array: np.ndarray, layout: str) -> np.ndarray:
    """Map (T, K, 3) x, y, confidence in `layout` onto the canonical (T, 77, 3) float32 skeleton.

    Slots the layout lacks, and joints with confidence 0, get x = y = confidence = 0.
    """
    spec = get_layout(layout)
    array = _checked(array, spec)
    index = spec.canonical_index
    canonical = np.where((index >= 0)[None, :, None], array[:, np.maximum(index, 0)], 0.0).astype(np.float32)
    canonical[canonical[..., 2] <= 0] = 0.0
    return canonical


def processor_input(array: np.ndarray, layout: str, pose_normalization: str = "shoulder") -> np.ndarray:
    """A stored (T, K, 3) pose in `layout` as `HALIProcessor` with `pose_normalization` takes it.

    ``"uni_sign"`` (the cosign tower) keeps a COCO-WholeBody 133 pose whole, since Uni-Sign's points include the
    inner lips that the canonical skeleton lacks (joints with confidence 0 get x = y = 0); everything else is
    mapped onto the canonical skeleton (`to_canonical`)."""
    if pose_normalization != "uni_sign" or layout != COCO_WHOLEBODY:
        return to_canonical(array, layout)
    points = _checked(array, get_layout(layout)).copy()
    points[points[..., 2] <= 0] = 0.0
    return points


def _checked(array: np.ndarray, spec: Layout) -> np.ndarray:
    """`array` as float32 after checking it is a finite (T, K, 3) pose of `spec`."""
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 3 or array.shape[1:] != (spec.num_keypoints, 3):
        raise ValueError(
            f"pose array has shape {array.shape}; expected (frames, {spec.num_keypoints}, 3) for layout {spec.name}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"pose array for layout {spec.name} has NaN or infinite values")
    return array

"""Layouts, layout detection and the canonical 77-point mapping of `lexsign_hf.pose`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions
from pose_format.utils.alphapose_133 import get_alphapose_133_components
from pose_format.utils.cocowholebody133_header import cocowholebody_components
from pose_format.utils.generic import reduce_holistic
from pose_format.utils.openpose import OpenPose_Components

from lexsign_hf.cli import main
from lexsign_hf.pose import (
    CANONICAL_PARTS,
    CANONICAL_SLICES,
    LAYOUTS,
    NUM_CANONICAL_KEYPOINTS,
    detect_layout,
    read_pose,
    to_canonical,
)
from lexsign_hf.pose.layouts import REDUCED_FACE_POINTS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
POSE_SAMPLES = SHARED / "pose-samples"

FULL_PARTS = {"body": 9, "left_hand": 21, "right_hand": 21, "mouth": 8, "face": 18}
BODY, LEFT_HAND, RIGHT_HAND, MOUTH, FACE = (CANONICAL_SLICES[name] for name in CANONICAL_PARTS)
LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_WRIST = 3, 4, 7  # canonical body slots


def encoded(layout: str, frames: int = 2) -> np.ndarray:
    """(T, K, 3) array whose x is the stored keypoint index, y = x + 0.5, confidence 1."""
    index = np.arange(LAYOUTS[layout].num_keypoints, dtype=np.float32)
    array = np.stack([index, index + 0.5, np.ones_like(index)], axis=-1)
    return np.repeat(array[None], frames, axis=0)


def test_canonical_parts_contract():
    assert list(CANONICAL_PARTS.items()) == list(FULL_PARTS.items())
    assert NUM_CANONICAL_KEYPOINTS == 77
    assert CANONICAL_SLICES["body"] == slice(0, 9) and CANONICAL_SLICES["face"] == slice(59, 77)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_detected_from_keypoint_count(name):
    layout = LAYOUTS[name]
    assert layout.num_keypoints == int(name.rsplit("_", 1)[1])
    assert detect_layout(layout.num_keypoints) == name
    assert (layout.canonical_index < layout.num_keypoints).all()


def test_part_counts():
    for name, layout in LAYOUTS.items():
        expected = FULL_PARTS if name != "holistic_reduced_178" else {**FULL_PARTS, "body": 6, "face": 15}
        assert layout.part_counts == expected, name


@pytest.mark.parametrize(
    "components, expected",
    [
        (cocowholebody_components(), "coco_wholebody_133"),
        (get_alphapose_133_components(), "coco_wholebody_133"),
        (OpenPose_Components, "openpose_137"),
    ],
)
def test_layout_detected_from_pose_format_header(components, expected):
    header = PoseHeader(0.2, PoseHeaderDimensions(1, 1), components)
    assert detect_layout(header.total_points(), header) == expected


def test_unknown_layouts_are_rejected():
    with pytest.raises(ValueError, match="100 keypoints"):
        detect_layout(100)
    header = PoseHeader(0.2, PoseHeaderDimensions(1, 1), OpenPose_Components[:2])
    with pytest.raises(ValueError, match="pose_keypoints_2d"):
        detect_layout(header.total_points(), header)


# (layout, stored index of: nose, left wrist, left-hand wrist, right-hand wrist, mouth left corner, chin)
SOURCES = [
    ("coco_wholebody_133", 0, 9, 91, 112, 23 + 54, 23 + 8),
    ("openpose_137", 0, 7, 95, 116, 25 + 54, 25 + 8),
    (
        "holistic_reduced_178",
        -1,
        4,
        136,
        157,
        8 + REDUCED_FACE_POINTS.index("291"),
        8 + REDUCED_FACE_POINTS.index("152"),
    ),
    ("mediapipe_holistic_543", 489, 489 + 15, 468, 522, 291, 152),
    ("mediapipe_holistic_576", 0, 15, 501, 522, 33 + 291, 33 + 152),
    ("mediapipe_holistic_586", 0, 15, 511, 532, 33 + 291, 33 + 152),
]


@pytest.mark.parametrize("layout, nose, left_wrist, left_hand, right_hand, mouth_left, chin", SOURCES)
def test_to_canonical_takes_the_right_keypoints(
    layout, nose, left_wrist, left_hand, right_hand, mouth_left, chin
):
    canonical = to_canonical(encoded(layout), layout)
    assert canonical.shape == (2, 77, 3) and canonical.dtype == np.float32
    taken = {0: nose, LEFT_WRIST: left_wrist, LEFT_HAND.start: left_hand, RIGHT_HAND.start: right_hand}
    taken |= {MOUTH.start: mouth_left, FACE.start + 4: chin}
    for slot, stored in taken.items():
        if stored < 0:
            np.testing.assert_array_equal(canonical[:, slot], 0.0)
        else:
            np.testing.assert_array_equal(canonical[:, slot], [[stored, stored + 0.5, 1.0]] * 2)
    present = LAYOUTS[layout].canonical_index >= 0
    np.testing.assert_array_equal(canonical[:, present, 2], 1.0)
    np.testing.assert_array_equal(canonical[:, ~present], 0.0)


def test_zero_confidence_joints_are_zeroed():
    array = encoded("coco_wholebody_133")
    array[:, 112:133, 2] = 0.0  # right hand not detected
    canonical = to_canonical(array, "coco_wholebody_133")
    np.testing.assert_array_equal(canonical[:, RIGHT_HAND], 0.0)
    assert (canonical[:, LEFT_HAND, 2] == 1.0).all()


def test_to_canonical_rejects_bad_arrays():
    with pytest.raises(ValueError, match=r"\(frames, 133, 3\)"):
        to_canonical(np.zeros((2, 137, 3)), "coco_wholebody_133")
    array = encoded("openpose_137")
    array[1, 5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        to_canonical(array, "openpose_137")
    with pytest.raises(ValueError, match="unknown pose layout"):
        to_canonical(array, "openpose_25")


def _mean_xy(canonical: np.ndarray, slot: int) -> np.ndarray:
    visible = canonical[:, slot, 2] > 0
    assert visible.any()
    return canonical[visible, slot, :2].mean(axis=0)


@pytest.mark.parametrize(
    "relative_path",
    [
        "pose-format-tests/openpose.pose",
        "pose-format-tests/js_viewer_example_holistic.pose",
        "pose-format-tests/hand_estimation_84322c38ff23406f222641da30d0a49b.pose",
        "spoken-to-signed-dummy-lexicon-dsgs/essen.pose",
    ],
)
def test_canonical_sides_agree_with_the_body_on_real_signers(relative_path):
    """Signers face the camera: their anatomical left is on the image right, for body, mouth, jaw and brows."""
    path = POSE_SAMPLES / relative_path
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    canonical = read_pose(path).canonical()

    def x(slot: int) -> float:
        return _mean_xy(canonical, slot)[0]

    assert x(LEFT_SHOULDER) > x(RIGHT_SHOULDER)
    assert x(MOUTH.start) > x(MOUTH.start + 2) > x(MOUTH.start + 4)  # left corner, upper mid, right corner
    assert x(FACE.start) > x(FACE.start + 4) > x(FACE.start + 8)  # jaw from the left side to the right side
    assert x(FACE.start + 9) > x(FACE.start + 12)  # left brow outer point right of the right brow outer point
    mouth_y = _mean_xy(canonical, MOUTH.start + 6)[1]  # lower-lip middle
    assert (
        _mean_xy(canonical, MOUTH.start + 2)[1] < mouth_y < _mean_xy(canonical, FACE.start + 4)[1]
    )  # chin below


def test_pose_format_reductions_keep_the_canonical_keypoints(tmp_path):
    """pose-format's own `get_components` (543, pose-format order) and `reduce_holistic` (178) of a real 576 file."""
    path = POSE_SAMPLES / "pose-format-tests/js_viewer_example_holistic.pose"
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    full = Pose.read(path.read_bytes())
    without_world = full.get_components(
        ["POSE_LANDMARKS", "FACE_LANDMARKS", "LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS"]
    )
    reference = read_pose(path).canonical()
    for pose, layout in (
        (without_world, "mediapipe_holistic_543"),
        (reduce_holistic(full), "holistic_reduced_178"),
    ):
        with open(tmp_path / f"{layout}.pose", "wb") as file:
            pose.write(file)
        sequence = read_pose(tmp_path / f"{layout}.pose")
        assert sequence.layout == layout
        present = LAYOUTS[layout].canonical_index >= 0
        np.testing.assert_array_equal(sequence.canonical()[:, present], reference[:, present])


# ---- COCO-WholeBody in every naming scheme pose-format has used ---------------------------------------------------

# COCO-WholeBody body and feet points by their OpenPose BODY_25 names (the same anatomical joints).
BODY25_FOR_COCO = (
    "Nose", "LEye", "REye", "LEar", "REar", "LShoulder", "RShoulder", "LElbow", "RElbow", "LWrist", "RWrist", "LHip",
    "RHip", "LKnee", "RKnee", "LAnkle", "RAnkle", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)  # fmt: skip
COCO_BODY = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel",
]  # fmt: skip
COCO_SCHEMES = {
    # pose-format 0.15 `cocowholebody133_header`: generic hand names, the side in the component name
    "hand_i": (
        ("BODY", "FACE", "LEFT_HAND", "RIGHT_HAND"),
        [f"face-{i}" for i in range(68)],
        "hand_{}",
        "hand_{}",
    ),
    # pose-format's AlphaPose-133 / later headers: per-side hand names, `face_i`, `_133` component names
    "left_hand_i": (
        ("BODY_133", "FACE_133", "LEFT_HAND_133", "RIGHT_HAND_133"),
        [f"face_{i}" for i in range(68)],
        "left_hand_{}",
        "right_hand_{}",
    ),
    # a writer this package has never seen: structure alone
    "unknown": (("b", "f", "l", "r"), [f"p{i}" for i in range(68)], "l{}", "r{}"),
}


def coco_from_real_openpose(scheme: str) -> Pose:
    """The real OpenPose sample rearranged as a COCO-WholeBody 133 file: the same joints, renamed per `scheme`."""
    path = POSE_SAMPLES / "pose-format-tests/openpose.pose"
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    source = Pose.read(path.read_bytes())
    names, face, left, right = COCO_SCHEMES[scheme]
    body25 = source.header.components[0].points
    index = [body25.index(point) for point in BODY25_FOR_COCO]
    index += [25 + i for i in range(68)] + [95 + i for i in range(21)] + [116 + i for i in range(21)]
    points = (COCO_BODY, face, [left.format(i) for i in range(21)], [right.format(i) for i in range(21)])
    components = [
        PoseHeaderComponent(n, list(p), [], [(0, 0, 0)], "XYC") for n, p in zip(names, points, strict=True)
    ]
    header = PoseHeader(0.2, source.header.dimensions, components)
    body = NumPyPoseBody(source.body.fps, source.body.data[:, :, index], source.body.confidence[:, :, index])
    return Pose(header, body)


@pytest.mark.parametrize("scheme", sorted(COCO_SCHEMES))
def test_coco_wholebody_read_in_every_naming_scheme(tmp_path, scheme, capsys):
    pose = coco_from_real_openpose(scheme)
    path = tmp_path / f"{scheme}.pose"
    with path.open("wb") as file:
        pose.write(file)
    sequence = read_pose(path)
    assert sequence.layout == "coco_wholebody_133" and sequence.num_frames == 93
    # the same joints as pose-format's own OpenPose file, so the same canonical skeleton
    reference = read_pose(POSE_SAMPLES / "pose-format-tests/openpose.pose").canonical()
    np.testing.assert_array_equal(sequence.canonical(), reference)
    assert main(["pose", "info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["layout"], info["frames"], info["keypoints"]) == ("coco_wholebody_133", 93, 133)


def test_coco_wholebody_components_found_by_name_in_any_order(tmp_path):
    pose = coco_from_real_openpose("left_hand_i")
    header = pose.header
    reordered = [header.components[i] for i in (3, 0, 2, 1)]  # right hand, body, left hand, face
    offsets = np.cumsum([0, 23, 68, 21, 21])
    index = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in (3, 0, 2, 1)])
    data = NumPyPoseBody(pose.body.fps, pose.body.data[:, :, index], pose.body.confidence[:, :, index])
    path = tmp_path / "reordered.pose"
    with path.open("wb") as file:
        Pose(PoseHeader(0.2, header.dimensions, reordered), data).write(file)
    np.testing.assert_array_equal(
        read_pose(path).canonical(), to_canonical(_stored(pose), "coco_wholebody_133")
    )


def test_names_that_contradict_the_structure_are_rejected(tmp_path):
    """Left-hand point names where the right hand belongs: the structure fits, the names say otherwise."""
    pose = coco_from_real_openpose("unknown")
    left = [f"left_hand_{i}" for i in range(21)]
    pose.header.components[3] = PoseHeaderComponent("r", left, [], [(0, 0, 0)], "XYC")
    with pytest.raises(ValueError, match=r"unknown pose layout: header components \[b \(23\)"):
        detect_layout(pose.header.total_points(), pose.header)


def _stored(pose: Pose) -> np.ndarray:
    data = np.ma.getdata(pose.body.data[:, 0, :, :2])
    confidence = np.where(np.ma.getmaskarray(pose.body.data[:, 0]).any(-1), 0.0, pose.body.confidence[:, 0])
    return np.concatenate([np.where(confidence[..., None] > 0, data, 0.0), confidence[..., None]], axis=-1)

"""Reading every supported keypoint format, the `.pose` writer and `lexsign pose info`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderDimensions
from pose_format.utils.cocowholebody133_header import cocowholebody_components
from pose_format.utils.generic import detect_known_pose_format

from lexsign_hf.cli import main
from lexsign_hf.pose import CANONICAL_SLICES, LAYOUTS, read_pose, write_pose_file

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
POSE_SAMPLES = SHARED / "pose-samples"
REAL_FILES = sorted(POSE_SAMPLES.rglob("*.pose"))
LEFT_HAND, RIGHT_HAND = CANONICAL_SLICES["left_hand"], CANONICAL_SLICES["right_hand"]
LEFT_SHOULDER, LEFT_WRIST = 3, 7

# Facts from SOURCE.txt in the pose-samples folder: (layout, frames, fps).
DOCUMENTED = {
    "openpose.pose": ("openpose_137", 93, 24.0),
    "mediapipe.pose": ("holistic_reduced_178", 170, 24.0),
    "js_viewer_example_holistic.pose": ("mediapipe_holistic_576", 97, 25.0),
    "essen.pose": ("holistic_reduced_178", 73, 24.0),
    "kinder.pose": ("holistic_reduced_178", 45, 24.0),
    "kleine.pose": ("holistic_reduced_178", 68, 25.0),
    "pizza.pose": ("holistic_reduced_178", 53, 24.0),
}
REDUCED_PARTS = {"body": 6, "left_hand": 21, "right_hand": 21, "mouth": 8, "face": 15}
FULL_PARTS = {"body": 9, "left_hand": 21, "right_hand": 21, "mouth": 8, "face": 18}

needs_samples = pytest.mark.skipif(
    not REAL_FILES, reason=f"shared pose samples not available at {POSE_SAMPLES}"
)


def synthetic(layout: str, frames: int = 3, seed: int = 0) -> np.ndarray:
    """(T, K, 3) random x, y in pixels with confidence in (0.1, 1], left hand missing in frame 0 (a 543-point face
    mesh packed into a small box, as a real one is, so that its order can be told)."""
    rng = np.random.default_rng(seed)
    count = LAYOUTS[layout].num_keypoints
    data = np.concatenate(
        [rng.uniform(1, 640, (frames, count, 2)), rng.uniform(0.1, 1, (frames, count, 1))], -1
    )
    if layout == "mediapipe_holistic_543":  # a face mesh spans a small part of the body's box
        data[:, :468, :2] = 300 + data[:, :468, :2] / 10
    data[0, LAYOUTS[layout].canonical_index[LEFT_HAND]] = 0.0
    return data.astype(np.float32)


# ---- real .pose files -------------------------------------------------------------------------------------


def test_all_real_samples_are_present():
    if not POSE_SAMPLES.exists():
        pytest.skip(f"shared data not available: {POSE_SAMPLES}")
    assert {path.name for path in REAL_FILES} >= set(DOCUMENTED)
    assert len(REAL_FILES) == 12


@needs_samples
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_real_pose_files_load(path):
    sequence = read_pose(path)
    raw = Pose.read(path.read_bytes())
    if path.name in DOCUMENTED:
        layout, frames, fps = DOCUMENTED[path.name]
    else:  # hand_estimation_*: MediaPipe holistic with world landmarks, 468 or 478 face points
        face = next(len(c.points) for c in raw.header.components if c.name == "FACE_LANDMARKS")
        layout, frames, fps = (
            f"mediapipe_holistic_{33 + face + 42 + 33}",
            raw.body.data.shape[0],
            raw.body.fps,
        )
    assert (sequence.layout, sequence.num_frames) == (layout, frames)
    assert sequence.fps == pytest.approx(fps)
    assert sequence.data.shape == (frames, raw.header.total_points(), 3) and sequence.data.dtype == np.float32
    canonical = sequence.canonical()
    assert canonical.shape == (frames, 77, 3) and canonical.dtype == np.float32
    assert np.isfinite(canonical).all() and (canonical[..., 2] >= 0).all()
    assert (canonical[:, :, :2][canonical[..., 2] == 0] == 0).all()
    present = LAYOUTS[layout].canonical_index >= 0
    assert (canonical[:, ~present] == 0).all()
    seen = (canonical[..., 2] > 0).any(axis=0)
    for part in ("body", "mouth", "face"):  # hands may be absent for a whole clip
        assert seen[CANONICAL_SLICES[part]].sum() == LAYOUTS[layout].part_counts[part]


@needs_samples
@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.name)
def test_missing_hands_have_zero_confidence(path):
    """A hand pose-format stores as masked / zero-confidence in a frame has canonical confidence 0 there."""
    raw = Pose.read(path.read_bytes())
    names = [c.name for c in raw.header.components]
    offsets = np.cumsum([0] + [len(c.points) for c in raw.header.components])
    canonical = read_pose(path).canonical()
    for hand, part in (("LEFT", LEFT_HAND), ("RIGHT", RIGHT_HAND)):
        name = next(n for n in names if n.upper().startswith((f"{hand}_HAND", f"HAND_{hand}")))
        start = offsets[names.index(name)]
        confidence = np.where(np.ma.getmaskarray(raw.body.data[:, 0, start : start + 21]).any(-1), 0, 1)
        confidence = confidence * raw.body.confidence[:, 0, start : start + 21]
        missing = (confidence == 0).all(axis=1)
        assert (canonical[missing, part, 2] == 0).all()
        assert (canonical[~missing, part, 2] > 0).any(axis=1).all()


@needs_samples
def test_known_missing_hands_in_real_files():
    sequence = read_pose(
        POSE_SAMPLES / "pose-format-tests/hand_estimation_0ff215ef4f1f111e217e2cefee0adc77.pose"
    )
    canonical = sequence.canonical()
    assert (canonical[:, LEFT_HAND, 2] == 0).all()  # only the right hand signs in this clip
    assert (canonical[:, RIGHT_HAND, 2] > 0).any(axis=1).sum() > 90


# ---- numpy ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_numpy_arrays_in_every_layout(tmp_path, layout):
    data = synthetic(layout)
    path = tmp_path / f"{layout}.npy"
    if LAYOUTS[layout].point_format == "XYZC":  # MediaPipe arrays: x, y, z, confidence
        z = np.full_like(data[..., :1], 0.25)
        np.save(
            path, np.concatenate([data[..., :2], z, data[..., 2:]], axis=-1)[:, None]
        )  # (T, people, K, C)
    else:
        np.save(path, data)
    sequence = read_pose(path, default_fps=30.0)
    assert (sequence.layout, sequence.fps, sequence.source) == (layout, 30.0, str(path))
    np.testing.assert_allclose(sequence.data, data)
    canonical = sequence.canonical()
    index = LAYOUTS[layout].canonical_index
    np.testing.assert_allclose(canonical[1, LEFT_WRIST], data[1, index[LEFT_WRIST]])
    assert (canonical[0, LEFT_HAND] == 0).all() and (canonical[1, LEFT_HAND, 2] > 0).all()


def test_numpy_channel_conventions(tmp_path):
    xyz = synthetic("mediapipe_holistic_543")
    xyz[..., 2] = -0.05  # MediaPipe depth, not a confidence
    xyz[2, 10] = 0.0
    np.save(tmp_path / "kaggle.npy", xyz)
    sequence = read_pose(tmp_path / "kaggle.npy")
    assert sequence.data[0, 0, 2] == 1.0 and sequence.data[2, 10, 2] == 0.0  # (0, 0) = not detected
    xy = synthetic("openpose_137")[..., :2]
    np.save(tmp_path / "xy.npy", xy)
    confidence = read_pose(tmp_path / "xy.npy").data[..., 2]
    left_hand = LAYOUTS["openpose_137"].canonical_index[LEFT_HAND]
    assert (confidence[0, left_hand] == 0).all() and (np.delete(confidence[0], left_hand) == 1).all()
    assert (confidence[1:] == 1).all()


def test_npz_with_confidence_fps_and_layout(tmp_path):
    data = synthetic("coco_wholebody_133")
    path = tmp_path / "clip.npz"
    np.savez(
        path,
        keypoints=data[..., :2],
        confidence=data[..., 2],
        fps=np.float32(12.5),
        layout="coco_wholebody_133",
    )
    sequence = read_pose(path)
    assert (sequence.layout, sequence.fps) == ("coco_wholebody_133", 12.5)
    np.testing.assert_allclose(sequence.data, data)
    np.savez(path, keypoints=data, layout="openpose_137")
    with pytest.raises(ValueError, match=r"clip\.npz.*'layout'"):
        read_pose(path)
    np.savez(path, other=data)
    with pytest.raises(ValueError, match=r"clip\.npz.*no keypoint array"):
        read_pose(path)


def test_numpy_never_unpickles(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"keypoints": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"objects\.npy.*not a readable numpy file"):
        read_pose(path)


# ---- Kaggle parquet -------------------------------------------------------------------------------------------

KAGGLE_SIZES = {"face": 468, "left_hand": 21, "pose": 33, "right_hand": 21}


def kaggle_frame(frame: int, rng: np.random.Generator, hands: bool) -> pd.DataFrame:
    rows = [(frame, kind, i) for kind, count in KAGGLE_SIZES.items() for i in range(count)]
    table = pd.DataFrame(rows, columns=["frame", "type", "landmark_index"])
    table.insert(0, "row_id", [f"{frame}-{kind}-{i}" for _, kind, i in rows])
    table[["x", "y", "z"]] = rng.uniform(0, 1, (len(rows), 3))
    if not hands:  # MediaPipe's missing hand: NaN rows
        table.loc[table["type"] == "right_hand", ["x", "y", "z"]] = np.nan
    return table


def test_kaggle_parquet(tmp_path):
    rng = np.random.default_rng(1)
    table = pd.concat(
        [kaggle_frame(20, rng, hands=True), kaggle_frame(21, rng, hands=False)], ignore_index=True
    )
    path = tmp_path / "1000035562.parquet"
    table.sample(frac=1.0, random_state=0).to_parquet(path)  # row order must not matter
    sequence = read_pose(path)
    assert (sequence.layout, sequence.num_frames, sequence.data.shape[1]) == (
        "mediapipe_holistic_543",
        2,
        543,
    )
    canonical = sequence.canonical()
    shoulder = table.query("frame == 21 and type == 'pose' and landmark_index == 11")[["x", "y"]].to_numpy()[
        0
    ]
    np.testing.assert_allclose(canonical[1, LEFT_SHOULDER], [*shoulder, 1.0], rtol=1e-6)
    assert (canonical[0, RIGHT_HAND, 2] == 1).all() and (canonical[1, RIGHT_HAND] == 0).all()

    table.loc[0, "type"] = "hand"
    table.to_parquet(path)
    with pytest.raises(ValueError, match=r"1000035562\.parquet.*'type'.*hand"):
        read_pose(path)
    table.drop(columns=["landmark_index"]).to_parquet(path)
    with pytest.raises(ValueError, match=r"missing column.*landmark_index"):
        read_pose(path)


# ---- OpenPose / MMPose / COCO-WholeBody JSON ------------------------------------------------------------------


def openpose_person(rng: np.random.Generator, left_hand: bool = True) -> dict:
    def flat(count: int) -> list[float]:
        return np.column_stack([rng.uniform(1, 500, (count, 2)), rng.uniform(0.2, 1, count)]).ravel().tolist()

    return {
        "person_id": [-1],
        "pose_keypoints_2d": flat(25),
        "face_keypoints_2d": flat(70),
        "hand_left_keypoints_2d": flat(21) if left_hand else [0.0] * 63,
        "hand_right_keypoints_2d": flat(21),
    }


def test_openpose_json_folder(tmp_path):
    rng = np.random.default_rng(2)
    frames = [[openpose_person(rng)], [], [openpose_person(rng, left_hand=False), openpose_person(rng)]]
    for frame_id in (2, 0, 1):  # written out of order: read in frame order
        content = {"version": 1.3, "people": frames[frame_id]}
        (tmp_path / f"clip_{frame_id:012d}_keypoints.json").write_text(json.dumps(content))
    sequence = read_pose(tmp_path, default_fps=29.97)
    assert (sequence.layout, sequence.num_frames, sequence.fps) == ("openpose_137", 3, 29.97)
    canonical = sequence.canonical()
    wrist = frames[0][0]["pose_keypoints_2d"][7 * 3 : 7 * 3 + 3]  # BODY_25 LWrist
    np.testing.assert_allclose(canonical[0, LEFT_WRIST], wrist, rtol=1e-6)
    assert (canonical[1] == 0).all()  # nobody detected
    assert (canonical[2, LEFT_HAND] == 0).all() and (
        canonical[2, RIGHT_HAND, 2] > 0
    ).all()  # first person only
    single = read_pose(tmp_path / "clip_000000000000_keypoints.json")
    np.testing.assert_array_equal(single.data, sequence.data[:1])

    frames[0][0]["pose_keypoints_2d"] = frames[0][0]["pose_keypoints_2d"][:51]  # neither BODY_25 nor BODY_18
    (tmp_path / "clip_000000000000_keypoints.json").write_text(json.dumps({"people": frames[0]}))
    with pytest.raises(ValueError, match=r"clip_000000000000_keypoints\.json.*'pose_keypoints_2d'.*75"):
        read_pose(tmp_path)


def mmpose_instance(rng: np.random.Generator) -> dict:
    return {
        "keypoints": rng.uniform(1, 500, (133, 2)).tolist(),
        "keypoint_scores": rng.uniform(0.3, 1, 133).tolist(),
        "bbox": [[0.0, 0.0, 500.0, 500.0]],
        "bbox_score": 0.98,
    }


def test_mmpose_wholebody_json(tmp_path):
    rng = np.random.default_rng(3)
    frames = [
        {"frame_id": 0, "instances": [mmpose_instance(rng), mmpose_instance(rng)]},
        {"frame_id": 1, "instances": []},
        {"frame_id": 2, "instances": [mmpose_instance(rng)]},
    ]
    path = tmp_path / "results_clip.json"
    path.write_text(json.dumps(frames))
    sequence = read_pose(path)
    assert (sequence.layout, sequence.num_frames, sequence.data.shape[1]) == ("coco_wholebody_133", 3, 133)
    canonical = sequence.canonical()
    first = frames[0]["instances"][0]
    np.testing.assert_allclose(
        canonical[0, LEFT_WRIST], [*first["keypoints"][9], first["keypoint_scores"][9]], rtol=1e-6
    )
    np.testing.assert_allclose(
        canonical[2, LEFT_HAND.start, :2], frames[2]["instances"][0]["keypoints"][91], rtol=1e-6
    )
    assert (canonical[1] == 0).all()

    path.write_text(json.dumps({"meta_info": {}, "instance_info": frames}))  # MMPose demo-script layout
    np.testing.assert_array_equal(read_pose(path).data, sequence.data)


def test_coco_wholebody_annotation_json(tmp_path):
    rng = np.random.default_rng(4)

    def part(count: int) -> list[float]:
        return np.column_stack([rng.uniform(1, 500, (count, 2)), np.full(count, 2.0)]).ravel().tolist()

    annotations = [
        {"image_id": image, "keypoints": part(17), "foot_kpts": part(6), "face_kpts": part(68),
         "lefthand_kpts": part(21), "righthand_kpts": [0.0] * 63}
        for image in (7, 5)
    ]  # fmt: skip
    path = tmp_path / "coco_wholebody_val.json"
    path.write_text(json.dumps({"images": [], "annotations": annotations}))
    sequence = read_pose(path)
    assert (sequence.layout, sequence.num_frames) == ("coco_wholebody_133", 2)
    canonical = sequence.canonical()
    np.testing.assert_allclose(canonical[0, LEFT_SHOULDER, :2], annotations[1]["keypoints"][15:17], rtol=1e-6)
    assert (canonical[:, LEFT_HAND, 2] == 1).all() and (canonical[:, RIGHT_HAND] == 0).all()


# ---- writer ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_write_pose_file_round_trip(tmp_path, layout):
    data = synthetic(layout)
    path = write_pose_file(tmp_path / "signer.pose", data, layout, fps=25.0)
    raw = Pose.read(path.read_bytes())  # a real pose-format file that pose-format recognises
    expected_format = "coco_wholebody_133" if layout.startswith("coco") else layout.split("_")[0]
    expected_format = {"mediapipe": "holistic"}.get(expected_format, expected_format)
    assert detect_known_pose_format(raw) == expected_format
    if layout == "coco_wholebody_133":
        assert [c.name for c in raw.header.components] == [c.name for c in cocowholebody_components()]
    sequence = read_pose(path)
    assert (sequence.layout, sequence.fps, sequence.num_frames) == (layout, 25.0, 3)
    np.testing.assert_allclose(sequence.data, data)
    assert (sequence.canonical()[0, LEFT_HAND] == 0).all()
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_pose_file_rejects_bad_data(tmp_path):
    with pytest.raises(ValueError, match=r"\(frames > 0, 133, 3\)"):
        write_pose_file(tmp_path / "bad.pose", np.zeros((3, 137, 3)), "coco_wholebody_133", fps=25.0)
    data = synthetic("openpose_137")
    data[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        write_pose_file(tmp_path / "bad.pose", data, "openpose_137", fps=25.0)
    assert not (tmp_path / "bad.pose").exists()


# ---- bad input ---------------------------------------------------------------------------------------------------


@needs_samples
@pytest.mark.parametrize("keep", [0.5, 0.99, 0.01])
def test_truncated_pose_files_are_rejected(tmp_path, keep):
    for source in (POSE_SAMPLES / "spoken-to-signed-dummy-lexicon-dsgs/pizza.pose", REAL_FILES[0]):
        buffer = source.read_bytes()
        path = tmp_path / f"cut_{source.name}"
        path.write_bytes(buffer[: int(len(buffer) * keep)])
        with pytest.raises(ValueError, match=rf"cut_{source.name}.*(truncated|not a readable)"):
            read_pose(path)


def test_garbage_pose_file_is_rejected(tmp_path):
    path = tmp_path / "noise.pose"
    path.write_bytes(np.random.default_rng(5).bytes(4000))
    with pytest.raises(ValueError, match=r"noise\.pose"):
        read_pose(path)


def test_empty_sequences_are_rejected(tmp_path):
    header = PoseHeader(0.2, PoseHeaderDimensions(640, 480), cocowholebody_components())
    body = NumPyPoseBody(
        fps=25.0, data=np.zeros((0, 1, 133, 2), np.float32), confidence=np.zeros((0, 1, 133), np.float32)
    )
    with open(tmp_path / "empty.pose", "wb") as file:
        Pose(header, body).write(file)
    with pytest.raises(ValueError, match=r"empty\.pose.*'frames' is 0"):
        read_pose(tmp_path / "empty.pose")
    np.save(tmp_path / "empty.npy", np.zeros((0, 133, 3)))
    with pytest.raises(ValueError, match=r"empty\.npy.*'frames' is 0"):
        read_pose(tmp_path / "empty.npy")


def test_non_finite_coordinates_are_rejected(tmp_path):
    data = synthetic("mediapipe_holistic_576")
    data[1, 40, 1] = np.nan
    np.save(tmp_path / "nan.npy", data)
    with pytest.raises(ValueError, match=r"nan\.npy.*'keypoints'.*NaN.*frame 1, keypoint 40"):
        read_pose(tmp_path / "nan.npy")
    frames = [{"frame_id": 0, "instances": [mmpose_instance(np.random.default_rng(6))]}]
    frames[0]["instances"][0]["keypoint_scores"][3] = float("inf")
    (tmp_path / "inf.json").write_text(json.dumps(frames))
    with pytest.raises(ValueError, match=r"inf\.json.*'confidence'"):
        read_pose(tmp_path / "inf.json")


def test_unknown_layouts_and_files_are_rejected(tmp_path):
    np.save(tmp_path / "body25.npy", np.ones((4, 25, 3)))
    with pytest.raises(ValueError, match=r"body25\.npy.*unknown pose layout.*25 keypoints"):
        read_pose(tmp_path / "body25.npy")
    header = PoseHeader(0.2, PoseHeaderDimensions(640, 480), cocowholebody_components()[:2])
    body = NumPyPoseBody(
        fps=25.0, data=np.ones((2, 1, 91, 2), np.float32), confidence=np.ones((2, 1, 91), np.float32)
    )
    with open(tmp_path / "body_face.pose", "wb") as file:
        Pose(header, body).write(file)
    with pytest.raises(ValueError, match=r"body_face\.pose.*unknown pose layout.*BODY \(23\)"):
        read_pose(tmp_path / "body_face.pose")
    (tmp_path / "clip.mp4").write_bytes(b"\x00")
    with pytest.raises(ValueError, match=r"clip\.mp4.*unsupported"):
        read_pose(tmp_path / "clip.mp4")
    with pytest.raises(FileNotFoundError, match="missing.pose"):
        read_pose(tmp_path / "missing.pose")


# ---- CLI ---------------------------------------------------------------------------------------------------------


@needs_samples
def test_cli_pose_info_json(capsys):
    path = POSE_SAMPLES / "spoken-to-signed-dummy-lexicon-dsgs/essen.pose"
    assert main(["pose", "info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == {
        "layout": "holistic_reduced_178",
        "frames": 73,
        "keypoints": 178,
        "fps": 24.0,
        "frame_size": [640.0, 480.0],
        "parts": REDUCED_PARTS,
    }
    assert main(["pose", "info", str(POSE_SAMPLES / "pose-format-tests/openpose.pose")]) == 0
    assert "openpose_137" in capsys.readouterr().out


def test_cli_pose_info_on_written_file_and_errors(tmp_path, capsys):
    path = write_pose_file(
        tmp_path / "synthetic.pose",
        synthetic("mediapipe_holistic_586", frames=4),
        "mediapipe_holistic_586",
        30.0,
    )
    assert main(["pose", "info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == {
        "layout": "mediapipe_holistic_586",
        "frames": 4,
        "keypoints": 586,
        "fps": 30.0,
        "frame_size": [640.0, 640.0],
        "parts": FULL_PARTS,
    }
    (tmp_path / "broken.pose").write_bytes(b"\x01\x02")
    assert main(["pose", "info", str(tmp_path / "broken.pose")]) == 1
    assert "broken.pose" in capsys.readouterr().err

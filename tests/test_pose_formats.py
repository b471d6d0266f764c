"""Frame sizes in every format that carries one, `--frame-size` for the others, the 543-point order told by
structure, OpenPose folders with stray files and the BODY_18 model."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from pose_format import Pose

from lexsign_hf.cli import main
from lexsign_hf.data import pose_store
from lexsign_hf.data.build import build_lexsign
from lexsign_hf.pose import LAYOUTS, read_pose

MEDIAPIPE_576 = "hand_estimation_0ff215ef4f1f111e217e2cefee0adc77.pose"  # pose, face, hands, world landmarks


@pytest.fixture(scope="module")
def samples(shared_data):
    return shared_data / "pose-samples" / "pose-format-tests"


def _mmpose_frames(rng, frames=3):
    return [
        {
            "frame_id": t,
            "instances": [
                {"keypoints": rng.uniform(1, 300, (133, 2)).tolist(), "keypoint_scores": [0.9] * 133}
            ],
        }
        for t in range(frames)
    ]


def test_coco_images_and_mmpose_meta_give_the_frame_size(tmp_path):
    rng = np.random.default_rng(0)
    annotations = [
        {"image_id": image, "keypoints": rng.uniform(1, 300, 133 * 3).tolist(), "score": 0.9}
        for image in (1, 2)
    ]
    for annotation in annotations:
        annotation["keypoints"][2::3] = [0.8] * 133
    coco = {"images": [{"id": 1, "width": 320, "height": 240}, {"id": 2, "width": 320, "height": 240}]}
    (tmp_path / "coco.json").write_text(json.dumps({**coco, "annotations": annotations}))
    assert read_pose(tmp_path / "coco.json").frame_size == (320.0, 240.0)

    mmpose = {"meta_info": {"ori_shape": [240, 320]}, "instance_info": _mmpose_frames(rng)}
    (tmp_path / "mmpose.json").write_text(json.dumps(mmpose))
    assert read_pose(tmp_path / "mmpose.json").frame_size == (320.0, 240.0)

    coco["images"][1]["width"] = 640
    (tmp_path / "mixed.json").write_text(json.dumps({**coco, "annotations": annotations}))
    with pytest.raises(ValueError, match=r"mixed\.json: fields 'width' / 'height' differ between images"):
        read_pose(tmp_path / "mixed.json")

    (tmp_path / "plain.json").write_text(json.dumps(_mmpose_frames(rng)))
    assert read_pose(tmp_path / "plain.json").frame_size is None
    assert read_pose(tmp_path / "plain.json", frame_size=(320, 240)).frame_size == (320.0, 240.0)
    with pytest.raises(ValueError, match=r"plain\.json: field 'keypoints' has coordinates.*within 4 frames"):
        read_pose(tmp_path / "plain.json", frame_size=(20, 15))  # points up to 300 px: not this frame
    assert read_pose(tmp_path / "coco.json", frame_size=(1, 1)).frame_size == (320.0, 240.0)  # the file wins


def test_frame_size_flag_on_pose_info_and_data_build(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(1)
    folder = tmp_path / "poses"
    folder.mkdir()
    for video in ("v1", "v2"):
        (folder / f"{video}.json").write_text(json.dumps(_mmpose_frames(rng)))
    assert main(["pose", "info", str(folder / "v1.json"), "--frame-size", "320x240", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["frame_size"] == [320.0, 240.0]
    with pytest.raises(SystemExit):
        main(["pose", "info", str(folder / "v1.json"), "--frame-size", "320"])
    assert "expected WIDTHxHEIGHT" in capsys.readouterr().err

    index = tmp_path / "index.json"
    index.write_text(
        json.dumps(
            [
                {
                    "gloss": video,
                    "instances": [{"video_id": video, "split": "train", "signer_id": 1, "fps": 25}],
                }
                for video in ("v1", "v2")
            ]
        )
    )
    captured = {}

    def build(out, **kwargs):  # the CLI's wiring only; the build itself runs below
        captured.update(kwargs)
        return build_lexsign(out, **{**kwargs, "asl_spec": None, "islr_sizes": (2,), "progress": False})

    monkeypatch.setattr("lexsign_hf.data.build.build_lexsign", build)
    args = ["data", "build", "--wlasl", str(index), "--poses", str(folder), "--islr-sizes", "2"]
    assert main([*args, "--out", str(tmp_path / "out"), "--frame-size", "320x240"]) == 0
    assert captured["frame_size"] == (320.0, 240.0)
    rows = pose_store.load_video_config(tmp_path / "out", "wlasl2", split="train")
    assert set(rows["width"]) == {320.0} and set(rows["height"]) == {240.0}
    build_lexsign(
        tmp_path / "bare", wlasl=index, poses=folder, asl_spec=None, islr_sizes=(2,), progress=False
    )
    assert set(pose_store.load_video_config(tmp_path / "bare", "wlasl2", split="train")["width"]) == {None}


def _pose_format_543(path):
    """The first 543 points of a real MediaPipe .pose: pose-format's order (pose 33, face 468, left, right)."""
    pose = Pose.read(path.read_bytes())
    xy = np.ma.getdata(pose.body.data)[:, 0, :543, :2]
    confidence = pose.body.confidence[:, 0, :543]
    return np.where(confidence[..., None] > 0, xy, 0.0), confidence


def test_543_order_is_told_by_structure(tmp_path, samples):
    xy, confidence = _pose_format_543(samples / MEDIAPIPE_576)
    kaggle = np.r_[501 - 468 : 501, 501:522, 0:33, 522:543]  # face, left hand, pose, right hand
    reference = read_pose(samples / MEDIAPIPE_576).canonical()
    for name, order in (("pose_format", np.arange(543)), ("kaggle", kaggle)):
        depth = np.zeros_like(confidence[..., None])  # x, y, z, confidence: MediaPipe's four channels
        np.save(tmp_path / f"{name}.npy", np.concatenate([xy, depth, confidence[..., None]], -1)[:, order])
        sequence = read_pose(tmp_path / f"{name}.npy")
        assert sequence.layout == "mediapipe_holistic_543"
        np.testing.assert_allclose(
            sequence.canonical(), reference, atol=1e-4
        )  # hands are hands, whichever order
    shuffled = np.random.default_rng(0).uniform(1, 500, (5, 543, 3))
    np.save(tmp_path / "noise.npy", shuffled)
    with pytest.raises(
        ValueError, match=r"noise\.npy: 543 keypoints whose order .* expected an \.npz `layout`"
    ):
        read_pose(tmp_path / "noise.npy")
    np.savez(tmp_path / "named.npz", keypoints=shuffled, layout="mediapipe_holistic_543")
    assert read_pose(tmp_path / "named.npz").layout == "mediapipe_holistic_543"  # a stated layout is kept


def _openpose_frame(rng, body_points=25):
    def flat(count):
        return np.column_stack([rng.uniform(1, 500, (count, 2)), rng.uniform(0.2, 1, count)]).ravel().tolist()

    person = {
        "pose_keypoints_2d": flat(body_points),
        "face_keypoints_2d": flat(70),
        "hand_left_keypoints_2d": flat(21),
        "hand_right_keypoints_2d": flat(21),
    }
    return {"version": 1.3, "people": [person]}


def test_openpose_folder_ignores_other_files_and_reads_body_18(tmp_path):
    rng = np.random.default_rng(4)
    frames = [_openpose_frame(rng, body_points=18) for _ in range(3)]
    for index, frame in enumerate(frames):
        (tmp_path / f"clip_{index:012d}_keypoints.json").write_text(json.dumps(frame))
    (tmp_path / "extract_report.json").write_text(json.dumps({"videos": 1}))
    (tmp_path / "camera.json").write_text(json.dumps({"fx": 1000}))
    sequence = read_pose(tmp_path)
    assert (sequence.layout, sequence.num_frames) == ("openpose_137", 3)
    body = np.asarray(frames[1]["people"][0]["pose_keypoints_2d"]).reshape(18, 3)
    names = LAYOUTS["openpose_137"].components[0].points
    for coco_index, name in enumerate(("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow",
                                       "LWrist", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye",
                                       "LEye", "REar", "LEar")):  # fmt: skip
        np.testing.assert_allclose(sequence.data[1, names.index(name)], body[coco_index], rtol=1e-6)
    assert (sequence.data[:, names.index("MidHip")] == 0).all()  # BODY_18 has no mid-hip and no feet
    assert (sequence.data[:, names.index("LHeel")] == 0).all()

    folder = tmp_path / "dataset"
    shutil.copytree(tmp_path, folder / "v1", ignore=shutil.ignore_patterns("dataset"))
    ignored = []
    assert pose_store.find_pose_files(folder, ignored) == {"v1": folder / "v1"}

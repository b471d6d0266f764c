"""Malformed pose files made from the real ones in ../shared/data, one function per kind of damage.

Used by tests/test_pose_validate.py (a build over a folder of bad files) and tests/test_pose_fuzz.py.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader
from pose_format.utils.reader import BufferReader


def pose_body_offset(buffer: bytes) -> tuple[PoseHeader, int]:
    reader = BufferReader(buffer)
    header = PoseHeader.read(reader)
    return header, reader.read_offset


def write_pose(
    path: Path, header: PoseHeader, data: np.ndarray, confidence: np.ndarray, fps: float = 25.0
) -> Path:
    """A v0.2 `.pose` file (pose-format's writer) of (T, P, K, D) `data` and (T, P, K) `confidence`."""
    pose = Pose(header, NumPyPoseBody(fps, np.ma.masked_array(data), confidence))
    with path.open("wb") as file:
        pose.write(file)
    return path


def all_zero_pose(source: Path, path: Path) -> Path:
    """Every keypoint at (0, 0) with confidence 0: nobody was found."""
    pose = Pose.read(source.read_bytes())
    data = np.zeros_like(np.ma.getdata(pose.body.data))
    return write_pose(path, pose.header, data, np.zeros_like(pose.body.confidence))


def declared_frames_pose(source: Path, path: Path, frames: int, people: int | None = None) -> Path:
    """A v0.2 `.pose` whose body declares `frames` (and `people`) but keeps the original bytes."""
    pose = Pose.read(source.read_bytes())
    write_pose(path, pose.header, np.ma.getdata(pose.body.data), pose.body.confidence)
    buffer = bytearray(path.read_bytes())
    _, offset = pose_body_offset(bytes(buffer))
    struct.pack_into("<I", buffer, offset + 4, frames)
    if people is not None:
        struct.pack_into("<H", buffer, offset + 8, people)
    path.write_bytes(bytes(buffer))
    return path


def scaled_confidence_pose(source: Path, path: Path, factor: float) -> Path:
    pose = Pose.read(source.read_bytes())
    return write_pose(path, pose.header, np.ma.getdata(pose.body.data), pose.body.confidence * factor)


def huge_coordinate_pose(source: Path, path: Path, value: float = 1e38) -> Path:
    pose = Pose.read(source.read_bytes())
    data = np.ma.getdata(pose.body.data).copy()
    data[:, :, :5] = value
    return write_pose(path, pose.header, data, pose.body.confidence)


def float64_overflow_npy(source: Path, path: Path) -> Path:
    """A float64 array with 1e300 (inf once cast to float32) in a confident keypoint."""
    data = Pose.read(source.read_bytes()).body
    array = np.concatenate(
        [np.ma.getdata(data.data)[:, 0, :, :2], data.confidence[:, 0, :, None]], axis=-1
    ).astype(np.float64)
    array[1, 3, 0], array[1, 3, 2] = 1e300, 1.0
    np.save(path, array)
    return path


def empty_keypoints_npy(path: Path) -> Path:
    np.save(path, np.zeros((10, 0, 133, 3), dtype=np.float32))
    return path


def huge_npy_header(path: Path) -> Path:
    """A ~200-byte `.npy` whose header asks for 149 GiB."""
    with path.open("wb") as file:
        np.lib.format.write_array_header_1_0(
            file, {"descr": "<f4", "fortran_order": False, "shape": (100_000, 133 * 1000, 3)}
        )
        file.write(b"\0" * 64)
    return path


def openpose_null_person(path: Path) -> Path:
    path.write_text(json.dumps({"version": 1.3, "people": [None]}), encoding="utf-8")
    return path


def mmpose_without_keypoints(path: Path) -> Path:
    frames = [{"frame_id": 0, "instances": [{"keypoint_scores": [0.9] * 133, "bbox": [[0, 0, 10, 10]]}]}]
    path.write_text(json.dumps(frames), encoding="utf-8")
    return path

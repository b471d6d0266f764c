"""Malformed pose files made from the real ones in ../shared/data, one function per kind of damage.

Used by tests/test_pose_validate.py (a build over a folder of bad files) and tests/test_pose_fuzz.py.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import shutil
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


# ---- the fuzz corpus: every supported format, made from real recordings, then damaged in seeded ways ---------

POSE_SOURCES = (
    "spoken-to-signed-dummy-lexicon-dsgs/essen.pose",  # v0.1, reduced holistic 178
    "pose-format-tests/mediapipe.pose",  # v0.1
    "pose-format-tests/openpose.pose",  # v0.0, OpenPose 137
    "pose-format-tests/hand_estimation_6fb01565da31c5500d1ef2cd2906b06b.pose",  # v0.2, holistic 586
)


def source_files(samples: Path, folder: Path) -> list[Path]:
    """One or more files of every supported format, from the real `.pose` samples in ../shared/data."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name in POSE_SOURCES:
        target = folder / Path(name).name
        target.write_bytes((samples / name).read_bytes())
        files.append(target)
    openpose = Pose.read((samples / "pose-format-tests/openpose.pose").read_bytes())
    xy = np.ma.getdata(openpose.body.data)[:, 0, :, :2].astype(np.float64)
    confidence = np.clip(np.ma.getdata(openpose.body.confidence)[:, 0], 0, 1).astype(np.float64)
    width, height = openpose.header.dimensions.width, openpose.header.dimensions.height
    np.save(folder / "openpose.npy", np.concatenate([xy, confidence[..., None]], -1).astype(np.float32))
    np.savez(
        folder / "rtmlib.npz", keypoints=xy[:, :133], scores=confidence[:, :133], width=width, height=height
    )
    files += [folder / "openpose.npy", folder / "rtmlib.npz"]

    def person(t):
        flat = lambda part: np.column_stack([xy[t, part], confidence[t, part]]).ravel().tolist()  # noqa: E731
        return {
            "pose_keypoints_2d": flat(slice(0, 25)),
            "face_keypoints_2d": flat(slice(25, 95)),
            "hand_left_keypoints_2d": flat(slice(95, 116)),
            "hand_right_keypoints_2d": flat(slice(116, 137)),
        }

    (folder / "single_000000000000_keypoints.json").write_text(
        json.dumps({"version": 1.3, "people": [person(0)]})
    )
    frames = folder / "openpose_folder"
    frames.mkdir()
    for t in range(6):
        (frames / f"clip_{t:012d}_keypoints.json").write_text(
            json.dumps({"version": 1.3, "people": [person(t)]})
        )
    files += [folder / "single_000000000000_keypoints.json", frames]
    mmpose = [
        {
            "frame_id": t,
            "instances": [
                {"keypoints": xy[t, :133].tolist(), "keypoint_scores": confidence[t, :133].tolist()}
            ],
        }
        for t in range(8)
    ]
    (folder / "mmpose.json").write_text(json.dumps(mmpose))
    coco = {
        "images": [{"id": t, "width": width, "height": height} for t in range(4)],
        "annotations": [
            {"image_id": t, "keypoints": np.column_stack([xy[t, :133], confidence[t, :133]]).ravel().tolist()}
            for t in range(4)
        ],
    }
    (folder / "coco.json").write_text(json.dumps(coco))
    files += [folder / "mmpose.json", folder / "coco.json"]
    unisign = {
        "keypoints": [xy[t, None, :133] / np.array([width, height]) for t in range(10)],
        "scores": [confidence[t, None, :133] for t in range(10)],
        "start": 1,
        "end": 9,
    }
    (folder / "unisign.pkl").write_bytes(pickle.dumps(unisign))
    files.append(folder / "unisign.pkl")
    files.append(_kaggle_parquet(samples / POSE_SOURCES[3], folder / "kaggle.parquet"))
    return files


def _kaggle_parquet(source: Path, path: Path) -> Path:
    import pandas as pd

    pose = Pose.read(source.read_bytes())
    data = np.ma.getdata(pose.body.data)[:4, 0]
    width, height = pose.header.dimensions.width, pose.header.dimensions.height
    rows = []
    offset = 0
    for component in pose.header.components[:4]:
        kind = {"POSE_LANDMARKS": "pose", "FACE_LANDMARKS": "face"}.get(component.name)
        kind = kind or ("left_hand" if "LEFT" in component.name else "right_hand")
        count = min(len(component.points), 468)
        for t in range(len(data)):
            for index in range(count):
                x, y = data[t, offset + index, :2] / (width, height)
                rows.append((t, kind, index, float(x), float(y)))
        offset += len(component.points)
    pd.DataFrame(rows, columns=["frame", "type", "landmark_index", "x", "y"]).to_parquet(path)
    return path


def _byte_variants(data: bytes, rng: np.random.Generator, count: int) -> list[bytes]:
    variants = []
    for index in range(count):
        kind = index % 5
        if kind == 0:  # truncated
            variants.append(data[: int(rng.integers(0, len(data)))])
        elif kind == 1:  # a few flipped bytes, in the first kilobyte (headers) or anywhere
            buffer = bytearray(data)
            span = min(len(buffer), 1024) if rng.random() < 0.6 else len(buffer)
            for position in rng.integers(0, span, int(rng.integers(1, 8))):
                buffer[position] ^= int(rng.integers(1, 256))
            variants.append(bytes(buffer))
        elif kind == 2:  # an 8-byte window of 0xFF (huge counts, NaN floats)
            buffer = bytearray(data)
            start = int(rng.integers(0, max(1, len(buffer) - 8)))
            buffer[start : start + 8] = b"\xff" * min(8, len(buffer) - start)
            variants.append(bytes(buffer))
        elif kind == 3:  # a zeroed region
            buffer = bytearray(data)
            start = int(rng.integers(0, len(buffer)))
            buffer[start : start + int(rng.integers(1, 256))] = bytes(min(len(buffer) - start, 255) or 0)
            variants.append(bytes(buffer[: len(data)]))
        else:  # junk appended
            variants.append(data + rng.bytes(int(rng.integers(1, 64))))
    return variants


def _float_variants(path: Path, rng: np.random.Generator, count: int) -> list[bytes]:
    """float32 slots of a binary pose body overwritten with NaN, inf, 1e38, -1e38 or 7.5."""
    data = path.read_bytes()
    variants = []
    for _ in range(count):
        buffer = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            position = int(rng.integers(len(buffer) // 2, len(buffer) - 4)) & ~3
            value = rng.choice([np.nan, np.inf, -np.inf, 1e38, -1e38, 7.5, -3.0])
            struct.pack_into("<f", buffer, position, float(value))
        variants.append(bytes(buffer))
    return variants


def _mutate_tree(tree, rng: np.random.Generator):
    """A copy of a JSON-like tree (dicts, lists, arrays) with one random node replaced or one key deleted."""
    tree = copy.deepcopy(tree)
    replacements = [None, "x", 1e308, -1, [], {}, [[1e300] * 3], float("nan"), True, [None], {"people": None}]
    path, node = [], tree
    while isinstance(node, dict | list) and len(node) and rng.random() < 0.8:
        key = (
            list(node)[int(rng.integers(len(node)))]
            if isinstance(node, dict)
            else int(rng.integers(len(node)))
        )
        path.append((node, key))
        node = node[key]
    if not path:
        return replacements[int(rng.integers(len(replacements)))]
    parent, key = path[-1]
    if isinstance(node, np.ndarray) and rng.random() < 0.5:
        array = node.astype(np.float64)
        operation = int(rng.integers(5))
        if operation == 0:
            array.flat[int(rng.integers(array.size))] = rng.choice([np.nan, np.inf, 1e300, 7.5])
        elif operation == 1:
            array = array.reshape(-1)
        elif operation == 2:
            array = array[..., :1]
        elif operation == 3:
            array = array[:0]
        else:
            array = array[None]
        parent[key] = array
    elif isinstance(parent, dict) and rng.random() < 0.3:
        del parent[key]
    else:
        parent[key] = replacements[int(rng.integers(len(replacements)))]
    return tree


def _numpy_variants(folder: Path, rng: np.random.Generator) -> list[Path]:
    base = np.load(folder / "sources" / "openpose.npy")
    made = []

    def save(name, array, **kwargs):
        path = folder / "variants" / name
        if kwargs or name.endswith(".npz"):
            np.savez(path, **({"keypoints": array} if array is not None else {}), **kwargs)
        else:
            np.save(path, array)
        made.append(path)

    save("npy_f64_overflow.npy", np.where(rng.random(base.shape) < 0.001, 1e300, base.astype(np.float64)))
    save("npy_nan.npy", np.where(rng.random(base.shape) < 0.01, np.nan, base))
    save("npy_zero_frames.npy", base[:0])
    save("npy_no_people.npy", base[:, None][:, :0])
    save("npy_rank2.npy", base.reshape(len(base), -1))
    save("npy_rank5.npy", base[None, None])
    save("npy_all_zero.npy", np.zeros_like(base))
    save("npy_conf_7.npy", np.concatenate([base[..., :2], np.full_like(base[..., 2:], 7.5)], -1))
    save("npy_huge_coordinates.npy", base.astype(np.float64) * 1e37)
    save("npy_int.npy", base.astype(np.int64))
    save("npy_bool.npy", base > 0)
    save("npy_complex.npy", base.astype(np.complex64))
    save("npy_two_channels.npy", base[..., :2])
    save("npy_five_channels.npy", np.concatenate([base, base[..., :2]], -1))
    save("npz_no_keypoints.npz", None, other=base)
    save("npz_bad_width.npz", base, width=-5.0, height=240.0)
    save("npz_nan_width.npz", base, width=np.nan, height=240.0)
    save("npz_only_width.npz", base, width=320.0)
    save("npz_small_frame.npz", base, width=2.0, height=2.0)
    save("npz_bad_fps.npz", base, fps=np.inf)
    save("npz_bad_layout.npz", base, layout="coco_wholebody_133")
    save("npz_confidence_shape.npz", base[..., :2], confidence=base[:3, :, 2])
    for index, shape in enumerate([(2**31, 137, 3), (10**6, 10**6, 3), (0, 137, 3), (5, 137, 10**9)]):
        path = folder / "variants" / f"npy_huge_header_{index}.npy"
        with path.open("wb") as file:
            np.lib.format.write_array_header_1_0(
                file, {"descr": "<f4", "fortran_order": False, "shape": shape}
            )
            file.write(bytes(256))
        made.append(path)
    object_path = folder / "variants" / "npy_objects.npy"
    np.save(object_path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    made.append(object_path)
    return made


def fuzz_corpus(samples: Path, folder: Path, seed: int = 0) -> list[Path]:
    """At least 300 damaged variants of real files in every supported format (written under `folder`)."""
    rng = np.random.default_rng(seed)
    sources = source_files(samples, folder / "sources")
    variants_dir = folder / "variants"
    variants_dir.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []

    def write(stem: str, suffix: str, content: bytes) -> None:
        path = variants_dir / f"{stem}_{len(made):04d}{suffix}"
        path.write_bytes(content)
        made.append(path)

    for source in sources:
        if source.is_dir():
            continue
        for content in _byte_variants(source.read_bytes(), rng, 15):
            write(source.stem, source.suffix, content)
        if source.suffix in (".pose", ".npy"):
            for content in _float_variants(source, rng, 8):
                write(source.stem, source.suffix, content)
    for source in POSE_SOURCES:  # huge declared sizes, zero frames, no people
        pose = Pose.read((samples / source).read_bytes())
        temporary = variants_dir / "tmp.pose"
        write_pose(temporary, pose.header, np.ma.getdata(pose.body.data), pose.body.confidence)
        buffer = temporary.read_bytes()
        _, offset = pose_body_offset(buffer)
        for frames, people in ((2**32 - 1, 0), (2**32 - 1, 1), (10**6, 1), (0, 1), (1, 65535), (3, 0)):
            variant = bytearray(buffer)
            struct.pack_into("<IH", variant, offset + 4, frames, people)
            write("declared", ".pose", bytes(variant))
        temporary.unlink()
    json_sources = [path for path in sources if path.suffix == ".json"]
    for source in json_sources:
        tree = json.loads(source.read_text())
        for _ in range(12):
            write(source.stem, ".json", json.dumps(_mutate_tree(tree, rng)).encode())
    unisign = restricted_pickle_tree(folder / "sources" / "unisign.pkl")
    for _ in range(20):
        write("unisign_tree", ".pkl", pickle.dumps(_mutate_tree(unisign, rng)))
    write("unisign_exploit", ".pkl", pickle.dumps(_Exploit()))
    write("unisign_list", ".pkl", pickle.dumps([1, 2, 3]))
    folder_source = folder / "sources" / "openpose_folder"
    frame_tree = json.loads(next(folder_source.glob("*.json")).read_text())
    for index in range(10):
        target = variants_dir / f"openpose_folder_{index:02d}"
        shutil.copytree(folder_source, target)
        broken = sorted(target.glob("*.json"))[int(rng.integers(6))]
        broken.write_text(json.dumps(_mutate_tree(frame_tree, rng)))
        (target / "extract_report.json").write_text("{}")
        made.append(target)
    made += _numpy_variants(folder, rng)
    made += _parquet_variants(folder / "sources" / "kaggle.parquet", variants_dir, rng)
    return made


def _parquet_variants(source: Path, folder: Path, rng: np.random.Generator) -> list[Path]:
    import pandas as pd

    table = pd.read_parquet(source)
    made = []
    edits = [
        lambda t: t.assign(x=np.where(rng.random(len(t)) < 0.01, np.inf, t["x"])),
        lambda t: t.assign(x=t["x"] * 1e30),
        lambda t: t.assign(landmark_index=t["landmark_index"] + 1000),
        lambda t: t.assign(landmark_index=t["landmark_index"] + 0.5),
        lambda t: t.assign(type="hand"),
        lambda t: t.assign(frame=t["frame"] * 2**40),
        lambda t: t.drop(columns=["y"]),
        lambda t: t.iloc[:0],
        lambda t: t.assign(x=np.nan, y=np.nan),
        lambda t: t.assign(x="a"),
    ]
    for index, edit in enumerate(edits):
        path = folder / f"kaggle_edit_{index:02d}.parquet"
        edit(table.copy()).to_parquet(path)
        made.append(path)
    return made


def restricted_pickle_tree(path: Path):
    with path.open("rb") as file:
        return pickle.load(file)  # our own file, written above


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))

"""Readers for keypoint files, one small function per format, all returning a [`PoseSequence`].

Formats: pose-format `.pose`, numpy `.npy` / `.npz`, OpenPose per-frame JSON folders (or one frame file),
MMPose / COCO-WholeBody JSON, MediaPipe landmark parquet in the Kaggle long format and Uni-Sign's `.pkl` dumps.
Every reader keeps the first person, stores (x, y, confidence) with depth dropped, gives missing or masked joints
x = y = 0 with confidence 0, and records the video frame's size where the file has one. Bad input raises a
`ValueError` naming the file and the field at fault; sizes a file declares are checked against its bytes before
anything is allocated.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader
from pose_format.utils.reader import BufferReader

from .layouts import COCO_WHOLEBODY, LAYOUTS, MEDIAPIPE_543, detect_layout, mediapipe_543_order, to_canonical
from .pickles import read_uni_sign_arrays
from .sizes import check_numpy_sizes, check_pose_body_size
from .validate import NORMALISED_FRAME, PoseValidationError, check_pose

DEFAULT_FPS = 25.0  # frame rate given to formats that do not store one (numpy, JSON, parquet)
MAX_DETECTOR_SCORE = 2.0  # RTMPose / RTMW SimCC scores reach ~1.1-1.3; far beyond is damage, not a score
SCORE_SLACK = 0.05  # confidences up to 1 + this are read as 1 in probability formats (.pose, OpenPose)
OPENPOSE_FRAME_PATTERN = r"(?:^|\D)(\d+)_keypoints\.json"  # OpenPose's `<name>_<frame>_keypoints.json`

NPZ_KEYPOINT_KEYS = ("keypoints", "data", "pose", "arr_0")
OPENPOSE_FIELDS = (
    ("pose_keypoints_2d", 25),
    ("face_keypoints_2d", 70),
    ("hand_left_keypoints_2d", 21),
    ("hand_right_keypoints_2d", 21),
)
# OpenPose's BODY_18 (COCO) points in BODY_25's order: the same up to LWrist, no MidHip (8), no feet (19-24).
BODY_18_IN_BODY_25 = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)
COCO_WHOLEBODY_FIELDS = ("keypoints", "foot_kpts", "face_kpts", "lefthand_kpts", "righthand_kpts")
KAGGLE_COLUMNS = ("frame", "type", "landmark_index", "x", "y")
KAGGLE_TYPES = {
    "face": "FACE_LANDMARKS",
    "left_hand": "LEFT_HAND_LANDMARKS",
    "pose": "POSE_LANDMARKS",
    "right_hand": "RIGHT_HAND_LANDMARKS",
}


@dataclass
class PoseSequence:
    """Keypoints of one signer over time, as stored: `data` is (T, K, 3) float32 x, y, confidence;
    `frame_size` is the video's (width, height) in the coordinates' units where the file records it."""

    data: np.ndarray
    layout: str
    fps: float
    source: str
    frame_size: tuple[float, float] | None = None

    @property
    def num_frames(self) -> int:
        return self.data.shape[0]

    def canonical(self) -> np.ndarray:
        """The (T, 77, 3) canonical skeleton (see `lexsign_hf.pose.CANONICAL_PARTS`)."""
        return to_canonical(self.data, self.layout)


def read_pose(
    path: str | Path, default_fps: float = DEFAULT_FPS, frame_size: tuple[float, float] | None = None
) -> PoseSequence:
    """Read any supported keypoint file (or OpenPose JSON folder); `default_fps` is used where none is stored,
    `frame_size` (the video's pixel width, height) where the file records none (`.npy`, OpenPose, MMPose, ...).

    Whatever is wrong with the file raises one `ValueError` naming it (a `PoseValidationError` when it reads
    but fails `lexsign_hf.pose.validate.check_pose`), never another exception.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"pose file not found: {path}")
    reader = read_openpose_folder if path.is_dir() else _READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(
            f"{path}: unsupported pose file type {path.suffix!r}; expected one of {sorted(_READERS)}"
        )
    try:
        sequence = reader(path, default_fps)
    except ValueError as error:
        message = str(error)
        if str(path) in message and "\n" not in message:
            raise
        message = " ".join(message.split())  # one line, naming the file
        kind = PoseValidationError if isinstance(error, PoseValidationError) else ValueError
        raise kind(message if str(path) in message else f"{path}: {message}") from error
    except Exception as error:  # a reader's unforeseen failure on malformed input: still one line
        message = " ".join(f"{type(error).__name__}: {error}".split())
        raise ValueError(f"{path}: not a readable pose file ({message})") from error
    if frame_size is not None and sequence.frame_size is None:
        size = (float(frame_size[0]), float(frame_size[1]))
        check_pose(sequence.data, sequence.layout, size, str(path))
        sequence.frame_size = size
    return sequence


def read_pose_file(path: Path, default_fps: float = DEFAULT_FPS) -> PoseSequence:
    """A pose-format `.pose` file (its own fps; `default_fps` is unused)."""
    buffer = path.read_bytes()
    reader = BufferReader(buffer)
    try:  # what `Pose.read` does, keeping the reader to check that the body was complete
        header = PoseHeader.read(reader)
        body_offset = reader.read_offset
        check_pose_body_size(path, header, buffer, body_offset)  # before pose-format allocates anything
        body = NumPyPoseBody.read(header, reader)
    except ValueError as error:
        if str(path) in str(error):  # ours, naming the file already
            raise
        raise ValueError(f"{path}: not a readable .pose file ({type(error).__name__}: {error})") from error
    except Exception as error:  # pose-format surfaces corrupt bytes as struct/Type/Value/Index errors
        raise ValueError(f"{path}: not a readable .pose file ({type(error).__name__}: {error})") from error
    frames = body.data.shape[0]
    if round(header.version, 3) == 0.1:  # v0.1 infers the frame count from the file size: check it
        stored_frames = struct.unpack_from("<HH", buffer, body_offset)[1]
        complete = frames % 65536 == stored_frames and reader.bytes_left() == 0
    else:
        complete = reader.bytes_left() == 0
    if not complete:
        raise ValueError(
            f"{path}: truncated or corrupt .pose file (body size does not match its {frames} frames)"
        )
    layout = _detect(path, header.total_points(), header)
    index = LAYOUTS[layout].header_index([(c.name, c.points) for c in header.components])
    data, confidence = body.data, np.asarray(body.confidence, dtype=np.float64)
    if data.shape[1] == 0:  # no person in any frame
        xy, confidence = np.zeros((frames, len(index), 2)), np.zeros((frames, len(index)))
    else:
        missing = np.ma.getmaskarray(data[:, 0]).any(axis=-1)
        xy = np.ma.getdata(data[:, 0])[:, index, :2]
        confidence = np.where(missing, 0.0, confidence[:, 0])[:, index]
    width, height = float(header.dimensions.width), float(header.dimensions.height)
    frame_size = (width, height) if width > 0 and height > 0 else None
    return _sequence(path, xy, confidence, layout, float(body.fps), frame_size)


def read_numpy(path: Path, default_fps: float = DEFAULT_FPS) -> PoseSequence:
    """`.npy` (T, K, C) or (T, P, K, C) array, or `.npz` with one under `keypoints`/`data`/`pose`/`arr_0`.

    An `.npz` may also hold `confidence` (or RTMLib's `scores`) (T, K), `fps`, `layout` and the video frame's
    `width` / `height` in pixels. Channels: C = 2 is x, y; C = 4 is x, y, z, confidence; C = 3 is x, y, z for
    MediaPipe layouts and x, y, confidence for the others. Without a confidence, a joint at exactly (0, 0) (or,
    for MediaPipe layouts, with x and y NaN: Kaggle's convention) counts as missing. A 543-point array
    without a `layout` is in Kaggle's order or pose-format's, told apart by its structure (`mediapipe_543_order`).
    Never unpickles.
    """
    check_numpy_sizes(path)  # before numpy allocates what a header declares
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                arrays = {key: loaded[key] for key in loaded.files}
        else:
            arrays = {"keypoints": loaded}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a readable numpy file ({error})") from error
    key = next((key for key in NPZ_KEYPOINT_KEYS if key in arrays), None)
    if key is None:
        raise ValueError(f"{path}: no keypoint array; expected one of the keys {list(NPZ_KEYPOINT_KEYS)}")
    array = arrays[key]
    confidence = arrays.get("confidence", arrays.get("scores"))
    fps = float(_floats(path, "fps", arrays.get("fps", default_fps), ()))
    layout = str(arrays["layout"]) if "layout" in arrays else None
    frame_size = _npz_frame_size(path, arrays)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{path}: field 'keypoints' has dtype {array.dtype}; expected real numbers")
    if confidence is not None:
        confidence = _floats(path, "confidence", confidence, confidence.shape)
    if array.ndim == 4:
        if array.shape[1] == 0:
            raise ValueError(
                f"{path}: field 'keypoints' has shape {array.shape}: 0 people; expected at least 1"
            )
        array = array[:, 0]
        confidence = confidence[:, 0] if confidence is not None and confidence.ndim == 3 else confidence
    if array.ndim == 3 and array.shape[0] == 0:
        raise ValueError(f"{path}: field 'frames' is 0; expected a non-empty pose sequence")
    if array.ndim != 3 or array.shape[-1] not in (2, 3, 4) or 0 in array.shape:
        raise ValueError(
            f"{path}: field 'keypoints' has shape {array.shape}; expected (frames > 0, keypoints > 0, 2|3|4)"
        )
    array = array.astype(np.float64)
    if layout is None and array.shape[1] == MEDIAPIPE_543:
        order = mediapipe_543_order(array[..., :2])
        if order is None:
            raise ValueError(
                f"{path}: 543 keypoints whose order (Kaggle's face-left-pose-right or pose-format's "
                "pose-face-left-right) the points do not tell; expected an .npz `layout` key"
            )
        array = array[:, order]
        confidence = None if confidence is None else confidence[:, order]
    layout = layout or _detect(path, array.shape[1])
    spec = LAYOUTS.get(layout)
    if spec is None or spec.num_keypoints != array.shape[1]:
        raise ValueError(
            f"{path}: field 'layout' is {layout!r}, which does not fit {array.shape[1]} keypoints; "
            f"expected one of {sorted(LAYOUTS)}"
        )
    xy = array[..., :2]
    if confidence is None:
        if array.shape[-1] == 4 or (array.shape[-1] == 3 and spec.point_format != "XYZC"):
            confidence = array[..., -1]
        else:
            missing = (
                np.isnan(xy).all(axis=-1) if spec.point_format == "XYZC" else np.zeros(xy.shape[:2], bool)
            )
            xy = np.where(missing[..., None], 0.0, xy)
            confidence = np.any(xy != 0, axis=-1).astype(np.float64)
    if confidence.shape != xy.shape[:2]:
        raise ValueError(f"{path}: field 'confidence' has shape {confidence.shape}; expected {xy.shape[:2]}")
    return _sequence(path, xy, confidence, layout, fps, frame_size, clip_scores=True)


def _npz_frame_size(path: Path, arrays: dict[str, np.ndarray]) -> tuple[float, float] | None:
    if "width" not in arrays and "height" not in arrays:
        return None
    try:
        width, height = float(arrays["width"]), float(arrays["height"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: fields 'width' / 'height' must both be numbers ({error})") from None
    if not (np.isfinite(width) and np.isfinite(height) and width > 0 and height > 0):
        raise ValueError(
            f"{path}: fields 'width' / 'height' are {width} / {height}; expected positive pixels"
        )
    return width, height


def read_uni_sign_pickle(path: Path, default_fps: float = DEFAULT_FPS) -> PoseSequence:
    """A Uni-Sign pose pickle (`lexsign_hf.pose.pickles`): COCO-WholeBody 133, first person, `start`/`end`
    honoured; its coordinates are fractions of the frame, so the frame size is `NORMALISED_FRAME` (1, 1).
    Loaded with a restricted unpickler (numpy arrays and numbers only, never arbitrary code)."""
    xy, confidence = read_uni_sign_arrays(path)
    return _sequence(path, xy, confidence, COCO_WHOLEBODY, default_fps, NORMALISED_FRAME, clip_scores=True)


def read_openpose_folder(path: Path, default_fps: float = DEFAULT_FPS) -> PoseSequence:
    """A folder of OpenPose `*_keypoints.json` frame files (BODY_25 or BODY_18 + face + hands), ordered by frame
    number; other files in the folder are ignored."""
    files = [file for file in path.glob("*.json") if file.name.endswith("_keypoints.json")]  # others: ignored
    files.sort(key=lambda file: (_openpose_frame_id(file), file.name))
    if not files:
        raise ValueError(f"{path}: no OpenPose frame files (*_keypoints.json) in this folder")
    frames = np.stack([_openpose_frame(file, _load_json(file)) for file in files])
    return _sequence(path, frames[..., :2], frames[..., 2], "openpose_137", default_fps)


def read_json(path: Path, default_fps: float = DEFAULT_FPS) -> PoseSequence:
    """One OpenPose frame file, or MMPose / COCO-WholeBody keypoint JSON (one frame per video frame or image).

    MMPose: a list of `{"frame_id", "instances": [{"keypoints": [[x, y], ...], "keypoint_scores": [...]}]}`
    (MMPoseInferencer), a `{"instance_info": [...]}` dict (MMPose demo scripts) or a list of instances (one
    image). COCO-WholeBody: an annotation file (`annotations` with `keypoints`, `foot_kpts`, `face_kpts`,
    `lefthand_kpts`, `righthand_kpts`) or a results list (`image_id`, flat `keypoints`), one frame per image.
    """
    content = _load_json(path)
    if isinstance(content, dict) and "people" in content:
        frame = _openpose_frame(path, content)[None]
        return _sequence(path, frame[..., :2], frame[..., 2], "openpose_137", default_fps)
    frame_size = _json_frame_size(path, content)
    frames = [_first_instance(path, instances) for instances in _json_frames(path, content)]
    num_keypoints = next((len(frame) for frame in frames if frame is not None), None)
    if num_keypoints is None:
        raise ValueError(f"{path}: field 'instances' is empty in every frame; expected person keypoints")
    if any(frame is not None and len(frame) != num_keypoints for frame in frames):
        raise ValueError(f"{path}: field 'keypoints' changes length between frames")
    array = np.stack([np.zeros((num_keypoints, 3)) if frame is None else frame for frame in frames])
    layout = _detect(path, num_keypoints)
    return _sequence(path, array[..., :2], array[..., 2], layout, default_fps, frame_size, clip_scores=True)


def read_kaggle_parquet(path: Path, default_fps: float = DEFAULT_FPS) -> PoseSequence:
    """MediaPipe holistic landmarks in the Kaggle long format: one row per (`frame`, `type`, `landmark_index`).

    Rows with NaN `x`/`y` are landmarks MediaPipe did not detect (that format's convention): confidence 0.
    Coordinates are MediaPipe's fractions of the frame: the frame size is `NORMALISED_FRAME` (1, 1).
    """
    try:
        table = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises ArrowInvalid/OSError on a corrupt file
        raise ValueError(f"{path}: not a readable parquet file ({error})") from error
    missing = [column for column in KAGGLE_COLUMNS if column not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected columns {list(KAGGLE_COLUMNS)}")
    layout = LAYOUTS["mediapipe_holistic_543"]
    offsets, sizes, offset = {}, {}, 0
    for component in layout.components:
        offsets[component.name], sizes[component.name] = offset, len(component.points)
        offset += len(component.points)
    unknown = sorted(map(str, set(table["type"]) - set(KAGGLE_TYPES)))
    if unknown:
        raise ValueError(
            f"{path}: field 'type' has unknown value(s) {unknown}; expected {sorted(KAGGLE_TYPES)}"
        )
    components = table["type"].map(KAGGLE_TYPES)
    landmark = _floats(path, "landmark_index", table["landmark_index"].to_numpy(), (-1,))
    if not np.isfinite(landmark).all() or (landmark != landmark.round()).any():
        raise ValueError(f"{path}: field 'landmark_index' has non-integer values")
    landmark = landmark.astype(np.int64)
    if ((landmark < 0) | (landmark >= components.map(sizes).to_numpy())).any():
        raise ValueError(f"{path}: field 'landmark_index' out of range for its landmark type")
    frame_ids, frame = np.unique(table["frame"].to_numpy(), return_inverse=True)
    keypoint = components.map(offsets).to_numpy(dtype=np.int64) + landmark
    coordinates = table[["x", "y"]].to_numpy(dtype=np.float64)
    if np.isinf(coordinates).any():
        raise ValueError(f"{path}: fields 'x'/'y' have infinite values")
    present = np.isfinite(coordinates).all(axis=1)
    xy = np.zeros((len(frame_ids), layout.num_keypoints, 2))
    confidence = np.zeros((len(frame_ids), layout.num_keypoints))
    xy[frame[present], keypoint[present]] = coordinates[present]
    confidence[frame[present], keypoint[present]] = 1.0
    return _sequence(path, xy, confidence, layout.name, default_fps, NORMALISED_FRAME)  # MediaPipe's [0, 1]


def _sequence(
    path: Path,
    xy: np.ndarray,
    confidence: np.ndarray,
    layout: str,
    fps: float,
    frame_size: tuple[float, float] | None = None,
    clip_scores: bool = False,
) -> PoseSequence:
    """Validate and pack (T, K, 2) coordinates and (T, K) confidences (`lexsign_hf.pose.validate.check_pose`).

    Confidences above 1 are clipped to 1, up to `MAX_DETECTOR_SCORE` when `clip_scores` (detector scores:
    RTMPose's SimCC scores exceed 1, and Uni-Sign clips them to 1 too), else up to 1 + `SCORE_SLACK` (OpenPose
    writes 1.006); larger ones fail `check_pose`; negative ones are 0.
    """
    if xy.shape[0] == 0:
        raise ValueError(f"{path}: field 'frames' is 0; expected a non-empty pose sequence")
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"{path}: field 'fps' is {fps}; expected a positive frame rate")
    for field, values in (("keypoints", xy), ("confidence", confidence)):
        bad = np.argwhere(~np.isfinite(values))
        if len(bad):
            frame, keypoint = bad[0][:2]
            raise ValueError(
                f"{path}: field '{field}' has NaN or infinite values (first at frame {frame}, keypoint {keypoint})"
            )
    limit = (
        MAX_DETECTOR_SCORE if clip_scores else 1.0 + SCORE_SLACK
    )  # beyond it: left for `check_pose` to reject
    confidence = np.where(confidence > limit, confidence, np.clip(confidence, 0.0, 1.0))
    xy = np.where(confidence[..., None] > 0, xy, 0.0)
    data = check_pose(np.concatenate([xy, confidence[..., None]], axis=-1), layout, frame_size, str(path))
    return PoseSequence(data=data, layout=layout, fps=float(fps), source=str(path), frame_size=frame_size)


def _detect(path: Path, num_keypoints: int, header: PoseHeader | None = None) -> str:
    try:
        return detect_layout(num_keypoints, header)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


def _load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error


def _floats(path: Path, field: str, values, shape: tuple[int, ...]) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64).reshape(shape)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{path}: field '{field}' is not a list of numbers of shape {shape} ({error})"
        ) from error


def _openpose_frame_id(path: Path) -> int:
    found = re.findall(OPENPOSE_FRAME_PATTERN, path.name)
    return int(found[-1]) if found else -1


def _openpose_frame(path: Path, frame) -> np.ndarray:
    """(137, 3) x, y, score of the first person in one OpenPose frame; zeros when nobody was detected."""
    people = frame.get("people") if isinstance(frame, dict) else None
    if not isinstance(people, list):
        raise ValueError(f"{path}: field 'people' missing; expected an OpenPose frame {{'people': [...]}}")
    person = people[0] if people else {}
    if not isinstance(person, dict):
        raise ValueError(f"{path}: field 'people[0]' is {person!r}; expected an object of keypoint fields")
    parts = []
    for field, count in OPENPOSE_FIELDS:
        values = person.get(field) or []
        if field == "pose_keypoints_2d" and len(values) == len(BODY_18_IN_BODY_25) * 3:  # COCO body model
            body = np.zeros((count, 3))
            body[list(BODY_18_IN_BODY_25)] = _floats(path, field, values, (len(BODY_18_IN_BODY_25), 3))
            parts.append(body)
            continue
        if len(values) not in (0, count * 3):
            raise ValueError(
                f"{path}: field '{field}' has {len(values)} values; expected {count * 3} (x, y, score)"
            )
        parts.append(_floats(path, field, values, (count, 3)) if values else np.zeros((count, 3)))
    return np.concatenate(parts)


def _json_frame_size(path: Path, content) -> tuple[float, float] | None:
    """The frame (width, height) of COCO `images` (all the same size) or MMPose `meta_info` / `metainfo`
    (`width` / `height`, or `ori_shape` / `img_shape` as (height, width)); None where the file has none."""
    if not isinstance(content, dict):
        return None
    sizes = set()
    if isinstance(content.get("images"), list):
        for image in content["images"]:
            if isinstance(image, dict) and ("width" in image or "height" in image):
                sizes.add((image.get("width"), image.get("height")))
    for key in ("meta_info", "metainfo", "meta"):
        meta = content.get(key)
        if not isinstance(meta, dict):
            continue
        if "width" in meta or "height" in meta:
            sizes.add((meta.get("width"), meta.get("height")))
        shape = meta.get("ori_shape", meta.get("img_shape"))
        if isinstance(shape, list | tuple) and len(shape) >= 2:
            sizes.add((shape[1], shape[0]))
    if not sizes:
        return None
    if len(sizes) > 1:
        raise ValueError(f"{path}: fields 'width' / 'height' differ between images {sorted(map(str, sizes))}")
    width, height = _floats(path, "width/height", list(sizes.pop()), (2,))
    if not (np.isfinite(width) and np.isfinite(height) and width > 0 and height > 0):
        raise ValueError(
            f"{path}: fields 'width' / 'height' are {width} / {height}; expected positive pixels"
        )
    return float(width), float(height)


def _json_frames(path: Path, content) -> list[list[dict]]:
    """The person instances of every frame of an MMPose / COCO-WholeBody JSON document."""
    if isinstance(content, dict) and "instance_info" in content:
        content = content["instance_info"]
    if isinstance(content, dict) and "annotations" in content:
        content = content["annotations"]
    if not isinstance(content, list) or not all(isinstance(item, dict) for item in content):
        raise ValueError(f"{path}: unknown JSON keypoint format; expected OpenPose, MMPose or COCO-WholeBody")
    if all("instances" in item for item in content):
        return [item["instances"] for item in content]
    if all("keypoints" in item for item in content):
        if all("image_id" in item for item in content):
            images = sorted({item["image_id"] for item in content})
            return [[item for item in content if item["image_id"] == image] for image in images]
        return [content]
    raise ValueError(
        f"{path}: field 'instances' or 'keypoints' missing; expected MMPose or COCO-WholeBody JSON"
    )


def _first_instance(path: Path, instances: list[dict]) -> np.ndarray | None:
    """(K, 3) x, y, score of the first person instance, or None when the frame has none."""
    if not instances:
        return None
    instance = instances[0]
    if not isinstance(instance, dict) or not any(key in instance for key in ("keypoints", "lefthand_kpts")):
        raise ValueError(
            f"{path}: field 'keypoints' missing from a person instance; expected MMPose / COCO keypoints"
        )
    if "keypoint_scores" in instance:
        scores = _floats(path, "keypoint_scores", instance["keypoint_scores"], (-1,))
        keypoints = _floats(path, "keypoints", instance["keypoints"], (len(scores), -1))
        return np.concatenate([keypoints[:, :2], scores[:, None]], axis=1)
    if "lefthand_kpts" in instance:  # COCO-WholeBody annotation: visibility flags 0/1/2
        values = np.concatenate(
            [_floats(path, field, instance.get(field, []), (-1, 3)) for field in COCO_WHOLEBODY_FIELDS]
        )
        return np.concatenate([values[:, :2], (values[:, 2:] > 0)], axis=1).astype(np.float64)
    return _floats(path, "keypoints", instance["keypoints"], (-1, 3))


_READERS: dict[str, Callable[[Path, float], PoseSequence]] = {
    ".pose": read_pose_file,
    ".npy": read_numpy,
    ".npz": read_numpy,
    ".json": read_json,
    ".parquet": read_kaggle_parquet,
    ".pkl": read_uni_sign_pickle,
}

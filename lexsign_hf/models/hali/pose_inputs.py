"""Everything a HALI model is given as a pose, as one `(keypoints, frame_size)` pair: arrays, `.pose` / `.npy`
paths and bytes, pose-format `Pose` objects, `lexsign_hf.pose.PoseSequence` objects, and videos (a path, the
file's bytes, or `(frames, height, width, 3)` uint8 RGB frames), whose pose is estimated with MediaPipe Holistic
through pose-format, as `lexsign pose extract` does.

This module is copied next to the weights of a published model (the processor and the pipeline import it), so it
imports nothing from `lexsign_hf`: `.pose` headers are matched against the layout table saved beside it
(`pose_layouts.json`, the JSON form of `lexsign_hf.pose.LAYOUTS`). `pose_format` is needed for `.pose` inputs,
`av` and `mediapipe` for videos.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

POSE_LAYOUTS_FILE = "pose_layouts.json"
CANONICAL_NUM_KEYPOINTS = 77
COCO_WHOLEBODY = "coco_wholebody_133"  # the layout a `"uni_sign"` processor takes whole
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".y4m")
VIDEO_FPS = 30.0  # the frame rate assumed for raw frames given without one
# First bytes of the containers a browser or a phone records (mp4/mov "ftyp" at offset 4, Matroska/WebM, AVI).
_VIDEO_MAGIC = (
    (4, b"ftyp"),
    (0, b"\x1a\x45\xdf\xa3"),
    (0, b"RIFF"),
    (0, b"YUV4MPEG2"),
    (0, b"\x00\x00\x01\xba"),
)
VIDEO_NEEDS = "video input needs PyAV and MediaPipe: pip install av mediapipe==0.10.21"

PoseInput = tuple[np.ndarray, "tuple[float, float] | None"]


def default_pose_layouts() -> dict[str, dict[str, Any]]:
    """The layout table shipped beside this module (and beside a saved model)."""
    path = Path(__file__).with_name(POSE_LAYOUTS_FILE)
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def canonical_index(layout: dict[str, Any]) -> np.ndarray:
    """(77,) index into a layout's stored keypoints for every canonical slot, -1 where the layout lacks it."""
    index, offset = {}, 0
    for name, _, points, *_ in layout["components"]:
        index.update({(name, point): offset + i for i, point in enumerate(points)})
        offset += len(points)
    return np.array([index.get(tuple(ref), -1) for ref in layout["canonical_points"]], dtype=np.int64)


def header_canonical_index(layout: dict[str, Any], positions: dict[tuple[str, str], int]) -> np.ndarray:
    """(77,) index into a `.pose` header's keypoints (`header_positions`) for every canonical slot (-1: absent)."""
    return np.array([positions.get(tuple(ref), -1) for ref in layout["canonical_points"]], dtype=np.int64)


def header_layout_index(layout: dict[str, Any], positions: dict[tuple[str, str], int]) -> np.ndarray:
    """Index into a `.pose` header's keypoints for every point of `layout`, in the layout's own order."""
    return np.array(
        [positions[(name, point)] for name, _, points, *_ in layout["components"] for point in points],
        dtype=np.int64,
    )


def header_positions(
    layout: dict[str, Any], components: Sequence[tuple[str, Sequence[str]]]
) -> dict[tuple[str, str], int] | None:
    """{(component, point as the layout names it): index into the header's keypoints}, or None when the header's
    components (by name or alias, with the point names of any naming scheme the layout lists, in any order) are
    not those of `layout`."""
    offsets, offset = {}, 0
    for name, points in components:
        offsets[name] = (offset, {point: i for i, point in enumerate(points)})
        offset += len(points)
    if len(offsets) != len(components) or len(offsets) != len(layout["components"]):
        return None
    positions = {}  # (component, point name as this package writes it) -> index into the header's keypoints
    for name, aliases, points, *schemes in layout["components"]:
        found = next((candidate for candidate in (name, *aliases) if candidate in offsets), None)
        if found is None:
            return None
        start, header_points = offsets[found]
        scheme = next(
            (
                scheme
                for scheme in (points, *(schemes[0] if schemes else ()))
                if len(scheme) == len(header_points) and set(scheme) == set(header_points)
            ),
            None,
        )
        if scheme is None:
            return None
        positions.update(
            {(name, point): start + header_points[alias] for point, alias in zip(points, scheme, strict=True)}
        )
    return positions


def gather_canonical(xy: np.ndarray, confidence: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(T, len(index), 3) x, y, confidence from (T, K, 2) and (T, K) via `index` (the canonical slots, or a whole
    layout); absent (-1) or unconfident joints are 0."""
    present = (index >= 0)[None, :]
    safe = np.maximum(index, 0)
    confidence = np.where(present, confidence[:, safe], 0.0)
    confidence = np.where(confidence > 0, confidence, 0.0)
    points = np.where(confidence[..., None] > 0, xy[:, safe, :2], 0.0)
    return np.concatenate([points, confidence[..., None]], axis=-1).astype(np.float32)


def is_video_bytes(buffer: bytes) -> bool:
    """Whether `buffer` starts like a video container (mp4/mov, WebM/Matroska, AVI, Y4M, MPEG-PS)."""
    return any(buffer[offset : offset + len(magic)] == magic for offset, magic in _VIDEO_MAGIC)


def is_video_frames(array: np.ndarray) -> bool:
    """Whether `array` is (frames, height, width, 3) uint8 RGB video frames (rather than keypoints)."""
    return array.ndim == 4 and array.shape[-1] == 3 and array.dtype == np.uint8


def video_to_pose(video: str | os.PathLike | bytes | np.ndarray, fps: float | None = None):
    """The pose-format `Pose` of a video (MediaPipe Holistic, 576 points, coordinates in pixels, the frame size in
    the header), as `lexsign pose extract` writes it: frames decoded with PyAV, then pose-format's
    `load_holistic`. `video` is a path, a video file's bytes, or (frames, height, width, 3) uint8 RGB frames
    (`fps` for raw frames; default 30)."""
    try:
        import mediapipe  # noqa: F401
        from pose_format.utils.holistic import load_holistic
    except ImportError as error:
        raise ImportError(f"{VIDEO_NEEDS} ({error})") from None
    source = "video frames" if isinstance(video, np.ndarray) else "video bytes"
    if isinstance(video, np.ndarray):
        if not is_video_frames(video) or len(video) == 0:
            raise ValueError(
                f"video frames: expected a (frames, height, width, 3) uint8 array, got {video.shape}"
            )
        rate, (height, width), frames = float(fps or VIDEO_FPS), video.shape[1:3], iter(video)
    else:
        if isinstance(video, (str, os.PathLike)):
            source = os.fspath(video)
        rate, width, height, frames = _decode_video(video, source)
    counted = _Counted(frames)
    try:  # a fresh config dict per call: pose-format adds keys to the one it is given
        pose = load_holistic(counted, fps=rate, width=width, height=height, additional_holistic_config={})
    except ValueError as error:  # pose-format stacks no frames into "need at least one array to stack"
        raise ValueError(
            f"{source}: {'no frames could be decoded' if counted.count == 0 else error}"
        ) from None
    if np.ma.getmaskarray(pose.body.data).all():
        raise ValueError(f"{source}: no person detected in {counted.count} frames")
    return pose


class _Counted:
    """An iterator over frames that counts them (the holistic estimator takes any iterable)."""

    def __init__(self, frames: Iterator[np.ndarray]):
        self.frames, self.count = frames, 0

    def __iter__(self) -> Iterator[np.ndarray]:
        for frame in self.frames:
            self.count += 1
            yield frame


def _decode_video(
    video: str | os.PathLike | bytes, source: str
) -> tuple[float, int, int, Iterator[np.ndarray]]:
    """fps, width, height and an iterator of RGB frames, decoded with PyAV."""
    try:
        import av
    except ImportError as error:
        raise ImportError(f"{VIDEO_NEEDS} ({error})") from None
    try:
        container = av.open(io.BytesIO(video) if isinstance(video, bytes) else os.fspath(video))
    except (av.error.FFmpegError, OSError) as error:
        raise ValueError(f"{source}: cannot be decoded as a video ({error})") from None
    if not container.streams.video:
        container.close()
        raise ValueError(f"{source}: has no video stream")
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width or not height:
        container.close()
        raise ValueError(f"{source}: video stream has no frame size")
    fps = fps if fps > 0 else VIDEO_FPS  # browser recordings (WebM) often carry no average rate

    def frames() -> Iterator[np.ndarray]:
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as error:
            raise ValueError(f"{source}: decoding failed ({error})") from None
        finally:
            container.close()

    return fps, width, height, frames()


class PoseInputReader:
    """Turns any supported input into the keypoints a processor with `uni_sign` (or not) takes, plus the frame
    size: canonical (T, 77, 3), or for `uni_sign` a COCO-WholeBody input whole (T, 133, 3)."""

    def __init__(self, pose_layouts: dict[str, dict[str, Any]] | None = None, uni_sign: bool = False):
        self.pose_layouts = default_pose_layouts() if pose_layouts is None else pose_layouts
        self.uni_sign = uni_sign

    def read(self, inputs: Any, layout: str | None = None, fps: float | None = None) -> PoseInput:
        """(keypoints, frame (width, height) or None) of one input; `layout` names an array's layout, `fps` the
        frame rate of raw video frames."""
        if _is_pose_sequence(inputs):
            return self._pose_sequence(inputs)
        if _is_pose_format(inputs):
            return self.pose_format(inputs, getattr(inputs, "source", None) or "Pose object")
        if isinstance(inputs, (bytes, bytearray, memoryview)):
            buffer = bytes(inputs)
            if is_video_bytes(buffer):
                return self.pose_format(video_to_pose(buffer), "video bytes")
            return self.pose_bytes(buffer, "<bytes>")
        if isinstance(inputs, (str, os.PathLike)):
            return self._path(os.fspath(inputs), layout)
        if type(inputs).__module__.startswith("torch"):
            inputs = inputs.detach().cpu().numpy()
        if isinstance(inputs, np.ndarray):
            if is_video_frames(inputs):
                return self.pose_format(video_to_pose(inputs, fps), "video frames")
            return self.array(inputs, layout, "pose array"), None
        raise ValueError(
            f"unsupported pose input of type {type(inputs).__name__}; expected a PoseSequence, a pose-format Pose, "
            "a .pose/.npy/video path, .pose or video bytes, a keypoint array or (frames, height, width, 3) uint8 "
            "video frames"
        )

    def _path(self, path: str, layout: str | None) -> PoseInput:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"pose or video file not found: {path}")
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".pose":
            with open(path, "rb") as handle:
                return self.pose_bytes(handle.read(), path)
        if suffix == ".npy":
            return self.array(np.load(path, allow_pickle=False), layout, path), None
        if suffix in VIDEO_SUFFIXES:
            return self.pose_format(video_to_pose(path), path)
        raise ValueError(
            f"{path}: unsupported file type {suffix!r}; expected a .pose or .npy file, or a video "
            f"({', '.join(VIDEO_SUFFIXES)})"
        )

    def _pose_sequence(self, sequence: Any) -> PoseInput:
        if self.uni_sign and sequence.layout == COCO_WHOLEBODY:
            points = np.asarray(sequence.data, dtype=np.float32).copy()
            points[points[..., 2] <= 0] = 0.0
            return points, sequence.frame_size
        return np.asarray(sequence.canonical(), dtype=np.float32), sequence.frame_size

    def array(self, array: np.ndarray, layout: str | None, source: str) -> np.ndarray:
        """A keypoint array in `layout` (None: canonical, or COCO-WholeBody for `uni_sign`) as the processor takes
        it."""
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"{source}: expected numeric keypoints, got dtype {array.dtype}")
        array = array.astype(np.float32)
        if layout is None:
            widths = (CANONICAL_NUM_KEYPOINTS, 133) if self.uni_sign else (CANONICAL_NUM_KEYPOINTS,)
            if array.ndim != 3 or array.shape[1] not in widths or array.shape[2] not in (2, 3):
                raise ValueError(
                    f"{source}: shape {array.shape} is not a canonical (frames, {CANONICAL_NUM_KEYPOINTS}, 2|3) "
                    f"skeleton; pass layout= one of {sorted(self.pose_layouts)} for other keypoint layouts"
                )
            return array
        if layout not in self.pose_layouts:
            raise ValueError(
                f"{source}: unknown layout {layout!r}; expected one of {sorted(self.pose_layouts)}"
            )
        spec = self.pose_layouts[layout]
        num_keypoints = sum(len(points) for _, _, points, *_ in spec["components"])
        if array.ndim != 3 or array.shape[1:] != (num_keypoints, 3):
            raise ValueError(
                f"{source}: shape {array.shape}; expected (frames, {num_keypoints}, 3) for {layout}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{source}: keypoints contain NaN or inf")
        whole = self.uni_sign and layout == COCO_WHOLEBODY
        index = np.arange(num_keypoints) if whole else canonical_index(spec)
        return gather_canonical(array[..., :2], array[..., 2], index)

    def pose_bytes(self, buffer: bytes, source: str) -> PoseInput:
        """A `.pose` file's bytes."""
        try:
            from pose_format import Pose
        except ImportError:  # optional: only `.pose` inputs need it
            raise ImportError(
                f"reading {source} needs the `pose-format` package: pip install pose-format"
            ) from None
        try:
            pose = Pose.read(io.BytesIO(buffer))
        except Exception as error:  # pose-format reports corrupt bytes as struct/Type/Value/Index errors
            raise ValueError(
                f"{source}: not a readable .pose file ({type(error).__name__}: {error})"
            ) from None
        return self.pose_format(pose, source)

    def pose_format(self, pose: Any, source: str) -> PoseInput:
        """A pose-format `Pose` (any layout of the table), with the frame size its header records."""
        if not self.pose_layouts:
            raise ValueError(
                f"{source}: no pose layout table ({POSE_LAYOUTS_FILE}) to read a pose-format Pose with"
            )
        components = [(component.name, list(component.points)) for component in pose.header.components]
        matches = (
            (name, spec, header_positions(spec, components)) for name, spec in self.pose_layouts.items()
        )
        layout, spec, positions = next(
            (match for match in matches if match[2] is not None), (None, None, None)
        )
        if positions is None:
            found = ", ".join(f"{name} ({len(points)})" for name, points in components)
            raise ValueError(
                f"{source}: unknown pose layout with components [{found}]; expected one of {sorted(self.pose_layouts)}"
            )
        whole = self.uni_sign and layout == COCO_WHOLEBODY
        index = header_layout_index(spec, positions) if whole else header_canonical_index(spec, positions)
        width, height = float(pose.header.dimensions.width), float(pose.header.dimensions.height)
        frame_size = (width, height) if width > 0 and height > 0 else None
        data, frames = pose.body.data, pose.body.data.shape[0]
        if frames == 0:
            raise ValueError(f"{source}: the pose has no frames")
        if data.shape[1] == 0:  # no person detected in any frame
            return np.zeros((frames, len(index), 3), dtype=np.float32), frame_size
        missing = np.ma.getmaskarray(data[:, 0]).any(axis=-1)
        xy = np.ma.getdata(data[:, 0])[..., :2].astype(np.float64)
        confidence = np.where(missing, 0.0, np.asarray(pose.body.confidence, dtype=np.float64)[:, 0])
        if not (np.isfinite(xy).all() and np.isfinite(confidence).all()):
            raise ValueError(f"{source}: keypoints contain NaN or inf")
        return gather_canonical(xy, confidence, index), frame_size


def _is_pose_sequence(value: Any) -> bool:
    """A `lexsign_hf.pose.PoseSequence` (duck-typed: this module is used without `lexsign_hf`)."""
    return all(hasattr(value, name) for name in ("data", "layout", "frame_size", "canonical"))


def _is_pose_format(value: Any) -> bool:
    """A pose-format `Pose` (duck-typed: `pose_format` is optional)."""
    return hasattr(value, "header") and hasattr(value, "body") and hasattr(value.header, "components")

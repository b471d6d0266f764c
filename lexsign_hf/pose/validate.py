"""One check of a stored pose, used by every reader, by the dataset build and by training's data path.

A pose passes when it is what the model can use without a silent NaN or a wrongly scaled input:

- a (frames > 0, keypoints, 3) array of x, y, confidence with the keypoint count its layout needs;
- finite after the cast to float32 (a float64 1e300 becomes inf there);
- every confidence in [0, 1];
- at least one keypoint with confidence > 0 (an all-zero sequence means nobody was found);
- coordinates of confident keypoints (of the image-plane components: MediaPipe's metric world landmarks are
  left out) plausible: within `COORDINATE_MARGIN` frames beyond each edge of the frame
  when its size is known (a frame size of (1, 1) means frame-normalised coordinates), else within
  ±`MAX_PIXEL_COORDINATE` pixels.

`check_pose` raises `PoseValidationError` (a `ValueError`) with one line naming the source and the field.
"""

from __future__ import annotations

import numpy as np

from .layouts import get_layout

COORDINATE_MARGIN = (
    4.0  # frames beyond each edge: MediaPipe extrapolates off-screen legs to 3.5 frame heights
)
MAX_PIXEL_COORDINATE = 1e5  # |x|, |y| bound for pixel coordinates of an unknown frame size
MAX_POSE_VALUES = (
    2**26
)  # frames × keypoints × 3 a pose file may decode to (256 MiB of float32, ~41k frames × 543)
NORMALISED_FRAME = (1.0, 1.0)  # the frame size of coordinates given as fractions of the frame


class PoseValidationError(ValueError):
    """A pose that readers, the build or training must not use; the message names the source and the field."""


def check_pose(
    data: np.ndarray,
    layout: str | None = None,
    frame_size: tuple[float, float] | None = None,
    source: str = "pose",
) -> np.ndarray:
    """`data` as a float32 (T, K, 3) array after checking it (see the module doc); raises `PoseValidationError`."""
    array = np.asarray(data)
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise PoseValidationError(f"{source}: field 'pose' has dtype {array.dtype}; expected real numbers")
    if array.ndim != 3 or array.shape[0] == 0 or array.shape[2] != 3:
        raise PoseValidationError(
            f"{source}: field 'pose' has shape {array.shape}; expected (frames > 0, keypoints, 3) x, y, confidence"
        )
    if array.size > MAX_POSE_VALUES:
        raise PoseValidationError(
            f"{source}: field 'pose' has {array.size} values; expected at most {MAX_POSE_VALUES}"
        )
    if layout is not None:
        try:
            spec = get_layout(layout)
        except ValueError as error:
            raise PoseValidationError(f"{source}: field 'layout': {error}") from error
        if array.shape[1] != spec.num_keypoints:
            raise PoseValidationError(
                f"{source}: field 'pose' has {array.shape[1]} keypoints; layout {layout} needs {spec.num_keypoints}"
            )
    with np.errstate(over="ignore", invalid="ignore"):
        array = array.astype(np.float32)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        frame, keypoint, channel = bad[0]
        field = "confidence" if channel == 2 else "keypoints"
        raise PoseValidationError(
            f"{source}: field '{field}' has NaN or infinite values after the float32 cast "
            f"(first at frame {frame}, keypoint {keypoint}); expected finite numbers"
        )
    confidence = array[..., 2]
    if confidence.min() < 0 or confidence.max() > 1:
        raise PoseValidationError(
            f"{source}: field 'confidence' ranges over [{confidence.min():.3g}, {confidence.max():.3g}]; "
            "expected values in [0, 1]"
        )
    confident = confidence > 0
    if not confident.any():
        raise PoseValidationError(
            f"{source}: field 'confidence' is 0 for every keypoint of every frame (no person found); "
            "expected at least one detected keypoint"
        )
    checked = _checked_points(layout, array.shape[1])
    xy = array[:, checked, :2][confident[:, checked]]
    if not len(xy):
        return array
    if frame_size is not None:
        size = np.asarray(frame_size, dtype=np.float64)
        if size.shape != (2,) or not np.isfinite(size).all() or (size <= 0).any():
            raise PoseValidationError(
                f"{source}: frame size {frame_size!r}; expected a positive (width, height)"
            )
        low, high = -COORDINATE_MARGIN * size, (1 + COORDINATE_MARGIN) * size
        outside = (xy < low) | (xy > high)
        if outside.any():
            unit = "frame-normalised" if tuple(size) == NORMALISED_FRAME else f"{size[0]:g}x{size[1]:g} frame"
            raise PoseValidationError(
                f"{source}: field 'keypoints' has coordinates from ({xy[:, 0].min():.4g}, {xy[:, 1].min():.4g}) to "
                f"({xy[:, 0].max():.4g}, {xy[:, 1].max():.4g}); expected within {COORDINATE_MARGIN:g} frames of "
                f"the {unit} [0, {size[0]:g}] x [0, {size[1]:g}]"
            )
    elif np.abs(xy).max() > MAX_PIXEL_COORDINATE:
        raise PoseValidationError(
            f"{source}: field 'keypoints' has |coordinate| up to {np.abs(xy).max():.4g}; expected at most "
            f"{MAX_PIXEL_COORDINATE:g} pixels"
        )
    return array


def parse_frame_size(text: str) -> tuple[float, float]:
    """``"WxH"`` (e.g. ``"320x240"``) as a positive (width, height); raises `ValueError` with the expected form."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        width, height = (float(part) for part in parts)
    except ValueError:
        raise ValueError(f"frame size {text!r}: expected WIDTHxHEIGHT in pixels, e.g. 320x240") from None
    if not (np.isfinite(width) and np.isfinite(height) and width > 0 and height > 0):
        raise ValueError(f"frame size {text!r}: expected a positive WIDTHxHEIGHT, e.g. 320x240")
    return width, height


def _checked_points(layout: str | None, num_keypoints: int) -> np.ndarray:
    """Keypoints whose coordinates are in the image plane: all but a layout's world-landmark components."""
    if layout is None:
        return np.arange(num_keypoints)
    keep, offset = [], 0
    for component in get_layout(layout).components:
        if "WORLD" not in component.name:
            keep.extend(range(offset, offset + len(component.points)))
        offset += len(component.points)
    return np.asarray(keep, dtype=np.int64)

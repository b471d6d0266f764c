"""Uni-Sign's released pose pickles, read with an unpickler that can build numpy arrays and nothing else.

Uni-Sign (`demo/pose_extraction.py`, RTMLib whole-body) pickles a dict per video: `keypoints`, a list of per-frame
(people, 133, 2) arrays (or one (T, people, 133, 2) array) already divided by the frame's width / height, `scores`
of the matching (people, 133) shape, and optionally `start` / `end` (its loader reads frames start..end-1). Like
its `load_part_kp`, the first person of every frame is kept.

A pickle can run arbitrary code when loaded; `RestrictedUnpickler` resolves only the numpy names an array (or a
numpy scalar) needs and refuses every other global, so a hostile file fails with a `ValueError`, never runs.
Plain containers and numbers (dict, list, tuple, int, float, str, bool, None) need no global and load as usual.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

ALLOWED_GLOBALS = frozenset(
    {
        ("_codecs", "encode"),  # how protocol 2 pickles bytes (an array's buffer): str -> bytes, nothing else
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        *(
            (module, name)
            for prefix in ("numpy.core", "numpy._core")
            for module, name in (
                (f"{prefix}.multiarray", "_reconstruct"),
                (f"{prefix}.multiarray", "scalar"),
                (f"{prefix}.numeric", "_frombuffer"),
            )
        ),
    }
)
UNI_SIGN_KEYPOINTS = 133  # COCO-WholeBody


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays, numpy scalars and plain containers only."""

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"global {module}.{name} is not allowed (numpy arrays and numbers only)"
            )
        return super().find_class(module, name)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not allowed")


def restricted_load(data: bytes):
    """`pickle.loads(data)` through `RestrictedUnpickler`."""
    return RestrictedUnpickler(io.BytesIO(data)).load()


def read_uni_sign_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(T, 133, 2) frame-normalised x, y and (T, 133) scores of the first person of a Uni-Sign pose pickle."""
    try:
        content = restricted_load(path.read_bytes())
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
    ) as error:
        raise ValueError(
            f"{path}: not a readable Uni-Sign pose pickle ({type(error).__name__}: {error})"
        ) from None
    if not isinstance(content, dict) or "keypoints" not in content or "scores" not in content:
        found = sorted(map(str, content)) if isinstance(content, dict) else type(content).__name__
        raise ValueError(
            f"{path}: a pickle of {found}; expected Uni-Sign's dict with 'keypoints' and 'scores'"
        )
    keypoints, scores = content["keypoints"], content["scores"]
    if not isinstance(keypoints, list | tuple | np.ndarray) or not isinstance(
        scores, list | tuple | np.ndarray
    ):
        raise ValueError(f"{path}: fields 'keypoints' / 'scores' must be arrays or lists of per-frame arrays")
    if len(keypoints) != len(scores):
        raise ValueError(
            f"{path}: field 'keypoints' has {len(keypoints)} frames but 'scores' has {len(scores)}"
        )
    frames = range(len(keypoints))
    if "start" in content or "end" in content:
        start, end = content.get("start", 0), content.get("end", len(keypoints))
        if not all(isinstance(value, int | np.integer) for value in (start, end)) or not 0 <= start < end:
            raise ValueError(
                f"{path}: fields 'start' / 'end' are {start!r} / {end!r}; expected 0 <= start < end"
            )
        if end > len(keypoints):
            raise ValueError(f"{path}: field 'end' is {end}; the pickle has {len(keypoints)} frames")
        frames = range(int(start), int(end))
    xy = np.zeros((len(frames), UNI_SIGN_KEYPOINTS, 2))
    confidence = np.zeros((len(frames), UNI_SIGN_KEYPOINTS))
    for row, frame in enumerate(frames):
        points, score = _first_person(path, frame, keypoints[frame], scores[frame])
        if points is not None:
            xy[row], confidence[row] = points, score
    return xy, confidence


def _first_person(path: Path, frame: int, points, scores) -> tuple[np.ndarray | None, np.ndarray | None]:
    points, scores = np.asarray(points), np.asarray(scores)
    for field, array in (("keypoints", points), ("scores", scores)):
        if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
            raise ValueError(
                f"{path}: field '{field}' of frame {frame} has dtype {array.dtype}; expected numbers"
            )
    if points.ndim == 2:  # one person, no people axis
        points, scores = points[None], scores[None]
    if points.ndim != 3 or points.shape[1:] != (UNI_SIGN_KEYPOINTS, 2) or scores.shape != points.shape[:2]:
        raise ValueError(
            f"{path}: frame {frame} has keypoints {points.shape} and scores {scores.shape}; expected "
            f"(people, {UNI_SIGN_KEYPOINTS}, 2) and (people, {UNI_SIGN_KEYPOINTS})"
        )
    if points.shape[0] == 0:  # nobody detected in this frame
        return None, None
    return points[0].astype(np.float64), scores[0].astype(np.float64)

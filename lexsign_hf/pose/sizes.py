"""Sizes a pose file declares, checked against the bytes actually there before anything is allocated.

A 14.8 kB `.pose` declaring 100,000 frames made pose-format allocate 3.4 GB, and a 193-byte `.npy` header asked
numpy for 149 GiB. `check_pose_body_size` and `check_numpy_sizes` compare frames x people x points (and every
`.npy` header's shape) with the bytes stored and with `MAX_POSE_VALUES`, and raise a `ValueError` naming the file.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
from pose_format.pose_header import PoseHeader

from .validate import MAX_POSE_VALUES


def check_pose_body_size(path: Path, header: PoseHeader, buffer: bytes, offset: int) -> None:
    """Check the frames × people × points a `.pose` body declares against the bytes there and `MAX_POSE_VALUES`."""
    version, points = round(header.version, 3), header.total_points()
    dims = max(len(component.format) for component in header.components) - 1
    left = len(buffer) - offset
    if version == 0.2 and left >= 10:
        frames, people = struct.unpack_from("<IH", buffer, offset + 4)
        needed = 10 + frames * people * points * (dims + 1) * 4
        if needed != left:
            raise ValueError(
                f"{path}: truncated or corrupt .pose file (its body declares {frames} frames x {people} people x "
                f"{points} points = {needed} bytes; the file has {left})"
            )
    elif version == 0.1 and left >= 6:
        people = struct.unpack_from("<H", buffer, offset + 4)[0]
        if people == 0:
            raise ValueError(
                f"{path}: field 'people' is 0 in a v0.1 .pose body; expected at least one person"
            )
        frames = (left - 6) // (people * points * (dims + 1) * 4)
    elif version == 0.0 and left >= 10:
        frames = struct.unpack_from("<H", buffer, offset + 8)[0]
    else:
        raise ValueError(f"{path}: truncated .pose file ({left} body bytes)")
    if frames * points * 3 > MAX_POSE_VALUES:
        raise ValueError(
            f"{path}: field 'frames' is {frames}; {points} points per frame allow at most "
            f"{MAX_POSE_VALUES // (points * 3)} (lexsign_hf.pose.validate.MAX_POSE_VALUES)"
        )


def check_numpy_sizes(path: Path) -> None:
    """Check that every array of an `.npy` / `.npz` fits in the bytes stored for it and in `MAX_POSE_VALUES`."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.filename.endswith(".npy"):
                        with archive.open(info) as member:
                            _check_npy_header(path, info.filename[:-4], member, info.file_size)
        else:
            with path.open("rb") as file:
                _check_npy_header(path, "keypoints", file, path.stat().st_size)
    except (OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
        raise ValueError(f"{path}: not a readable numpy file ({type(error).__name__}: {error})") from error


def _check_npy_header(path: Path, field: str, file, stored_bytes: int) -> None:
    try:
        version = np.lib.format.read_magic(file)
        read_header = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(file)
    except (ValueError, SyntaxError, TypeError) as error:
        raise ValueError(f"{path}: field '{field}' has no readable .npy header ({error})") from error
    if dtype.hasobject:
        raise ValueError(
            f"{path}: not a readable numpy file (field '{field}' holds Python objects; never unpickled)"
        )
    count = int(np.prod(shape, dtype=object))
    needed, stored_bytes = count * dtype.itemsize, stored_bytes - file.tell()
    if needed > stored_bytes:
        raise ValueError(
            f"{path}: field '{field}' declares shape {shape} ({needed} bytes) but only {stored_bytes} are stored"
        )
    if count > 2 * MAX_POSE_VALUES:
        raise ValueError(
            f"{path}: field '{field}' declares {count} values; expected at most {2 * MAX_POSE_VALUES} "
            "(lexsign_hf.pose.validate.MAX_POSE_VALUES)"
        )

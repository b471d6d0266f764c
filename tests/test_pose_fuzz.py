"""Fuzzing the readers: ≥ 300 damaged variants of real files in every supported format, read in child processes
under an address-space cap. Every variant is either refused with one line naming it, or read into a pose that
holds what `check_pose` promises (re-checked here independently): 0 tracebacks, 0 hangs, 0 garbage accepted."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections import Counter

import pytest
from pose_corpus import fuzz_corpus

ADDRESS_SPACE = 4 * 2**30  # per child: numpy/pandas/pyarrow need ~1.5 GiB of it; a 3.4 GB allocation fails
BATCHES = 4  # variants are read in this many children (a child per variant would cost minutes of imports)
PER_FILE_SECONDS = 20  # SIGALRM per variant: a reader that takes longer counts as a hang

CHILD = r"""
import json, math, signal, sys
import numpy as np
from lexsign_hf.pose import LAYOUTS, read_pose

class Hang(BaseException):
    pass

def alarm(*_):
    raise Hang()

signal.signal(signal.SIGALRM, alarm)

def garbage(sequence):
    data = sequence.data
    if not isinstance(data, np.ndarray) or data.dtype != np.float32 or data.ndim != 3 or data.shape[2] != 3:
        return f"array {type(data).__name__} {getattr(data, 'dtype', None)} {getattr(data, 'shape', None)}"
    if sequence.layout not in LAYOUTS or LAYOUTS[sequence.layout].num_keypoints != data.shape[1]:
        return f"layout {sequence.layout} with {data.shape[1]} keypoints"
    if data.shape[0] == 0 or not np.isfinite(data).all():
        return "empty or non-finite"
    confidence = data[..., 2]
    if confidence.min() < 0 or confidence.max() > 1 or not (confidence > 0).any():
        return f"confidence in [{confidence.min()}, {confidence.max()}]"
    if not (math.isfinite(sequence.fps) and sequence.fps > 0):
        return f"fps {sequence.fps}"
    world = [i for i, c in enumerate(LAYOUTS[sequence.layout].components) if "WORLD" in c.name]
    keep = np.ones(data.shape[1], bool)
    offsets = np.cumsum([0, *(len(c.points) for c in LAYOUTS[sequence.layout].components)])
    for i in world:
        keep[offsets[i]:offsets[i + 1]] = False
    xy = data[:, keep, :2][confidence[:, keep] > 0]
    if sequence.frame_size is None:
        return f"coordinates up to {np.abs(xy).max()}" if np.abs(xy).max() > 1e5 else None
    width, height = sequence.frame_size
    if not (width > 0 and height > 0 and math.isfinite(width) and math.isfinite(height)):
        return f"frame size {sequence.frame_size}"
    low, high = xy.min(0) / (width, height), xy.max(0) / (width, height)
    return f"coordinates {low}..{high} frames" if (low < -4).any() or (high > 5).any() else None

for path in sys.argv[1:]:
    signal.alarm(PER_FILE_SECONDS)
    try:
        outcome, detail = "accepted", garbage(read_pose(path))
        if detail:
            outcome = "garbage"
    except (ValueError, FileNotFoundError) as error:
        message = str(error)
        named = path in message or path.rsplit("/", 1)[-1] in message
        outcome, detail = ("refused", message) if named and "\n" not in message else ("unclear", message)
        if "MemoryError" in message:
            outcome = "allocated"
    except Hang:
        outcome, detail = "hang", ""
    except BaseException as error:
        outcome, detail = "traceback", f"{type(error).__name__}: {error}"
    finally:
        signal.alarm(0)
    print(json.dumps({"path": path, "outcome": outcome, "detail": (detail or "")[:300]}), flush=True)
""".replace("PER_FILE_SECONDS", str(PER_FILE_SECONDS))


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.mark.slow
def test_fuzzed_pose_files_never_crash_hang_or_pass_garbage(shared_data, tmp_path):
    samples = shared_data / "pose-samples"
    variants = [str(path) for path in fuzz_corpus(samples, tmp_path, seed=22)]
    assert len(variants) >= 300
    suffixes = Counter(
        path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else "folder" for path in variants
    )
    assert set(suffixes) >= {"pose", "npy", "npz", "json", "pkl", "parquet", "folder"}, suffixes
    results = {}
    for batch in range(BATCHES):
        paths = variants[batch::BATCHES]
        child = subprocess.run(
            [sys.executable, "-c", CHILD, *paths],
            capture_output=True,
            text=True,
            timeout=PER_FILE_SECONDS * len(paths) + 60,
            preexec_fn=_limit_address_space,
        )
        for line in child.stdout.splitlines():
            record = json.loads(line)
            results[record["path"]] = record
        missing = [path for path in paths if path not in results]
        assert not missing, f"child died (rc {child.returncode}) at {missing[0]}: {child.stderr[-2000:]}"
    outcomes = Counter(record["outcome"] for record in results.values())
    bad = [record for record in results.values() if record["outcome"] not in ("refused", "accepted")]
    assert not bad, f"{outcomes}: {bad[:5]}"
    assert outcomes["refused"] > outcomes["accepted"]  # most damage is caught, not silently read
    accepted = Counter(
        path.rsplit("/", 1)[-1].rsplit("_", 1)[0] for path, r in results.items() if r["outcome"] == "accepted"
    )
    print(f"{len(variants)} variants: {dict(outcomes)}; accepted: {dict(accepted)}")

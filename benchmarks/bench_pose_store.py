"""Pose store at WLASL scale: build rows/s and peak memory of `data build --poses` on a simulated WLASL index.

The index is simulated with WLASL v0.3's shape: 2,000 glosses, 21,083 instances (mode `full`/`quick`; `tiny`:
2,000 instances), train/val/test in WLASL's proportions, and one small `.npy` pose per video (COCO-WholeBody 133,
`FRAMES` frames; every fourth a whole-video pose with a frame span inside it, so trimming runs), plus three
corrupt files that must be reported, not fatal. The build writes the ZSSLR configs asl1000/300/100 and the ISLR
configs wlasl100/300/1000/2000 (derived from the index). Reported: wall time, rows written over all configs and
rows/s (video rows over all configs), peak resident memory of the build (`common.measure_peak`), and pose bytes
read vs bytes written (parquet configs + the pose store `data/asl_poses`, where each pose is stored once, so this
is ~1, not the number of configs).
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from lexsign_hf.data.build import build_lexsign

SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {"instances": 2_000, "glosses": 2_000},
    "quick": {"instances": 21_083, "glosses": 2_000},
    "full": {"instances": 21_083, "glosses": 2_000},
}
FRAMES = 4  # frames per pose file: the store's per-row cost, not pose size, is what this measures
KEYPOINTS = 133
SPLIT_SHARES = {"train": 14_289, "val": 3_916, "test": 2_878}  # WLASL v0.3


def simulate(folder: Path, instances: int, glosses: int, seed: int = 0) -> tuple[Path, Path, int]:
    """A WLASL-style index and its pose folder; returns (index, pose folder, pose bytes)."""
    rng = np.random.default_rng(seed)
    poses = folder / "poses"
    poses.mkdir(parents=True)
    shares = np.array(list(SPLIT_SHARES.values()), dtype=float)
    splits = rng.choice(list(SPLIT_SHARES), size=instances, p=shares / shares.sum())
    gloss_of = np.sort(np.concatenate([np.arange(glosses), rng.integers(0, glosses, instances - glosses)]))
    entries = [{"gloss": f"gloss_{g:04d}", "instances": []} for g in range(glosses)]
    pose_bytes = 0
    for number in range(instances):
        video_id = f"{number:05d}"
        whole = number % 4 == 0
        frames = FRAMES * 2 if whole else FRAMES
        data = rng.random((frames, KEYPOINTS, 3), dtype=np.float32)
        np.save(poses / f"{video_id}.npy", data)
        pose_bytes += data.nbytes
        span = (3, 2 + FRAMES) if whole else (1, -1)
        entries[gloss_of[number]]["instances"].append(
            {"video_id": video_id, "split": str(splits[number]), "signer_id": int(number % 119), "fps": 25,
             "frame_start": span[0], "frame_end": span[1], "variation_id": 0}
        )  # fmt: skip
    for number in range(3):  # in the index, but unreadable
        video_id = f"corrupt{number}"
        entries[number]["instances"].append(
            {
                "video_id": video_id,
                "split": "train",
                "signer_id": 0,
                "fps": 25,
                "frame_start": 1,
                "frame_end": -1,
            }
        )
        (poses / f"{video_id}.npy").write_bytes(b"\x93NUMPY broken")
    index = folder / "WLASL_v0.3.json"
    index.write_text(json.dumps(entries), encoding="utf-8")
    return index, poses, pose_bytes


def main(argv: list[str] | None = None) -> None:
    args = common.parse_args(__doc__.splitlines()[0], argv)
    started = time.perf_counter()
    machine = common.machine_info()
    settings = SETTINGS[args.mode]
    with tempfile.TemporaryDirectory(prefix="lexsign-bench-store-") as temporary:
        folder = Path(temporary)
        simulate_started = time.perf_counter()
        index, poses, pose_bytes = simulate(folder, settings["instances"], settings["glosses"])
        simulate_seconds = time.perf_counter() - simulate_started
        out = folder / "lexsign"
        report = {}

        def build() -> None:
            report["report"] = build_lexsign(out, wlasl=index, poses=poses, progress=False)

        build_started = time.perf_counter()
        memory = common.measure_peak(build)
        build_seconds = time.perf_counter() - build_started
        built = report["report"]
        rows = {
            name: sum(splits.values())
            for name, splits in built.configs.items()
            if name not in ("descriptions", "asl_poses")
        }
        parquet_bytes = sum(path.stat().st_size for path in out.rglob("*.parquet"))
        store_bytes = sum(path.stat().st_size for path in (out / "data" / "asl_poses").glob("data-*.arrow"))
        results = {
            "instances": settings["instances"],
            "pose_files": built.poses["files"],
            "unreadable_reported": len(built.poses["unreadable"]),
            "rows_per_config": rows,
            "rows_written": sum(rows.values()),
            "pose_rows_stored": built.configs["asl_poses"]["train"],
            "rows_trimmed": sum(built.poses["trimmed"].values()),
            "simulate_seconds": round(simulate_seconds, 2),
            "build_seconds": round(build_seconds, 2),
            "rows_per_second": round(sum(rows.values()) / build_seconds, 1),
            "instances_per_second": round(settings["instances"] / build_seconds, 1),
            "peak_rss_bytes": memory["peak_bytes"],
            "peak_rss_delta_bytes": memory["peak_delta_bytes"],
            "pose_bytes_read": pose_bytes,
            "parquet_bytes_written": parquet_bytes,
            "pose_store_bytes_written": store_bytes,
            "stored_over_pose_bytes": round((parquet_bytes + store_bytes) / pose_bytes, 2),
        }
    common.print_table(
        "Pose store build (simulated WLASL)",
        ["instances", "rows written", "build s", "rows/s", "peak RSS", "stored / pose bytes"],
        [[results["instances"], results["rows_written"], results["build_seconds"], results["rows_per_second"],
          common.fmt_mib(results["peak_rss_bytes"]), results["stored_over_pose_bytes"]]],
    )  # fmt: skip
    common.write_result(
        args.out,
        "pose_store",
        args.mode,
        {**settings, "frames": FRAMES, "keypoints": KEYPOINTS, "format": ".npy", "corrupt_files": 3},
        results,
        machine,
        started,
    )


if __name__ == "__main__":
    main()

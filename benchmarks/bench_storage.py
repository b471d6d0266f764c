"""Storage at WLASL scale: real-size poses stored once, and what loading three configs adds to the `datasets` cache.

The real WLASL v0.3 index (../shared/data/wlasl, 21,083 videos) with a seeded `fraction` of its videos given a
simulated real-size pose (`FRAMES` x 543 MediaPipe points, x/y in a 640x480 frame, `.npz` with its layout and
frame size); the rest have none and are left out. `data build` writes every config; then asl1000, asl300 and
wlasl2000 are loaded with `pose_store.load_video_config`, in a fresh `HF_DATASETS_CACHE`, and the cache is
measured after each. Reported: build time and peak RSS, the pose store on disk (the `asl_poses` parquet), the cache
after each load, and (store + cache) / store. For comparison the previous join (`concatenate_datasets(axis=1)`
of the selected pose rows, which `flatten_indices` writes out) is run on the same folder in another fresh cache.
Linear extrapolation to all 21,083 videos is reported separately and labelled as such (mode `full`: fraction 1).
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {"fraction": 0.01},
    "quick": {"fraction": 0.05},
    "full": {"fraction": 1.0},
}
FRAMES = 60
KEYPOINTS = 543
WLASL = common.REPO_ROOT.parent / "shared" / "data" / "wlasl" / "WLASL_v0.3.json"
LOADED = ("asl1000", "asl300", "wlasl2000")


def _folder_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def _simulate(poses: Path, fraction: float, seed: int = 0) -> int:
    from lexsign_hf.data.wlasl import read_wlasl_index

    index = read_wlasl_index(WLASL)
    rng = np.random.default_rng(seed)
    chosen = [instance.video_id for instance in index.instances if rng.random() < fraction]
    poses.mkdir(parents=True)
    for video_id in chosen:
        xy = np.column_stack(
            [rng.uniform(0, 640, FRAMES * KEYPOINTS), rng.uniform(0, 480, FRAMES * KEYPOINTS)]
        )
        np.savez(
            poses / f"{video_id}.npz",
            keypoints=xy.reshape(FRAMES, KEYPOINTS, 2).astype(np.float32),
            layout="mediapipe_holistic_543",
            width=640.0,
            height=480.0,
        )
    return len(chosen)


def _load_and_measure(out: Path, cache: Path, legacy: bool) -> dict[str, int]:
    """Cache bytes after loading each of `LOADED` (with the new join, or the previous one when `legacy`)."""
    import datasets

    from lexsign_hf.data import pose_store

    os.environ["HF_DATASETS_CACHE"] = str(cache)
    datasets.config.HF_DATASETS_CACHE = cache
    sizes = {}
    for config in LOADED:
        if legacy:
            loaded = datasets.load_dataset(str(out), config, cache_dir=str(cache))
            poses = datasets.load_dataset(str(out), "asl_poses", split="train", cache_dir=str(cache))
            position = {video_id: row for row, video_id in enumerate(poses["video_id"])}
            stored = poses.remove_columns("video_id")
            for table in loaded.values():
                table = table.remove_columns(
                    [name for name in stored.column_names if name in table.column_names]
                )
                joined = stored.select([position[video_id] for video_id in table["video_id"]])
                datasets.concatenate_datasets([table, joined], axis=1)
        else:
            splits = pose_store.load_video_config(out, config)
            for split in splits.values():  # touch every pose: nothing may be copied on access either
                for row in split.select(range(0, len(split), max(1, len(split) // 20))):
                    assert row["pose"] is not None
        sizes[config] = _folder_bytes(cache)
    sizes["by_config"] = {}  # the cache's <builder>/<config> folders: which copies it holds
    for entry in cache.glob("*/*"):
        if entry.is_dir():
            sizes["by_config"][entry.name] = sizes["by_config"].get(entry.name, 0) + _folder_bytes(entry)
    return sizes


def main(argv: list[str] | None = None) -> None:
    args = common.parse_args(__doc__.splitlines()[0], argv)
    started = time.perf_counter()
    machine = common.machine_info()
    fraction = SETTINGS[args.mode]["fraction"]
    from lexsign_hf.data.build import build_lexsign

    with tempfile.TemporaryDirectory(prefix="lexsign-bench-storage-") as temporary:
        folder = Path(temporary)
        videos = _simulate(folder / "poses", fraction)
        out = folder / "lexsign"
        report = {}

        def build() -> None:
            report["report"] = build_lexsign(out, wlasl=WLASL, poses=folder / "poses", progress=False)

        build_started = time.perf_counter()
        memory = common.measure_peak(build)
        build_seconds = time.perf_counter() - build_started
        store = _folder_bytes(out / "data" / "asl_poses")
        folder_bytes = _folder_bytes(out)
        new = _load_and_measure(out, folder / "cache_new", legacy=False)
        old = _load_and_measure(out, folder / "cache_old", legacy=True)
        pose_bytes = videos * FRAMES * KEYPOINTS * 3 * 4
        scale = 21_083 / videos
        results = {
            "videos_with_pose": videos,
            "pose_rows_stored": report["report"].configs["asl_poses"]["train"],
            "pose_array_bytes": pose_bytes,
            "build_seconds": round(build_seconds, 2),
            "peak_rss_bytes": memory["peak_bytes"],
            "pose_store_bytes": store,
            "dataset_folder_bytes": folder_bytes,
            "cache_bytes_after_load": new,
            "store_plus_cache_over_store": round((store + new[LOADED[-1]]) / store, 3),
            "cache_added_over_store": round(new[LOADED[-1]] / store, 3),
            "previous_join_cache_bytes_after_load": old,
            "previous_join_store_plus_cache_over_store": round((store + old[LOADED[-1]]) / store, 3),
            "extrapolated_to_21083_videos": {
                "note": f"linear extrapolation x{scale:.1f} from {videos} videos, not measured",
                "build_seconds": round(build_seconds * scale, 0),
                "pose_store_bytes": int(store * scale),
                "cache_bytes_after_3_configs": int(new[LOADED[-1]] * scale),
                "previous_join_cache_bytes_after_3_configs": int(old[LOADED[-1]] * scale),
            },
        }
    common.print_table(
        "Storage (real WLASL index, simulated real-size poses)",
        ["videos", "build s", "peak RSS", "store", "cache after 3 configs", "(store+cache)/store", "previous"],
        [[videos, results["build_seconds"], common.fmt_mib(memory["peak_bytes"]), common.fmt_mib(store),
          common.fmt_mib(new[LOADED[-1]]), results["store_plus_cache_over_store"],
          results["previous_join_store_plus_cache_over_store"]]],
    )  # fmt: skip
    settings = {"fraction": fraction, "frames": FRAMES, "keypoints": KEYPOINTS, "loaded": list(LOADED)}
    common.write_result(args.out, "storage", args.mode, settings, results, machine, started)


if __name__ == "__main__":
    main()

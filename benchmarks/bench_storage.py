"""Storage at WLASL scale: real-size poses stored once, and what loading three configs adds to the `datasets` cache.

The real WLASL v0.3 index (../shared/data/wlasl, 21,083 videos) with a seeded `fraction` of its videos given a
simulated real-size pose (`FRAMES` x 543 MediaPipe points, x/y in a 640x480 frame, `.npz` with its layout and
frame size); the rest have none and are left out. `data build` writes every config and the pose store
(``data/asl_poses``, a `save_to_disk` folder); then asl1000, asl300 and wlasl2000 are loaded with
`pose_store.load_video_config`, in a fresh `HF_DATASETS_CACHE`, and the cache is measured after each. Side by side,
on the same rows: the earlier layout (the store as the parquet config ``asl_poses``, which `load_dataset` copies
into the cache as Arrow). Reported per layout: the store on disk, the cache after each load, load seconds, and
(store + cache) / store; and the build's time, peak RSS (`VmHWM`, which counts the pages of the memory-mapped pose
cache and store it touched) and peak anonymous RSS (the memory the build itself holds). Mode `full` is all 21,083
videos; the others report a linear extrapolation, labelled as such.
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import json
import os
import shutil
import tempfile
import threading
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


def _peak_anonymous_rss(fn) -> int:
    """`fn()`'s peak anonymous resident memory (`RssAnon`, sampled every 50 ms): the resident set without the pages
    of memory-mapped files (the pose cache and the store), which the kernel can drop at any time."""
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    peak[0] = max(peak[0], int(line.split()[1]) * 1024)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        fn()
    finally:
        done.set()
        sampler.join()
    return peak[0]


def _load_and_measure(out: Path, cache: Path) -> dict[str, Any]:
    """Cache bytes and seconds after loading each of `LOADED` with its poses joined, every split's poses touched."""
    import datasets

    from lexsign_hf.data import pose_store

    os.environ["HF_DATASETS_CACHE"] = str(cache)
    datasets.config.HF_DATASETS_CACHE = cache
    sizes: dict[str, Any] = {"seconds": {}}
    for config in LOADED:
        started = time.perf_counter()
        splits = pose_store.load_video_config(out, config)
        for split in splits.values():  # touch poses: nothing may be copied on access either
            for row in split.select(range(0, len(split), max(1, len(split) // 20))):
                assert row["pose"] is not None
        sizes["seconds"][config] = round(time.perf_counter() - started, 2)
        sizes[config] = _folder_bytes(cache)
    return sizes


def _earlier_layout(out: Path, earlier: Path, scratch_cache: Path) -> None:
    """`out` rewritten with the pose store as the parquet config ``asl_poses`` (the layout before the store)."""
    import datasets

    from lexsign_hf.data.hub_layout import write_dataset_folder

    names = datasets.get_dataset_config_names(str(out))
    configs = {
        name: dict(datasets.load_dataset(str(out), name, cache_dir=str(scratch_cache))) for name in names
    }
    configs["asl_poses"] = {"train": datasets.load_from_disk(str(out / "data" / "asl_poses"))}
    write_dataset_folder(
        earlier,
        configs,
        {name: next(iter(splits.values())).features for name, splits in configs.items()},
        (out / "README.md").read_text(encoding="utf-8"),
        default_config="asl1000",
        config_files={
            name: {
                path.name: json.loads(path.read_text(encoding="utf-8"))
                for path in (out / "data" / name).glob("*.json")
            }
            for name in names
        },
    )


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
        memory = {}
        memory["anonymous"] = _peak_anonymous_rss(lambda: memory.update(common.measure_peak(build)))
        build_seconds = time.perf_counter() - build_started
        earlier = folder / "earlier"
        _earlier_layout(out, earlier, folder / "scratch_cache")
        shutil.rmtree(folder / "scratch_cache")
        layouts = {}
        for name, root, store_dir in (
            ("save_to_disk_store", out, out / "data" / "asl_poses"),
            ("parquet_config", earlier, earlier / "data" / "asl_poses"),
        ):
            store = _folder_bytes(store_dir)
            loaded = _load_and_measure(root, folder / f"cache_{name}")
            layouts[name] = {
                "pose_store_bytes": store,
                "cache_bytes_after_load": loaded,
                "store_plus_cache_bytes": store + loaded[LOADED[-1]],
                "store_plus_cache_over_store": round((store + loaded[LOADED[-1]]) / store, 3),
            }
        new, old = layouts["save_to_disk_store"], layouts["parquet_config"]
        pose_bytes = videos * FRAMES * KEYPOINTS * 3 * 4
        scale = 21_083 / videos
        results = {
            "videos_with_pose": videos,
            "pose_rows_stored": report["report"].configs["asl_poses"]["train"],
            "pose_array_bytes": pose_bytes,
            "build_seconds": round(build_seconds, 2),
            "peak_rss_bytes": memory["peak_bytes"],
            "peak_anonymous_rss_bytes": memory["anonymous"],
            "dataset_folder_bytes": _folder_bytes(out),
            "layouts": layouts,
            "store_plus_cache_over_store": new["store_plus_cache_over_store"],
            "total_bytes_store_over_parquet_config": round(
                new["store_plus_cache_bytes"] / old["store_plus_cache_bytes"], 3
            ),
        }
        if videos < 21_083:
            results["extrapolated_to_21083_videos"] = {
                "note": f"linear extrapolation x{scale:.1f} from {videos} videos, not measured",
                "build_seconds": round(build_seconds * scale, 0),
                "store_plus_cache_bytes": int(new["store_plus_cache_bytes"] * scale),
                "parquet_config_store_plus_cache_bytes": int(old["store_plus_cache_bytes"] * scale),
            }
    common.print_table(
        "Storage (real WLASL index, simulated real-size poses)",
        ["videos", "build s", "peak RSS", "peak anon RSS", "store", "cache after 3 configs", "(store+cache)/store", "parquet config"],
        [[videos, results["build_seconds"], common.fmt_mib(memory["peak_bytes"]), common.fmt_mib(memory["anonymous"]),
          common.fmt_mib(new["pose_store_bytes"]), common.fmt_mib(new["cache_bytes_after_load"][LOADED[-1]]),
          new["store_plus_cache_over_store"], old["store_plus_cache_over_store"]]],
    )  # fmt: skip
    settings = {"fraction": fraction, "frames": FRAMES, "keypoints": KEYPOINTS, "loaded": list(LOADED)}
    common.write_result(args.out, "storage", args.mode, settings, results, machine, started)


if __name__ == "__main__":
    main()

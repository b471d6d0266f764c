"""Run every benchmark and write one JSON result per benchmark (plus `summary.json`).

    python benchmarks/run_all.py --quick            # < 5 minutes on 2 CPU cores
    python benchmarks/run_all.py                    # the full sweeps
    python benchmarks/run_all.py --tiny --out /tmp/results   # seconds; what the test suite runs
    python benchmarks/run_all.py --device cuda --quick       # + `gpu` (towers, HALI step: samples/s, MFU, bf16,
                                                             #   torch.compile) -> benchmarks/results/gpu/
    python benchmarks/run_all.py --device cpu --tiny --only gpu --out /tmp/r   # that path, seconds, on CPU

`train_step` runs before `data`, which compares the loader's rate with the training step's rate of the same run.
The headline figures of the run are written to `summary.json` (same four top-level keys as the others).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
import time
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent
BENCHMARKS = ("loss", "train_step", "zero_shot", "data", "text", "gpu")
ACCELERATOR_ONLY = ("gpu",)  # run by default on an accelerator only (`--only gpu` runs it on CPU)
sys.path.insert(0, str(BENCHMARKS_DIR))

import common  # noqa: E402


def run_benchmark(name: str, mode: str, out: Path, device: str | None, threads: int | None) -> dict:
    """Run `bench_<name>.main` in this process (imports paid once; each script resets the peak-memory marks)."""
    argv = ["--mode", mode, "--out", str(out)]
    if device:
        argv += ["--device", device]
    if threads:
        argv += ["--threads", str(threads)]
    print(f"\n=== {name} ({mode}) ===", flush=True)
    start = time.perf_counter()
    importlib.import_module(f"bench_{name}").main(argv)
    gc.collect()
    return {"seconds": round(time.perf_counter() - start, 1), "result": str(out / f"{name}.json")}


def headline(out: Path) -> dict:
    """The ratios and figures the README quotes, read back from the results just written."""
    load = lambda name: json.loads((out / f"{name}.json").read_text())  # noqa: E731
    summary: dict = {}
    loss = load("loss")["results"]["grid"]
    largest = max(loss, key=lambda entry: (entry["batch"], entry["dim"]))
    variants = largest["variants"]
    summary["loss"] = {
        "batch": largest["batch"],
        "dim": largest["dim"],
        "fragments": largest["fragments"],
        "hali_full_over_global": variants["hali_full"]["time"]["min_s"]
        / variants["hali_global"]["time"]["min_s"],
        "xclip_over_hali_fg": (
            variants["xclip_fg_subunit"]["time"]["min_s"] / variants["hali_fg_subunit"]["time"]["min_s"]
            if "xclip_fg_subunit" in variants
            else None
        ),
    }
    summary["train_step"] = [
        {
            "batch_size": entry["batch_size"],
            "precision": entry["precision"],
            "compiled": entry["compiled"],
            "hali_samples_per_s": entry["variants"]["hali"]["samples_per_s"],
            "hali_overhead_vs_global": entry["hali_overhead_vs_global"],
            "meets_target": entry["meets_target"],
        }
        for entry in load("train_step")["results"]["steps"]
    ]
    summary["zero_shot"] = [
        {k: entry[k] for k in ("threads", "similarity", "vocab_size")}
        | {"p50_ms": entry["latency"]["scores"]["p50_s"] * 1e3}
        for entry in load("zero_shot")["results"]["queries"]
    ]
    summary["data"] = [
        {k: entry[k] for k in ("workers", "format", "rows_per_s", "ratio_to_training")}
        for entry in load("data")["results"]["loaders"]
    ]
    summary["text"] = [
        {k: entry[k] for k in ("tower", "descriptions_per_s", "all_descriptions_seconds")}
        for entry in load("text")["results"]["towers"]
    ]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=common.MODES, default="full")
    parser.add_argument(
        "--quick", dest="mode", action="store_const", const="quick", help="same as --mode quick"
    )
    parser.add_argument("--tiny", dest="mode", action="store_const", const="tiny", help="same as --mode tiny")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder of the JSON results (default: benchmarks/results, "
        "benchmarks/results/gpu with --device cuda)",
    )
    parser.add_argument(
        "--device", default=None, help="torch device for every benchmark (default: cuda if available)"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these benchmarks")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    machine = common.machine_info()
    accelerator = bool(args.device and args.device.startswith("cuda"))
    if args.out is None:
        args.out = common.DEFAULT_RESULTS_DIR / "gpu" if accelerator else common.DEFAULT_RESULTS_DIR
    selected = [
        name
        for name in BENCHMARKS
        if (name in args.only if args.only else accelerator or name not in ACCELERATOR_ONLY)
    ]
    runs = {name: run_benchmark(name, args.mode, args.out, args.device, args.threads) for name in selected}
    results = {"runs": runs, "headline": None if args.only else headline(args.out)}
    settings = {"mode": args.mode, "device": args.device, "threads": args.threads, "benchmarks": list(runs)}
    common.write_result(args.out, "summary", args.mode, settings, results, machine, started)
    print(f"\nall benchmarks done in {time.perf_counter() - started:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

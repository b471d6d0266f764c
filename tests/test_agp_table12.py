"""The Table 12 protocol script runs end to end: AGP with tiny models on LexSign-Synth, HALI ZSSLR, evaluation."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "agp_table12.py"


def test_table12_demo_runs_end_to_end(tmp_path, monkeypatch, minilm_path):
    monkeypatch.setattr(
        sys, "argv", [str(EXAMPLE), "--demo", "--out", str(tmp_path), "--text-model", minilm_path]
    )
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    results = json.loads((tmp_path / "table12.json").read_text())
    assert results["agp"] == {"videos": 12, "missing_videos": 0}
    assert results["agp_descriptions"] == 12 + 6  # per-video + one summary per seen gloss
    assert results["training"]["glosses"] == 6 and results["training"]["train_loss"] > 0
    zsl = results["zsl_test"]
    assert zsl["classes"] == 4 and zsl["videos"] == 8 and 0.0 <= zsl["top1"] <= zsl["top5"] <= 100.0

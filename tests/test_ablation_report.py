"""The ablation report's findings follow the JSON: "higher" / "lower" only when the 95 % interval of the paired
difference excludes 0, "no difference detected" when it contains 0; every figure carries its source."""

from __future__ import annotations

import re

from lexsign_hf.synth.ablation_report import findings, render_block, update_readme


def results(low: float, high: float) -> dict:
    delta = {
        "test_zsl_top1": {"mean": (low + high) / 2, "std": 1.0, "ci95": [low, high], "n": 3, "per_seed": []}
    }
    row = {"mean": 20.0, "std": 1.0, "ci95": [18.0, 22.0], "n": 3, "per_seed": [19.0, 20.0, 21.0]}
    variant = {
        "table": "Table 7",
        "test": {"zsl_top1": row, "zsl_top5": row, "gzsl_H": row},
        "validation": {"zsl_top1": row},
    }
    return {
        "seeds": [0, 1, 2],
        "chance_top1": 2.5,
        "variants": {
            "global": {**variant, "label": "L_Global"},
            "fg_subunit": {**variant, "label": "+ L_FG(u,f)", "delta_vs_global": delta},
        },
    }


def test_verdict_follows_the_interval():
    assert "**higher**" in findings(results(0.5, 4.0), "a.json")[0]
    assert "**lower**" in findings(results(-4.0, -0.5), "a.json")[0]
    assert "**no difference detected**" in findings(results(-1.0, 4.0), "a.json")[0]


def test_every_figure_of_the_block_is_sourced(tmp_path):
    block = render_block(results(-1.0, 4.0), "results/x.json")
    bare = re.sub(r"\d[\d.]*(?:\s?%)?<!-- src: results/x\.json#[\w.]+ -->", "", block)
    assert not re.search(r"(?<![\w(])[−+]?\d+\.\d", bare), bare  # no unsourced decimal figure left
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- t:begin -->\nold\n<!-- t:end -->\nb\n")
    update_readme(readme, "t", "new")
    assert readme.read_text() == "a\n<!-- t:begin -->\nnew\n<!-- t:end -->\nb\n"

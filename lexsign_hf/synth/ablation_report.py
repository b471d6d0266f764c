"""Reports of `lexsign ablate` written from its JSON only: the chart, a Markdown table, and the findings sentences of
the README and `results/ablation/README.md` (``python -m lexsign_hf.synth.ablation_report``).

A finding compares two rows by their paired per-seed difference and its 95 % t-interval: "higher" or "lower" only
when the interval excludes 0, "no difference detected" when it contains 0. Every figure carries its source as an
HTML comment (``12.3<!-- src: results/ablation/ablation.json#variants.hali.test.zsl_top1.mean -->``), which
`tests/test_readme_numbers.py` checks against the JSON.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["findings", "format_table", "plot_ablation", "render_block", "update_readme"]

DELTA_ORDER = [
    "delta_vs_global", "delta_vs_both", "delta_vs_without_hc", "delta_vs_m3", "delta_vs_without_fg_hc", "delta_vs_ce",
    "delta_vs_ce_global",
]  # fmt: skip
REFERENCE_OF = {
    "delta_vs_global": "global",
    "delta_vs_both": "fg_both",
    "delta_vs_m3": "hali",
    "delta_vs_ce": "ce",
    "delta_vs_ce_global": "ce_global",
}
METRIC_NAMES = {
    "test_zsl_top1": "test ZSL top-1", "test_gzsl_H": "test GZSL H", "validation_zsl_top1": "validation ZSL top-1",
    "test_seen_pi_top1": "P-I top-1", "test_seen_pc_top1": "P-C top-1", "test_seen_pi_top5": "P-I top-5",
}  # fmt: skip


def plot_ablation(results: dict[str, Any], path: str | Path) -> Path:
    """Bar chart with error bars (std over seeds) and per-seed dots: test ZSL top-1, GZSL H and validation ZSL
    top-1 per variant, the loss ablation (Table 7) and the subunit-count ablation (Table 21) side by side."""
    from .plots import _save, plt

    rows = results["variants"]
    panels = [
        ("Loss terms (paper Table 7), M = 3", [n for n in rows if rows[n]["table"] == "Table 7"]),
        (
            "Subunit parts M (paper Table 21), L_HALI",
            sorted(
                [n for n in rows if rows[n]["table"] == "Table 21" or n == "hali"], key=lambda n: rows[n]["M"]
            ),
        ),
        ("Zero-shot baselines (paper Table 11)", [n for n in rows if rows[n]["table"] == "Table 11"]),
        ("ISLR on the seen classes (paper Table 4)", [n for n in rows if rows[n]["table"] == "Table 4"]),
    ]
    panels = [(title, names) for title, names in panels if names]
    if any(rows[name]["table"] == "Table 4" for name in rows):
        bars = (("test_seen", "pi_top1", "P-I top-1"), ("test_seen", "pc_top1", "P-C top-1"),
                ("test_seen", "pi_top5", "P-I top-5"))  # fmt: skip
    else:
        bars = (("test", "zsl_top1", "test ZSL top-1"), ("test", "gzsl_H", "test GZSL H"),
                ("validation", "zsl_top1", "validation ZSL top-1"))  # fmt: skip
    figure, axes = plt.subplots(
        1, len(panels), figsize=(5 + 1.7 * sum(len(n) for _, n in panels), 4.8), squeeze=False,
        gridspec_kw={"width_ratios": [max(2, len(names)) for _, names in panels]},
    )  # fmt: skip
    width = 0.8 / len(bars)
    for axis, (title, names) in zip(axes[0], panels, strict=True):
        positions = np.arange(len(names))
        for index, (split, key, label) in enumerate(bars):
            means = [rows[name][split][key]["mean"] for name in names]
            stds = [rows[name][split][key]["std"] for name in names]
            x = positions + (index - (len(bars) - 1) / 2) * width
            axis.bar(x, means, width, yerr=stds, capsize=3, color=f"C{index}", label=label, alpha=0.85)
            for offset, name in zip(x, names, strict=True):
                seeds = rows[name][split][key]["per_seed"]
                axis.scatter([offset] * len(seeds), seeds, s=8, color="black", zorder=3)
        labels = [
            f"M={rows[name]['M']}" if title.startswith("Subunit") else rows[name]["label"] for name in names
        ]
        axis.set_xticks(positions, labels, rotation=20, ha="right", fontsize=8)
        axis.set(title=title, ylabel="percent")
        if "chance_top1" in results:
            axis.axhline(results["chance_top1"], color="grey", linestyle=":", label="chance (top-1)")
        axis.legend(fontsize=7)
    seeds = results["seeds"]
    figure.suptitle(
        f"LexSign-Synth ablation: mean ± std over seeds {seeds}, {results['config']['steps']} steps each",
        fontsize=10,
    )
    figure.tight_layout()
    return _save(figure, path)


def format_table(results: dict[str, Any]) -> str:
    """A Markdown table of the ablation: mean ± std over seeds [95 % t-interval], paired differences."""
    return re.sub(r"<!--.*?-->", "", sourced_table(results, "")).replace("−", "-")


def _src(value: float, path: str, key: str, fmt: str = ".1f", unit: str = "") -> str:
    return f"{format(value, fmt).replace('-', '−')}{unit}<!-- src: {path}#{key} -->"


def _reference(name: str, key: str) -> str:
    if key in REFERENCE_OF:
        return REFERENCE_OF[key]
    if key == "delta_vs_without_fg_hc":
        return name.removesuffix("_fg_hc")
    return {"fg_snippet_hc": "fg_snippet", "fg_subunit_hc": "fg_subunit", "hali": "fg_both"}[name]


def findings(results: dict[str, Any], path: str, keys=None, metric: str | None = None) -> list[str]:
    """One sentence per (variant, reference) pair of `keys` (default: all the JSON has) on `metric` (default:
    test ZSL top-1, or P-I top-1 for ISLR): the mean paired difference, its 95 % t-interval, and the verdict."""
    rows = results["variants"]
    islr = any(row["table"] == "Table 4" for row in rows.values())
    metric = metric or ("test_seen_pi_top1" if islr else "test_zsl_top1")
    sentences = []
    for key in keys or DELTA_ORDER:
        for name, row in rows.items():
            entry = row.get(key, {}).get(metric)
            if entry is None or (key, name) in (("delta_vs_both", "global"), ("delta_vs_both", "hali")):
                continue  # the same pair as L_Global's row above, or as "vs without L_HC"
            reference = rows[_reference(name, key)]["label"]
            base = f"variants.{name}.{key}.{metric}"
            if entry["ci95"] is None:
                sentences.append(
                    f"{row['label']} vs {reference}: {_src(entry['mean'], path, base + '.mean', '+.1f')} points of "
                    f"{METRIC_NAMES[metric]} on one seed (no interval, no finding)."
                )
                continue
            low, high = entry["ci95"]
            verdict = "higher" if low > 0 else "lower" if high < 0 else "no difference detected"
            sentences.append(
                f"{row['label']} vs {reference}: {_src(entry['mean'], path, base + '.mean', '+.1f')} points of "
                f"{METRIC_NAMES[metric]} (95 % CI {_src(low, path, base + '.ci95.0', '+.1f')} to "
                f"{_src(high, path, base + '.ci95.1', '+.1f')}, n = {_src(entry['n'], path, base + '.n', 'd')} "
                f"seeds): **{verdict}**."
            )
    return sentences


def sourced_table(results: dict[str, Any], path: str, paper: dict[str, float] | None = None) -> str:
    """The Markdown table of `format_table` with every figure followed by its source comment."""
    rows = results["variants"]
    islr = any(row["table"] == "Table 4" for row in rows.values())
    columns = (
        [("test_seen", "pi_top1", "P-I top-1"), ("test_seen", "pi_top5", "P-I top-5"),
         ("test_seen", "pc_top1", "P-C top-1"), ("test_seen", "pc_top5", "P-C top-5")]
        if islr
        else [("test", "zsl_top1", "test ZSL top-1"), ("test", "zsl_top5", "test ZSL top-5"),
              ("test", "gzsl_H", "test GZSL H"), ("validation", "zsl_top1", "validation ZSL top-1")]
    )  # fmt: skip
    first = "test_seen_pi_top1" if islr else "test_zsl_top1"
    deltas = sorted(
        {key for row in rows.values() for key in row if key.startswith("delta_")}, key=DELTA_ORDER.index
    )

    def cell(entry: dict[str, Any] | None, key: str, signed: bool = False) -> str:
        if entry is None:
            return ""
        fmt = "+.1f" if signed else ".1f"
        if entry.get("n", 2) < 2:  # one seed: the value alone
            return _src(entry["mean"], path, key + ".mean", fmt)
        text = f"{_src(entry['mean'], path, key + '.mean', fmt)} ± {_src(entry['std'], path, key + '.std')}"
        if entry.get("ci95") is not None:
            low, high = entry["ci95"]
            text += f" [{_src(low, path, key + '.ci95.0', fmt)}, {_src(high, path, key + '.ci95.1', fmt)}]"
        return text

    header = [label for _, _, label in columns] + [
        key.removeprefix("delta_").replace("_", " ") for key in deltas
    ]
    header += ["paper"] if paper else []
    lines = ["| variant | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for name, row in rows.items():
        cells = [cell(row[split][key], f"variants.{name}.{split}.{key}") for split, key, _ in columns]
        cells += [cell(row.get(key, {}).get(first), f"variants.{name}.{key}.{first}", True) for key in deltas]
        if paper:
            cells.append(paper.get(name, ""))
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_block(results: dict[str, Any], path: str, paper: dict[str, str] | None = None, keys=None) -> str:
    """Table and findings of one ablation JSON, as Markdown."""
    seeds = results["seeds"]
    rows = results["variants"]
    n = len(seeds)
    partial = results.get("run", {}).get("partial")
    head = (
        f"Seeds {', '.join(str(seed) for seed in seeds)} — mean ± std over the seeds [95 % t-interval]; "
        f"differences are paired per seed. Chance top-1 {_src(results['chance_top1'], path, 'chance_top1', '.1f')} %."
    )
    run = results.get("run", {})
    if run.get("runtime_seconds") is not None and not run.get("imported") and not run.get("partial"):
        head += f" Wall time {_src(run['runtime_seconds'], path, 'run.runtime_seconds', '.0f', ' s')}."
    seconds = [(name, seed, value) for name, by_seed in run.get("train_seconds", {}).items()
               for seed, value in by_seed.items()]  # fmt: skip
    if seconds and len(seconds) <= 12 and not run.get("imported"):
        head += (
            " Training time per run: "
            + ", ".join(
                f"{rows[name]['label']} (seed {seed}) {_src(value, path, f'run.train_seconds.{name}.{seed}', '.0f', ' s')}"
                for name, seed, value in seconds
            )
            + "."
        )
    if partial:  # --aggregate-only: partial when seeds were missing, else only where the JSON came from
        head += f" **Partial:** {partial}." if "not finished" in partial else f" Re-aggregated: {partial}."
    if n < 2:
        head += " One seed: no intervals, so no findings."
    body = [head, "", sourced_table(results, path, paper), ""]
    body += [f"- {sentence}" for sentence in findings(results, path, keys)]
    return "\n".join(body)


def update_readme(readme: Path, marker: str, block: str) -> None:
    """Replace the text between ``<!-- marker:begin -->`` and ``<!-- marker:end -->`` in `readme`."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- {marker}:begin -->\n).*?(<!-- {marker}:end -->)", flags=re.S)
    if not pattern.search(text):
        raise ValueError(f"{readme}: no <!-- {marker}:begin --> ... <!-- {marker}:end --> block")
    readme.write_text(pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), text), encoding="utf-8")


def main(argv: list[str]) -> int:
    """``python -m lexsign_hf.synth.ablation_report README.md [MARKER=results/.../ablation.json[@PAPER_KEY] ...]``"""
    readme = Path(argv[0])
    root = Path(
        "."
    )  # run from the repository root: the JSON paths (and the sources written) are relative to it
    paper_file = root / "results/paper/figures.json"
    paper = json.loads(paper_file.read_text(encoding="utf-8")) if paper_file.is_file() else {}
    for item in argv[1:]:
        marker, path = item.split("=", 1)
        path, _, paper_key = path.partition(
            "@"
        )  # MARKER=JSON[@key of results/paper/figures.json, default MARKER]
        paper_key = paper_key or marker
        if not (root / path).is_file():
            update_readme(
                readme, marker, f"*Not measured yet: `{path}` does not exist (the run has not finished).*"
            )
            continue
        results = json.loads((root / path).read_text(encoding="utf-8"))
        column = {}
        for name, value in paper.get(paper_key, {}).items():
            if name.startswith("_"):
                continue
            leaves = value if isinstance(value, dict) else {"": value}
            column[name] = " / ".join(
                _src(
                    leaf,
                    "results/paper/figures.json",
                    ".".join(filter(None, (paper_key, name, sub))),
                    ".2f" if isinstance(value, dict) else ".1f",
                )
                for sub, leaf in leaves.items()
            )
        update_readme(readme, marker, render_block(results, path, column or None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

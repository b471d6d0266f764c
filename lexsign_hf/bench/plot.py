"""The Fig. 4-style bar chart of a report: accuracy per iconicity type with n and 95 % Wilson intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .builder import ICONICITY_TYPES, TYPE_ABBREVIATIONS
from .prompts import LEVELS

GROUPS = (*(TYPE_ABBREVIATIONS[k] for k in ICONICITY_TYPES), "all")


def _series(report: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(label, variant result, the mean result of its control or None) for every variant run."""
    series = []
    for run in report["runs"]:
        for key, result in run["results"].items():
            variant, control = key.split("|")
            if variant == "mean":
                continue
            mean = run["results"].get(f"mean|{control}")
            label = f"{run['name']} [{variant}]" + ("" if control == "none" else f" ({control})")
            label += f", {result['frames']}" + (" (PARTIAL)" if result.get("partial") else "")
            series.append((label, result, mean if mean and "refused" not in mean else None))
    return series


def figure(report: dict[str, Any]):
    """One panel per level, bars per iconicity type and over all questions for each variant run, each with its
    95 % Wilson interval and n; the mean over variants (where formed) as a black diamond; chance at 25 %.
    Partial runs are hatched. Returns the matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    series = _series(report)
    chart, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(GROUPS))
    colors = plt.get_cmap("tab10")
    for axis, level, title in zip(
        axes, LEVELS, ("Subunit-level perception", "Gloss-level recognition"), strict=True
    ):
        for i, (label, result, _) in enumerate(series):
            cells = [result["accuracy_detail"][level][group] for group in GROUPS]
            heights = [np.nan if c["accuracy"] is None else c["accuracy"] for c in cells]
            errors = np.array(
                [
                    [0.0, 0.0]
                    if c["ci95"] is None
                    else [c["accuracy"] - c["ci95"][0], c["ci95"][1] - c["accuracy"]]
                    for c in cells
                ]
            ).T
            positions = x - 0.4 + width * (i + 0.5)
            axis.bar(
                positions,
                heights,
                width,
                yerr=errors,
                capsize=2,
                label=label,
                color=colors(i % 10),
                hatch="//" if result.get("partial") else None,
                error_kw={"linewidth": 0.8},
            )
            for position, cell in zip(positions, cells, strict=True):
                if cell["accuracy"] is not None:
                    top = cell["ci95"][1]
                    axis.annotate(f"n={cell['n']}", (position, top + 1), ha="center", va="bottom", fontsize=6)
        means = {id(mean): mean for _, _, mean in series if mean is not None}
        for k, mean in enumerate(means.values()):
            values = [mean["accuracy"][level].get(group) for group in GROUPS[:-1]]
            axis.scatter(
                x[:-1],
                [np.nan if v is None else v for v in values],
                marker="D",
                color="black",
                zorder=3,
                label="mean over variants" if k == 0 and level == LEVELS[0] else None,
            )
        axis.axhline(
            25.0,
            color="gray",
            linestyle="--",
            linewidth=1,
            label="chance (25%)" if level == LEVELS[0] else None,
        )
        axis.set_xticks(x, GROUPS)
        axis.set_title(title)
        axis.set_ylim(0, 105)
        axis.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("Accuracy (%), 95 % Wilson interval")
    handles, labels = axes[0].get_legend_handles_labels()
    chart.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), fontsize=7, frameon=False)
    chart.suptitle("LexSign-Bench accuracy by iconicity type (invalid replies count as wrong)")
    chart.tight_layout(rect=(0, 0.08 + 0.035 * (len(labels) // 3), 1, 1))
    return chart


def plot(report: dict[str, Any], path: str | Path) -> Path:
    """Save `figure(report)` as a PNG at `path`."""
    import matplotlib.pyplot as plt

    chart = figure(report)
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    chart.savefig(tmp, dpi=150)
    plt.close(chart)
    tmp.replace(path)
    return path

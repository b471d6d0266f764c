"""Accuracy tables and the Fig. 4-style bar chart from one or more results folders."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from .builder import ICONICITY_TYPES, TYPE_ABBREVIATIONS
from .prompts import LEVELS, VARIANTS
from .store import ANSWERS_FILE, RUN_FILE, read_answers, read_key, score_records

MEAN_VARIANT = "mean"
LEVEL_AVERAGES = {"subunit": "AVG(S)", "gloss": "AVG(G)"}


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy (%) per level x iconicity type, AVG(S), AVG(G), AVG and the invalid-answer rate."""
    cells: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for record in records:
        cells[(record["level"], record["iconicity_type"])].append(bool(record["correct"]))
    accuracy: dict[str, dict[str, float | None]] = {}
    counts: dict[str, dict[str, int]] = {}
    for level in LEVELS:
        accuracy[level], counts[level] = {}, {}
        for kind in ICONICITY_TYPES:
            hits = cells.get((level, kind), [])
            accuracy[level][TYPE_ABBREVIATIONS[kind]] = 100.0 * sum(hits) / len(hits) if hits else None
            counts[level][TYPE_ABBREVIATIONS[kind]] = len(hits)
        accuracy[level]["AVG"] = _mean(accuracy[level].values())
    invalid = sum(record["prediction"] is None for record in records)
    return {
        "accuracy": accuracy,
        "counts": counts,
        "AVG(S)": accuracy["subunit"]["AVG"],
        "AVG(G)": accuracy["gloss"]["AVG"],
        "AVG": _mean([accuracy["subunit"]["AVG"], accuracy["gloss"]["AVG"]]),
        "answered": len(records),
        "correct": sum(bool(record["correct"]) for record in records),
        "invalid": invalid,
        "invalid_rate": 100.0 * invalid / len(records) if records else None,
    }


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def summarize_folder(folder: str | Path) -> dict[str, Any]:
    """One results folder: a summary per (variant, control), plus the mean over the prompt variants."""
    folder = Path(folder)
    if not (folder / ANSWERS_FILE).is_file():
        raise FileNotFoundError(f"no {ANSWERS_FILE} in results folder {folder}")
    cached, corrupt = read_answers(folder / ANSWERS_FILE)
    key = read_key(folder)
    records, stale = score_records(cached.values(), key)
    info = (
        json.loads((folder / RUN_FILE).read_text(encoding="utf-8")) if (folder / RUN_FILE).is_file() else {}
    )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    runs = info.get("runs", {})
    for record in records:
        run = runs.get(f"{record['variant']}|{record['control']}", {})
        # answers of an earlier condition (other frame policy, seed, rendering) are kept on disk, not reported
        if "condition" in run and record.get("condition") != run["condition"]:
            continue
        groups[(record["variant"], record["control"])].append(record)
    results = {}
    for (variant, control), group in sorted(groups.items()):
        run = runs.get(f"{variant}|{control}", {})
        results[f"{variant}|{control}"] = {
            "variant": variant,
            "control": control,
            **summarize(group),
            "missing_videos": len(run.get("missing_videos", [])),
            "undecodable_videos": len(run.get("undecodable_videos", [])),
            "failed": run.get("failed", 0),
            "partial": bool(run.get("partial", False)),
        }
    for control in sorted({control for _, control in groups}):
        present = [v for v in VARIANTS if (v, control) in groups]
        if len(present) > 1:
            results[f"{MEAN_VARIANT}|{control}"] = _average(
                [results[f"{v}|{control}"] for v in present], control, present
            )
    return {
        "name": folder.name,
        "backend": info.get("backend", ""),
        "templates_hash": info.get("templates_hash", ""),
        "bench_fingerprint": key["fingerprint"],
        "corrupt_cache_lines": corrupt,
        "stale_answers": stale,
        "results": results,
    }


def _average(summaries: list[dict[str, Any]], control: str, variants: list[str]) -> dict[str, Any]:
    accuracy = {
        level: {
            key: _mean(s["accuracy"][level][key] for s in summaries)
            for key in summaries[0]["accuracy"][level]
        }
        for level in LEVELS
    }
    return {
        "variant": MEAN_VARIANT,
        "control": control,
        "variants": variants,
        "accuracy": accuracy,
        "AVG(S)": accuracy["subunit"]["AVG"],
        "AVG(G)": accuracy["gloss"]["AVG"],
        "AVG": _mean([accuracy["subunit"]["AVG"], accuracy["gloss"]["AVG"]]),
        "answered": sum(s["answered"] for s in summaries),
        "invalid": sum(s["invalid"] for s in summaries),
        "invalid_rate": _mean(s["invalid_rate"] for s in summaries),
        "missing_videos": max(s["missing_videos"] for s in summaries),
        "undecodable_videos": max(s["undecodable_videos"] for s in summaries),
        "failed": sum(s["failed"] for s in summaries),
        "partial": any(s["partial"] for s in summaries),
    }


def markdown_table(report: dict[str, Any]) -> str:
    """The paper's Table 16 layout: per level the four iconicity types and their average, then AVG."""
    kinds = [TYPE_ABBREVIATIONS[k] for k in ICONICITY_TYPES]
    header = ["Model", "Prompt", "Control", *(f"S-{k}" for k in kinds), "AVG(S)", *(f"G-{k}" for k in kinds)]
    header += ["AVG(G)", "AVG", "Invalid %", "Answered", "Missing videos"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 3 + "---:|" * (len(header) - 3)]
    for run in report["runs"]:
        for result in run["results"].values():
            name = run["name"] + (" (partial)" if result.get("partial") else "")
            cells = [name, result["variant"], result["control"]]
            cells += [_fmt(result["accuracy"]["subunit"][k]) for k in kinds] + [_fmt(result["AVG(S)"])]
            cells += [_fmt(result["accuracy"]["gloss"][k]) for k in kinds] + [_fmt(result["AVG(G)"])]
            cells += [_fmt(result["AVG"]), _fmt(result["invalid_rate"]), str(result["answered"])]
            cells.append(str(result["missing_videos"]))
            lines.append("| " + " | ".join(cells) + " |")
    notes = [
        "",
        "Accuracy in %. S = subunit level (pick the description), G = gloss level (pick the gloss); "
        + ", ".join(f"{TYPE_ABBREVIATIONS[k]} = {k}" for k in ICONICITY_TYPES)
        + ". AVG(S)/AVG(G) average the four types, AVG both levels; "
        f"prompt `{MEAN_VARIANT}` averages the prompt variants (report this one). Invalid answers count as wrong.",
    ]
    if any(result.get("partial") for run in report["runs"] for result in run["results"].values()):
        notes.append(
            "**(partial)**: a trial run on a `--limit` sample of the videos, not a benchmark result."
        )
    return "# LexSign-Bench results\n\n" + "\n".join(lines + notes) + "\n"


def _fmt(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}"


def plot(report: dict[str, Any], path: str | Path) -> Path:
    """Fig. 4 layout: one panel per level, bars per iconicity type (+ average) for each run, chance at 25%."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    series = []
    for run in report["runs"]:
        for key, result in run["results"].items():
            variant, control = key.split("|")
            has_mean = f"{MEAN_VARIANT}|{control}" in run["results"]
            if has_mean and variant != MEAN_VARIANT:
                continue
            label = run["name"] + ("" if control == "none" else f" ({control})")
            if not has_mean:
                label += f" [{variant}]"
            series.append((label, result))
    groups = [TYPE_ABBREVIATIONS[k] for k in ICONICITY_TYPES] + ["AVG"]
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    colors = plt.get_cmap("tab10")
    for axis, level, title in zip(
        axes, LEVELS, ("Subunit-level perception", "Gloss-level recognition"), strict=True
    ):
        for i, (label, result) in enumerate(series):
            values = [result["accuracy"][level].get(g) for g in groups]
            heights = [np.nan if v is None else v for v in values]
            bars = axis.bar(x - 0.4 + width * (i + 0.5), heights, width, label=label, color=colors(i % 10))
            for bar, value in zip(bars, values, strict=True):
                if value is not None:
                    axis.annotate(
                        f"{value:.0f}",
                        (bar.get_x() + bar.get_width() / 2, value),
                        ha="center",
                        va="bottom",
                        fontsize=7,
                    )
        axis.axhline(
            25.0,
            color="gray",
            linestyle="--",
            linewidth=1,
            label="chance (25%)" if level == "subunit" else None,
        )
        axis.set_xticks(x, groups)
        axis.set_title(title)
        axis.set_ylim(0, 100)
        axis.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("Accuracy (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8, frameon=False)
    figure.suptitle("LexSign-Bench accuracy by iconicity type")
    figure.tight_layout(rect=(0, 0.1 + 0.04 * (len(labels) // 4), 1, 1))
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(tmp, dpi=150)
    plt.close(figure)
    tmp.replace(path)
    return path


def write_report(results: list[str | Path], out_dir: str | Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.png`` for the given results folders."""
    if not results:
        raise ValueError("no results folders given")
    report = {"runs": [summarize_folder(folder) for folder in results]}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "report.json",
        "markdown": out_dir / "report.md",
        "png": out_dir / "report.png",
    }
    for key, text in (("json", json.dumps(report, indent=2) + "\n"), ("markdown", markdown_table(report))):
        tmp = paths[key].with_name(f".{paths[key].name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(paths[key])
    plot(report, paths["png"])
    return paths

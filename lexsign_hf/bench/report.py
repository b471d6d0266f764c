"""Accuracy tables that say what they average, from one or more results folders.

Per prompt variant and control a report gives the counts (questions asked, answered, invalid, failed, missing
videos), the settings (frame policy, token budget, trimming, seed, partial) and the accuracy per level x
iconicity type with a 95 % Wilson interval, twice: invalid replies counted as wrong (the paper's convention,
the headline) and invalid replies excluded. Correctness comes from the folder's answer key (`store`). The mean
over prompt variants (the paper's protocol) is formed only over variants run under identical settings on the
same answered questions; otherwise the report refuses to average and says why.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .builder import ICONICITY_TYPES, TYPE_ABBREVIATIONS
from .prompts import LEVELS, VARIANTS
from .store import ANSWERS_FILE, RUN_FILE, read_answers, read_key, score_records, write_json_atomic
from .store import bench_key as make_key

MEAN_VARIANT = "mean"
Z_95 = 1.959963984540054  # the standard normal 97.5 % quantile
# settings that must agree between prompt variants for their mean to mean anything (token budgets may differ)
SHARED_SETTINGS = ("frame_policy", "trim_spans", "seed", "render", "limit", "levels", "bench_fingerprint")


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a binomial proportion (as fractions), None for n = 0."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, min(p, center - half)), min(1.0, max(p, center + half))  # rounding never excludes p


def _cell(correct: int, n: int) -> dict[str, Any]:
    interval = wilson_interval(correct, n)
    return {
        "n": n,
        "correct": correct,
        "accuracy": 100.0 * correct / n if n else None,
        "ci95": [100.0 * interval[0], 100.0 * interval[1]] if interval else None,
    }


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy (%) per level x iconicity type, AVG(S), AVG(G), AVG (means over types, then levels), pooled
    accuracies with Wilson intervals, invalid replies both counted as wrong (`accuracy`) and excluded
    (`accuracy_valid`). Records need `level`, `iconicity_type`, `prediction` and `correct`."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        cells[(record["level"], record["iconicity_type"])].append(record)
    summary: dict[str, Any] = {}
    for name, keep in (
        ("accuracy", lambda r: True),
        ("accuracy_valid", lambda r: r["prediction"] is not None),
    ):
        table: dict[str, dict[str, float | None]] = {}
        detail: dict[str, dict[str, Any]] = {}
        for level in LEVELS:
            table[level], detail[level] = {}, {}
            pooled = [0, 0]
            for kind in ICONICITY_TYPES:
                kept = [r for r in cells.get((level, kind), []) if keep(r)]
                cell = _cell(sum(bool(r["correct"]) for r in kept), len(kept))
                table[level][TYPE_ABBREVIATIONS[kind]] = cell["accuracy"]
                detail[level][TYPE_ABBREVIATIONS[kind]] = cell
                pooled[0] += cell["correct"]
                pooled[1] += cell["n"]
            table[level]["AVG"] = _mean(table[level][TYPE_ABBREVIATIONS[k]] for k in ICONICITY_TYPES)
            detail[level]["all"] = _cell(*pooled)
        summary[name] = table
        summary[f"{name}_detail"] = detail
    summary["counts"] = {
        level: {TYPE_ABBREVIATIONS[k]: len(cells.get((level, k), [])) for k in ICONICITY_TYPES}
        for level in LEVELS
    }
    valid = [r for r in records if r["prediction"] is not None]
    invalid = len(records) - len(valid)
    summary.update(
        {
            "AVG(S)": summary["accuracy"]["subunit"]["AVG"],
            "AVG(G)": summary["accuracy"]["gloss"]["AVG"],
            "AVG": _mean([summary["accuracy"]["subunit"]["AVG"], summary["accuracy"]["gloss"]["AVG"]]),
            "AVG_valid": _mean([summary["accuracy_valid"][level]["AVG"] for level in LEVELS]),
            "answered": len(records),
            "correct": sum(bool(r["correct"]) for r in records),
            "invalid": invalid,
            "invalid_rate": 100.0 * invalid / len(records) if records else None,
            "all": _cell(sum(bool(r["correct"]) for r in records), len(records)),
            "all_valid": _cell(sum(bool(r["correct"]) for r in valid), len(valid)),
        }
    )
    return summary


def frames_label(policy: dict[str, Any] | None) -> str:
    """A frame policy in words: "16 central frames @ 5 fps", "all frames @ 10 fps"."""
    if not policy:
        return "–"
    rate = f"{policy['fps']:g} fps" if policy.get("fps") else "native fps"
    if policy.get("max_frames") is None:
        return f"all frames @ {rate}"
    spread = "central" if policy.get("central", True) else "spread"
    return f"{policy['max_frames']} {spread} frames @ {rate}"


def summarize_folder(folder: str | Path, bench_key: dict[str, Any] | None = None) -> dict[str, Any]:
    """One results folder: counts, settings and accuracies per (variant, control), plus per control the mean
    over the prompt variants, or the reason it is refused. Correctness comes from `bench_key` (`store.bench_key`
    of the bench itself; refused when the folder belongs to another bench) or else the folder's answer key."""
    folder = Path(folder)
    if not (folder / ANSWERS_FILE).is_file():
        raise FileNotFoundError(f"no {ANSWERS_FILE} in results folder {folder}")
    cached, corrupt = read_answers(folder / ANSWERS_FILE)
    key = read_key(folder)
    if bench_key is not None:
        if bench_key["fingerprint"] != key["fingerprint"]:
            raise ValueError(
                f"{folder} holds answers of bench {key['fingerprint']}, not of the given bench "
                f"{bench_key['fingerprint']}"
            )
        key = bench_key
    records, stale = score_records(cached.values(), key)
    info = (
        json.loads((folder / RUN_FILE).read_text(encoding="utf-8")) if (folder / RUN_FILE).is_file() else {}
    )
    runs = info.get("runs", {})
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        run = runs.get(f"{record['variant']}|{record['control']}", {})
        # answers of an earlier condition (other frame policy, seed, budget, rendering) stay on disk, unreported
        if "condition" in run and record.get("condition") != run["condition"]:
            continue
        groups[(record["variant"], record["control"])].append(record)
    results: dict[str, dict[str, Any]] = {}
    answered_ids: dict[tuple[str, str], set[str]] = {}
    for (variant, control), group in sorted(groups.items()):
        run = runs.get(f"{variant}|{control}", {})
        answered_ids[(variant, control)] = {str(r["question_id"]) for r in group}
        results[f"{variant}|{control}"] = {
            "variant": variant,
            "control": control,
            "asked": run.get("questions", len(group)),
            **summarize(group),
            "failed": run.get("failed", 0),
            "missing_videos": len(run.get("missing_videos", [])),
            "undecodable_videos": len(run.get("undecodable_videos", [])),
            "partial": bool(run.get("partial", False)),
            "frames": frames_label(run.get("frame_policy")),
            "settings": {name: run.get(name) for name in (*SHARED_SETTINGS, "max_new_tokens")},
            "invalid_at_budget": _at_budget(group, run.get("max_new_tokens")),
        }
    for control in sorted({control for _, control in groups}):
        present = [v for v in VARIANTS if (v, control) in groups]
        if len(present) > 1:
            members = [results[f"{v}|{control}"] for v in present]
            ids = [answered_ids[(v, control)] for v in present]
            results[f"{MEAN_VARIANT}|{control}"] = _average(members, control, present, ids)
    return {
        "name": folder.name,
        "backend": info.get("backend", ""),
        "templates_hash": info.get("templates_hash", ""),
        "bench_fingerprint": key["fingerprint"],
        "corrupt_cache_lines": corrupt,
        "stale_answers": stale,
        "results": results,
    }


def _at_budget(records: list[dict[str, Any]], budget: int | None) -> int | None:
    """Invalid replies that used the whole token budget (probably cut off before their letter)."""
    if not budget:
        return None
    return sum(
        r["prediction"] is None and (r.get("usage") or {}).get("completion_tokens", 0) >= budget
        for r in records
    )


def mean_refusal(
    summaries: list[dict[str, Any]], variants: list[str], answered: list[set[str]]
) -> str | None:
    """Why the variants cannot be averaged (a setting differs, or they answered different questions), or None."""
    for name in SHARED_SETTINGS:
        values = [json.dumps(s["settings"].get(name), sort_keys=True) for s in summaries]
        if len(set(values)) > 1:
            shown = ", ".join(f"{v} {value}" for v, value in zip(variants, values, strict=True))
            return f"settings differ in {name} ({shown})"
    if len({frozenset(ids) for ids in answered}) > 1:
        asked = max(s["asked"] for s in summaries)
        counts = ", ".join(f"{v} {len(ids)}" for v, ids in zip(variants, answered, strict=True))
        return (
            f"the variants answered different questions ({counts} of {asked}; failed: "
            + ", ".join(f"{v} {s['failed']}" for v, s in zip(variants, summaries, strict=True))
            + "): rerun to answer the failed ones"
        )
    return None


def _average(
    summaries: list[dict[str, Any]], control: str, variants: list[str], answered: list[set[str]]
) -> dict[str, Any]:
    refusal = mean_refusal(summaries, variants, answered)
    if refusal:
        return {"variant": MEAN_VARIANT, "control": control, "variants": variants, "refused": refusal}
    tables = {
        name: {
            level: {key: _mean(s[name][level][key] for s in summaries) for key in summaries[0][name][level]}
            for level in LEVELS
        }
        for name in ("accuracy", "accuracy_valid")
    }
    return {
        "variant": MEAN_VARIANT,
        "control": control,
        "variants": variants,
        "accuracy": tables["accuracy"],
        "accuracy_valid": tables["accuracy_valid"],
        "AVG(S)": tables["accuracy"]["subunit"]["AVG"],
        "AVG(G)": tables["accuracy"]["gloss"]["AVG"],
        "AVG": _mean([tables["accuracy"]["subunit"]["AVG"], tables["accuracy"]["gloss"]["AVG"]]),
        "AVG_valid": _mean([tables["accuracy_valid"][level]["AVG"] for level in LEVELS]),
        "asked": summaries[0]["asked"],
        "answered": summaries[0]["answered"],
        "invalid": sum(s["invalid"] for s in summaries),
        "invalid_rate": _mean(s["invalid_rate"] for s in summaries),
        "failed": sum(s["failed"] for s in summaries),
        "missing_videos": max(s["missing_videos"] for s in summaries),
        "undecodable_videos": max(s["undecodable_videos"] for s in summaries),
        "partial": any(s["partial"] for s in summaries),
        "frames": summaries[0]["frames"],
        "settings": {
            **summaries[0]["settings"],
            "max_new_tokens": [s["settings"]["max_new_tokens"] for s in summaries],
        },
    }


def _fmt(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}"


def _interval(cell: dict[str, Any]) -> str:
    if not cell or cell["accuracy"] is None:
        return "–"
    low, high = cell["ci95"]
    return f"{cell['accuracy']:.1f} [{low:.1f}, {high:.1f}]"


def markdown_table(report: dict[str, Any]) -> str:
    """The paper's Table 16 layout (per level the four iconicity types and their average, then AVG), then per
    variant its counts, settings and pooled accuracies with 95 % Wilson intervals, then any refused mean."""
    kinds = [TYPE_ABBREVIATIONS[k] for k in ICONICITY_TYPES]
    header = ["Model", "Prompt", "Control", *(f"S-{k}" for k in kinds), "AVG(S)", *(f"G-{k}" for k in kinds)]
    header += ["AVG(G)", "AVG", "Invalid %"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 3 + "---:|" * (len(header) - 3)]
    details = [
        "| Model | Prompt | Control | Frames | Tokens | Asked | Answered | Invalid (at budget) | Failed | "
        "Missing videos | All (invalid = wrong) [95 % CI] | All (invalid excluded) [95 % CI] |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    refusals = []
    for run in report["runs"]:
        for result in run["results"].values():
            name = run["name"] + (" (partial)" if result.get("partial") else "")
            if "refused" in result:
                refusals.append(
                    f"- {run['name']} [{result['control']}]: no mean over {result['variants']}: "
                    f"{result['refused']}."
                )
                continue
            cells = [name, result["variant"], result["control"]]
            cells += [_fmt(result["accuracy"]["subunit"][k]) for k in kinds] + [_fmt(result["AVG(S)"])]
            cells += [_fmt(result["accuracy"]["gloss"][k]) for k in kinds] + [_fmt(result["AVG(G)"])]
            cells += [_fmt(result["AVG"]), _fmt(result["invalid_rate"])]
            lines.append("| " + " | ".join(cells) + " |")
            if result["variant"] == MEAN_VARIANT:
                continue
            details.append(
                "| " + " | ".join(
                    [name, result["variant"], result["control"], result["frames"],
                     str(result["settings"]["max_new_tokens"]), str(result["asked"]), str(result["answered"]),
                     f"{result['invalid']} ({'–' if result['invalid_at_budget'] is None else result['invalid_at_budget']})",
                     str(result["failed"]), str(result["missing_videos"]),
                     _interval(result["all"]), _interval(result["all_valid"])]
                ) + " |"
            )  # fmt: skip
    notes = [
        "",
        "Accuracy in %. S = subunit level (pick the description), G = gloss level (pick the gloss); "
        + ", ".join(f"{TYPE_ABBREVIATIONS[k]} = {k}" for k in ICONICITY_TYPES)
        + ". AVG(S)/AVG(G) average the four types, AVG both levels; invalid replies count as wrong. "
        f"Prompt `{MEAN_VARIANT}` averages the prompt variants run under identical settings on the same "
        "questions (the paper's protocol; report this one).",
    ]
    if any(result.get("partial") for run in report["runs"] for result in run["results"].values()):
        notes.append(
            "**(partial)**: a trial run on a `--limit` sample of the videos, not a benchmark result."
        )
    parts = [
        "# LexSign-Bench results",
        "\n".join(lines + notes),
        "## Counts and settings per variant",
        "\n".join(details),
    ]
    if refusals:
        parts += ["## Means not formed", "\n".join(refusals)]
    return "\n\n".join(parts) + "\n"


def write_report(
    results: list[str | Path], out_dir: str | Path, bench: Iterable[dict[str, Any]] | None = None
) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and ``report.png`` for the given results folders (scored against
    `bench` when given, see `summarize_folder`)."""
    from .plot import plot

    if not results:
        raise ValueError("no results folders given")
    key = make_key(bench) if bench is not None else None
    report = {"runs": [summarize_folder(folder, key) for folder in results]}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "report.json",
        "markdown": out_dir / "report.md",
        "png": out_dir / "report.png",
    }
    write_json_atomic(paths["json"], report)
    tmp = paths["markdown"].with_name(f".{paths['markdown'].name}.tmp")
    tmp.write_text(markdown_table(report), encoding="utf-8")
    tmp.replace(paths["markdown"])
    plot(report, paths["png"])
    return paths

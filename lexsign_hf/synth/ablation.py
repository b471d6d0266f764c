"""`lexsign ablate`: the paper's loss ablation (Table 7) and subunit-count ablation (Table 21) on LexSign-Synth,
and with ``--baselines`` the zero-shot baselines of Table 11 (`BASELINES`), with ``--task islr`` the ISLR rows of
Table 4 (`ablation_islr.ISLR_VARIANTS`).

Every variant trains the same HALI architecture from the same initialisation, data and description sampling for
the same number of optimiser steps; only the loss weights (L_Global only; + L_FG^(s,f); + L_FG^(u,f); each of
those + L_HC; + both; + both + L_HC), the video-level objective (`HALIConfig.global_loss`) or the subunit parts
(M = 2 hands; M = 3 + body; M = 5 + mouth + face) differ. Each seed builds its own LexSign-Synth (classes,
signers, split) and initialisation, and all variants of a seed share them, so per-seed differences between
variants are paired. Each model's inference similarity (global or hali) is picked on the unseen validation
classes, as in `lexsign demo`.

Results (percent) go to ``<out>/ablation.json`` — per variant the mean, the standard deviation over seeds
(n - 1), the 95 % t-interval of the mean and the per-seed values of each metric, plus the paired per-seed
differences to the reference rows (`_references`) with their t-intervals — and a bar chart ``<out>/ablation.png``
(`ablation_report`). Every finished (seed, variant) run is kept in ``<out>/.work/<settings hash>/`` with its
settings hash and variant definition, so an interrupted or extended ablation (more seeds, more variants) resumes,
and a stored run made with other settings is refused rather than mixed in. With ``jobs`` > 1 the runs train in
that many worker processes (each with ``threads`` torch threads); every run seeds itself, so the numbers are the
same as with one job.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data.hub_layout import write_json_atomic
from ..metrics.intervals import seed_summary
from ..models.hali.configuration_hali import SUBUNIT_PARTS_BY_M
from ..train.evaluate import SIMILARITIES, evaluate_zsslr, prototype_aligned_zsl
from ..train.zsslr import DEFAULT_LEARNING_RATES, build_hali, load_zsslr_data, train_zsslr
from .ablation_islr import ISLR_DELTA_METRICS, ISLR_METRICS, ISLR_VARIANTS, train_islr_variant
from .ablation_report import format_table, plot_ablation
from .dataset import CONFIG_NAME, SynthConfig
from .demo import (
    MAX_TEXT_TOKENS,
    _machine,
    _minilm_path,
    default_cache_dir,
    prepare_synth_dataset,
    reproducible_torch,
)

__all__ = ["SMOKE", "VARIANTS", "AblationSettings", "Variant", "plot_ablation", "run_ablation"]

RESULT_FILE = "ablation.json"
CHART_FILE = "ablation.png"


@dataclass(frozen=True)
class Variant:
    """One row of the ablation: loss weights and the number of subunit parts M."""

    label: str
    w_fg_snippet: float
    w_fg_subunit: float
    w_hc: float
    num_subunit_parts: int = 3
    table: str = "Table 7"
    global_loss: str = "infonce"


VARIANTS: dict[str, Variant] = {
    "global": Variant("L_Global", 0.0, 0.0, 0.0),
    "fg_snippet": Variant("+ L_FG(s,f)", 1.0, 0.0, 0.0),
    "fg_subunit": Variant("+ L_FG(u,f)", 0.0, 1.0, 0.0),
    "fg_snippet_hc": Variant("+ L_FG(s,f) + L_HC", 1.0, 0.0, 1.0),
    "fg_subunit_hc": Variant("+ L_FG(u,f) + L_HC", 0.0, 1.0, 1.0),
    "fg_both": Variant("+ L_FG(s,f) + L_FG(u,f)", 1.0, 1.0, 0.0),
    "hali": Variant("+ both + L_HC (L_HALI, M=3)", 1.0, 1.0, 1.0),
    "hali_m2": Variant("L_HALI, M=2 (hands)", 1.0, 1.0, 1.0, 2, "Table 21"),
    "hali_m5": Variant("L_HALI, M=5 (+ mouth, face)", 1.0, 1.0, 1.0, 5, "Table 21"),
}
# The zero-shot baselines of Tables 1 and 11 (`HALIConfig.global_loss`), each alone and with L_FG + L_HC (A.6).
BASELINES: dict[str, Variant] = {
    "lle": Variant("LLE (Bilge et al.)", 0.0, 0.0, 0.0, table="Table 11", global_loss="lle"),
    "lle_fg_hc": Variant("LLE + L_FG + L_HC", 1.0, 1.0, 1.0, table="Table 11", global_loss="lle"),
    "dvta": Variant("DVTA (Kuang et al.)", 0.0, 0.0, 0.0, table="Table 11", global_loss="dvta"),
    "dvta_fg_hc": Variant("DVTA + L_FG + L_HC", 1.0, 1.0, 1.0, table="Table 11", global_loss="dvta"),
    "pgfa": Variant("PGFA (Zhou et al.)", 0.0, 0.0, 0.0, table="Table 11", global_loss="pgfa"),
    "pgfa_fg_hc": Variant("PGFA + L_FG + L_HC", 1.0, 1.0, 1.0, table="Table 11", global_loss="pgfa"),
}
ALL_VARIANTS: dict[str, Any] = {**VARIANTS, **BASELINES, **ISLR_VARIANTS}
# (split, section of the evaluation result, metric, name in ablation.json)
METRICS = (
    ("test", "zsl", "top1", "zsl_top1"),
    ("test", "zsl", "top5", "zsl_top5"),
    ("test", "gzsl", "S", "gzsl_S"),
    ("test", "gzsl", "U", "gzsl_U"),
    ("test", "gzsl", "H", "gzsl_H"),
    ("validation", "validation_zsl", "top1", "zsl_top1"),
    ("validation", "validation_zsl", "top5", "zsl_top5"),
)
DELTA_METRICS = ("test_zsl_top1", "test_gzsl_H", "validation_zsl_top1")
# paired differences of every variant to these reference rows (Table 7: the baseline and "both FG terms")
REFERENCES = {"delta_vs_global": "global", "delta_vs_both": "fg_both"}
WITHOUT_HC = {
    "fg_snippet_hc": "fg_snippet",
    "fg_subunit_hc": "fg_subunit",
    "hali": "fg_both",
}  # L_HC's own effect
WITH_FG_HC = "_fg_hc"  # Table 11: a baseline + L_FG + L_HC is compared with the baseline alone


def _references(name: str) -> dict[str, str]:
    """The rows `name` is paired with: {key in ablation.json: reference variant}."""
    if name in ISLR_VARIANTS:  # CE + L_HALI also against CE + L_Global: the paper's Table 4 claim
        return {"delta_vs_ce": "ce", **({"delta_vs_ce_global": "ce_global"} if name == "ce_hali" else {})}
    if name.endswith(WITH_FG_HC):
        return {"delta_vs_without_fg_hc": name.removesuffix(WITH_FG_HC)}
    extra = {"delta_vs_without_hc": WITHOUT_HC[name]} if name in WITHOUT_HC else {}
    extra |= {"delta_vs_m3": "hali"} if name in ("hali_m2", "hali_m5") else {}
    return {**REFERENCES, **extra}


def _metrics(names) -> tuple[tuple[str, str, str, str], ...]:
    return ISLR_METRICS if any(name in ISLR_VARIANTS for name in names) else METRICS


def _delta_metrics(names) -> tuple[str, ...]:
    return ISLR_DELTA_METRICS if any(name in ISLR_VARIANTS for name in names) else DELTA_METRICS


@dataclass
class AblationSettings:
    """Everything that defines an ablation run (defaults: ~1 hour on 2 idle CPU cores)."""

    out: Path = Path("results/ablation")
    seeds: tuple[int, ...] = (0, 1, 2)
    variants: tuple[str, ...] = tuple(VARIANTS)
    steps: int = 120
    synth: SynthConfig = field(
        default_factory=lambda: SynthConfig(
            num_seen=80, num_validation=30, num_test=40, train_instances=10, eval_instances=8, num_signers=16
        )
    )
    text_model: str | None = None
    batch_size: int = 24
    max_frames: int = 32
    learning_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LEARNING_RATES))
    frozen_text_layers: int = 4
    warmup_ratio: float = 0.05
    temperature: float = 0.03
    pose_config: dict[str, Any] = field(
        default_factory=lambda: {"hidden_size": 192, "part_hidden_size": 48, "dropout": 0.1}
    )
    projection_dim: int = 192
    duplicate_negatives: str = "exclude"
    cache_dir: Path | None = None
    threads: int = 2
    jobs: int = 1
    progress: bool = True
    aggregate_only: bool = False  # train nothing: write the JSON from the seeds whose runs are all stored

    def validate(self) -> None:
        unknown = [name for name in self.variants if name not in ALL_VARIANTS]
        if unknown:
            raise ValueError(f"--variants: unknown {unknown}; expected some of {list(ALL_VARIANTS)}")
        islr = [name in ISLR_VARIANTS for name in self.variants]
        if any(islr) and not all(islr):
            raise ValueError(
                f"--variants: ISLR variants {list(ISLR_VARIANTS)} cannot be mixed with zero-shot ones"
            )
        if len(set(self.seeds)) != len(self.seeds) or not self.seeds:
            raise ValueError(f"--seeds must be distinct and at least one, got {list(self.seeds)}")
        if self.steps < 1:
            raise ValueError(f"--steps must be at least 1, got {self.steps}")
        if self.batch_size < 2:
            raise ValueError(f"--batch-size must be at least 2 (contrastive loss), got {self.batch_size}")
        if self.threads < 1:
            raise ValueError(f"--threads must be at least 1, got {self.threads}")
        if self.jobs < 1:
            raise ValueError(f"--jobs must be at least 1, got {self.jobs}")
        if self.duplicate_negatives not in ("exclude", "keep"):
            raise ValueError(
                f"--duplicate-negatives must be exclude or keep, got {self.duplicate_negatives!r}"
            )

    def recipe(self) -> dict[str, Any]:
        """The settings shared by every run (what a resumed run must match), JSON-ready."""
        return {
            "steps": self.steps,
            "synth": {key: value for key, value in asdict(self.synth).items() if key != "seed"},
            "text_model": self.text_model,
            "batch_size": self.batch_size,
            "max_frames": self.max_frames,
            "learning_rates": self.learning_rates,
            "frozen_text_layers": self.frozen_text_layers,
            "warmup_ratio": self.warmup_ratio,
            "temperature": self.temperature,
            "pose_config": self.pose_config,
            "projection_dim": self.projection_dim,
            "threads": self.threads,
            "max_text_tokens": MAX_TEXT_TOKENS,
            "duplicate_negatives": self.duplicate_negatives,
            **({"task": "islr"} if any(name in ISLR_VARIANTS for name in self.variants) else {}),
        }


SMOKE = dict(
    seeds=(0, 1),
    steps=2,
    synth=SynthConfig(
        num_seen=8, num_validation=3, num_test=4, train_instances=2, test_seen_instances=1, eval_instances=2,
        num_signers=5,
    ),
    batch_size=4,
    max_frames=16,
    frozen_text_layers=1,
    pose_config={"hidden_size": 16, "part_hidden_size": 8, "dropout": 0.1},
    projection_dim=16,
)  # fmt: skip


def _train_variant(
    settings: AblationSettings, name: str, seed: int, data, text_model: str, work: Path
) -> dict:
    """Train one variant on one seed's data and evaluate it; returns its results (percent) and timing."""
    variant = ALL_VARIANTS[name]
    pose_config = {**settings.pose_config, "subunit_parts": SUBUNIT_PARTS_BY_M[variant.num_subunit_parts]}
    model, processor = build_hali(
        text_model,
        loss_mode="hali",
        max_frames=settings.max_frames,
        seed=seed,
        frozen_text_layers=settings.frozen_text_layers,
        pose_config=pose_config,
        projection_dim=settings.projection_dim,
        temperature=settings.temperature,
        w_fg_snippet=variant.w_fg_snippet,
        w_fg_subunit=variant.w_fg_subunit,
        w_hc=variant.w_hc,
        global_loss=variant.global_loss,
        duplicate_negatives=settings.duplicate_negatives,
    )
    processor.max_length = MAX_TEXT_TOKENS
    started = time.monotonic()
    train_zsslr(
        model,
        processor,
        data,
        work / "checkpoints",
        max_steps=settings.steps,
        batch_size=settings.batch_size,
        learning_rates=settings.learning_rates,
        warmup_ratio=settings.warmup_ratio,
        seed=seed,
        resume=False,
        progress=settings.progress,
        description=f"seed {seed} {variant.label}",
    )
    train_seconds = time.monotonic() - started
    results = evaluate_zsslr(model, processor, data, similarities=SIMILARITIES)
    extra = {}
    if variant.global_loss == "pgfa":  # PGFA's test-time step: ZSL with prototype-aligned class features
        extra = {"zsl_without_prototypes": results["zsl"]}
        results["zsl"] = prototype_aligned_zsl(model, processor, data, results["inference_similarity"])
    shutil.rmtree(work / "checkpoints", ignore_errors=True)
    return {
        "test": {"zsl": results["zsl"], "gzsl": results["gzsl"], **extra},
        "validation": {"validation_zsl": results["validation_zsl"]},
        "inference_similarity": results["inference_similarity"],
        "by_similarity": {
            similarity: {
                "test_zsl_top1": entry["zsl"]["top1"],
                "validation_zsl_top1": entry["validation_zsl"]["top1"],
            }
            for similarity, entry in results["by_similarity"].items()
        },
        "train_seconds": round(train_seconds, 1),
    }


@dataclass(frozen=True)
class _Run:
    """One (seed, variant) training still to do, and where its result goes."""

    name: str
    seed: int
    dataset_dir: Path
    text_model: str
    result_file: Path
    key: str


def _load_run(path: Path, key: str, name: str) -> dict:
    """A finished run's result, refused when it was made with other settings or another variant definition."""
    entry = json.loads(path.read_text(encoding="utf-8"))
    if entry.get("recipe_key") != key or entry.get("variant") != asdict(ALL_VARIANTS[name]):
        raise ValueError(
            f"{path}: made with other settings (recipe {entry.get('recipe_key')}, variant {entry.get('variant')}) "
            f"than this run (recipe {key}, variant {asdict(ALL_VARIANTS[name])}); delete it or use another --out"
        )
    return entry


def _train_one(settings: AblationSettings, run: _Run) -> dict:
    """Train and evaluate one run and store its result (the unit of resumption and of parallel jobs)."""
    with reproducible_torch(settings.threads):
        data = load_zsslr_data(run.dataset_dir, CONFIG_NAME)
        train = train_islr_variant if run.name in ISLR_VARIANTS else _train_variant
        entry = train(settings, run.name, run.seed, data, run.text_model, run.result_file.parent / run.name)
    entry = {"recipe_key": run.key, "variant": asdict(ALL_VARIANTS[run.name]), **entry}
    write_json_atomic(run.result_file, entry)
    return entry


def _train_all(settings: AblationSettings, todo: list[_Run]) -> Iterator[tuple[_Run, dict]]:
    """Yield (run, result) as runs finish: in this process, or in `settings.jobs` worker processes.

    Each run seeds its own initialisation, data order and sampling, so the numbers do not depend on `jobs`."""
    if settings.jobs == 1 or len(todo) <= 1:
        for run in todo:
            yield run, _train_one(settings, run)
        return
    quiet = dataclasses.replace(settings, progress=False)  # one bar per worker would interleave
    pool = ProcessPoolExecutor(min(settings.jobs, len(todo)), mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(_train_one, quiet, run): run for run in todo}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(cancel_futures=True)


def _aggregate(runs: dict[str, dict[int, dict]], seeds: Sequence[int]) -> dict[str, Any]:
    """Per variant: its settings, mean / std / 95 % t-interval / per-seed of every metric, and the paired per-seed
    differences to its reference rows (`_references`) with their t-intervals."""
    metrics, delta_metrics = _metrics(runs), _delta_metrics(runs)

    def values(name: str) -> dict[str, list[float]]:
        return {
            f"{split}_{label}": [runs[name][seed][split][section][key] for seed in seeds]
            for split, section, key, label in metrics
        }

    table = {}
    for name in runs:
        variant = ALL_VARIANTS[name]
        own = values(name)
        row: dict[str, Any] = {**asdict(variant), "M": getattr(variant, "num_subunit_parts", None)}
        row.pop("num_subunit_parts", None)
        for split, _, _, label in metrics:
            row.setdefault(split, {})[label] = seed_summary(own[f"{split}_{label}"])
        if "inference_similarity" in runs[name][seeds[0]]:
            row["inference_similarity"] = [runs[name][seed]["inference_similarity"] for seed in seeds]
        for key, reference in _references(name).items():
            if reference in runs and name != reference:
                base = values(reference)
                row[key] = {
                    metric: seed_summary(np.subtract(own[metric], base[metric])) for metric in delta_metrics
                }
        table[name] = row
    return table


def run_ablation(settings: AblationSettings, log=print) -> dict[str, Any]:
    """Train every variant on every seed, write ``ablation.json`` and ``ablation.png`` into `settings.out`."""
    settings.validate()
    with reproducible_torch(settings.threads):
        return _run_ablation(settings, log)


def _run_ablation(settings: AblationSettings, log) -> dict[str, Any]:
    started = time.monotonic()
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    recipe = settings.recipe()
    key = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    work = out / ".work" / key
    work.mkdir(parents=True, exist_ok=True)
    write_json_atomic(work / "recipe.json", recipe)
    text_model = settings.text_model or _minilm_path()
    cache_dir = Path(settings.cache_dir) if settings.cache_dir else default_cache_dir()
    runs: dict[str, dict[int, dict]] = {name: {} for name in settings.variants}
    chance = None
    todo = []
    for seed in settings.seeds:
        synth = dataclasses.replace(settings.synth, seed=seed)
        dataset_dir = prepare_synth_dataset(synth, cache_dir, settings.progress)
        if chance is None:
            data = load_zsslr_data(dataset_dir, CONFIG_NAME)
            islr = any(name in ISLR_VARIANTS for name in settings.variants)
            chance = 100.0 / len(data.seen if islr else data.unseen_test)
        for name in settings.variants:
            result_file = work / f"seed{seed}" / f"{name}.json"
            if result_file.is_file():
                runs[name][seed] = _load_run(result_file, key, name)
                log(f"seed {seed} {ALL_VARIANTS[name].label}: already done ({result_file})")
            else:
                todo.append(_Run(name, seed, dataset_dir, text_model, result_file, key))
    # --aggregate-only: report the seeds whose every variant is stored, and say what is missing
    partial = f"written by --aggregate-only from the stored runs of {list(settings.variants)}"
    partial = partial if settings.aggregate_only else None
    if settings.aggregate_only and todo:
        missing = sorted({run.seed for run in todo})
        seeds = [seed for seed in settings.seeds if seed not in missing]
        if not seeds:
            raise ValueError(f"--aggregate-only: no seed has all its variants stored in {work}")
        partial += (
            f"; seeds {seeds} of the requested {list(settings.seeds)}: {len(todo)} (seed, variant) runs of seeds "
            f"{missing} were not finished when this JSON was written"
        )
        settings = dataclasses.replace(settings, seeds=tuple(seeds))
        runs = {name: {seed: by_seed[seed] for seed in seeds} for name, by_seed in runs.items()}
        todo = []
    for run, entry in _train_all(settings, todo):
        runs[run.name][run.seed] = entry
        log(
            f"seed {run.seed} {ALL_VARIANTS[run.name].label}: {_summary_line(entry)} ({entry['train_seconds']:.0f} s)"
        )
    results: dict[str, Any] = {
        "unit": "percent",
        "seeds": list(settings.seeds),
        "chance_top1": chance,
        "config": {
            **recipe,
            "text_model": "sentence-transformers/all-MiniLM-L6-v2"
            if settings.text_model is None
            else settings.text_model,
            "variants": {name: asdict(ALL_VARIANTS[name]) for name in settings.variants},
            "subunit_parts": {m: parts for m, parts in SUBUNIT_PARTS_BY_M.items()},
            "selection": "inference similarity (global or hali) picked per model on the unseen validation classes",
        },
        "variants": _aggregate(runs, settings.seeds),
        "run": {
            "train_seconds": {
                name: {seed: runs[name][seed]["train_seconds"] for seed in settings.seeds} for name in runs
            },
            "runtime_seconds": round(time.monotonic() - started, 1),
            **({"partial": partial} if partial else {}),
            "imported": {
                name: {seed: runs[name][seed].get("imported_from") for seed in settings.seeds}
                for name in runs
                if any("imported_from" in runs[name][seed] for seed in settings.seeds)
            },
            "machine": _machine(),
        },
    }
    write_json_atomic(out / RESULT_FILE, results)
    plot_ablation(results, out / CHART_FILE)
    log(format_table(results))
    log(f"wrote {out / RESULT_FILE} and {out / CHART_FILE}")
    return results


def _summary_line(entry: dict) -> str:
    if "test_seen" in entry:
        islr = entry["test_seen"]["islr"]
        return f"P-I top-1 {islr['per_instance_top1']:.1f}, P-C top-1 {islr['per_class_top1']:.1f}"
    return (
        f"test ZSL top-1 {entry['test']['zsl']['top1']:.1f}, GZSL H {entry['test']['gzsl']['H']:.1f}, "
        f"validation top-1 {entry['validation']['validation_zsl']['top1']:.1f}"
    )

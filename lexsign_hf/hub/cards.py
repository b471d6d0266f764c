"""Model cards rendered from the evaluation JSON the training/evaluation commands write.

Results are never typed by hand: `zsslr_results` / `islr_results` read them from the results file, and
`build_model_card` puts the same numbers in the card's table and in its `model-index` metadata
(`huggingface_hub.EvalResult`), then checks the card's YAML against the file. Templates are Jinja files in
`model_cards/`; `render_card` renders them with `StrictUndefined`, so a template asking for a value the results do
not have fails instead of printing an empty cell.

Results files understood:

- ZSSLR, `lexsign demo`'s `metrics.json`: ``{"hali": {"zsl": {"top1", "top5"}, "gzsl": {"S", "U", "H"}},
  "baseline": {...}, "chance_top1": ..., "config": {...}}``, or one run's ``{"zsl": ..., "gzsl": ...}``
  (`lexsign_hf.train.evaluate.evaluate_zsslr`);
- ISLR: the `Trainer` metrics of `HALIForSignClassification` (`per_instance_top1`, `per_class_top1`, ..., with or
  without an ``eval_`` / ``test_`` prefix), optionally under ``"islr"``.

Either may carry ``"dataset"`` (a Hub id, or ``{"id", "config"}``) and ``"config"`` / ``"training"`` (the training
settings shown in the card). Each model's results carry the ``weights_fingerprint`` of the weights they were
measured on (`lexsign_hf.fingerprint`); `check_results_weights` refuses results of other weights. A card names a
dataset (``datasets:``, ``model-index``) only by its Hub id. Only an ISLR model's card has a ``pipeline_tag``
(``video-classification``, which its saved `custom_pipelines` serve); a zero-shot card has none (no standard Hub
task ranks glosses by descriptions) and links the Space; both show the custom ``zero-shot-sign-classification``
pipeline.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ..card_templates import card_template_path
from ..fingerprint import WEIGHTS_KEY
from ..train.card import skeleton_tower_description
from .card_text import (  # noqa: F401  (re-exported: the card helpers were in this module)
    EXAMPLE_VIDEO,
    HUB_DATASET_ID,
    ISLR_PIPELINE_TAG,
    SPACE_ID,
    TAGS,
    add_hub_usage,
    add_weights_note,
    hub_dataset_id,
    is_islr_model,
    set_card_dataset,
    size_category,
    update_card_metadata,
)

ISLR_TEMPLATE = "hali_islr.md.jinja"  # in model_cards/; ZSSLR cards: lexsign_hf.train.card
ISLR_TASK = "sign-classification"
UNEVALUATED_TEMPLATE = "hali_unevaluated.md.jinja"

# (path inside one run's results, metric type, display name, split, task name) per task.
METRICS: dict[str, tuple[tuple[tuple[str, ...], str, str, str, str], ...]] = {
    "zsslr": (
        (("zsl", "top1"), "zsl_top1", "ZSL top-1 (per class)", "test", "Zero-shot sign recognition (ZSL)"),
        (("zsl", "top5"), "zsl_top5", "ZSL top-5 (per class)", "test", "Zero-shot sign recognition (ZSL)"),
        (
            ("gzsl", "S"),
            "gzsl_seen",
            "GZSL S (seen classes)",
            "test_seen+test",
            "Generalised zero-shot (GZSL)",
        ),
        (
            ("gzsl", "U"),
            "gzsl_unseen",
            "GZSL U (unseen classes)",
            "test_seen+test",
            "Generalised zero-shot (GZSL)",
        ),
        (
            ("gzsl", "H"),
            "gzsl_harmonic",
            "GZSL H (harmonic mean)",
            "test_seen+test",
            "Generalised zero-shot (GZSL)",
        ),
    ),
    "islr": (
        (("per_instance_top1",), "per_instance_top1", "P-I top-1", "test", "Isolated sign recognition"),
        (("per_instance_top5",), "per_instance_top5", "P-I top-5", "test", "Isolated sign recognition"),
        (("per_class_top1",), "per_class_top1", "P-C top-1", "test", "Isolated sign recognition"),
        (("per_class_top5",), "per_class_top5", "P-C top-5", "test", "Isolated sign recognition"),
    ),
}

__all__ = [
    "ISLR_TEMPLATE",
    "add_weights_note",
    "build_unevaluated_card",
    "check_results_weights",
    "hub_dataset_id",
    "set_card_dataset",
    "size_category",
    "TAGS",
    "CardResults",
    "ResultRow",
    "build_model_card",
    "add_adapter_results",
    "add_hub_usage",
    "check_card_results",
    "islr_results",
    "read_results",
    "render_card",
    "parse_results",
    "results_from_file",
    "results_of_card",
    "update_card_metadata",
    "zsslr_results",
    "zsslr_runs",
]


@dataclass
class ResultRow:
    """One measured number of the published model."""

    metric_type: str
    name: str
    split: str
    task_name: str
    value: float


@dataclass
class CardResults:
    """The results of one model, as read from its results file."""

    task: str  # "zsslr" or "islr"
    rows: list[ResultRow]
    source: Path
    raw: dict[str, Any]
    dataset_id: str | None = None
    dataset_config: str | None = None
    training: dict[str, Any] = field(default_factory=dict)
    run: str = ""  # which model of a file with several (e.g. "hali" or "baseline"); "" for the whole file

    def eval_results(
        self, dataset_id: str, dataset_name: str, dataset_config: str | None
    ) -> list[EvalResult]:
        """The rows as `EvalResult`s (one model-index entry per task name and split)."""
        return [
            EvalResult(
                task_type=ISLR_TASK if self.task == "islr" else "zero-shot-classification",
                task_name=row.task_name,
                dataset_type=dataset_id,
                dataset_name=dataset_name,
                dataset_config=dataset_config,
                dataset_split=row.split,
                metric_type=row.metric_type,
                metric_name=row.name,
                metric_value=row.value,
            )
            for row in self.rows
        ]


def read_results(path: str | os.PathLike) -> dict[str, Any]:
    """The JSON object in `path`; a missing file or anything but a JSON object is a clear error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"results file not found: {path} (the card's results come from it)")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(
            f"{path}: not a UTF-8 text file (binary?); expected a JSON object of results"
        ) from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON, truncated or corrupt? ({error})") from None
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a JSON object of results, got {type(content).__name__}")
    return content


def _number(source: Path, where: str, value: Any, allow_nan: bool = False) -> float:
    if allow_nan and isinstance(value, float) and math.isnan(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{source}: field {where!r} must be a finite number, got {value!r}")
    return float(value)


def _lookup(
    source: Path, run: Mapping[str, Any], prefix: str, path: tuple[str, ...], allow_nan: bool = False
) -> float:
    value: Any = run
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise ValueError(f"{source}: missing field {'.'.join((prefix, *path)).lstrip('.')!r}")
        value = value[key]
    return _number(source, ".".join((prefix, *path)).lstrip("."), value, allow_nan)


def _dataset(raw: Mapping[str, Any]) -> tuple[str | None, str | None]:
    dataset = raw.get("dataset")
    if isinstance(dataset, Mapping):
        return dataset.get("id"), dataset.get("config")
    return (dataset if isinstance(dataset, str) else None), raw.get("dataset_config")


def _training(raw: Mapping[str, Any]) -> dict[str, Any]:
    settings = raw.get("training", raw.get("config", {}))
    return dict(settings) if isinstance(settings, Mapping) else {}


def zsslr_runs(raw: Mapping[str, Any]) -> list[str]:
    """Names of the evaluated models in a ZSSLR results file (``""`` when the file is one run's results)."""
    if "zsl" in raw:
        return [""]
    return [name for name, value in raw.items() if isinstance(value, Mapping) and "zsl" in value]


def zsslr_results(
    raw: Mapping[str, Any], source: str | os.PathLike = "results", run: str | None = None
) -> CardResults:
    """ZSL top-1/top-5 and GZSL S/U/H of one evaluated model: `run` (e.g. ``"hali"``, ``"baseline"`` of the
    demo's file, ``"model"`` of `lexsign train`'s), by default ``"hali"`` or the only run of the file."""
    source = Path(source)
    runs = zsslr_runs(raw)
    if run is None:
        if len(runs) != 1 and "hali" not in runs:
            raise ValueError(f"{source}: results of several models {runs}; say which one with --results-key")
        run = "hali" if "hali" in runs else runs[0]
    if run not in runs:
        raise ValueError(f"{source}: no ZSSLR results for {run!r} (found {runs})")
    model_run = raw[run] if run else raw
    rows = []
    for path, metric_type, name, split, task_name in METRICS["zsslr"]:
        value = _lookup(source, model_run, run, path, allow_nan=path[0] == "gzsl")
        if not math.isnan(value):  # S, U or H of a side without samples: not a result
            rows.append(ResultRow(metric_type, name, split, task_name, value))
    dataset_id, dataset_config = _dataset(raw)
    return CardResults("zsslr", rows, source, dict(raw), dataset_id, dataset_config, _training(raw), run)


def islr_results(raw: Mapping[str, Any], source: str | os.PathLike = "results") -> CardResults:
    """P-I / P-C top-1 and top-5 from `Trainer` metrics (``test_``, ``eval_`` or no prefix)."""
    source = Path(source)
    run = raw.get("islr", raw)
    for prefix in ("test_", "eval_", ""):
        if f"{prefix}per_instance_top1" in run:
            break
    else:
        raise ValueError(f"{source}: missing field 'per_instance_top1' (or 'test_per_instance_top1')")
    run = {key[len(prefix) :]: value for key, value in run.items() if key.startswith(prefix)}
    rows = [
        ResultRow(metric_type, name, split, task_name, _lookup(source, run, prefix.rstrip("_"), path))
        for path, metric_type, name, split, task_name in METRICS["islr"]
    ]
    dataset_id, dataset_config = _dataset(raw)
    return CardResults("islr", rows, source, dict(raw), dataset_id, dataset_config, _training(raw))


def parse_results(raw: Mapping[str, Any], source: str | os.PathLike, run: str | None = None) -> CardResults:
    """Recognise the task of a results dict (ZSSLR if it has ZSL numbers, else ISLR) and read one model's rows."""
    if zsslr_runs(raw):
        return zsslr_results(raw, source, run)
    if any("per_instance_top1" in key for key in (raw.get("islr") or raw)):
        return islr_results(raw, source)
    raise ValueError(
        f"{source}: no ZSSLR results ('zsl', or runs like 'hali.zsl') or ISLR results ('per_instance_top1'); "
        "expected the metrics.json of `lexsign demo` / `lexsign train`, an evaluate_zsslr result or Trainer ISLR "
        "metrics"
    )


def results_from_file(path: str | os.PathLike, run: str | None = None) -> CardResults:
    """`parse_results` of the JSON file at `path`."""
    return parse_results(read_results(path), path, run)


def results_of_card(card: ModelCard, raw: Mapping[str, Any], source: str | os.PathLike) -> CardResults:
    """The model of the results file whose numbers are the card's `model-index` (a card written with the model,
    e.g. by `lexsign demo`, for its ``hali`` or its ``baseline`` run)."""
    candidates = zsslr_runs(raw) or [None]
    for run in candidates:
        results = parse_results(raw, source, run)
        try:
            check_card_results(card, results)
        except ValueError:
            continue
        return results
    found = [
        (r.metric_name or r.metric_type, r.metric_value) for r in ModelCard(str(card)).data.eval_results or []
    ]
    runs = ", ".join(run or "(the file)" for run in candidates)
    raise ValueError(
        f"the model card's model-index results {found} are not those of any model in the results file {source} "
        f"({runs}); re-render the card from it (or pass --card-template)"
    )


def render_card(card_class: type, card_data, template_path: str | os.PathLike, **context: Any):
    """`card_class.from_template`, but strict: a variable the template uses and `context` lacks is an error."""
    template_path = Path(template_path)
    if not template_path.is_file():
        raise FileNotFoundError(f"card template not found: {template_path}")
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    try:
        template = environment.from_string(template_path.read_text(encoding="utf-8"))
        content = template.render(**{**card_data.to_dict(), **context, "card_data": card_data.to_yaml()})
    except jinja2.TemplateError as error:
        raise ValueError(f"card template {template_path}: {error}") from None
    return card_class(content)


def _model_summary(model_dir: Path) -> dict[str, Any]:
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    pose, text = config.get("pose_config", {}), config.get("text_config", {})
    return {
        "architecture": (config.get("architectures") or ["HALIModel"])[0],
        "skeleton_tower": skeleton_tower_description(pose.get("architecture", "light")),
        "num_parameters": _count_parameters(model_dir),
        "projection_dim": config.get("projection_dim"),
        "temperature": config.get("temperature"),
        "learnable_temperature": config.get("learnable_temperature"),
        "loss_weights": {key: config.get(key) for key in ("w_fg_snippet", "w_fg_subunit", "w_hc")},
        "inference_similarity": config.get("inference_similarity"),
        "subunit_parts": pose.get("subunit_parts"),
        "pyramid_bins": pose.get("pyramid_bins"),
        "pose_hidden_size": pose.get("hidden_size"),
        "text_hidden_size": text.get("hidden_size"),
        "text_layers": text.get("num_hidden_layers"),
        "num_labels": len(config.get("id2label") or {})
        if config.get("architectures") == ["HALIForSignClassification"]
        else None,
    }


def _count_parameters(model_dir: Path) -> int:
    """Parameters of the saved model, counted on the meta device (no weights are loaded)."""
    import torch

    from ..models.hali import HALIConfig
    from .export import hali_model_class

    config = HALIConfig.from_pretrained(model_dir)
    with torch.device("meta"):
        return sum(parameter.numel() for parameter in hali_model_class(config)(config).parameters())


def build_model_card(
    model_dir: str | os.PathLike,
    results: CardResults,
    repo_id: str,
    dataset_id: str | None,
    dataset_config: str | None = None,
    license: str = "cc-by-nc-4.0",
    template_path: str | os.PathLike | None = None,
) -> ModelCard:
    """The model card of the HALI model in `model_dir`, with `results` as a table and, when the evaluation dataset
    has a Hub id (`dataset_id`), as `model-index` too.

    ZSSLR cards are rendered by `lexsign_hf.train.card.render_zsslr_card` (the card `lexsign train` / `lexsign
    demo` write, `model_cards/hali_zsslr.md.jinja`), ISLR cards from `model_cards/hali_islr.md.jinja`; both get
    the Hub tags and the dataset link, and their `model-index` is checked against `results`.
    """
    model_dir = Path(model_dir)
    model_name = repo_id.split("/")[-1]
    dataset_name = dataset_id.split("/")[-1] if dataset_id else "the evaluation data"
    if results.task == "zsslr":
        architecture = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        card = _zsslr_card(
            results, model_name, dataset_id, dataset_name, dataset_config, license, template_path,
            architecture.get("pose_config", {}).get("architecture", "light"),
        )  # fmt: skip
    else:
        card_data = ModelCardData(
            model_name=model_name,
            license=license,
            library_name="transformers",
            tags=list(TAGS),
            datasets=[dataset_id] if dataset_id else None,
            eval_results=results.eval_results(
                dataset_id, dataset_name + (f" ({dataset_config})" if dataset_config else ""), dataset_config
            )
            if dataset_id
            else None,
        )
        card = render_card(
            ModelCard,
            card_data,
            template_path or card_template_path(ISLR_TEMPLATE),
            repo_id=repo_id,
            model_name=model_name,
            dataset_id=dataset_id,
            dataset_config=dataset_config,
            results=results.rows,
            results_file=results.source.name,
            training=results.training,
            model=_model_summary(model_dir),
        )
    card = add_hub_usage(update_card_metadata(card, dataset_id, license), repo_id, is_islr_model(model_dir))
    check_card_results(card, results)
    return card


def _zsslr_card(
    results, model_name, dataset_id, dataset_name, dataset_config, license, template_path, skeleton_tower
) -> ModelCard:
    from ..train.card import render_zsslr_card

    metrics = results.raw if results.run else {"model": results.raw, "config": results.training}
    if not results.run and "chance_top1" in results.raw:
        metrics["chance_top1"] = results.raw["chance_top1"]
    return render_zsslr_card(
        metrics,
        results.run or "model",
        model_name=model_name,
        dataset_type=dataset_id,
        dataset_name=dataset_name,
        dataset_config=dataset_config or "default",
        license=license,
        template_path=template_path,
        skeleton_tower=skeleton_tower,
    )


def build_unevaluated_card(
    model_dir: str | os.PathLike,
    repo_id: str,
    license: str,
    template_path: str | os.PathLike | None = None,
) -> ModelCard:
    """The card of a model published without results (`lexsign push model --no-results`): says plainly that it
    has not been evaluated, and has no `model-index`."""
    model_name = repo_id.split("/")[-1]
    card_data = ModelCardData(
        model_name=model_name, license=license, library_name="transformers", tags=list(TAGS)
    )
    card = render_card(
        ModelCard,
        card_data,
        template_path or card_template_path(UNEVALUATED_TEMPLATE),
        repo_id=repo_id,
        model_name=model_name,
        model=_model_summary(Path(model_dir)),
    )
    return add_hub_usage(card, repo_id, is_islr_model(model_dir))


def results_weights(results: CardResults) -> Mapping[str, Any] | None:
    """The weights fingerprint recorded with the results of `results.run` (``None`` when there is none)."""
    entry = results.raw.get(results.run) if results.run else results.raw
    fingerprint = entry.get(WEIGHTS_KEY) if isinstance(entry, Mapping) else None
    return fingerprint if isinstance(fingerprint, Mapping) else None


def check_results_weights(
    results: CardResults, weights: Mapping[str, str], model_dir: str | os.PathLike
) -> None:
    """Refuse results that were not measured on the weights in `model_dir` (`weights`: its `weights_fingerprint`)."""
    which = f"the {results.run!r} results" if results.run else "the results"
    recorded = results_weights(results)
    if recorded is None:
        raise ValueError(
            f"{results.source}: {which} record no {WEIGHTS_KEY}, so nothing binds them to the weights in {model_dir}; "
            "evaluate this folder (`lexsign evaluate --model DIR --dataset ... --out results.json`) or pass --no-results"
        )
    if recorded.get("sha256") != weights["sha256"]:
        raise ValueError(
            f"{results.source}: {which} were measured on other weights (sha256 {str(recorded.get('sha256'))[:12]}...) "
            f"than {Path(model_dir) / weights['file']} (sha256 {weights['sha256'][:12]}...); refusing to publish "
            "another model's results"
        )


def check_card_results(card: ModelCard, results: CardResults, tolerance: float = 0.005 + 1e-9) -> None:
    """Every number in the card's `model-index` (re-read from its YAML) must be one of the published model's
    results in `results` (up to `tolerance`, the rounding of a card that shows two decimals); a card without
    `model-index` (no Hub dataset id) must show each result in its text."""
    reread = ModelCard(str(card)).data.eval_results or []
    if not reread:
        shown = _numbers(card.text)
        missing = [row.name for row in results.rows if not {f"{row.value:.1f}", f"{row.value:.2f}"} & shown]
        if missing or not results.rows:
            raise ValueError(
                f"the model card has no model-index results and does not show {missing or 'any result'} of "
                f"{results.source}; re-render the card from it"
            )
        return
    values = [row.value for row in results.rows]
    for result in reread:
        value = result.metric_value
        if not isinstance(value, (int, float)) or not any(abs(value - row) <= tolerance for row in values):
            raise ValueError(
                f"model card result {result.metric_name or result.metric_type} = {value!r} is not in the results "
                f"file {results.source} (model results: {values}); re-render the card from it"
            )


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+\.\d+", text))


def add_adapter_results(
    card: ModelCard, raw: Mapping[str, Any], source: str | os.PathLike, repo_id: str
) -> ModelCard:
    """Put the LexSign Table 12 result of an adapter (`examples/agp_table12.py`'s ``table12.json``: HALI trained
    on the AGP descriptions the tuned MLLM wrote, ZSL on the unseen test classes) in the card's table and
    `model-index`."""
    source = Path(source)
    zsl = raw.get("zsl_test")
    if not isinstance(zsl, Mapping):
        raise ValueError(
            f"{source}: missing field 'zsl_test' (expected the table12.json of examples/agp_table12.py)"
        )
    config = raw.get("config") or "default"
    values = {key: _number(source, f"zsl_test.{key}", zsl.get(key)) for key in ("top1", "top5")}
    card.data.model_name = repo_id.split("/")[-1]
    card.data.eval_results = [
        EvalResult(
            task_type="zero-shot-classification",
            task_name="ZSSLR from this model's AGP descriptions (LexSign Table 12)",
            dataset_type="lexsign",
            dataset_name=f"LexSign ({config})",
            dataset_config=config,
            dataset_split="test",
            metric_type="accuracy",
            metric_name=f"ZSL {key.replace('top', 'top-')} (per class)",
            metric_value=value,
        )
        for key, value in values.items()
    ]
    card.text = card.text.rstrip("\n") + (
        f"\n\n## Downstream result (LexSign Table 12 protocol)\n\nA HALI model trained for ZSSLR on `{config}` with the "
        f"descriptions this model wrote (AGP), evaluated zero-shot on the unseen test classes (from `{source.name}`):\n\n"
        "| metric | value |\n| --- | ---: |\n"
        + "".join(f"| ZSL {key.replace('top', 'top-')} | {value:.2f} |\n" for key, value in values.items())
    )
    return card

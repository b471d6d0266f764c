"""Publishing to the Hugging Face Hub: model cards from measured results, `lexsign push`, the
`zero-shot-sign-classification` pipeline and the Inference Endpoints handler.

Names load lazily, so `lexsign --help` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "build_model_card": "cards",
    "islr_results": "cards",
    "results_from_file": "cards",
    "zsslr_results": "cards",
    "hali_model_class": "export",
    "load_zero_shot_pipeline": "export",
    "pose_layout_table": "export",
    "save_zero_shot_pipeline": "export",
    "zero_shot_pipeline": "export",
    "TASK": "pipeline",
    "ZeroShotSignClassificationPipeline": "pipeline",
    "StagedRepo": "push",
    "stage_adapter": "push",
    "stage_dataset": "push",
    "stage_model": "push",
    "upload": "push",
    "verify_staged": "push",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

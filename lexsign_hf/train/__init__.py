"""Training and zero-shot evaluation of HALI with the plain `transformers.Trainer`.

Names are imported lazily so that `lexsign` sub-commands start without loading torch and transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "build_optimizer": "optim",
    "hali_parameter_groups": "optim",
    "ZSSLRData": "zsslr",
    "build_hali": "zsslr",
    "load_zsslr_data": "zsslr",
    "train_zsslr": "zsslr",
    "ZSSLREvaluator": "evaluate",
    "ZeroShotEvalCallback": "evaluate",
    "evaluate_zsslr": "evaluate",
    "render_zsslr_card": "card",
    "predict_pose": "predict",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""lexsign_hf: learning sign language from lexical descriptions, the Hugging Face way.

The model classes are imported lazily, so `lexsign` commands and light modules (`lexsign_hf.pose`,
`lexsign_hf.metrics`) start without loading torch and transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "HALIConfig": "lexsign_hf.models.hali",
    "HALIForSignClassification": "lexsign_hf.models.hali",
    "HALIModel": "lexsign_hf.models.hali",
    "HALIProcessor": "lexsign_hf.models.hali",
    "HALIZeroShotClassifier": "lexsign_hf.models.hali",
    "SkeletonEncoderConfig": "lexsign_hf.models.hali",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lexsign_hf' has no attribute {name!r}")

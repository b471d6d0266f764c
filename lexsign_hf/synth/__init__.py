"""The phonology-grounded synthetic signer and LexSign-Synth, the embedded default dataset of `lexsign demo`."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SynthClasses": "dataset",
    "SynthConfig": "dataset",
    "build_synth_dataset": "dataset",
    "class_descriptions": "dataset",
    "synth_classes": "dataset",
    "records_from_asl_lex": "inventory",
    "sample_record": "inventory",
    "sample_records": "inventory",
    "render_animation": "render",
    "render_frames": "render",
    "SynthSign": "sign",
    "describe_sign": "sign",
    "FPS": "signer",
    "IMAGE_SIZE": "signer",
    "LAYOUT": "signer",
    "SignerParams": "signer",
    "synthesize": "signer",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Converters from other projects' checkpoints into HALI models (`lexsign convert ...`)."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ConversionReport": "uni_sign",
    "convert_uni_sign_state_dict": "uni_sign",
    "load_uni_sign_checkpoint": "uni_sign",
    "uni_sign_names": "uni_sign",
    "uni_sign_to_hali": "uni_sign",
    "write_converted": "uni_sign",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

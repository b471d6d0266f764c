"""PEFT LoRA fine-tuning of Qwen2.5-VL on LexSign video–description pairs (`lexsign mllm finetune-lora`).

Names load lazily, so `lexsign --help` does not import torch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "IGNORE_INDEX": "collator",
    "VideoChatCollator": "collator",
    "DescriptionPairs": "data",
    "collect_examples": "data",
    "leakage_free_glosses": "data",
    "load_description_bank": "data",
    "load_index_rows": "data",
    "LANGUAGE_TARGET_MODULES": "lora",
    "FinetuneResult": "lora",
    "LoraFinetuneConfig": "lora",
    "add_lora": "lora",
    "check_adapter_compatible": "lora",
    "finetune_lora": "lora",
    "load_adapter": "lora",
    "load_base_model": "lora",
    "merge_adapter": "lora",
    "render_adapter_card": "lora",
    "save_adapter": "lora",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)

"""AGP: automatic generation of lexical descriptions (`lexsign agp perceive|summarize`).

An MLLM describes each video of a gloss with the lexicographer prompt (`prompts`), a text LLM summarises the
per-video descriptions of each gloss (`pipeline`); both append `source="agp"` records with provenance.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "MAX_WORDS": "prompts",
    "ExamplePool": "prompts",
    "PromptTemplate": "prompts",
    "describe_template": "prompts",
    "summarize_template": "prompts",
    "CleanAnswer": "answers",
    "clean_answer": "answers",
    "SignVideo": "videos",
    "find_video": "videos",
    "load_index_rows": "videos",
    "match_videos": "videos",
    "read_index_csv": "videos",
    "RecordStore": "store",
    "ReplyPolicy": "pipeline",
    "RunReport": "pipeline",
    "SettingsChanged": "store",
    "perceive": "pipeline",
    "select_instances": "pipeline",
    "summarize": "pipeline",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)

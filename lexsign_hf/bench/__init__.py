"""LexSign-Bench: multiple-choice questions on sign videos (subunit descriptions and glosses) for MLLMs.

`build_bench` writes the benchmark (dataset config `bench`) and audits it with text-only and prior choosers
(`audit_questions`; `audit_bench` for a built folder), `run_bench` asks a model through an answerer
(`MLLMAnswerer` around any `lexsign_hf.mllm` backend, or a `ScoringAnswerer` baseline) with a resumable cache
bound to the bench (`bench_fingerprint`), `parse_answer` reads the letter a reply chose, and `write_report` turns
results folders into JSON, Markdown and a bar chart with 95 % Wilson intervals (`wilson_interval`).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CHOOSERS": "audit",
    "PRIOR_CHOOSERS": "audit",
    "AuditResult": "audit",
    "audit_bench": "audit",
    "audit_questions": "audit",
    "ScoringAnswerer": "baselines",
    "hali_class_scorer": "baselines",
    "hali_description_scorer": "baselines",
    "BENCH_FEATURES": "builder",
    "ICONICITY_TYPES": "builder",
    "TYPE_ABBREVIATIONS": "builder",
    "BenchSummary": "builder",
    "build_bench": "builder",
    "build_questions": "builder",
    "CONTROLS": "prompts",
    "VARIANTS": "prompts",
    "PromptTemplates": "prompts",
    "load_templates": "prompts",
    "parse_answer": "prompts",
    "summarize": "report",
    "wilson_interval": "report",
    "write_report": "report",
    "BenchAnswer": "runner",
    "BenchItem": "runner",
    "MLLMAnswerer": "runner",
    "RunSummary": "runner",
    "load_bench": "runner",
    "run_bench": "runner",
    "sample_videos": "runner",
    "bench_fingerprint": "store",
    "question_hash": "store",
    "read_answers": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

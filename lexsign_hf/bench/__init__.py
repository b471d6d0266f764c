"""LexSign-Bench: multiple-choice questions on sign videos (subunit descriptions and glosses) for MLLMs.

`build_bench` writes the benchmark (dataset config `bench`) and audits it with text-only and prior choosers
(`audit_questions`; `audit_bench` for a built folder), `run_bench` asks a model through an answerer
(`MLLMAnswerer` around any `lexsign_hf.mllm` backend, or a `ScoringAnswerer` baseline) with a resumable cache
bound to the bench (`bench_fingerprint`), `parse_answer` reads the letter a reply chose, and `write_report` turns
results folders into JSON, Markdown and a bar chart with 95 % Wilson intervals (`wilson_interval`).
"""

from .audit import CHOOSERS, PRIOR_CHOOSERS, AuditResult, audit_bench, audit_questions
from .baselines import ScoringAnswerer, hali_class_scorer, hali_description_scorer
from .builder import (
    BENCH_FEATURES,
    ICONICITY_TYPES,
    TYPE_ABBREVIATIONS,
    BenchSummary,
    build_bench,
    build_questions,
)
from .prompts import CONTROLS, VARIANTS, PromptTemplates, load_templates, parse_answer
from .report import summarize, wilson_interval, write_report
from .runner import (
    BenchAnswer,
    BenchItem,
    MLLMAnswerer,
    RunSummary,
    load_bench,
    run_bench,
    sample_videos,
)
from .store import bench_fingerprint, question_hash, read_answers

__all__ = [
    "BENCH_FEATURES",
    "CHOOSERS",
    "PRIOR_CHOOSERS",
    "bench_fingerprint",
    "question_hash",
    "wilson_interval",
    "AuditResult",
    "audit_bench",
    "audit_questions",
    "sample_videos",
    "CONTROLS",
    "ICONICITY_TYPES",
    "TYPE_ABBREVIATIONS",
    "VARIANTS",
    "BenchAnswer",
    "BenchItem",
    "BenchSummary",
    "MLLMAnswerer",
    "PromptTemplates",
    "RunSummary",
    "ScoringAnswerer",
    "build_bench",
    "build_questions",
    "hali_class_scorer",
    "hali_description_scorer",
    "load_bench",
    "load_templates",
    "parse_answer",
    "read_answers",
    "run_bench",
    "summarize",
    "write_report",
]

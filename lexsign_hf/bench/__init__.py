"""LexSign-Bench: multiple-choice questions on sign videos (subunit descriptions and glosses) for MLLMs.

`build_bench` writes the benchmark (dataset config `bench`), `run_bench` asks a model through an answerer
(`MLLMAnswerer` around any `lexsign_hf.mllm` backend, or a `ScoringAnswerer` baseline) with a resumable cache,
and `write_report` turns results folders into JSON, Markdown and a bar chart.
"""

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
from .report import summarize, write_report
from .runner import (
    BenchAnswer,
    BenchItem,
    MLLMAnswerer,
    RunSummary,
    load_bench,
    read_answers,
    run_bench,
)

__all__ = [
    "BENCH_FEATURES",
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

"""Prompt templates (one editable YAML file) and robust answer parsing."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_TEMPLATES = Path(__file__).with_name("prompts.yaml")
VARIANTS: tuple[str, ...] = ("original", "simple", "complex")
LEVELS: tuple[str, ...] = ("subunit", "gloss")
LETTERS = "ABCD"
CONTROLS: tuple[str, ...] = ("none", "blind", "temporal", "spatial")


@dataclass(frozen=True)
class PromptTemplates:
    """The prompt text per (level, variant), the option line format, and a hash of the whole file."""

    prompts: dict[str, dict[str, str]]
    option_format: str
    source: str
    hash: str

    def render(self, level: str, variant: str, options: list[str]) -> str:
        """The prompt for one question."""
        if len(options) != len(LETTERS):
            raise ValueError(f"a question needs {len(LETTERS)} options, got {len(options)}")
        lines = "\n".join(
            self.option_format.replace("{letter}", letter).replace("{text}", text)
            for letter, text in zip(LETTERS, options, strict=True)
        )
        return self.prompts[level][variant].replace("{options}", lines)


def load_templates(path: str | Path | None = None) -> PromptTemplates:
    """Read and validate a templates file (default: the package's `prompts.yaml`)."""
    path = Path(path) if path else DEFAULT_TEMPLATES
    if not path.is_file():
        raise FileNotFoundError(f"prompt templates file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with 'subunit' and 'gloss' sections")
    option_format = data.get("option_format", "{letter}) {text}")
    if not isinstance(option_format, str) or "{letter}" not in option_format or "{text}" not in option_format:
        raise ValueError(f"{path}: 'option_format' must be a string containing {{letter}} and {{text}}")
    prompts: dict[str, dict[str, str]] = {}
    for level in LEVELS:
        section = data.get(level)
        if not isinstance(section, dict):
            raise ValueError(f"{path}: missing section '{level}' with variants {', '.join(VARIANTS)}")
        prompts[level] = {}
        for variant in VARIANTS:
            text = section.get(variant)
            if not isinstance(text, str) or "{options}" not in text:
                raise ValueError(f"{path}: '{level}.{variant}' must be a string containing {{options}}")
            prompts[level][variant] = text
    canonical = json.dumps({"option_format": option_format, "prompts": prompts}, sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return PromptTemplates(prompts=prompts, option_format=option_format, source=str(path), hash=digest)


_WHOLE = re.compile(r"^\W*\(?([abcd])\)?\W*$", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:\*\*)?\(?([abcd])(?:\)|\.|:|\*\*|\s*-\s)", re.IGNORECASE)
_STATED = re.compile(
    r"\b(?:answer|option|choice)\s*(?:is|would be|:)?\s*(?:option\s*)?[:\-]?\s*\(?\**([abcd])\b(?!['\w]|\s+hands?\b)",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"\(([abcd])\)", re.IGNORECASE)


def parse_answer(text: str, options: list[str] | None = None) -> str | None:
    """The letter a model chose, or None when its reply names no single option.

    Accepted: a bare letter ("B", "b", "(B)", "B.", "**B**"), a letter that opens the reply ("B) open hand",
    "B. ..."), a stated answer ("The answer is B.", "Answer: (c)", "option D"), a single bracketed letter,
    or the exact text of exactly one option. Prose that names no option, or several, is invalid.
    """
    if not text:
        return None
    text = text.strip()
    for pattern in (_WHOLE, _LEADING):
        match = pattern.match(text)
        if match:
            return match.group(1).upper()
    stated = {m.upper() for m in _STATED.findall(text)}
    if len(stated) == 1:
        return stated.pop()
    bracketed = {m.upper() for m in _BRACKETED.findall(text)}
    if len(bracketed) == 1:
        return bracketed.pop()
    if options:
        normalized = _normalize(text)
        hits = [
            letter
            for letter, option in zip(LETTERS, options, strict=False)
            if _normalize(option) == normalized
        ]
        if len(hits) == 1:
            return hits[0]
    return None


def _normalize(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())

"""Prompt templates: one editable YAML file with three prompt complexities per question level."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from .parsing import LETTERS, parse_answer

DEFAULT_TEMPLATES = Path(__file__).with_name("prompts.yaml")
VARIANTS: tuple[str, ...] = ("original", "simple", "complex")
LEVELS: tuple[str, ...] = ("subunit", "gloss")
CONTROLS: tuple[str, ...] = ("none", "blind", "temporal", "spatial")
# tokens a reply may use: the letter with a few words of framing (a reply cut off before its letter is invalid)
DEFAULT_BUDGETS: dict[str, int] = {"simple": 8, "original": 16, "complex": 32}


@dataclass(frozen=True)
class PromptTemplates:
    """The prompt text per (level, variant), the option line format, the token budget per variant, and a hash
    of the whole file."""

    prompts: dict[str, dict[str, str]]
    option_format: str
    source: str
    hash: str
    max_new_tokens: dict[str, int]

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
    budgets = data.get("max_new_tokens", {})
    if not isinstance(budgets, dict) or not set(budgets) <= set(VARIANTS):
        raise ValueError(f"{path}: 'max_new_tokens' must map some of {', '.join(VARIANTS)} to token counts")
    budgets = {**DEFAULT_BUDGETS, **budgets}
    for variant, budget in budgets.items():
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
            raise ValueError(f"{path}: 'max_new_tokens.{variant}' must be a positive integer, got {budget!r}")
    canonical = json.dumps(
        {"option_format": option_format, "prompts": prompts, "max_new_tokens": budgets}, sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return PromptTemplates(
        prompts=prompts, option_format=option_format, source=str(path), hash=digest, max_new_tokens=budgets
    )


__all__ = ["CONTROLS", "LEVELS", "LETTERS", "VARIANTS", "PromptTemplates", "load_templates", "parse_answer"]

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


_WHOLE = re.compile(r"^\W*\(?([abcd])\)?\W*$", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:\*\*)?\(?([abcd])(?:\)|\.(?!\w)|:|\*\*|\s*-\s)", re.IGNORECASE)
_KEYWORD = r"(?:answer|option|choice)(?:\s+(?:is|would be|should be))?\s*[:\-]?\s*(?:option\s*)?"
# a letter named after "answer"/"option"/"choice" (any case; lower-case "a" only when not an article)
_STATED = re.compile(_KEYWORD + r"\(?\**([abcd])\b(?!['\w])", re.IGNORECASE)
# any other stand-alone capital letter A-D in the reply
_LETTER = re.compile(r"(?<![\w'])\(?([A-D])\)?(?![\w'])")
_BRACKETED = re.compile(r"\(([abcd])\)", re.IGNORECASE)
_HANDSHAPE = re.compile(r"\s*(?:-?\s*hands?\b|-?\s*handshapes?\b|-?\s*shape\b)", re.IGNORECASE)
_ARTICLE = re.compile(r"\s+[a-z]")
_NEXT_WORD = re.compile(r"\s+([a-z]+)")
_CONNECTIVES = frozenset(
    "and or is as because since seems seem matches match fits fit looks would should best then".split()
)


def parse_answer(text: str, options: list[str] | None = None) -> str | None:
    """The letter a model chose, or None when its reply names no single option (invalid, counted as such).

    Accepted: a bare letter ("B", "b", "(B)", "B.", "**B**"), a letter that opens the reply ("B) open hand",
    "B. ..."), a stated answer ("The answer is B.", "Answer: (c)", "option D"), a single capital or bracketed
    letter, or the exact text of exactly one option. Strict: the article "a" ("a flat hand", "A person ...")
    and handshape names ("an A hand", "B handshape") are not options, and a reply naming two or more letters
    ("B or C", "A, then D") is hedged and invalid.
    """
    if not text:
        return None
    text = text.strip()
    match = _WHOLE.match(text)
    if match:
        return match.group(1).upper()
    named: set[str] = set()
    leading = _LEADING.match(text)
    if leading:
        named.add(leading.group(1).upper())
    for stated in _STATED.finditer(text):
        letter = stated.group(1)
        if not _is_article_or_handshape(text, stated.end(1), letter, stated=True):
            named.add(letter.upper())
    for capital in _LETTER.finditer(text):
        if not _is_article_or_handshape(text, capital.end(1), capital.group(1), stated=False):
            named.add(capital.group(1))
    named |= {m.upper() for m in _BRACKETED.findall(text)}
    if len(named) == 1:
        return named.pop()
    if named:
        return None  # hedged between several options
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


def _is_article_or_handshape(text: str, end: int, letter: str, stated: bool) -> bool:
    """Whether the letter ending at `end` is a handshape name ("A hand") or the article ("a flat hand",
    "A person ..."); a capital A stated as the answer ("answer is A because") or followed by a connective
    ("A or B") stays a letter."""
    rest = text[end:]
    if _HANDSHAPE.match(rest):
        return True
    if letter == "a":
        return bool(_ARTICLE.match(rest)) or not stated
    if letter == "A" and not stated:
        following = _NEXT_WORD.match(rest)
        return following is not None and following.group(1) not in _CONNECTIVES
    return False


def _normalize(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())

"""Turning a model's answer into a dictionary-style description, or saying why it cannot be one.

The policy (pinned by the tests):

- labels and decorations are removed ("Entry:", "Description:", list numbering, surrounding quotes), and the
  paragraph is put on one line;
- an empty answer is rejected (`reason="empty"`);
- an answer cut off by the token limit (it used the whole budget and does not end a sentence) is trimmed back
  to its last complete clause (`flags=["truncated"]`); with no complete clause it is kept as it is and flagged
  (`flags=["truncated_unfinished"]`, so it can be filtered out later but no generated text is lost);
- an answer over the word limit is trimmed to the last sentence end within the limit, or else to the last
  clause end (";") (`flags=["over_limit_trimmed"]`), or cut at the limit when neither keeps a third of it
  (`flags=["over_limit_cut"]`).

A rejected (empty) answer is retried by the pipeline (with sampling) and, if it fails again, left undone, so a
rerun tries it once more; flags are stored in the record's provenance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:(?:dictionary\s+)?entry(?:\s+for\s+the\s+sign(?:\s+in\s+the\s+video)?)?|description|answer|"
    r"summary)\s*:\s*(?:\*\*)?\s*",
    re.IGNORECASE,
)
_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_CLAUSE_END = re.compile(r"[.;!?](?=\s|$)")
_SENTENCE_BOUNDARY = re.compile(r"[.!?](?=\s|$)")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")


@dataclass
class CleanAnswer:
    """A usable description (`text`) with `flags`, or `text=None` and the `reason` it was rejected."""

    text: str | None
    words: int = 0
    flags: list[str] = field(default_factory=list)
    reason: str | None = None


def clean_answer(answer: str, max_words: int = 50, hit_token_limit: bool = False) -> CleanAnswer:
    """Apply the module's policy to one raw answer."""
    text = " ".join((answer or "").split())
    text = _NUMBERING.sub("", _LABEL.sub("", text))
    text = text.strip().strip("\"'“”‘’").strip()
    if not any(char.isalnum() for char in text):
        return CleanAnswer(text=None, reason="empty")
    flags = []
    if hit_token_limit and not _SENTENCE_END.search(text):
        cut = _last_clause_end(text)
        if cut is None:
            flags.append("truncated_unfinished")
        else:
            text = _finish(text[:cut])
            flags.append("truncated")
    words = text.split()
    if len(words) > max_words:
        head = " ".join(words[:max_words])
        cut = _last_clause_end(head, _SENTENCE_BOUNDARY)
        if cut is None or cut <= len(head) // 3:
            cut = _last_clause_end(head)
        if cut is not None and cut > len(head) // 3:
            text, flag = _finish(head[:cut]), "over_limit_trimmed"
        else:
            text, flag = head.rstrip(",;:—- ") + ".", "over_limit_cut"
        flags.append(flag)
    return CleanAnswer(text=text, words=len(text.split()), flags=flags)


def _last_clause_end(text: str, boundary: re.Pattern = _CLAUSE_END) -> int | None:
    ends = [match.end() for match in boundary.finditer(text)]
    return ends[-1] if ends else None


def _finish(text: str) -> str:
    """End a trimmed clause with a full stop ("...; tap twice;" → "...; tap twice.")."""
    text = text.rstrip()
    return text[:-1] + "." if text.endswith(";") else text

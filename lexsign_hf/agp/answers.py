"""Turning a model's answer into a dictionary-style description, or saying why it cannot be one.

The policy (pinned by the tests):

- labels and decorations are removed ("Entry:", "Description:", list numbering, surrounding quotes), and the
  paragraph is put on one line;
- a reply that is not a description is rejected with its reason: `"empty"`, `"bare_letter"` (a lone option
  letter such as "B." or "(C)"), `"refusal"` ("I'm sorry, I can't ..."), `"too_short"` (under `min_words`
  words), `"cut_off"` (it used the whole token budget, or the server said `finish_reason="length"`, and does
  not end a sentence);
- with `keep_cut_off=True` (for models that cannot finish, e.g. random test models) a cut-off answer is
  trimmed back to its last complete clause (`flags=["truncated"]`), or kept as it is and flagged
  (`flags=["truncated_unfinished"]`);
- an answer over the word limit is trimmed to the last sentence end within the limit, or else to the last
  clause end (";") (`flags=["over_limit_trimmed"]`), or cut at the limit when neither keeps a third of it
  (`flags=["over_limit_cut"]`).

A rejected answer is retried by the pipeline (with sampling) and, if it fails again, recorded as failed with
its reason and the raw reply (in the run's usage report) and left undone, so a rerun tries it once more; flags
are stored in the record's provenance.
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
_BARE_LETTER = re.compile(r"^(?:option\s+)?[(\[]?[A-Ja-j][)\].:]?$", re.IGNORECASE)
_REFUSAL = re.compile(
    r"^(?:i'?m sorry|sorry,|i (?:am )?(?:cannot|can'?t|am unable|'m unable)|as an ai\b|unfortunately,? i)",
    re.IGNORECASE,
)
MIN_WORDS = 5


@dataclass
class CleanAnswer:
    """A usable description (`text`) with `flags`, or `text=None` and the `reason` it was rejected."""

    text: str | None
    words: int = 0
    flags: list[str] = field(default_factory=list)
    reason: str | None = None


def clean_answer(
    answer: str,
    max_words: int = 50,
    hit_token_limit: bool = False,
    min_words: int = MIN_WORDS,
    keep_cut_off: bool = False,
) -> CleanAnswer:
    """Apply the module's policy to one raw answer."""
    text = " ".join((answer or "").split())
    text = _NUMBERING.sub("", _LABEL.sub("", text))
    text = text.strip().strip("\"'“”‘’").strip()
    if not any(char.isalnum() for char in text):
        return CleanAnswer(text=None, reason="empty")
    if _BARE_LETTER.match(text.strip("*").strip()):
        return CleanAnswer(text=None, reason="bare_letter")
    if _REFUSAL.match(text):
        return CleanAnswer(text=None, reason="refusal")
    if len(text.split()) < min_words:
        return CleanAnswer(text=None, reason="too_short")
    flags = []
    if hit_token_limit and not _SENTENCE_END.search(text):
        if not keep_cut_off:
            return CleanAnswer(text=None, reason="cut_off")
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

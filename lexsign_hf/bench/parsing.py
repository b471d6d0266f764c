"""Which option a model's reply chose: explicit statements anywhere, hedged or conflicting replies invalid.

A reply is read in three steps. (1) A reasoning block (``<think>…</think>``, also ``<reasoning>``) is dropped
and only what follows it counts; an unclosed block was cut off before any answer. (2) Explicit statements
anywhere in the rest: "the answer is B", "correct answer: (c)", "Final answer - D", "I choose option D",
"C is correct", "It's B", a bracketed or bold letter ("(C)", "**C**"), a letter opening the reply ("B. Unlike
A…", "B) open hand"), or a bare letter. One letter stated (however often) is the choice; other letters merely
mentioned around it ("…, not A", "Option A describes…") do not count. Two letters stated conflict: invalid.
A hedged statement ("maybe the answer is A", "the answer is A, maybe", "C or D") is invalid; a hedge in another
sentence or clause ("B, which might be confused with A") is not. (3) Without a statement, a single
stand-alone capital letter in an unhedged reply, or the exact text of exactly one option, is the choice.

Never a letter: the article ("a flat hand", "A person touches…") and handshape names ("an A hand",
"bent B hands", "the C handshape").
"""

from __future__ import annotations

import re

LETTERS = "ABCD"

_REASONING = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_UNCLOSED = re.compile(r"<(?:think|thinking|reasoning)>", re.IGNORECASE)
# a letter as a token: optionally bracketed or bold, not part of a word or a contraction
_TOKEN = r"(?:\*\*|__)?[(\[]?\s*(?P<letter>[A-Da-d])\s*[)\]]?(?:\*\*|__)?(?![\w'’-])"
_OPENERS = (
    # "the answer is", "correct answer:", "final answer - ", "answer would be option"
    r"\b(?:(?:final|correct|right|best|my)\s+(?:answer|option|choice)|answer)s?\s*"
    r"(?:(?:is|would\s+be|should\s+be|will\s+be|=)\s*)?[:\-–=]?\s*(?:(?:option|letter|choice)\s*)?",
    # "I choose option D", "I'd go with B", "I select (C)"
    r"\b(?:choose|chose|select|selected|pick|picked|go\s+with|going\s+with|opt\s+for)\s+"
    r"(?:(?:the\s+)?(?:option|letter|choice|answer)\s*)?",
    # "It's B", "it is C"
    r"\bit(?:'s|’s|\s+is)\s+(?:(?:option|letter)\s*)?",
)
_OPENER = re.compile("(?:" + "|".join(_OPENERS) + ")" + _TOKEN, re.IGNORECASE)
# "C is correct", "Option B is the right answer"
_VERDICT = re.compile(
    r"(?:\b(?:option|letter|choice)\s*)?" + _TOKEN + r"\s+is\s+(?:the\s+)?(?:correct|right|best)\b",
    re.IGNORECASE,
)
_MARKED = re.compile(
    r"(?:(?<![\w])\((?P<p>[A-Da-d])\)|\*\*\s*(?P<b>[A-Da-d])\s*\*\*|\[(?P<s>[A-Da-d])\])(?![\w'’])"
)
_LEADING = re.compile(r"^\s*(?:\*\*)?\(?(?P<letter>[A-Da-d])(?:\)|\.(?!\w)|:|\*\*|\s+[-–—]\s|\s*\n|$)")
_BARE = re.compile(r"^\W*(?P<letter>[A-Da-d])\W*$")
_CAPITAL = re.compile(r"(?<![\w'’-])(?P<letter>[A-D])(?![\w'’-])")
_HANDSHAPE_AFTER = re.compile(r"[\s-]*(?:hands?|handshapes?|shape|classifier)\b", re.IGNORECASE)
_HANDSHAPE_BEFORE = re.compile(r"\b(?:an|the|bent|open|flat|baby|clawed|closed|curved)\s*$", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s+([a-z]+)")
_HEDGES = re.compile(
    r"\b(?:maybe|perhaps|possibly|probably|might|could\s+be|not\s+(?:sure|certain|clear)|unsure|uncertain|"
    r"i\s+guess|a\s+guess|hard\s+to\s+(?:tell|say)|can(?:no|')t\s+(?:tell|determine|be\s+sure)|"
    r"unable\s+to)\b",
    re.IGNORECASE,
)
# two letters offered as alternatives ("C or D", "A/B", "A and B")
_ALTERNATIVES = re.compile(r"(?<![\w'’])[A-D]\)?\s*(?:or|/|and|&)\s*\(?[A-D](?![\w'’])")
_SUBORDINATE = re.compile(r"\W*(?:which|that|because|since|as|while|whereas|unlike)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?\n]+|$)")
# words after a capital A that make it a letter, not the article ("A or B", "A because ...")
_CONNECTIVES = frozenset(
    "and or is as because since seems seem matches match fits fit looks would should best then but".split()
)


def parse_answer(text: str, options: list[str] | None = None) -> str | None:
    """The letter (A-D) a model's reply chose, or None when it chose none, hedged or conflicted (invalid)."""
    if not text:
        return None
    text = _REASONING.sub(" ", text)
    if _UNCLOSED.search(text):
        return None  # reasoning cut off before an answer
    text = text.strip()
    if not text:
        return None
    bare = _BARE.match(text)
    if bare:
        return bare.group("letter").upper()
    stated = _statements(text)
    letters = {letter for letter, _ in stated}
    if len(letters) > 1:
        return None  # conflicting statements
    if letters:
        hedged = any(_hedged_statement(text, position) for _, position in stated)
        return None if hedged else letters.pop()
    if _HEDGES.search(text):
        return None
    mentioned = {m.group("letter") for m in _CAPITAL.finditer(text) if not _not_a_letter(text, m, False)}
    if len(mentioned) == 1:
        return mentioned.pop()
    if not mentioned and options:
        normalized = _normalize(text)
        hits = [
            letter
            for letter, option in zip(LETTERS, options, strict=False)
            if _normalize(option) == normalized
        ]
        if len(hits) == 1:
            return hits[0]
    return None


def _statements(text: str) -> list[tuple[str, int]]:
    """Every explicitly stated letter with its position in `text`."""
    found = []
    for pattern in (_OPENER, _VERDICT):
        for match in pattern.finditer(text):
            if not _not_a_letter(text, match, True):
                found.append((match.group("letter").upper(), match.start("letter")))
    for match in _MARKED.finditer(text):
        group = next(name for name in ("p", "b", "s") if match.group(name))
        found.append((match.group(group).upper(), match.start(group)))
    leading = _LEADING.match(text)
    if leading and not _not_a_letter(text, leading, True):
        found.append((leading.group("letter").upper(), leading.start("letter")))
    return found


def _not_a_letter(text: str, match: re.Match, stated: bool) -> bool:
    """Whether the letter of `match` is a handshape name or the article rather than an option."""
    letter, start, end = match.group("letter"), match.start("letter"), match.end("letter")
    rest = text[end:]
    if _HANDSHAPE_AFTER.match(rest.lstrip(")]*")) or _HANDSHAPE_BEFORE.search(text[:start]):
        return True
    if letter == "a":
        # lower-case "a" is a letter only when it stands alone: "answer: a.", "(a)", "answer is a"
        return bool(re.match(r"\s+\w", rest))
    if letter == "A" and not stated:
        following = _NEXT_WORD.match(rest)
        return following is not None and following.group(1) not in _CONNECTIVES
    return False


def _hedged_statement(text: str, position: int) -> bool:
    """Whether the statement of the letter at `position` is hedged: a hedge earlier in its sentence ("maybe the
    answer is A"), alternatives in it ("C or D"), or a hedge within the three words after the letter ("A,
    maybe", "A or maybe D") unless they open a clause about something else ("B, which might ...")."""
    start, end = 0, len(text)
    for match in _SENTENCE.finditer(text):
        if match.start() <= position < max(match.end(), match.start() + 1):
            start, end = match.start(), match.end()
            break
    sentence, before, after = text[start:end], text[start:position], text[position + 1 : end]
    following = " ".join(after.split()[:3])
    subordinate = _SUBORDINATE.match(following)
    return bool(
        _HEDGES.search(before)
        or _ALTERNATIVES.search(sentence)
        or (not subordinate and _HEDGES.search(following))
    )


def _normalize(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())

"""Candidate entries for a gloss: exact headword, then fuzzy headword, then BM25 over headwords and entry text.

Matching is on normalised keys: lower case, WLASL's trailing ``_N`` dropped, ``_`` as a space, punctuation
removed, and for the fuzzy stage the usual OCR confusions folded (``0``→o, ``1``→l, ``5``→s, ``rn``→m), so
``B00K`` still finds ``book``. A gloss that neither a headword nor any entry text mentions gets the explicit
outcome ``status="no_candidates"``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from .entries import DictionaryEntry

METHOD_RANK = {"exact": 0, "fuzzy": 1, "bm25": 2}
_CONFUSIONS = (("rn", "m"), ("0", "o"), ("1", "l"), ("5", "s"), ("|", "l"))


def normalize(text: str) -> str:
    """Matching key: lower case, trailing `_N` dropped, `_` → space, punctuation removed, spaces collapsed."""
    text = re.sub(r"_\d+$", "", text.strip()).replace("_", " ").lower()
    return " ".join(re.sub(r"[^\w\s'’-]", " ", text).replace("’", "'").split())


def fold_ocr(text: str) -> str:
    for wrong, right in _CONFUSIONS:
        text = text.replace(wrong, right)
    return text


def headword_keys(headword: str) -> list[str]:
    """A headword's variants as keys: ``"BOOK, BOOKS"`` → ``["book", "books"]``, ``"CAR/AUTO"`` → two keys."""
    return [
        key for part in re.split(r"[,/;]|\s+or\s+", headword, flags=re.IGNORECASE) if (key := normalize(part))
    ]


def tokenize(text: str) -> list[str]:
    """BM25 tokens: runs of Latin letters/digits, and every CJK character on its own."""
    return re.findall(r"[a-z0-9']+|[\u3400-\u9fff]", normalize(text))


class BM25:
    """Okapi BM25 over tokenised documents (k1=1.5, b=0.75)."""

    def __init__(self, documents: Sequence[list[str]], k1: float = 1.5, b: float = 0.75):
        self.k1, self.b = k1, b
        self.frequencies = [Counter(document) for document in documents]
        self.lengths = [len(document) for document in documents]
        self.average_length = sum(self.lengths) / max(len(documents), 1)
        document_frequency = Counter(token for counts in self.frequencies for token in counts)
        total = len(documents)
        self.idf = {
            token: math.log(1 + (total - df + 0.5) / (df + 0.5)) for token, df in document_frequency.items()
        }

    def scores(self, query: Iterable[str]) -> list[float]:
        query = list(query)
        results = []
        for counts, length in zip(self.frequencies, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / (self.average_length or 1))
            results.append(
                sum(
                    self.idf.get(t, 0.0) * counts[t] * (self.k1 + 1) / (counts[t] + norm)
                    for t in query
                    if t in counts
                )
            )
        return results


@dataclass
class Candidate:
    entry: DictionaryEntry
    method: str
    score: float

    def to_dict(self) -> dict:
        return {**self.entry.to_dict(), "method": self.method, "score": round(float(self.score), 4)}


@dataclass
class Retrieval:
    """The candidates for one gloss (`status`: ``"found"`` or ``"no_candidates"``)."""

    gloss: str
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "found" if self.candidates else "no_candidates"

    def to_dict(self) -> dict:
        return {
            "gloss": self.gloss,
            "status": self.status,
            "candidates": [c.to_dict() for c in self.candidates],
        }


class CandidateIndex:
    """Search a book's entries by gloss (see the module docstring for the three stages)."""

    def __init__(self, entries: Sequence[DictionaryEntry], fuzzy_threshold: float = 80.0):
        if not entries:
            raise ValueError(
                "no dictionary entry to search: parse the OCR text first (check its layout/style)"
            )
        self.entries = list(entries)
        self.fuzzy_threshold = fuzzy_threshold
        self.exact: dict[str, list[int]] = {}
        self.fuzzy_keys: list[str] = []
        self.fuzzy_owner: list[int] = []
        for index, entry in enumerate(self.entries):
            for key in headword_keys(entry.headword):
                self.exact.setdefault(key, []).append(index)
                self.fuzzy_keys.append(fold_ocr(key))
                self.fuzzy_owner.append(index)
        self.bm25 = BM25([tokenize(entry.headword) * 2 + tokenize(entry.text) for entry in self.entries])

    def search(self, gloss: str, top_k: int = 5) -> Retrieval:
        key = normalize(gloss)
        if not key:
            raise ValueError(f"gloss {gloss!r} has no letters or digits to search for")
        found: dict[int, Candidate] = {}
        for index in self.exact.get(key, []):
            found[index] = Candidate(self.entries[index], "exact", 100.0)
        matches = process.extract(
            fold_ocr(key),
            self.fuzzy_keys,
            scorer=fuzz.ratio,
            score_cutoff=self.fuzzy_threshold,
            limit=4 * top_k,
        )
        for _, score, position in matches:
            index = self.fuzzy_owner[position]
            if index not in found:
                found[index] = Candidate(self.entries[index], "fuzzy", float(score))
        scores = self.bm25.scores(tokenize(gloss))
        for index in sorted(range(len(scores)), key=lambda i: -scores[i])[: 4 * top_k]:
            if scores[index] > 0 and index not in found:
                found[index] = Candidate(self.entries[index], "bm25", scores[index])
        ranked = sorted(
            found.values(), key=lambda c: (METHOD_RANK[c.method], -c.score, c.entry.page, c.entry.line)
        )
        return Retrieval(gloss=gloss, candidates=ranked[:top_k])

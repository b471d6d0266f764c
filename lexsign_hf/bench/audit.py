"""Blind audit of LexSign-Bench: how well text-only choosers answer from the four option texts alone.

A chooser sees the options of one question (and, for the frequency family, the option texts of the whole level)
but never the video nor the answer. A benchmark whose options leak the answer lets a blind model score above
chance; the build runs this battery and warns when a chooser beats `THRESHOLD` at a level or for an iconicity
type within it.

Prior choosers (`PRIOR_CHOOSERS`, family ``prior``) pick the option whose gloss is most (or least) common by
knowledge outside the options' wording: ASL-LEX sign frequency and the WLASL video count (from the build's
per-gloss priors in ``bench_info.json``), the number of bench questions per gloss, and the gloss's length.

Not tried, because no single question can show it: elimination across questions. The four questions of a quartet
share one option set and each member is the answer once, so answers of the other three give the fourth away; a
few-shot prompt or a dev split must therefore come from outside the bench.

Accuracy is reported per question and per independent item: the videos of one gloss that share one option set
are one item (their questions differ only by the video and the letter order), so the item count is what a
confidence interval should use. For a text-only chooser the unit is even coarser: the distinct option sets
(`num_option_sets`; the four glosses of a quartet share one).
"""

from __future__ import annotations

import json
import logging
import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

THRESHOLD = 0.28
AUDIT_FILE = "audit.json"
LETTERS = "ABCD"
LEVELS: tuple[str, ...] = ("subunit", "gloss")
_WORD = re.compile(r"[a-z0-9]+")

# A chooser maps the option lists of one level to a (num_questions, 4) score matrix; the answer is the argmax
# (ties broken by a seeded hash of the option text, so a chooser that cannot tell the options apart sits at
# chance and still picks the same option whatever the letter order).
Chooser = Callable[[list[list[str]]], np.ndarray]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _jaccard_centrality(options: list[list[str]]) -> np.ndarray:
    scores = np.zeros((len(options), 4))
    for q, texts in enumerate(options):
        sets = [set(_words(t)) for t in texts]
        for i in range(4):
            scores[q, i] = np.mean(
                [len(sets[i] & sets[j]) / max(1, len(sets[i] | sets[j])) for j in range(4) if j != i]
            )
    return scores


def _shared_words(options: list[list[str]]) -> np.ndarray:
    """Words of each option that occur in at least one other option (raw overlap count, not normalised)."""
    scores = np.zeros((len(options), 4))
    for q, texts in enumerate(options):
        sets = [set(_words(t)) for t in texts]
        for i in range(4):
            scores[q, i] = sum(len(sets[i] & sets[j]) for j in range(4) if j != i)
    return scores


def _tfidf(options: list[list[str]]) -> tuple[list[list[np.ndarray]], np.ndarray]:
    """Smoothed tf-idf vectors (sklearn's default: idf = ln((1+n)/(1+df)) + 1, l2-normalised) per option."""
    texts = sorted({t for row in options for t in row})
    vocabulary: dict[str, int] = {}
    for text in texts:
        for word in _words(text):
            vocabulary.setdefault(word, len(vocabulary))
    df = np.zeros(len(vocabulary))
    for text in texts:
        for word in set(_words(text)):
            df[vocabulary[word]] += 1
    idf = np.log((1 + len(texts)) / (1 + df)) + 1
    vectors: dict[str, np.ndarray] = {}
    for text in texts:
        vector = np.zeros(len(vocabulary))
        for word, count in Counter(_words(text)).items():
            vector[vocabulary[word]] = count * idf[vocabulary[word]]
        norm = np.linalg.norm(vector)
        vectors[text] = vector / norm if norm else vector
    return [[vectors[t] for t in row] for row in options], idf


def _tfidf_centrality(options: list[list[str]]) -> np.ndarray:
    vectors, _ = _tfidf(options)
    scores = np.zeros((len(options), 4))
    for q, row in enumerate(vectors):
        similarity = np.stack(row) @ np.stack(row).T
        scores[q] = (similarity.sum(axis=1) - np.diag(similarity)) / 3
    return scores


def _rarity(options: list[list[str]]) -> np.ndarray:
    """Mean idf of an option's words over the level (high = unusual wording)."""
    texts = sorted({t for row in options for t in row})
    df = Counter(word for text in texts for word in set(_words(text)))
    scores = np.zeros((len(options), 4))
    for q, row in enumerate(options):
        for i, text in enumerate(row):
            words = _words(text)
            scores[q, i] = np.mean([math.log(len(texts) / df[w]) for w in words]) if words else 0.0
    return scores


def _frequency(options: list[list[str]]) -> np.ndarray:
    """How often an option text is offered across all questions of the level."""
    counts = Counter(t for row in options for t in row)
    return np.array([[counts[t] for t in row] for row in options], dtype=np.float64)


def _item_frequency(options: list[list[str]]) -> np.ndarray:
    """How many distinct option sets of the level offer an option text."""
    counts = Counter(t for row in {tuple(sorted(row)) for row in options} for t in row)
    return np.array([[counts[t] for t in row] for row in options], dtype=np.float64)


def _characters(options: list[list[str]]) -> np.ndarray:
    return np.array([[len(t) for t in row] for row in options], dtype=np.float64)


def _word_count(options: list[list[str]]) -> np.ndarray:
    return np.array([[len(_words(t)) for t in row] for row in options], dtype=np.float64)


def _alphabetical(options: list[list[str]]) -> np.ndarray:
    """Rank of the option in alphabetical order among the four (0 = first)."""
    return np.array([np.argsort(np.argsort([t.lower() for t in row])) for row in options], dtype=np.float64)


def _position(index: int) -> Chooser:
    def score(options: list[list[str]]) -> np.ndarray:
        scores = np.zeros((len(options), 4))
        scores[:, index] = 1.0
        return scores

    return score


def _negate(chooser: Chooser) -> Chooser:
    return lambda options: -chooser(options)


# name -> (family, chooser). Every measure is used both ways (max and min): a leak may point either way.
CHOOSERS: dict[str, tuple[str, Chooser]] = {
    "longest (characters)": ("length", _characters),
    "shortest (characters)": ("length", _negate(_characters)),
    "most words": ("length", _word_count),
    "fewest words": ("length", _negate(_word_count)),
    "most central (word Jaccard)": ("overlap", _jaccard_centrality),
    "least central (word Jaccard)": ("overlap", _negate(_jaccard_centrality)),
    "most shared words": ("overlap", _shared_words),
    "fewest shared words": ("overlap", _negate(_shared_words)),
    "most central (tf-idf cosine)": ("tf-idf", _tfidf_centrality),
    "least central (tf-idf cosine)": ("tf-idf", _negate(_tfidf_centrality)),
    "rarest wording (mean idf)": ("tf-idf", _rarity),
    "commonest wording (mean idf)": ("tf-idf", _negate(_rarity)),
    "most frequent option (questions)": ("frequency", _frequency),
    "least frequent option (questions)": ("frequency", _negate(_frequency)),
    "most frequent option (option sets)": ("frequency", _item_frequency),
    "least frequent option (option sets)": ("frequency", _negate(_item_frequency)),
    "first alphabetically": ("order", _negate(_alphabetical)),
    "last alphabetically": ("order", _alphabetical),
    **{f"always {letter}": ("position", _position(i)) for i, letter in enumerate(LETTERS)},
}


# name -> (prior key, sign): the score of an option is sign x the prior of its gloss
PRIOR_CHOOSERS: dict[str, tuple[str, float]] = {
    "most frequent sign (ASL-LEX)": ("frequency", 1.0),
    "least frequent sign (ASL-LEX)": ("frequency", -1.0),
    "most WLASL videos": ("wlasl_videos", 1.0),
    "fewest WLASL videos": ("wlasl_videos", -1.0),
    "most questions per gloss": ("questions", 1.0),
    "fewest questions per gloss": ("questions", -1.0),
    "longest gloss": ("gloss_length", 1.0),
    "shortest gloss": ("gloss_length", -1.0),
}


def _prior_scores(
    rows: Sequence[dict[str, Any]], priors: dict[str, dict[str, Any]] | None
) -> dict[str, np.ndarray]:
    """Score matrices of the prior choosers that the rows (and priors) allow; a missing value scores as the
    level's mean, i.e. neither end."""
    if not all("option_glosses" in row for row in rows):
        return {}
    questions = Counter(row["gloss"] for row in rows)
    values: dict[str, Callable[[str], float | None]] = {
        "questions": lambda g: float(questions.get(g, 0)),
        "gloss_length": lambda g: float(len(g)),
    }
    if priors:
        for key in ("frequency", "wlasl_videos"):
            values[key] = lambda g, key=key: (priors.get(g) or {}).get(key)
    scores = {}
    for name, (key, sign) in PRIOR_CHOOSERS.items():
        if key not in values:
            continue
        matrix = np.array(
            [
                [np.nan if (v := values[key](g)) is None else float(v) for g in row["option_glosses"]]
                for row in rows
            ]
        )
        fill = np.nanmean(matrix) if np.isfinite(matrix).any() else 0.0
        scores[name] = sign * np.where(np.isnan(matrix), fill, matrix)
    return scores


@dataclass
class AuditResult:
    """Accuracies of every chooser: per level (questions and independent items) and per level x iconicity type."""

    threshold: float = THRESHOLD
    num_questions: dict[str, int] = field(default_factory=dict)
    num_items: dict[str, int] = field(default_factory=dict)
    num_option_sets: dict[str, int] = field(default_factory=dict)
    choosers: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_accuracy: dict[str, float] = field(default_factory=dict)
    worst: dict[str, str] = field(default_factory=dict)
    above_threshold: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def item_key(row: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    """Questions with the same level, gloss and option set (in any order) are one independent item."""
    return row["level"], row["gloss"], tuple(sorted(row["options"]))


def audit_questions(
    rows: Sequence[dict[str, Any]], seed: int = 0, priors: dict[str, dict[str, Any]] | None = None
) -> AuditResult:
    """Run every chooser of `CHOOSERS` over the question rows (columns: level, gloss, iconicity_type, options,
    answer), and the `PRIOR_CHOOSERS` the rows' `option_glosses` and the per-gloss `priors` (``frequency``,
    ``wlasl_videos``) allow."""
    result = AuditResult()
    for level in LEVELS:
        level_rows = [row for row in rows if row["level"] == level]
        if not level_rows:
            continue
        options = [list(row["options"]) for row in level_rows]
        for row in level_rows:
            if len(row["options"]) != 4 or row["answer"] not in LETTERS:
                raise ValueError(f"question {row.get('question_id')!r}: expected 4 options and an answer A-D")
        answers = np.array([LETTERS.index(row["answer"]) for row in level_rows])
        items = [item_key(row) for row in level_rows]
        types = [row["iconicity_type"] for row in level_rows]
        result.num_questions[level] = len(level_rows)
        result.num_items[level] = len(set(items))
        result.num_option_sets[level] = len({key[2] for key in items})
        # ties are broken by a seeded hash of the option text, so a chooser stays a function of the option set
        tie_break = np.array(
            [[zlib.crc32(f"{seed}|{text}".encode()) for text in row] for row in options], dtype=np.float64
        )
        batteries = [(name, family, chooser(options)) for name, (family, chooser) in CHOOSERS.items()]
        batteries += [(name, "prior", m) for name, m in _prior_scores(level_rows, priors).items()]
        for name, family, score in batteries:
            scores = np.asarray(score, dtype=np.float64)
            best = scores.max(axis=1, keepdims=True)
            prediction = np.argmax(np.where(scores >= best - 1e-12, 1.0 + tie_break, 0.0), axis=1)
            correct = prediction == answers
            per_item: dict[tuple, list[bool]] = defaultdict(list)
            per_type: dict[str, list[bool]] = defaultdict(list)
            for key, kind, hit in zip(items, types, correct, strict=True):
                per_item[key].append(bool(hit))
                per_type[kind].append(bool(hit))
            entry = result.choosers.setdefault(name, {"family": family})
            entry[level] = {
                "questions": float(correct.mean()),
                "items": float(np.mean([np.mean(hits) for hits in per_item.values()])),
                "per_type": {kind: float(np.mean(hits)) for kind, hits in sorted(per_type.items())},
            }
        worst = max(
            result.choosers,
            key=lambda n: max(result.choosers[n][level]["questions"], result.choosers[n][level]["items"]),
        )
        result.worst[level] = worst
        result.max_accuracy[level] = max(
            result.choosers[worst][level]["questions"], result.choosers[worst][level]["items"]
        )
    result.above_threshold = sorted(
        f"{name} ({level}{'' if kind is None else ', ' + kind})"
        for name, entry in result.choosers.items()
        for level in LEVELS
        if level in entry
        for kind, value in [
            (None, max(entry[level]["questions"], entry[level]["items"])),
            *entry[level]["per_type"].items(),
        ]
        if value >= result.threshold
    )
    return result


def audit_table(result: AuditResult, abbreviations: dict[str, str]) -> str:
    """A Markdown table: chooser, family, accuracy per level (questions / items) and per level x type."""
    types = list(abbreviations)
    header = ["chooser", "family"]
    for level in LEVELS:
        header += [f"{level} (questions)", f"{level} (items)"] + [
            f"{level} {abbreviations[t]}" for t in types
        ]
    lines = ["| " + " | ".join(header) + " |", "| --- | --- |" + " ---: |" * (len(header) - 2)]
    for name, entry in result.choosers.items():
        cells = [name, entry["family"]]
        for level in LEVELS:
            if level not in entry:
                cells += [""] * (2 + len(types))
                continue
            cells += [f"{100 * entry[level]['questions']:.1f}", f"{100 * entry[level]['items']:.1f}"]
            cells += [
                f"{100 * entry[level]['per_type'][t]:.1f}" if t in entry[level]["per_type"] else ""
                for t in types
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def warn_if_leaky(result: AuditResult) -> None:
    """Log a loud warning naming every chooser above the threshold."""
    if result.above_threshold:
        logger.warning(
            "!!! BLIND AUDIT FAILED: text-only choosers reach %.0f%% without seeing a video: %s. "
            "A model can game this benchmark from the option texts.",
            100 * result.threshold,
            "; ".join(result.above_threshold),
        )


def audit_bench(bench_dir: str | Path, seed: int = 0) -> tuple[AuditResult, Path]:
    """Audit a built benchmark folder; write ``audit.json`` next to its ``bench_info.json``."""
    from .runner import load_bench

    rows = load_bench(bench_dir).to_list()
    info = Path(bench_dir) / "data" / "bench" / "bench_info.json"
    priors = json.loads(info.read_text(encoding="utf-8")).get("priors") if info.is_file() else None
    result = audit_questions(rows, seed, priors)
    path = write_audit(result, Path(bench_dir) / "data" / "bench")
    return result, path


def write_audit(result: AuditResult, folder: str | Path) -> Path:
    path = Path(folder) / AUDIT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path

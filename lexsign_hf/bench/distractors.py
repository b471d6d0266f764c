"""Distractor mining: glosses an ISLR model confuses, phonologically similar glosses, or random ones.

Confusion files (what an ISLR model predicted for each true gloss), either

- JSON: ``{"classes": [gloss, ...], "matrix": [[...], ...]}`` with ``matrix[i][j]`` the count (or probability)
  of predicting ``classes[j]`` for a video of ``classes[i]``; or
- CSV: a header ``gloss,predicted,count`` (one row per pair; missing pairs count 0).

Pairs are scored symmetrically (``M[g, h] + M[h, g]``); glosses the model never confused are ranked by
phonological similarity instead, so every question still gets hard distractors.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lexsign_hf.data.phonology import PhonRecord

# PhonRecord fields compared for phonological similarity, with their weights (major parameters count double).
SIMILARITY_FIELDS: dict[str, float] = {
    "handshape": 2.0,
    "sign_type": 2.0,
    "movement": 2.0,
    "major_location": 2.0,
    "minor_location": 2.0,
    "selected_fingers": 1.0,
    "flexion": 1.0,
    "repeated_movement": 1.0,
    "contact": 1.0,
    "nondominant_handshape": 1.0,
    "second_minor_location": 1.0,
    "thumb_position": 0.5,
    "spread": 0.5,
    "flexion_change": 0.5,
    "ulnar_rotation": 0.5,
}


def load_confusion(path: str | Path) -> dict[str, dict[str, float]]:
    """Read a confusion file (see module docstring) into ``{gloss: {predicted gloss: weight}}``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"confusion file not found: {path}")
    pairs: dict[str, dict[str, float]] = defaultdict(dict)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from None
        classes, matrix = (
            (data.get("classes"), data.get("matrix")) if isinstance(data, dict) else (None, None)
        )
        if not isinstance(classes, list) or not isinstance(matrix, list):
            raise ValueError(f"{path}: expected an object with 'classes' (list) and 'matrix' (list of lists)")
        if len(matrix) != len(classes) or any(
            not isinstance(r, list) or len(r) != len(classes) for r in matrix
        ):
            raise ValueError(f"{path}: 'matrix' must be {len(classes)} x {len(classes)} to match 'classes'")
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                weight = _weight(value, f"{path}: matrix[{i}][{j}]")
                if weight and i != j:
                    pairs[str(classes[i])][str(classes[j])] = weight
    elif path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"gloss", "predicted", "count"} - set(reader.fieldnames or [])
            if missing:
                raise ValueError(
                    f"{path}: missing CSV columns {sorted(missing)} (expected gloss,predicted,count)"
                )
            for line, row in enumerate(reader, start=2):
                weight = _weight(row["count"], f"{path}:{line}: count")
                if weight and row["gloss"] != row["predicted"]:
                    pairs[row["gloss"]][row["predicted"]] = (
                        pairs[row["gloss"]].get(row["predicted"], 0.0) + weight
                    )
    else:
        raise ValueError(f"{path}: confusion file must be .json or .csv, got {path.suffix!r}")
    return dict(pairs)


def _weight(value, where: str) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(weight) or weight < 0:
        raise ValueError(f"{where}: expected a finite non-negative number, got {value!r}")
    return weight


class DistractorMiner:
    """Ranks candidate distractor glosses for a target gloss over a fixed pool of glosses with records.

    ``texts[g]`` is the option text of gloss ``g`` at subunit level; candidates whose text equals the target's
    (or an already chosen one) are skipped so that exactly one option is correct.
    """

    def __init__(
        self,
        records: dict[str, PhonRecord],
        texts: dict[str, str],
        confusion: dict[str, dict[str, float]] | None = None,
        seed: int = 0,
    ):
        self.glosses = sorted(records)
        self.index = {gloss: i for i, gloss in enumerate(self.glosses)}
        self.texts = texts
        self.confusion = confusion or {}
        self.seed = seed
        columns = []
        for name in SIMILARITY_FIELDS:
            values = [str(getattr(records[gloss], name)) for gloss in self.glosses]
            vocabulary = {value: code for code, value in enumerate(sorted(set(values)))}
            columns.append([vocabulary[value] for value in values])
        self.codes = np.asarray(columns, dtype=np.int32).T  # (N, F)
        self.weights = np.asarray(list(SIMILARITY_FIELDS.values()), dtype=np.float64)

    def similarity(self, gloss: str) -> np.ndarray:
        """Weighted count of shared phonological features between `gloss` and every pool gloss."""
        return (self.codes == self.codes[self.index[gloss]]).astype(np.float64) @ self.weights

    def hard(self, gloss: str, k: int = 3) -> tuple[list[str], str]:
        """The `k` hardest distractors and how they were found (`confusion`, `phonology` or both)."""
        similarity = self.similarity(gloss)
        rng = np.random.default_rng([self.seed, self.index[gloss]])
        tie_break = rng.random(len(self.glosses)) * 1e-3
        confused = {
            other: weight
            for other, weight in self._confusion_scores(gloss).items()
            if other in self.index and other != gloss
        }
        order = sorted(
            confused,
            key=lambda other: (
                -confused[other],
                -similarity[self.index[other]] - tie_break[self.index[other]],
            ),
        )
        chosen = self._take(gloss, order, k)
        source = "confusion"
        if len(chosen) < k:
            source = "confusion+phonology" if chosen else "phonology"
            by_similarity = [self.glosses[i] for i in np.argsort(-(similarity + tie_break), kind="stable")]
            chosen += self._take(gloss, by_similarity, k - len(chosen), exclude=chosen)
        return self._check(gloss, chosen, k), source

    def random(self, gloss: str, rng: np.random.Generator, k: int = 3) -> list[str]:
        """`k` distractors drawn uniformly from the pool."""
        return self._check(
            gloss, self._take(gloss, [self.glosses[i] for i in rng.permutation(len(self.glosses))], k), k
        )

    def _confusion_scores(self, gloss: str) -> dict[str, float]:
        scores = dict(self.confusion.get(gloss, {}))
        for other, row in self.confusion.items():
            if gloss in row:
                scores[other] = scores.get(other, 0.0) + row[gloss]
        return scores

    def _take(self, gloss: str, candidates: Sequence[str], k: int, exclude: Sequence[str] = ()) -> list[str]:
        taken: list[str] = []
        used_texts = {self.texts[gloss], *(self.texts[other] for other in exclude)}
        for other in candidates:
            if len(taken) == k:
                break
            if other == gloss or other in exclude or self.texts[other] in used_texts:
                continue
            taken.append(other)
            used_texts.add(self.texts[other])
        return taken

    def _check(self, gloss: str, chosen: list[str], k: int) -> list[str]:
        if len(chosen) < k:
            raise ValueError(
                f"only {len(chosen)} distractors with distinct option texts for gloss {gloss!r} "
                f"in a pool of {len(self.glosses)} glosses ({k} needed)"
            )
        return chosen

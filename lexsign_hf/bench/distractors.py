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

    def quartets(
        self,
        groups: dict[str, list[str]],
        sizes: dict[str, int] | None = None,
        size_penalty: float = 0.0,
    ) -> dict[str, tuple[list[str], str]]:
        """Distractors for every gloss of `groups` (iconicity type -> glosses): its three quartet mates.

        Each group is partitioned into quartets of mutually confusable glosses (most confused, then most
        phonologically similar: the sum of pairwise similarity within quartets is maximised by greedy seeding
        and pairwise swaps), and every member of a quartet is asked with the other three as distractors. So the
        four glosses of a quartet share one option set: any text-only rule picks the same option for all four
        questions and is right exactly once, and every option is offered once as the answer and three times
        as a distractor. `sizes` (videos per gloss) with `size_penalty` > 0 lowers the score of pairs whose
        video counts differ (by ``size_penalty * |log ratio|``), so that per question, too, no option is
        favoured by how many videos its gloss has. A group whose size is not a multiple of 4 is topped up with the glosses of other
        groups most similar to it; they appear as distractors there but are not asked a second time.
        Returns ``{gloss: (distractors, source)}``, source ``confusion``, ``confusion+phonology`` or
        ``phonology`` (how many distractors the confusion file supports).
        """
        pool = sorted({g for glosses in groups.values() for g in glosses})
        similarity = self._pair_scores(pool)
        if sizes and size_penalty:
            logs = np.log([max(1, sizes.get(g, 1)) for g in pool])
            similarity = similarity - size_penalty * np.abs(logs[:, None] - logs[None, :])
        mined: dict[str, tuple[list[str], str]] = {}
        filler_use = np.zeros(len(pool))
        position = {gloss: i for i, gloss in enumerate(pool)}
        for kind in sorted(groups):
            members = [position[g] for g in sorted(groups[kind])]
            missing = -len(members) % 4
            if missing:
                outside = np.array([i for i in range(len(pool)) if i not in set(members)])
                if len(outside) < missing:
                    raise ValueError(
                        f"{len(members)} glosses of {kind!r} cannot form quartets and only {len(outside)} "
                        "other glosses exist to complete them"
                    )
                affinity = similarity[np.ix_(outside, members)].max(axis=1) - filler_use[outside]
                fillers = [int(i) for i in outside[np.argsort(-affinity, kind="stable")[:missing]]]
                filler_use[fillers] += 1
                members += fillers
            rng = np.random.default_rng([self.seed, len(mined)])
            for quartet in _partition(similarity[np.ix_(members, members)], rng):
                glosses = [pool[members[i]] for i in quartet]
                for gloss in glosses:
                    if gloss not in groups[kind]:
                        continue  # a filler: asked in its own group
                    others = [g for g in glosses if g != gloss]
                    texts = {self.texts[g] for g in glosses}
                    if len(texts) < 4:
                        raise ValueError(
                            f"quartet {glosses} repeats an option text: too few glosses with distinct descriptions"
                        )
                    confused = sum(self._confusion_scores(gloss).get(other, 0.0) > 0 for other in others)
                    source = (
                        "confusion" if confused == 3 else "confusion+phonology" if confused else "phonology"
                    )
                    mined[gloss] = (others, source)
        return mined

    def _pair_scores(self, pool: list[str]) -> np.ndarray:
        """Symmetric pair scores over `pool`: confusion weight (dominant), then phonological similarity.

        Pairs with the same option text score ``-inf`` so they never share a question."""
        rows = np.stack([self.similarity(g)[[self.index[h] for h in pool]] for g in pool])
        scores = rows / max(1.0, float(self.weights.sum()))
        if self.confusion:
            confusion = np.array([[self._confusion_scores(g).get(h, 0.0) for h in pool] for g in pool])
            if confusion.max() > 0:
                scores = scores + 10.0 * confusion / confusion.max()
        texts = [self.texts[g] for g in pool]
        same = np.array([[a == b for b in texts] for a in texts])
        scores[same] = -np.inf
        np.fill_diagonal(scores, 0.0)
        return scores

    def random(self, gloss: str, rng: np.random.Generator, pool: Sequence[str], k: int = 3) -> list[str]:
        """`k` distractors drawn uniformly from `pool` (the asked glosses, so that every option text is offered
        as an answer as well as a distractor)."""
        pool = sorted(pool)
        return self._check(gloss, self._take(gloss, [pool[i] for i in rng.permutation(len(pool))], k), k)

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


def _partition(scores: np.ndarray, rng: np.random.Generator, restarts: int = 16) -> list[list[int]]:
    """Split ``range(len(scores))`` (a multiple of 4) into quartets with a large sum of within-quartet scores:
    the best of `restarts` local searches (`_local_partition`)."""
    finite = np.where(np.isfinite(scores), scores, -1e6)
    best, best_total = None, -np.inf
    for _ in range(restarts):
        quartets = _local_partition(finite, rng)
        total = sum(finite[np.ix_(q, q)].sum() for q in quartets)
        if total > best_total:
            best, best_total = quartets, total
    return best


def _local_partition(
    finite: np.ndarray, rng: np.random.Generator, max_swaps: int = 10_000
) -> list[list[int]]:
    """Greedy seeding (a random unassigned item, then three times the item adding most to the quartet), then
    the best improving swap of two items between quartets until none improves."""
    n = len(finite)
    unassigned = [int(i) for i in rng.permutation(n)]
    group = np.empty(n, dtype=np.int64)
    count = 0
    while unassigned:
        quartet = [unassigned.pop(0)]
        while len(quartet) < 4:
            gains = finite[np.ix_(unassigned, quartet)].sum(axis=1)
            quartet.append(unassigned.pop(int(np.argmax(gains))))
        group[quartet] = count
        count += 1
    onehot = np.eye(count)[group]  # (n, groups)
    for _ in range(max_swaps):
        toward = finite @ onehot  # toward[i, g]: score of item i with the members of quartet g
        own = toward[np.arange(n), group]
        # swap a <-> b: a joins b's quartet (minus b), b joins a's quartet (minus a)
        gain = toward[:, group] - finite + (toward[:, group] - finite).T - own[:, None] - own[None, :]
        gain[group[:, None] == group[None, :]] = 0.0
        a, b = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if gain[a, b] <= 1e-9:
            break
        group[a], group[b] = group[b], group[a]
        onehot = np.eye(count)[group]
    return [sorted(int(i) for i in np.flatnonzero(group == g)) for g in range(count)]

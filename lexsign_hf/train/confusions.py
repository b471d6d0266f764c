"""Which classes a trained model confuses: the hard distractors of LexSign-Bench (`lexsign bench build --confusion`).

From a (samples, classes) score matrix and the true labels, `confusion_counts` counts for every true class how
often each other class is among the `k` best-scored wrong classes of its samples (ties ranked by class order).
`write_confusions` writes the counts as ``{"classes": [...], "matrix": [[...]]}`` JSON (or ``gloss,predicted,count``
CSV), the two formats `lexsign_hf.bench.distractors.load_confusion` reads, keeping the `per_class` largest
entries of each row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def confusion_counts(scores: np.ndarray, labels: np.ndarray, num_classes: int, k: int = 5) -> np.ndarray:
    """``counts[i, j]``: samples of class ``i`` whose `k` best-scored classes other than ``i`` include ``j``."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if scores.ndim != 2 or scores.shape[0] != len(labels) or scores.shape[1] != num_classes:
        raise ValueError(
            f"scores must be (samples, {num_classes}) with one label per sample, got {scores.shape} "
            f"and {len(labels)} labels"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {labels.min()}..{labels.max()}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    masked = scores.copy()
    masked[np.arange(len(labels)), labels] = -np.inf
    order = np.argsort(-masked, axis=1, kind="stable")[:, : min(k, num_classes - 1)]
    for label, wrong in zip(labels, order, strict=True):
        counts[label, wrong] += 1
    return counts


def keep_top(counts: np.ndarray, per_class: int) -> np.ndarray:
    """Zero all but the `per_class` largest off-diagonal entries of each row (ties keep the lower class id)."""
    kept = np.zeros_like(counts)
    for i, row in enumerate(counts):
        candidates = [j for j in np.argsort(-row, kind="stable") if j != i and row[j] > 0][:per_class]
        kept[i, candidates] = row[candidates]
    return kept


def write_confusions(
    path: str | Path, classes: Sequence[str], counts: np.ndarray, per_class: int = 10, **meta: Any
) -> Path:
    """Write the `per_class` top confusions of every class as JSON (classes + matrix, plus `meta`) or CSV."""
    path = Path(path)
    if counts.shape != (len(classes), len(classes)):
        raise ValueError(f"counts must be {len(classes)} x {len(classes)}, got {counts.shape}")
    kept = keep_top(counts, per_class)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["gloss", "predicted", "count"])
            for i, j in zip(*np.nonzero(kept), strict=True):
                writer.writerow([classes[i], classes[j], int(kept[i, j])])
    elif path.suffix.lower() == ".json":
        content = {"classes": list(classes), "matrix": kept.tolist(), **meta}
        path.write_text(json.dumps(content) + "\n", encoding="utf-8")
    else:
        raise ValueError(f"{path}: confusions are written as .json or .csv, got {path.suffix!r}")
    return path


def zsslr_confusions(
    model, processor, data, k: int = 5, batch_size: int = 64
) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """Confusions of a HALI ZSSLR model on the evaluation splits (``test_seen`` and ``test``), each sample scored
    against all seen and unseen test classes (the GZSL search, with the model's inference similarity)."""
    from .evaluate import ZSSLREvaluator

    evaluator = ZSSLREvaluator(data, processor, batch_size)
    candidates = sorted({*data.seen, *data.unseen_test})
    position = {label: i for i, label in enumerate(candidates)}
    similarity = model.config.inference_similarity
    counts = np.zeros((len(candidates), len(candidates)), dtype=np.int64)
    samples = 0
    was_training = model.training
    model.eval()
    try:
        for split in ("test_seen", "test"):
            if split not in data.splits or len(data.splits[split]) == 0:
                continue
            features, labels = evaluator.encode_split(model, split)
            scores = evaluator.class_scores(model, features, candidates, [similarity])[similarity]
            counts += confusion_counts(
                scores[:, candidates], np.array([position[int(y)] for y in labels]), len(candidates), k
            )
            samples += len(labels)
    finally:
        model.train(was_training)
    if not samples:
        raise ValueError("the dataset has no 'test' or 'test_seen' samples to compute confusions on")
    meta = {"source": "zsslr", "similarity": similarity, "k": k, "samples": samples}
    return [data.classes[label] for label in candidates], counts, meta

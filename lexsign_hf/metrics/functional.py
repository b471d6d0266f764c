"""Recognition metrics of the NLA-SLR and GZSL literature, on score matrices (numpy or torch)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _as_numpy(array) -> np.ndarray:
    """A numpy view of a numpy / torch array in its own dtype (bfloat16, which numpy lacks, is widened to float32
    exactly), so the ties rule compares the scores as they were computed."""
    if hasattr(array, "detach"):
        array = array.detach().cpu()
        if str(array.dtype) == "torch.bfloat16":
            array = array.float()
        array = array.numpy()
    return np.asarray(array)


def _check(scores: np.ndarray, labels: np.ndarray) -> None:
    if scores.ndim != 2:
        raise ValueError(f"scores must be a (samples, classes) matrix, got shape {scores.shape}")
    if labels.shape != (scores.shape[0],):
        raise ValueError(f"labels must have shape ({scores.shape[0]},), got {labels.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or inf")
    if len(labels) and (labels.min() < 0 or labels.max() >= scores.shape[1]):
        raise ValueError(
            f"labels must be class indices in [0, {scores.shape[1]}), got range [{labels.min()}, {labels.max()}]"
        )


def _class_set(name: str, classes: Sequence[int] | None, num_classes: int) -> np.ndarray:
    """Sorted unique class indices; a missing or empty set, or an index outside the score columns, is an error."""
    if classes is None or isinstance(classes, (str, bytes)):
        raise ValueError(f"{name} is required: the class indices (columns of the scores) it searches")
    values = np.asarray(sorted({int(c) for c in classes}), dtype=np.int64)
    if values.size == 0:
        raise ValueError(f"{name} is empty: give the class indices (columns of the scores) it searches")
    if values[0] < 0 or values[-1] >= num_classes:
        raise ValueError(
            f"{name} must be class indices in [0, {num_classes}), got range [{values[0]}, {values[-1]}]"
        )
    return values


def topk_hits(scores, labels, k: int) -> np.ndarray:
    """Boolean (samples,) array: is the true class among the k best-scored classes?

    Ties count against the true class: a sample is a hit only if fewer than `k` *other* classes score at least as
    high as it, so a constant scorer hits nothing at top-1 (never 100 %)."""
    scores, labels = _as_numpy(scores), _as_numpy(labels).astype(np.int64)
    _check(scores, labels)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    true_scores = scores[np.arange(len(labels)), labels]
    rivals = (scores >= true_scores[:, None]).sum(1) - 1  # other classes scoring >= the true class
    return rivals < k


def per_class_mean(hits: np.ndarray, labels, classes: Sequence[int] | None = None) -> float:
    """Mean over classes of the per-class hit rate, over the classes present in `labels` (NaN-safe: absent
    classes are skipped, never counted as 0). Returns NaN only when no sample is given."""
    labels = _as_numpy(labels).astype(np.int64)
    present = np.unique(labels) if classes is None else np.intersect1d(np.asarray(classes), labels)
    if len(present) == 0:
        return float("nan")
    return float(np.mean([hits[labels == cls].mean() for cls in present]))


def islr_accuracy(scores, labels, topk: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Isolated sign recognition: per-instance (P-I) and per-class (P-C) top-k accuracy, in percent."""
    labels = _as_numpy(labels).astype(np.int64)
    results = {}
    for k in topk:
        hits = topk_hits(scores, labels, k)
        results[f"per_instance_top{k}"] = 100.0 * float(hits.mean()) if len(hits) else float("nan")
        results[f"per_class_top{k}"] = 100.0 * per_class_mean(hits, labels)
    return results


def zsl_accuracy(
    scores, labels, unseen_classes: Sequence[int], topk: Sequence[int] = (1, 5)
) -> dict[str, float]:
    """Zero-shot accuracy (Xian et al.): per-class top-k over unseen-class samples, searching unseen classes only.

    `scores` has one column per class of the full label space; `labels` index that space.
    """
    scores, labels = _as_numpy(scores), _as_numpy(labels).astype(np.int64)
    _check(scores, labels)
    unseen = _class_set("unseen_classes", unseen_classes, scores.shape[1])
    position = {int(c): i for i, c in enumerate(unseen)}
    keep = np.isin(labels, unseen)
    if not keep.any():
        raise ValueError("zsl_accuracy: no sample belongs to an unseen class")
    restricted = scores[keep][:, unseen]
    local = np.array([position[int(label)] for label in labels[keep]], dtype=np.int64)
    return {f"top{k}": 100.0 * per_class_mean(topk_hits(restricted, local, k), local) for k in topk}


def gzsl_accuracy(
    scores, labels, seen_classes: Sequence[int], unseen_classes: Sequence[int]
) -> dict[str, float]:
    """Generalised zero-shot accuracy: search over all seen + unseen classes; S and U are the per-class top-1 on
    samples of seen and of unseen classes, H = 2SU / (S + U). In percent."""
    scores, labels = _as_numpy(scores), _as_numpy(labels).astype(np.int64)
    _check(scores, labels)
    seen = _class_set("seen_classes", seen_classes, scores.shape[1])
    unseen = _class_set("unseen_classes", unseen_classes, scores.shape[1])
    if np.intersect1d(seen, unseen).size:
        raise ValueError("gzsl_accuracy: seen and unseen class sets overlap")
    candidates = np.concatenate([seen, unseen])
    position = {int(c): i for i, c in enumerate(candidates)}
    outside = np.setdiff1d(labels, candidates)
    if outside.size:
        raise ValueError(
            f"gzsl_accuracy: {int(np.isin(labels, outside).sum())} samples have labels in neither class set "
            f"(e.g. {outside[:5].tolist()}); give only samples of seen or unseen classes"
        )
    restricted = scores[:, candidates]
    local = np.array([position[int(label)] for label in labels], dtype=np.int64)
    hits = topk_hits(restricted, local, 1)
    seen_score = 100.0 * per_class_mean(hits, local, classes=range(len(seen)))
    unseen_score = 100.0 * per_class_mean(hits, local, classes=range(len(seen), len(candidates)))
    return {"S": seen_score, "U": unseen_score, "H": harmonic_mean(seen_score, unseen_score)}


def harmonic_mean(seen: float, unseen: float) -> float:
    """H = 2SU / (S + U); NaN when S or U is NaN (no sample of that side), 0 when both are 0."""
    if math.isnan(seen) or math.isnan(unseen):
        return float("nan")
    total = seen + unseen
    return 2 * seen * unseen / total if total > 0 else 0.0


def islr_compute_metrics(eval_prediction) -> dict[str, float]:
    """`compute_metrics` for `Trainer` with [`HALIForSignClassification`] (logits first in the predictions)."""
    predictions = eval_prediction.predictions
    logits = predictions[0] if isinstance(predictions, tuple) else predictions
    return islr_accuracy(logits, eval_prediction.label_ids)

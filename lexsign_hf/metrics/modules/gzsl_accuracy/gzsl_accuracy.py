"""Generalised zero-shot sign recognition: S, U and H = 2SU/(S+U) searching seen + unseen classes."""

import datasets
import evaluate
import numpy as np

from lexsign_hf.metrics.functional import gzsl_accuracy

_CITATION = "LexSign: Learning Sign Language from Lexical Descriptions (2025)."
_DESCRIPTION = (
    "Generalised zero-shot sign recognition: every sample searches all seen + unseen classes; S and U are the "
    "per-class top-1 accuracy (percent) on samples of seen and of unseen classes, H = 2SU/(S+U) (NaN when S or U "
    "has no sample). A tie with the true class counts against it."
)
_KWARGS = """
Args:
    predictions: one row of class scores per sample (one column per class of the full label space).
    references: the true class index of each sample (a column of `predictions`).
    seen_classes (required): the class indices seen in training.
    unseen_classes (required): the class indices never seen in training (disjoint from seen_classes).
Returns:
    {"S": float, "U": float, "H": float}, in percent.
Example:
    >>> metric = evaluate.load(evaluate_module_path("gzsl_accuracy"))
    >>> metric.compute(predictions=[[0.9, 0.1], [0.8, 0.2]], references=[0, 1], seen_classes=[0],
    ...                unseen_classes=[1])
    {'S': 100.0, 'U': 0.0, 'H': 0.0}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class GzslAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(
                        datasets.Value("float64")
                    ),  # float32 scores pass exactly
                    "references": datasets.Value("int64"),
                }
            ),
        )

    def _compute(self, predictions, references, seen_classes=None, unseen_classes=None):
        missing = [
            name
            for name, value in (("seen_classes", seen_classes), ("unseen_classes", unseen_classes))
            if value is None
        ]
        if missing:
            raise ValueError(
                f"gzsl_accuracy: {' and '.join(missing)} required (class indices), e.g. "
                "metric.compute(predictions=..., references=..., seen_classes=[...], unseen_classes=[...])"
            )
        scores = np.asarray(predictions, dtype=np.float64)
        labels = np.asarray(references, dtype=np.int64)
        return gzsl_accuracy(scores, labels, seen_classes, unseen_classes)

"""Generalised zero-shot sign recognition: S, U and H = 2SU/(S+U) searching all classes.

Inputs: `predictions`, one row of class scores per sample; `references`, the true class index per sample.
"""

import datasets
import evaluate
import numpy as np

from lexsign_hf.metrics.functional import gzsl_accuracy

_CITATION = "LexSign: Learning Sign Language from Lexical Descriptions (2025)."
_KWARGS = "predictions: list of score rows; references: list of class indices; see lexsign_hf.metrics.gzsl_accuracy."


@evaluate.utils.file_utils.add_start_docstrings(
    "Generalised zero-shot sign recognition: S, U and H = 2SU/(S+U) searching all classes.", _KWARGS
)
class GzslAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Generalised zero-shot sign recognition: S, U and H = 2SU/(S+U) searching all classes.",
            citation=_CITATION,
            inputs_description=_KWARGS,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("float32")),
                    "references": datasets.Value("int64"),
                }
            ),
        )

    def _compute(self, predictions, references, seen_classes=(), unseen_classes=()):
        scores = np.asarray(predictions, dtype=np.float32)
        labels = np.asarray(references, dtype=np.int64)
        return gzsl_accuracy(scores, labels, seen_classes, unseen_classes)

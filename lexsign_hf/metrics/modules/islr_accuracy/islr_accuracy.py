"""Isolated sign recognition: per-instance and per-class top-k accuracy (NLA-SLR protocol).

Inputs: `predictions`, one row of class scores per sample; `references`, the true class index per sample.
"""

import datasets
import evaluate
import numpy as np

from lexsign_hf.metrics.functional import islr_accuracy

_CITATION = "LexSign: Learning Sign Language from Lexical Descriptions (2025)."
_KWARGS = "predictions: list of score rows; references: list of class indices; see lexsign_hf.metrics.islr_accuracy."


@evaluate.utils.file_utils.add_start_docstrings(
    "Isolated sign recognition: per-instance and per-class top-k accuracy (NLA-SLR protocol).", _KWARGS
)
class IslrAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Isolated sign recognition: per-instance and per-class top-k accuracy (NLA-SLR protocol).",
            citation=_CITATION,
            inputs_description=_KWARGS,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("float32")),
                    "references": datasets.Value("int64"),
                }
            ),
        )

    def _compute(self, predictions, references, topk=(1, 5)):
        scores = np.asarray(predictions, dtype=np.float32)
        labels = np.asarray(references, dtype=np.int64)
        return islr_accuracy(scores, labels, topk=topk)

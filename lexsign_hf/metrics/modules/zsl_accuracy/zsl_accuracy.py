"""Zero-shot sign recognition: per-class top-k accuracy over unseen classes (Xian et al.).

Inputs: `predictions`, one row of class scores per sample; `references`, the true class index per sample.
"""

import datasets
import evaluate
import numpy as np

from lexsign_hf.metrics.functional import zsl_accuracy

_CITATION = "LexSign: Learning Sign Language from Lexical Descriptions (2025)."
_KWARGS = (
    "predictions: list of score rows; references: list of class indices; see lexsign_hf.metrics.zsl_accuracy."
)


@evaluate.utils.file_utils.add_start_docstrings(
    "Zero-shot sign recognition: per-class top-k accuracy over unseen classes (Xian et al.).", _KWARGS
)
class ZslAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Zero-shot sign recognition: per-class top-k accuracy over unseen classes (Xian et al.).",
            citation=_CITATION,
            inputs_description=_KWARGS,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("float32")),
                    "references": datasets.Value("int64"),
                }
            ),
        )

    def _compute(self, predictions, references, unseen_classes=(), topk=(1, 5)):
        scores = np.asarray(predictions, dtype=np.float32)
        labels = np.asarray(references, dtype=np.int64)
        return zsl_accuracy(scores, labels, unseen_classes, topk=topk)

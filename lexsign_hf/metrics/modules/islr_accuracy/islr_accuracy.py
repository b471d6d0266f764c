"""Isolated sign recognition: per-instance and per-class top-k accuracy (NLA-SLR protocol), ties counted against."""

import datasets
import evaluate
import numpy as np

from lexsign_hf.metrics.functional import islr_accuracy

_CITATION = "LexSign: Learning Sign Language from Lexical Descriptions (2025)."
_DESCRIPTION = (
    "Isolated sign recognition: per-instance (P-I) and per-class (P-C, mean over the classes present) top-k "
    "accuracy in percent. A tie with the true class counts against it."
)
_KWARGS = """
Args:
    predictions: one row of class scores per sample.
    references: the true class index of each sample.
    topk: the k values reported (default (1, 5)).
Returns:
    {"per_instance_top1", "per_class_top1", "per_instance_top5", "per_class_top5"}: floats, in percent.
Example:
    >>> metric = evaluate.load(evaluate_module_path("islr_accuracy"))
    >>> scores = [[0.9, 0.1], [0.5, 0.5], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]]  # the second sample is a tie
    >>> metric.compute(predictions=scores, references=[0, 0, 0, 0, 1], topk=[1])
    {'per_instance_top1': 80.0, 'per_class_top1': 87.5}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class IslrAccuracy(evaluate.Metric):
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

    def _compute(self, predictions, references, topk=(1, 5)):
        scores = np.asarray(predictions, dtype=np.float64)
        labels = np.asarray(references, dtype=np.int64)
        return islr_accuracy(scores, labels, topk=topk)

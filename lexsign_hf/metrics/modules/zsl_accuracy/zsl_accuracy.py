"""Zero-shot sign recognition: per-class top-k accuracy over unseen classes (Xian et al.), ties counted against."""

import datasets
import evaluate
import numpy as np

from lexsign_hf.metrics.functional import zsl_accuracy

_CITATION = "LexSign: Learning Sign Language from Lexical Descriptions (2025)."
_DESCRIPTION = (
    "Zero-shot sign recognition: per-class top-k accuracy (percent) over the samples of unseen classes, searching "
    "the unseen classes only. A tie with the true class counts against it (a constant scorer gets 0 at top-1)."
)
_KWARGS = """
Args:
    predictions: one row of class scores per sample (one column per class of the full label space).
    references: the true class index of each sample (a column of `predictions`).
    unseen_classes (required): the class indices searched; samples of other classes are ignored.
    topk: the k values reported (default (1, 5)).
Returns:
    {"top1": float, "top5": float}, in percent.
Example:
    >>> metric = evaluate.load(evaluate_module_path("zsl_accuracy"))
    >>> scores = [[0.9, 0.1, 0.0], [0.2, 0.3, 0.5], [0.4, 0.3, 0.3]]  # the last sample ties classes 1 and 2
    >>> metric.compute(predictions=scores, references=[1, 2, 1], unseen_classes=[1, 2], topk=[1])
    {'top1': 75.0}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class ZslAccuracy(evaluate.Metric):
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

    def _compute(self, predictions, references, unseen_classes=None, topk=(1, 5)):
        if unseen_classes is None:
            raise ValueError(
                "zsl_accuracy: unseen_classes is required (the class indices searched), e.g. "
                "metric.compute(predictions=..., references=..., unseen_classes=[...])"
            )
        scores = np.asarray(predictions, dtype=np.float64)
        labels = np.asarray(references, dtype=np.int64)
        return zsl_accuracy(scores, labels, unseen_classes, topk=topk)

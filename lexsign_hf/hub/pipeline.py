"""The `zero-shot-sign-classification` pipeline; it lives in `lexsign_hf.models.hali.pipeline_hali` because it is
copied next to the weights with the model code and the input readers it shares with `HALIProcessor`."""

from ..models.hali.pipeline_hali import ISLR_TASK, TASK, ZeroShotSignClassificationPipeline
from ..models.hali.pose_inputs import POSE_LAYOUTS_FILE, canonical_index

__all__ = ["ISLR_TASK", "POSE_LAYOUTS_FILE", "TASK", "ZeroShotSignClassificationPipeline", "canonical_index"]

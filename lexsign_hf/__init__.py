"""lexsign_hf: learning sign language from lexical descriptions, the Hugging Face way."""

from .models.hali import (
    HALIConfig,
    HALIForSignClassification,
    HALIModel,
    HALIProcessor,
    SkeletonEncoderConfig,
)

__version__ = "0.1.0"

__all__ = ["HALIConfig", "HALIForSignClassification", "HALIModel", "HALIProcessor", "SkeletonEncoderConfig"]

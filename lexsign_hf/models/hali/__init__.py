"""HALI: skeleton tower + BERT text tower aligned with lexical descriptions (config, model, loss, processor).

Importing this package registers the classes with the `transformers` Auto classes, and marks them for
`register_for_auto_class` so that a saved folder carries `auto_map` and loads with `trust_remote_code=True`.
"""

from transformers import AutoConfig, AutoModel, AutoProcessor

from .configuration_hali import HALIConfig, SkeletonEncoderConfig
from .modeling_hali import (
    HALIForSignClassification,
    HALIModel,
    HALIOutput,
    HALIPoseFeatures,
    HALIPreTrainedModel,
    HALISignClassifierOutput,
    HALITextFeatures,
)
from .processing_hali import HALIProcessor, fragment_spans, split_fragments
from .zero_shot import HALIZeroShotClassifier

AutoConfig.register(HALIConfig.model_type, HALIConfig, exist_ok=True)
AutoConfig.register(SkeletonEncoderConfig.model_type, SkeletonEncoderConfig, exist_ok=True)
AutoModel.register(HALIConfig, HALIModel, exist_ok=True)
AutoProcessor.register(HALIConfig, HALIProcessor, exist_ok=True)
HALIConfig.register_for_auto_class()
HALIModel.register_for_auto_class("AutoModel")
HALIForSignClassification.register_for_auto_class("AutoModelForSequenceClassification")
HALIProcessor.register_for_auto_class("AutoProcessor")

__all__ = [
    "HALIConfig",
    "HALIForSignClassification",
    "HALIModel",
    "HALIOutput",
    "HALIPoseFeatures",
    "HALIPreTrainedModel",
    "HALIProcessor",
    "HALISignClassifierOutput",
    "HALITextFeatures",
    "HALIZeroShotClassifier",
    "SkeletonEncoderConfig",
    "fragment_spans",
    "split_fragments",
]

"""Zero-shot sign classification against cached class-description embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .modeling_hali import HALIModel, HALITextFeatures
from .processing_hali import HALIProcessor


class HALIZeroShotClassifier:
    """Ranks pose sequences against a vocabulary of descriptions whose embeddings are computed once.

    ```python
    classifier = HALIZeroShotClassifier(model, processor)
    classifier.set_vocabulary(["HELLO", "THANKS"], ["Flat hand at the forehead; move outward.", "..."])
    classifier.classify([canonical_pose], top_k=5)  # [[{"label": "HELLO", "score": 0.93}, ...]]
    ```
    """

    def __init__(self, model: HALIModel, processor: HALIProcessor, batch_size: int = 64):
        self.model = model.eval()
        self.processor = processor
        self.batch_size = batch_size
        self.labels: list[str] = []
        self.text_features: HALITextFeatures | None = None

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str]) -> HALITextFeatures:
        """Description and fragment embeddings of `texts`, in batches (fragments padded to `max_fragments`)."""
        if not texts:
            raise ValueError("no descriptions to encode")
        device = next(self.model.parameters()).device
        chunks = []
        for start in range(0, len(texts), self.batch_size):
            inputs = self.processor(text=list(texts[start : start + self.batch_size])).to(device)
            chunks.append(self.model.get_text_features(**inputs))
        return HALITextFeatures(
            description_embeds=torch.cat([chunk.description_embeds for chunk in chunks]),
            fragment_embeds=torch.cat([chunk.fragment_embeds for chunk in chunks]),
            fragment_mask=torch.cat([chunk.fragment_mask for chunk in chunks]),
        )

    def set_vocabulary(self, labels: Sequence[str], texts: Sequence[str]) -> None:
        """Encode one description per label and keep the embeddings for later calls."""
        if len(labels) != len(texts):
            raise ValueError(f"got {len(labels)} labels but {len(texts)} descriptions")
        self.labels = list(labels)
        self.text_features = self.encode_texts(texts)

    @torch.no_grad()
    def scores(
        self, poses: Sequence[np.ndarray], frame_sizes: Sequence[tuple[float, float] | None] | None = None
    ) -> torch.Tensor:
        """(len(poses), len(vocabulary)) similarity of pose sequences (as the processor takes them) to the cached
        descriptions; `frame_sizes` as in `HALIProcessor.process_poses`."""
        if self.text_features is None:
            raise ValueError("call set_vocabulary(labels, texts) before scoring")
        device = next(self.model.parameters()).device
        include_subunits = self.model.config.inference_similarity == "hali"
        rows = []
        for start in range(0, len(poses), self.batch_size):
            end = start + self.batch_size
            sizes = None if frame_sizes is None else list(frame_sizes[start:end])
            inputs = self.processor(poses=list(poses[start:end]), frame_sizes=sizes).to(device)
            features = self.model.get_pose_features(**inputs, include_subunits=include_subunits)
            rows.append(self.model.score(features, self.text_features))
        return torch.cat(rows)

    def classify(self, poses: Sequence[np.ndarray], top_k: int = 5) -> list[list[dict[str, float | str]]]:
        """Ranked `{"label", "score"}` lists (softmax over the vocabulary at the model's temperature)."""
        probabilities = (self.scores(poses) * self.model.temperature_scale()).softmax(-1)
        top = probabilities.topk(min(top_k, len(self.labels)), dim=-1)
        return [
            [
                {"label": self.labels[index], "score": float(score)}
                for score, index in zip(values, indices, strict=True)
            ]
            for values, indices in zip(top.values.tolist(), top.indices.tolist(), strict=True)
        ]

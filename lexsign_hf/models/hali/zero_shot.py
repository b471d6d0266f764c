"""Zero-shot sign classification against cached class-description embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .modeling_hali import HALIModel, HALIPoseFeatures, HALITextFeatures
from .processing_hali import HALIProcessor


class FragmentIndex:
    """The real fragments of a cached vocabulary grouped by the number of fragments of their description: for each
    count c, one `(D, n_c x c)` matrix. The `hali` pose→text similarity of any pose tokens is then one matmul and
    one contiguous max over c per group (no padded fragment scored, no scatter, no per-query copy of the cache)."""

    def __init__(self, text_features: HALITextFeatures):
        mask = text_features.fragment_mask.bool()
        self.num_descriptions = mask.shape[0]
        counts = mask.sum(-1)
        self.groups: list[
            tuple[int, torch.Tensor, torch.Tensor]
        ] = []  # (count, description ids, (D, n x count))
        for count in counts.unique().tolist():
            if count == 0:
                continue  # no fragment: the similarity stays -inf, as the masked max gives
            rows = (counts == count).nonzero()[:, 0]
            fragments = text_features.fragment_embeds[rows][mask[rows]]  # (n x count, D), description-major
            self.groups.append((count, rows, fragments.t().contiguous()))

    def pose_to_text(self, pose_tokens: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, T, V): each token's best affinity among each description's real fragments (-inf for a
        description without any), as `token_wise_similarity` takes it before the mean over tokens."""
        batch, tokens, _ = pose_tokens.shape
        best = pose_tokens.new_full((batch, tokens, self.num_descriptions), float("-inf"))
        for count, rows, fragments in self.groups:
            affinity = (pose_tokens @ fragments).view(batch, tokens, -1, count)
            best.index_copy_(2, rows, affinity.amax(-1))
        return best


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
        self._text_features: HALITextFeatures | None = None
        self._fragment_index: FragmentIndex | None = None

    @property
    def text_features(self) -> HALITextFeatures | None:
        """The cached vocabulary embeddings (set by `set_vocabulary`, or directly)."""
        return self._text_features

    @text_features.setter
    def text_features(self, features: HALITextFeatures | None) -> None:
        self._text_features, self._fragment_index = features, None

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
            rows.append(self.score(features))
        return torch.cat(rows)

    @torch.no_grad()
    def score(self, pose_features: HALIPoseFeatures) -> torch.Tensor:
        """`HALIModel.score` against the cached vocabulary (same values to float rounding); `hali` similarity
        scores snippets and subunits in one matmul over the real fragments (`FragmentIndex`, built once)."""
        if self.text_features is None:
            raise ValueError("call set_vocabulary(labels, texts) before scoring")
        similarity = pose_features.video_embeds @ self.text_features.description_embeds.t()
        if self.model.config.inference_similarity != "hali":
            return similarity
        if self._fragment_index is None:
            self._fragment_index = FragmentIndex(self.text_features)
        snippets, subunits = pose_features.snippet_embeds, pose_features.subunit_embeds
        best = self._fragment_index.pose_to_text(torch.cat([snippets, subunits], dim=1))
        snippet, subunit = best.split([snippets.shape[1], subunits.shape[1]], dim=1)
        return (similarity + snippet.mean(1) + subunit.mean(1)) / 3

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

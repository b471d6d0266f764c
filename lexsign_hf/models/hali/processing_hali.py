"""Processor for HALI: canonical pose sequences → normalised, length-bounded tensors; descriptions → tokens
with a fragment index per token."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from transformers import AutoTokenizer, BatchFeature
from transformers.processing_utils import ProcessorMixin

CANONICAL_NUM_KEYPOINTS = 77  # body 9 + left hand 21 + right hand 21 + mouth 8 + face 18
SHOULDERS = (3, 4)  # left / right shoulder in the canonical body part
# Natural punctuation that ends a fragment (Latin and CJK full-width forms); same rules as
# `lexsign_hf.data.descriptions.split_fragments` (a test keeps the two in step).
FRAGMENT_DELIMITERS = re.compile(r"[,.;:!?\n\u2026\u3001\u3002\uff0c\uff1b\uff1a\uff01\uff1f]+")
WORD_CHARACTER = re.compile(r"[^\W_]")
FRAGMENT_EDGE_CHARACTERS = " \t\r-\u2013\u2014\"'`\u201c\u201d\u2018\u2019"


def fragment_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the fragments of a description, split on natural punctuation.

    Pieces are stripped of whitespace, dashes and quotes at their ends; pieces without a letter or digit are
    dropped. A text without punctuation is one fragment; a text without any word raises `ValueError`.
    """
    spans, start = [], 0
    for match in [*FRAGMENT_DELIMITERS.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        stripped = piece.strip(FRAGMENT_EDGE_CHARACTERS)
        if WORD_CHARACTER.search(stripped):
            left = start + len(piece) - len(piece.lstrip(FRAGMENT_EDGE_CHARACTERS))
            spans.append((left, left + len(stripped)))
        if match:
            start = match.end()
    if not spans:
        raise ValueError(
            f"description {text!r} has no words to split into fragments (empty or punctuation only)"
        )
    return spans


def split_fragments(text: str) -> list[str]:
    """The fragments of a description as strings (see `fragment_spans`)."""
    return [text[start:end] for start, end in fragment_spans(text)]


class HALIProcessor(ProcessorMixin):
    r"""
    Prepares inputs of [`HALIModel`].

    Poses: canonical `(frames, 77, 3)` arrays (x, y, confidence; see `lexsign_hf.pose`), or `(frames, 77, 2)`
    (confidence 1 where a point is non-zero). Each sequence is centred on the shoulder midpoint and scaled by the
    shoulder width (falling back to the spread of the present keypoints), sampled uniformly down to `max_frames`
    and padded to the longest sequence of the batch with a `pose_mask`.

    Text: tokenised with the BERT tokenizer; `fragment_ids` gives each token's fragment (split on natural
    punctuation), -1 for special and punctuation tokens. The model's `HALIConfig.max_fragments` bounds the fragments
    (later ones merged into the last); the processor does not cut unless given its own `max_fragments`.

    Value checks that would need a host sync inside the model (NaN or inf coordinates, sequences without a present
    keypoint, descriptions without a fragment token) are done here, on the host, before the tensors are built.

    Args:
        tokenizer ([`PreTrainedTokenizerFast`]): the text tower's tokenizer (a fast one: offsets are needed).
        max_frames (`int`): maximum number of frames kept per sequence.
        max_fragments (`int`, *optional*): merge fragments from this index on into the last one; leave it None so
            the model's `config.max_fragments` alone decides (a processor saved with a value keeps it).
        max_length (`int`): maximum number of tokens per description.
        normalize (`bool`): whether to apply the shoulder normalisation.
    """

    def __init__(
        self,
        tokenizer=None,
        max_frames: int = 64,
        max_fragments: int | None = None,
        max_length: int = 128,
        normalize: bool = True,
        **kwargs,
    ):
        self.max_frames = max_frames
        self.max_fragments = max_fragments
        self.max_length = max_length
        self.normalize = normalize
        super().__init__(tokenizer, **kwargs)

    @classmethod
    def from_text_pretrained(cls, text_model_name_or_path: str, **kwargs) -> HALIProcessor:
        """A processor around the tokenizer of a pretrained BERT checkpoint (local folder or Hub id)."""
        return cls(AutoTokenizer.from_pretrained(text_model_name_or_path), **kwargs)

    def __call__(
        self,
        poses: Sequence[np.ndarray] | np.ndarray | None = None,
        text: str | Sequence[str] | None = None,
        return_tensors: str = "pt",
        **kwargs,
    ) -> BatchFeature:
        if poses is None and text is None:
            raise ValueError("HALIProcessor needs `poses`, `text` or both")
        features = {}
        if poses is not None:
            features.update(self.process_poses(poses))
        if text is not None:
            features.update(self.process_text(text))
        return BatchFeature(features, tensor_type=return_tensors)

    def process_poses(self, poses: Sequence[np.ndarray] | np.ndarray) -> dict[str, np.ndarray]:
        if isinstance(poses, np.ndarray) and poses.ndim == 3:
            poses = [poses]
        sequences = [self._prepare_sequence(np.asarray(pose), index) for index, pose in enumerate(poses)]
        length = max(len(sequence) for sequence in sequences)
        values = np.zeros((len(sequences), length, CANONICAL_NUM_KEYPOINTS, 3), dtype=np.float32)
        mask = np.zeros((len(sequences), length), dtype=np.int64)
        for row, sequence in enumerate(sequences):
            values[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        return {"pose_values": values, "pose_mask": mask}

    def _prepare_sequence(self, pose: np.ndarray, index: int) -> np.ndarray:
        if pose.ndim != 3 or pose.shape[1] != CANONICAL_NUM_KEYPOINTS or pose.shape[2] not in (2, 3):
            raise ValueError(
                f"pose {index}: expected a canonical (frames, {CANONICAL_NUM_KEYPOINTS}, 2|3) array, got shape "
                f"{pose.shape}; map other layouts with lexsign_hf.pose.to_canonical first"
            )
        if pose.shape[0] == 0:
            raise ValueError(f"pose {index}: sequence has no frames")
        if not np.isfinite(pose).all():
            raise ValueError(f"pose {index}: coordinates contain NaN or inf")
        pose = pose.astype(np.float32)
        if pose.shape[2] == 2:
            confidence = np.any(pose != 0, axis=-1, keepdims=True).astype(np.float32)
            pose = np.concatenate([pose, confidence], axis=-1)
        present = pose[..., 2] > 0
        if not present.any():
            raise ValueError(f"pose {index}: every keypoint has confidence 0 (all-zero sequence)")
        if len(pose) > self.max_frames:
            pose = pose[np.linspace(0, len(pose) - 1, self.max_frames).round().astype(int)]
            present = pose[..., 2] > 0
        if self.normalize:
            centre, scale = self._centre_and_scale(pose, present)
            pose[..., :2] = (pose[..., :2] - centre) / scale
        pose[..., :2] *= present[..., None]
        return pose

    @staticmethod
    def _centre_and_scale(pose: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, float]:
        left, right = SHOULDERS
        both = present[:, left] & present[:, right]
        if both.any():
            shoulders = pose[both][:, [left, right], :2]
            centre = shoulders.mean(axis=(0, 1))
            width = float(np.linalg.norm(shoulders[:, 0] - shoulders[:, 1], axis=-1).mean())
            if width > 1e-6:
                return centre, width
        points = pose[..., :2][present]
        centre = points.mean(axis=0)
        spread = float(points.std(axis=0).max())
        return centre, spread if spread > 1e-6 else 1.0

    def process_text(self, text: str | Sequence[str]) -> dict[str, np.ndarray]:
        texts = [text] if isinstance(text, str) else list(text)
        spans = []
        for index, description in enumerate(texts):
            try:
                spans.append(fragment_spans(description))
            except ValueError as error:
                raise ValueError(f"text {index}: {error}") from None
        encoding = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_offsets_mapping=True,
            return_tensors="np",
        )
        offsets = encoding.pop("offset_mapping")
        fragment_ids = np.full(encoding["input_ids"].shape, -1, dtype=np.int64)
        for row, row_spans in enumerate(spans):
            starts = np.array([start for start, _ in row_spans])
            ends = np.array([end for _, end in row_spans])
            for position, (token_start, token_end) in enumerate(offsets[row]):
                if token_end <= token_start or not encoding["attention_mask"][row, position]:
                    continue  # special or padding token
                inside = np.nonzero((token_start >= starts) & (token_start < ends))[0]
                if len(inside):
                    fragment = int(inside[0])
                    fragment_ids[row, position] = (
                        fragment if self.max_fragments is None else min(fragment, self.max_fragments - 1)
                    )
            if not (fragment_ids[row] >= 0).any():
                raise ValueError(
                    f"text {row}: no word of {texts[row]!r} is left after truncation to {self.max_length} tokens"
                )
        return {
            "input_ids": encoding["input_ids"],
            "attention_mask": encoding["attention_mask"],
            "fragment_ids": fragment_ids,
        }

    @property
    def model_input_names(self) -> list[str]:
        return ["pose_values", "pose_mask", "input_ids", "attention_mask", "fragment_ids"]


__all__ = ["HALIProcessor", "fragment_spans", "split_fragments"]

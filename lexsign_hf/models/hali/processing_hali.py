"""Processor for HALI: canonical pose sequences → normalised, length-bounded tensors; descriptions → tokens
with a fragment index per token."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from transformers import AutoTokenizer, BatchFeature
from transformers.processing_utils import ProcessorMixin
from transformers.utils import cached_file

from .pose_inputs import POSE_LAYOUTS_FILE, PoseInputReader, is_video_frames

CANONICAL_NUM_KEYPOINTS = 77  # body 9 + left hand 21 + right hand 21 + mouth 8 + face 18
SHOULDERS = (3, 4)  # left / right shoulder in the canonical body part
# Natural punctuation that ends a fragment (Latin and CJK full-width forms); same rules as
# `lexsign_hf.data.descriptions.split_fragments` (a test keeps the two in step).
FRAGMENT_DELIMITERS = re.compile(r"[,.;:!?\n\u2026\u3001\u3002\uff0c\uff1b\uff1a\uff01\uff1f]+")
WORD_CHARACTER = re.compile(r"[^\W_]")
FRAGMENT_EDGE_CHARACTERS = " \t\r-\u2013\u2014\"'`\u201c\u201d\u2018\u2019"

# A period inside an abbreviation, an initialism or a decimal number does not end a fragment ("e.g.", "T.V.",
# "1.5 inches"); the last period of "etc." or an initialism still does when a capitalised sentence follows.
# Em dashes, and en dashes between spaces, end a fragment (a hyphen or a range like 5–10 does not).
ABBREVIATIONS = frozenset(
    "e.g. i.e. etc. vs. cf. approx. a.k.a. mr. mrs. ms. dr. esp. incl. fig. ca. resp.".split()
)
INITIALISM = re.compile(r"(?:[^\W\d_]\.){2,}")
DASHES = re.compile(r"\u2014|\s\u2013\s")


def _fragment_breaks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each delimiter that ends a fragment: punctuation runs and dashes, minus protected periods."""
    breaks = [(match.start(), match.end()) for match in DASHES.finditer(text)]
    for match in FRAGMENT_DELIMITERS.finditer(text):
        start = match.start()
        if match.group()[0] == "." and _protected_period(text, start):
            start += 1  # the period stays with its word; what follows it (", " of "e.g., ") still splits
        if start < match.end():
            breaks.append((start, match.end()))
    return sorted(breaks)


def _protected_period(text: str, index: int) -> bool:
    before, after = text[:index], text[index + 1 :]
    if before[-1:].isdigit() and after[:1].isdigit():
        return True  # a decimal number
    word = re.search(r"[^\W\d_.]*(?:\.[^\W\d_]+)*$", before).group() + "."
    tail = re.match(r"(?:[^\W\d_]+\.)*", after).group()  # the rest of an initialism ("T." of "T.V.")
    token = word + tail
    known = token.lower() in ABBREVIATIONS
    if not (known or INITIALISM.fullmatch(token)):
        return False
    can_end_a_sentence = token.lower() == "etc." or not known  # "etc." and initialisms ("T.V."), not "e.g."
    return bool(tail) or not (can_end_a_sentence and re.match(r"\s+[A-Z]", after))


POSE_NORMALIZATIONS = ("shoulder", "uni_sign")
COCO_WHOLEBODY_NUM_KEYPOINTS = 133
# Uni-Sign's input points (the `"cosign"` tower's parts) as COCO-WholeBody indices: body (nose, ears, shoulders,
# elbows, wrists), left hand, right hand, face_all (jaw 23-39 every other point, inner lips 83-90, nose tip 53).
UNI_SIGN_PART_SIZES = (9, 21, 21, 18)
UNI_SIGN_COCO_INDEX = np.array(
    [0, *range(3, 11), *range(91, 112), *range(112, 133), *range(23, 40, 2), *range(83, 91), 53]
)
# The same points in the canonical 77-point skeleton; -1 where it has none (the inner lips). Canonical face slots
# 0-8 are the jaw from iBUG 16 down to 0 (Uni-Sign runs 0 up to 16), slot 16 is the nose tip.
_FACE = 9 + 21 + 21 + 8
UNI_SIGN_CANONICAL_INDEX = np.array([*range(51), *range(_FACE + 8, _FACE - 1, -1), *[-1] * 8, _FACE + 16])
UNI_SIGN_THRESHOLD = 0.3
MAX_FRAME_FRACTION = 2.0  # |coordinate| above this is in pixels, not a fraction of the frame


def uni_sign_points(pose: np.ndarray) -> np.ndarray:
    """Select Uni-Sign's 69 points (T, 69, 3) from COCO-WholeBody (T, 133, 3) or canonical (T, 77, 3) keypoints;
    points the canonical skeleton lacks (inner lips) get x = y = confidence = 0."""
    if pose.shape[1] == COCO_WHOLEBODY_NUM_KEYPOINTS:
        return pose[:, UNI_SIGN_COCO_INDEX].copy()
    present = (UNI_SIGN_CANONICAL_INDEX >= 0)[None, :, None]
    return np.where(present, pose[:, np.maximum(UNI_SIGN_CANONICAL_INDEX, 0)], 0.0).astype(pose.dtype)


def uni_sign_normalize(
    points: np.ndarray, frame_size: tuple[float, float] | None = None, threshold: float = UNI_SIGN_THRESHOLD
) -> np.ndarray:
    """Uni-Sign's normalisation of (T, 69, 3) points (see `uni_sign_points`), whole sequence at once.

    Coordinates are first divided by `frame_size` (width, height) when given: Uni-Sign's pose extraction stores them
    as fractions of the frame. The body is crop-scaled to [-1, 1]: the square of side `scale` = the larger extent of
    its points with confidence > `threshold`, centred on their bounding box. Hands are taken relative to their wrist
    (point 0), face_all relative to the nose tip (its last point), divided by the same `scale`. Everything is
    clipped to [-1, 1] and points with confidence <= `threshold` are zeroed. With fewer than 4 confident body points
    (or a zero extent) the whole sequence is zero, as in Uni-Sign.
    """
    points = points.astype(np.float32)
    if frame_size is not None:
        points[..., :2] /= np.asarray(frame_size, dtype=np.float32)
    body, left, right, face = np.split(points, np.cumsum(UNI_SIGN_PART_SIZES)[:-1], axis=1)
    confident = body[body[..., 2] > threshold][:, :2]
    extent = confident.max(0) - confident.min(0) if len(confident) >= 4 else np.zeros(2, np.float32)
    scale = float(extent.max())
    if scale == 0:
        return np.zeros_like(points)
    corner = (confident.max(0) + confident.min(0) - scale) / 2
    body[..., :2] = ((body[..., :2] - corner) / scale - 0.5) * 2
    left[..., :2] = (left[..., :2] - left[:, :1, :2]) / scale
    right[..., :2] = (right[..., :2] - right[:, :1, :2]) / scale
    face[..., :2] = (face[..., :2] - face[:, -1:, :2]) / scale
    result = np.clip(np.concatenate([body, left, right, face], axis=1), -1.0, 1.0)
    result[result[..., 2] <= threshold] = 0.0
    return result


def fragment_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the fragments of a description, split on natural punctuation and em / spaced en dashes
    (not at the periods of abbreviations, initialisms and decimals: see `ABBREVIATIONS`).

    Pieces are stripped of whitespace, dashes and quotes at their ends; pieces without a letter or digit are
    dropped. A text without punctuation is one fragment; a text without any word raises `ValueError`.
    """
    spans, start = [], 0
    for delimiter in [*_fragment_breaks(text), None]:
        end = delimiter[0] if delimiter else len(text)
        piece = text[start:end]
        stripped = piece.strip(FRAGMENT_EDGE_CHARACTERS)
        if WORD_CHARACTER.search(stripped):
            left = start + len(piece) - len(piece.lstrip(FRAGMENT_EDGE_CHARACTERS))
            spans.append((left, left + len(stripped)))
        if delimiter:
            start = max(start, delimiter[1])
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

    Poses: each is anything `pose_inputs.PoseInputReader` reads (a `lexsign_hf.pose.PoseSequence`, a pose-format
    `Pose`, a `.pose`/`.npy`/video path, `.pose` or video bytes, video frames), whose frame size is carried, or
    canonical `(frames, 77, 3)` arrays (x, y, confidence; see `lexsign_hf.pose`), or `(frames, 77, 2)`
    (confidence 1 where a point is non-zero). Each sequence is centred on the shoulder midpoint and scaled by the
    shoulder width (falling back to the spread of the present keypoints), sampled uniformly down to `max_frames`
    and padded to the longest sequence of the batch with a `pose_mask`.

    With `pose_normalization="uni_sign"` (for `architecture="cosign"` models), poses are COCO-WholeBody
    `(frames, 133, 2|3)` or canonical arrays, reduced to Uni-Sign's 69 points (`uni_sign_points`) and normalised as
    Uni-Sign does (`uni_sign_normalize`); `frame_sizes` gives each video's (width, height) when coordinates are in
    pixels.

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
        normalize (`bool`): whether to normalise the poses.
        pose_normalization (`str`): `"shoulder"` (canonical 77 points, shoulder-centred; the light tower) or
            `"uni_sign"` (Uni-Sign's 69 points and normalisation; the cosign tower).
    """

    def __init__(
        self,
        tokenizer=None,
        max_frames: int = 64,
        max_fragments: int | None = None,
        max_length: int = 128,
        normalize: bool = True,
        pose_normalization: str = "shoulder",
        **kwargs,
    ):
        if pose_normalization not in POSE_NORMALIZATIONS:
            raise ValueError(
                f"pose_normalization must be one of {POSE_NORMALIZATIONS}, got {pose_normalization!r}"
            )
        self.pose_normalization = pose_normalization
        self.max_frames = max_frames
        self.max_fragments = max_fragments
        self.max_length = max_length
        self.normalize = normalize
        super().__init__(tokenizer, **kwargs)
        self.pose_layouts: dict | None = (
            None  # the layout table of `.pose` inputs (None: the one shipped here)
        )

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs) -> HALIProcessor:
        """`ProcessorMixin.from_pretrained`, also reading the saved pose layout table (`pose_layouts.json`)."""
        processor = super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        hub_kwargs = {
            key: kwargs[key]
            for key in ("revision", "cache_dir", "token", "local_files_only")
            if key in kwargs
        }
        path = cached_file(
            pretrained_model_name_or_path,
            POSE_LAYOUTS_FILE,
            _raise_exceptions_for_missing_entries=False,
            **hub_kwargs,
        )
        if path:
            with open(path, encoding="utf-8") as handle:
                processor.pose_layouts = json.load(handle)
        return processor

    @property
    def pose_reader(self) -> PoseInputReader:
        """Reads every pose input this processor takes (see the class doc)."""
        return PoseInputReader(self.pose_layouts, self.pose_normalization == "uni_sign")

    @classmethod
    def from_text_pretrained(cls, text_model_name_or_path: str, **kwargs) -> HALIProcessor:
        """A processor around the tokenizer of a pretrained BERT checkpoint (local folder or Hub id)."""
        return cls(AutoTokenizer.from_pretrained(text_model_name_or_path), **kwargs)

    def __call__(
        self,
        poses: Sequence[np.ndarray] | np.ndarray | None = None,
        text: str | Sequence[str] | None = None,
        return_tensors: str = "pt",
        frame_sizes: Sequence[tuple[float, float] | None] | None = None,
        **kwargs,
    ) -> BatchFeature:
        if poses is None and text is None:
            raise ValueError("HALIProcessor needs `poses`, `text` or both")
        features = {}
        if poses is not None:
            features.update(self.process_poses(poses, frame_sizes))
        if text is not None:
            features.update(self.process_text(text))
        return BatchFeature(features, tensor_type=return_tensors)

    def process_poses(
        self,
        poses: Sequence[np.ndarray] | np.ndarray,
        frame_sizes: Sequence[tuple[float, float] | None] | None = None,
    ) -> dict[str, np.ndarray]:
        """`frame_sizes`: (width, height) per pose, used by `pose_normalization="uni_sign"` (see the class doc); an
        entry left None takes the frame size the input carries (a `PoseSequence`, a `.pose` header, a video)."""
        if isinstance(poses, np.ndarray) and (poses.ndim == 3 or is_video_frames(poses)):
            poses = [poses]
        elif not isinstance(poses, (list, tuple, np.ndarray)):
            poses = [poses]  # one PoseSequence, Pose, path or bytes
        if frame_sizes is not None and len(frame_sizes) != len(poses):
            raise ValueError(f"frame_sizes has {len(frame_sizes)} entries for {len(poses)} poses")
        sizes = list(frame_sizes) if frame_sizes is not None else [None] * len(poses)
        poses = list(poses)
        for index, pose in enumerate(poses):
            if not isinstance(pose, np.ndarray) or is_video_frames(pose):
                poses[index], carried = self._read_pose(pose, index)
                sizes[index] = sizes[index] if sizes[index] is not None else carried
        for index, size in enumerate(sizes):
            if size is not None and (len(size) != 2 or not all(np.isfinite(size)) or min(size) <= 0):
                raise ValueError(f"frame_sizes[{index}] = {size!r}: expected a positive (width, height)")
        sequences = [
            self._prepare_sequence(np.asarray(pose), index, size)
            for index, (pose, size) in enumerate(zip(poses, sizes, strict=True))
        ]
        length = max(len(sequence) for sequence in sequences)
        values = np.zeros((len(sequences), length, sequences[0].shape[1], 3), dtype=np.float32)
        mask = np.zeros((len(sequences), length), dtype=np.int64)
        for row, sequence in enumerate(sequences):
            values[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        return {"pose_values": values, "pose_mask": mask}

    def _read_pose(self, pose: Any, index: int) -> tuple[np.ndarray, tuple[float, float] | None]:
        try:
            return self.pose_reader.read(pose)
        except ValueError as error:
            raise ValueError(f"pose {index}: {error}") from None

    def _prepare_sequence(
        self, pose: np.ndarray, index: int, frame_size: tuple[float, float] | None = None
    ) -> np.ndarray:
        uni_sign = self.pose_normalization == "uni_sign"
        widths = (
            (CANONICAL_NUM_KEYPOINTS, COCO_WHOLEBODY_NUM_KEYPOINTS)
            if uni_sign
            else (CANONICAL_NUM_KEYPOINTS,)
        )
        if pose.ndim != 3 or pose.shape[1] not in widths or pose.shape[2] not in (2, 3):
            expected = "canonical or COCO-WholeBody" if uni_sign else "canonical"
            raise ValueError(
                f"pose {index}: expected a {expected} (frames, {'|'.join(map(str, widths))}, 2|3) array, got shape "
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
        if uni_sign:
            points = uni_sign_points(pose)
            largest = float(np.abs(points[..., :2][points[..., 2] > 0]).max(initial=0.0))
            if self.normalize and frame_size is None and largest > MAX_FRAME_FRACTION:
                raise ValueError(
                    f"pose {index}: pixel coordinates (up to {largest:.0f}) without a frame size; Uni-Sign's "
                    "normalisation divides by the video's (width, height): pass frame_sizes (CLI: --frame-size WxH)"
                )
            return uni_sign_normalize(points, frame_size) if self.normalize else points
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


__all__ = ["HALIProcessor", "fragment_spans", "split_fragments", "uni_sign_normalize", "uni_sign_points"]

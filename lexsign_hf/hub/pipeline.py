"""`zero-shot-sign-classification`: rank candidate glosses for a pose sequence by how well their lexical
descriptions match it (HALI).

This module is copied next to the weights of a published model (`config.custom_pipelines`), so it imports
nothing from `lexsign_hf`: a `.pose` file is mapped onto the canonical 77-keypoint skeleton with the layout
table saved beside the model (`pose_layouts.json`, written by `lexsign_hf.hub.save_zero_shot_pipeline` from
`lexsign_hf.pose.LAYOUTS`), and `pose_format` is only needed to read `.pose` files. A model whose processor uses
`pose_normalization="uni_sign"` (the cosign tower) gets COCO-WholeBody inputs whole, with the frame size a
`.pose` header records, as Uni-Sign's pose encoder does.

```python
from transformers import pipeline

classifier = pipeline("zero-shot-sign-classification", model="lexsign/hali-asl", trust_remote_code=True)
classifier("sign.pose", candidate_labels=["MOTHER", "HELP"],
           descriptions=["5 hand, thumb touches the chin; tap twice.", "A hand on the flat palm; both move up."])
# [{"label": "MOTHER", "score": 0.91}, {"label": "HELP", "score": 0.09}]
```
"""

from __future__ import annotations

import io
import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import Pipeline
from transformers.utils import cached_file

TASK = "zero-shot-sign-classification"
POSE_LAYOUTS_FILE = "pose_layouts.json"
CANONICAL_NUM_KEYPOINTS = 77
COCO_WHOLEBODY = "coco_wholebody_133"  # the layout a `"uni_sign"` processor takes whole


def canonical_index(layout: dict[str, Any]) -> np.ndarray:
    """(77,) index into a layout's stored keypoints for every canonical slot, -1 where the layout lacks it."""
    index, offset = {}, 0
    for name, _, points, *_ in layout["components"]:
        index.update({(name, point): offset + i for i, point in enumerate(points)})
        offset += len(points)
    return np.array([index.get(tuple(ref), -1) for ref in layout["canonical_points"]], dtype=np.int64)


def header_canonical_index(layout: dict[str, Any], positions: dict[tuple[str, str], int]) -> np.ndarray:
    """(77,) index into a `.pose` header's keypoints (`header_positions`) for every canonical slot (-1: absent)."""
    return np.array([positions.get(tuple(ref), -1) for ref in layout["canonical_points"]], dtype=np.int64)


def header_layout_index(layout: dict[str, Any], positions: dict[tuple[str, str], int]) -> np.ndarray:
    """Index into a `.pose` header's keypoints for every point of `layout`, in the layout's own order."""
    return np.array(
        [positions[(name, point)] for name, _, points, *_ in layout["components"] for point in points],
        dtype=np.int64,
    )


def header_positions(
    layout: dict[str, Any], components: Sequence[tuple[str, Sequence[str]]]
) -> dict[tuple[str, str], int] | None:
    """{(component, point as the layout names it): index into the header's keypoints}, or None when the header's
    components (by name or alias, with the point names of any naming scheme the layout lists, in any order) are
    not those of `layout`."""
    offsets, offset = {}, 0
    for name, points in components:
        offsets[name] = (offset, {point: i for i, point in enumerate(points)})
        offset += len(points)
    if len(offsets) != len(components) or len(offsets) != len(layout["components"]):
        return None
    positions = {}  # (component, point name as this package writes it) -> index into the header's keypoints
    for name, aliases, points, *schemes in layout["components"]:
        found = next((candidate for candidate in (name, *aliases) if candidate in offsets), None)
        if found is None:
            return None
        start, header_points = offsets[found]
        scheme = next(
            (
                scheme
                for scheme in (points, *(schemes[0] if schemes else ()))
                if len(scheme) == len(header_points) and set(scheme) == set(header_points)
            ),
            None,
        )
        if scheme is None:
            return None
        positions.update(
            {(name, point): start + header_points[alias] for point, alias in zip(points, scheme, strict=True)}
        )
    return positions


def gather_canonical(xy: np.ndarray, confidence: np.ndarray, index: np.ndarray) -> np.ndarray:
    """(T, len(index), 3) x, y, confidence from (T, K, 2) and (T, K) via `index` (the canonical slots, or a whole
    layout); absent (-1) or unconfident joints are 0."""
    present = (index >= 0)[None, :]
    safe = np.maximum(index, 0)
    confidence = np.where(present, confidence[:, safe], 0.0)
    confidence = np.where(confidence > 0, confidence, 0.0)
    points = np.where(confidence[..., None] > 0, xy[:, safe, :2], 0.0)
    return np.concatenate([points, confidence[..., None]], axis=-1).astype(np.float32)


class ZeroShotSignClassificationPipeline(Pipeline):
    """Zero-shot sign classification with a HALI model (`HALIModel`, or `HALIForSignClassification`).

    Inputs: a `.pose` file path, the bytes of a `.pose` file, a `.npy` path, or an array of keypoints — canonical
    `(frames, 77, 2|3)` or, with `layout=`, any layout of the saved layout table (e.g. `"coco_wholebody_133"`).
    A list of inputs is a batch. Call parameters:

    - `candidate_labels` (list of str): the glosses to rank.
    - `descriptions` (list of str, optional): one lexical description per label (default: the label itself).
    - `layout` (str, optional): layout of an array input. `top_k` (int, optional): number of labels returned.

    With an ISLR model (`HALIForSignClassification`) and no `candidate_labels`, the classifier head ranks the
    model's own `id2label` classes. Description embeddings are cached per description list, so scoring many
    signs against a large vocabulary encodes the vocabulary once.
    """

    _load_processor = True
    _load_tokenizer = False
    _load_feature_extractor = False
    _load_image_processor = False
    _load_video_processor = False

    def __init__(
        self,
        *args,
        pose_layouts: dict[str, dict[str, Any]] | None = None,
        description_cache_size: int = 4,
        text_batch_size: int = 64,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if self.processor is None:
            raise ValueError(f"the {TASK} pipeline needs the model's HALIProcessor (processor_config.json)")
        self.pose_layouts = pose_layouts if pose_layouts is not None else self._saved_pose_layouts()
        self.uni_sign = getattr(self.processor, "pose_normalization", "shoulder") == "uni_sign"
        self.description_cache_size = description_cache_size
        self.text_batch_size = text_batch_size
        self._description_cache: OrderedDict[tuple[str, ...], Any] = OrderedDict()

    def _saved_pose_layouts(self) -> dict[str, dict[str, Any]]:
        source = getattr(self.model, "name_or_path", None)
        if not source:
            return {}
        path = cached_file(source, POSE_LAYOUTS_FILE, _raise_exceptions_for_missing_entries=False)
        if path is None:
            return {}
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    @property
    def hali(self) -> torch.nn.Module:
        """The HALI model behind the pipeline (the `hali` sub-model of an ISLR classifier)."""
        return getattr(self.model, "hali", self.model)

    def __call__(self, inputs, candidate_labels: Sequence[str] | str | None = None, **kwargs):
        return super().__call__(inputs, candidate_labels=candidate_labels, **kwargs)

    def _sanitize_parameters(
        self, candidate_labels=None, descriptions=None, layout=None, top_k=None, **kwargs
    ) -> tuple[dict, dict, dict]:
        if kwargs:
            raise ValueError(f"unknown {TASK} parameters {sorted(kwargs)}")
        preprocess = {} if layout is None else {"layout": layout}
        if candidate_labels is not None or descriptions is not None:
            labels = self._labels(candidate_labels)
            preprocess["candidate_labels"] = labels
            preprocess["descriptions"] = self._descriptions(labels, descriptions)
        postprocess = {}
        if top_k is not None:
            if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
                raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
            postprocess["top_k"] = top_k
        return preprocess, {}, postprocess

    @staticmethod
    def _labels(candidate_labels) -> list[str]:
        if isinstance(candidate_labels, str):
            candidate_labels = [label.strip() for label in candidate_labels.split(",")]
        if candidate_labels is None or not len(candidate_labels):
            raise ValueError("candidate_labels: expected a non-empty list of glosses")
        labels = list(candidate_labels)
        bad = [label for label in labels if not isinstance(label, str) or not label.strip()]
        if bad:
            raise ValueError(f"candidate_labels: every label must be a non-empty string, got {bad[:3]}")
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ValueError(f"candidate_labels: duplicate labels {duplicates}")
        return labels

    @staticmethod
    def _descriptions(labels: list[str], descriptions) -> list[str]:
        if descriptions is None:
            return list(labels)
        if isinstance(descriptions, str):
            descriptions = [descriptions]
        descriptions = list(descriptions)
        if len(descriptions) != len(labels):
            raise ValueError(
                f"descriptions: expected one description per candidate label ({len(labels)}), got {len(descriptions)}"
            )
        for label, text in zip(labels, descriptions, strict=True):
            if not isinstance(text, str) or not any(character.isalnum() for character in text):
                raise ValueError(f"descriptions: the description of {label!r} has no words: {text!r}")
        return descriptions

    def load_pose(self, inputs, layout: str | None = None) -> np.ndarray:
        """One pipeline input as the processor takes it: the canonical (frames, 77, 3) skeleton, or for a
        `"uni_sign"` processor a COCO-WholeBody input whole (frames, 133, 3)."""
        return self._load(inputs, layout)[0]

    def _load(self, inputs, layout: str | None) -> tuple[np.ndarray, tuple[float, float] | None]:
        """`load_pose` and the video frame (width, height) where a `.pose` header records it."""
        if isinstance(inputs, (bytes, bytearray, memoryview)):
            return self._read_pose_bytes(bytes(inputs), "<bytes>")
        if isinstance(inputs, (str, os.PathLike)):
            path = os.fspath(inputs)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"pose file not found: {path}")
            if path.lower().endswith(".pose"):
                with open(path, "rb") as handle:
                    return self._read_pose_bytes(handle.read(), path)
            if path.lower().endswith(".npy"):
                return self._canonical_array(np.load(path, allow_pickle=False), layout, path), None
            raise ValueError(
                f"{path}: unsupported pose file type; expected a .pose or .npy file, or an array"
            )
        if isinstance(inputs, torch.Tensor):
            inputs = inputs.detach().cpu().numpy()
        if isinstance(inputs, np.ndarray):
            return self._canonical_array(inputs, layout, "pose array"), None
        raise ValueError(
            f"unsupported pose input of type {type(inputs).__name__}; expected a .pose path, .pose bytes or an array"
        )

    def _canonical_array(self, array: np.ndarray, layout: str | None, source: str) -> np.ndarray:
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"{source}: expected numeric keypoints, got dtype {array.dtype}")
        array = array.astype(np.float32)
        if layout is None:
            if array.ndim != 3 or array.shape[1] != CANONICAL_NUM_KEYPOINTS or array.shape[2] not in (2, 3):
                raise ValueError(
                    f"{source}: shape {array.shape} is not a canonical (frames, {CANONICAL_NUM_KEYPOINTS}, 2|3) "
                    f"skeleton; pass layout= one of {sorted(self.pose_layouts)} for other keypoint layouts"
                )
            return array
        if layout not in self.pose_layouts:
            raise ValueError(
                f"{source}: unknown layout {layout!r}; expected one of {sorted(self.pose_layouts)}"
            )
        spec = self.pose_layouts[layout]
        num_keypoints = sum(len(points) for _, _, points, *_ in spec["components"])
        if array.ndim != 3 or array.shape[1:] != (num_keypoints, 3):
            raise ValueError(
                f"{source}: shape {array.shape}; expected (frames, {num_keypoints}, 3) for {layout}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{source}: keypoints contain NaN or inf")
        whole = self.uni_sign and layout == COCO_WHOLEBODY
        index = np.arange(num_keypoints) if whole else canonical_index(spec)
        return gather_canonical(array[..., :2], array[..., 2], index)

    def _read_pose_bytes(self, buffer: bytes, source: str) -> tuple[np.ndarray, tuple[float, float] | None]:
        try:
            from pose_format import Pose
        except ImportError:  # optional: only `.pose` inputs need it
            raise ImportError(
                f"reading {source} needs the `pose-format` package: pip install pose-format"
            ) from None
        try:
            pose = Pose.read(io.BytesIO(buffer))
        except Exception as error:  # pose-format reports corrupt bytes as struct/Type/Value/Index errors
            raise ValueError(
                f"{source}: not a readable .pose file ({type(error).__name__}: {error})"
            ) from None
        components = [(component.name, list(component.points)) for component in pose.header.components]
        matches = (
            (layout, spec, header_positions(spec, components)) for layout, spec in self.pose_layouts.items()
        )
        layout, spec, positions = next(
            (match for match in matches if match[2] is not None), (None, None, None)
        )
        if positions is None:
            found = ", ".join(f"{name} ({len(points)})" for name, points in components)
            raise ValueError(
                f"{source}: unknown pose layout with components [{found}]; expected one of {sorted(self.pose_layouts)}"
            )
        whole = self.uni_sign and layout == COCO_WHOLEBODY
        index = header_layout_index(spec, positions) if whole else header_canonical_index(spec, positions)
        width, height = float(pose.header.dimensions.width), float(pose.header.dimensions.height)
        frame_size = (width, height) if width > 0 and height > 0 else None
        data, frames = pose.body.data, pose.body.data.shape[0]
        if frames == 0:
            raise ValueError(f"{source}: the pose file has no frames")
        if data.shape[1] == 0:  # no person detected in any frame
            return np.zeros((frames, len(index), 3), dtype=np.float32), frame_size
        missing = np.ma.getmaskarray(data[:, 0]).any(axis=-1)
        xy = np.ma.getdata(data[:, 0])[..., :2].astype(np.float64)
        confidence = np.where(missing, 0.0, np.asarray(pose.body.confidence, dtype=np.float64)[:, 0])
        if not (np.isfinite(xy).all() and np.isfinite(confidence).all()):
            raise ValueError(f"{source}: keypoints contain NaN or inf")
        return gather_canonical(xy, confidence, index), frame_size

    def preprocess(self, inputs, candidate_labels=None, descriptions=None, layout=None) -> dict[str, Any]:
        pose, frame_size = self._load(inputs, layout)
        if candidate_labels is None and not hasattr(self.model, "classifier"):
            raise ValueError(
                "candidate_labels: expected a non-empty list of glosses (this model has no class head)"
            )
        model_inputs = dict(self.processor(poses=[pose], frame_sizes=[frame_size], return_tensors="pt"))
        return {**model_inputs, "candidate_labels": candidate_labels, "descriptions": descriptions}

    def _encode_descriptions(self, descriptions: list[str]):
        """Description and fragment embeddings of `descriptions`, from the cache when already encoded."""
        key = tuple(descriptions)
        if key in self._description_cache:
            self._description_cache.move_to_end(key)
            return self._description_cache[key]
        chunks = []
        for start in range(0, len(descriptions), self.text_batch_size):
            text = descriptions[start : start + self.text_batch_size]
            try:
                inputs = self.processor(text=text, return_tensors="pt").to(self.device)
            except ValueError as error:
                raise ValueError(f"descriptions: {error}") from None
            chunks.append(self.hali.get_text_features(**inputs))
        features = type(chunks[0])(
            **{name: torch.cat([getattr(chunk, name) for chunk in chunks]) for name in chunks[0]}
        )
        self._description_cache[key] = features
        while len(self._description_cache) > self.description_cache_size:
            self._description_cache.popitem(last=False)
        return features

    def _forward(self, model_inputs: dict[str, Any]) -> dict[str, Any]:
        labels, descriptions = model_inputs.pop("candidate_labels"), model_inputs.pop("descriptions")
        if labels is None:  # ISLR head over the model's own classes
            logits = self.model(**model_inputs).logits[0]
            id2label = self.model.config.id2label
            return {"logits": logits, "labels": [id2label[index] for index in range(len(logits))]}
        pose_features = self.hali.get_pose_features(
            **model_inputs, include_subunits=self.hali.config.inference_similarity == "hali"
        )
        scores = self.hali.score(pose_features, self._encode_descriptions(descriptions))[0]
        return {"logits": scores * self.hali.temperature_scale(), "labels": labels}

    def postprocess(self, model_outputs: dict[str, Any], top_k: int | None = None) -> list[dict[str, Any]]:
        probabilities = model_outputs["logits"].float().softmax(-1)
        top = probabilities.topk(min(top_k or len(probabilities), len(probabilities)))
        labels = model_outputs["labels"]
        return [
            {"label": labels[index], "score": float(score)}
            for score, index in zip(top.values.tolist(), top.indices.tolist(), strict=True)
        ]

"""`zero-shot-sign-classification` (and, for ISLR models, `video-classification`): rank candidate glosses for a
signing video or pose sequence by how well their lexical descriptions match it (HALI).

This module is copied next to the weights of a published model (`config.custom_pipelines`), with the modules it
imports (`pose_inputs.py`: videos, `.pose` files, arrays; `labels_hali.py`: the labels format), so it imports
nothing from `lexsign_hf`. A video is turned into a MediaPipe holistic pose as `lexsign pose extract` does; a
`.pose` file is mapped onto the canonical skeleton with the layout table saved beside the model
(`pose_layouts.json`). A model whose processor uses `pose_normalization="uni_sign"` (the cosign tower) gets
COCO-WholeBody inputs whole, with the frame size the pose records, as Uni-Sign's pose encoder does.

```python
from transformers import pipeline

classifier = pipeline("zero-shot-sign-classification", model="lexsign/hali-asl", trust_remote_code=True)
classifier("sign.mp4", candidate_labels=["MOTHER", "HELP"],
           descriptions=["5 hand, thumb touches the chin; tap twice.", "A hand on the flat palm; both move up."])
# [{"label": "MOTHER", "score": 0.91}, {"label": "HELP", "score": 0.09}]
```
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import Pipeline
from transformers.utils import cached_file

from .labels_hali import label_pooling, parse_labels, read_labels
from .pose_inputs import POSE_LAYOUTS_FILE, PoseInputReader, default_pose_layouts

TASK = "zero-shot-sign-classification"
ISLR_TASK = "video-classification"


class ZeroShotSignClassificationPipeline(Pipeline):
    """Zero-shot sign classification with a HALI model (`HALIModel`, or `HALIForSignClassification`).

    Inputs (see `pose_inputs.PoseInputReader`): a video (path, the file's bytes, or `(frames, height, width, 3)`
    uint8 RGB frames), a `.pose` or `.npy` path, `.pose` bytes, a pose-format `Pose`, a `lexsign_hf.pose`
    `PoseSequence`, or an array of keypoints — canonical `(frames, 77, 2|3)` or, with `layout=`, any layout of the
    saved layout table (e.g. `"coco_wholebody_133"`). A list of inputs is a batch. Call parameters:

    - `candidate_labels` (list of str): the glosses to rank; a gloss may repeat, once per description (its score
      is the mean similarity over its descriptions).
    - `descriptions` (list of str, optional): one lexical description per label (default: the label itself).
    - `labels` (str, optional): instead of the two above, labels text or a labels file in the one labels format
      (`labels_hali.parse_labels`: JSON lines, CSV, or `GLOSS: description` lines).
    - `layout` (str, optional): layout of an array input. `fps` (float, optional): frame rate of raw video frames.
      `top_k` (int, optional): number of labels returned.

    With an ISLR model (`HALIForSignClassification`) and no candidates, the classifier head ranks the model's own
    `id2label` classes (the `video-classification` task). Description embeddings are cached per description list,
    so scoring many signs against a large vocabulary encodes the vocabulary once. The answer is a ranked
    `[{"label", "score"}]` list.
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
        self.reader = PoseInputReader(self.pose_layouts, self.uni_sign)
        self.description_cache_size = description_cache_size
        self.text_batch_size = text_batch_size
        self._description_cache: OrderedDict[tuple[str, ...], Any] = OrderedDict()

    def _saved_pose_layouts(self) -> dict[str, dict[str, Any]]:
        source = getattr(self.model, "name_or_path", None)
        path = source and cached_file(source, POSE_LAYOUTS_FILE, _raise_exceptions_for_missing_entries=False)
        if not path:
            return default_pose_layouts()
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    @property
    def hali(self) -> torch.nn.Module:
        """The HALI model behind the pipeline (the `hali` sub-model of an ISLR classifier)."""
        return getattr(self.model, "hali", self.model)

    def __call__(self, inputs, candidate_labels: Sequence[str] | str | None = None, **kwargs):
        return super().__call__(inputs, candidate_labels=candidate_labels, **kwargs)

    def _sanitize_parameters(
        self,
        candidate_labels=None,
        descriptions=None,
        labels=None,
        layout=None,
        fps=None,
        top_k=None,
        **kwargs,
    ) -> tuple[dict, dict, dict]:
        if kwargs:
            raise ValueError(f"unknown {TASK} parameters {sorted(kwargs)}")
        preprocess = {key: value for key, value in (("layout", layout), ("fps", fps)) if value is not None}
        if labels is not None:
            if candidate_labels is not None or descriptions is not None:
                raise ValueError(
                    "labels: give either `labels` or `candidate_labels`/`descriptions`, not both"
                )
            candidate_labels, descriptions = self._parse_labels(labels)
        if candidate_labels is not None or descriptions is not None:
            names = self._labels(candidate_labels, descriptions is not None)
            preprocess["candidate_labels"] = names
            preprocess["descriptions"] = self._descriptions(names, descriptions)
        postprocess = {}
        if top_k is not None:
            if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
                raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
            postprocess["top_k"] = top_k
        return preprocess, {}, postprocess

    @staticmethod
    def _parse_labels(labels: Any) -> tuple[list[str], list[str]]:
        if not isinstance(labels, str):
            raise ValueError(
                f"labels: expected labels text or a labels file path, got {type(labels).__name__}"
            )
        if "\n" not in labels and labels.lower().endswith((".jsonl", ".csv", ".txt")):
            return read_labels(labels)
        return parse_labels(labels, "labels")

    @staticmethod
    def _labels(candidate_labels, described: bool) -> list[str]:
        if isinstance(candidate_labels, str):
            candidate_labels = [label.strip() for label in candidate_labels.split(",")]
        if candidate_labels is None or not len(candidate_labels):
            raise ValueError("candidate_labels: expected a non-empty list of glosses")
        labels = list(candidate_labels)
        bad = [label for label in labels if not isinstance(label, str) or not label.strip()]
        if bad:
            raise ValueError(f"candidate_labels: every label must be a non-empty string, got {bad[:3]}")
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates and not described:
            raise ValueError(
                f"candidate_labels: duplicate labels {duplicates} without descriptions (a label repeats only to "
                "carry several descriptions, whose scores are averaged)"
            )
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

    def load_pose(self, inputs, layout: str | None = None, fps: float | None = None) -> np.ndarray:
        """One pipeline input as the processor takes it: the canonical (frames, 77, 3) skeleton, or for a
        `"uni_sign"` processor a COCO-WholeBody input whole (frames, 133, 3)."""
        return self.reader.read(inputs, layout, fps)[0]

    def preprocess(
        self, inputs, candidate_labels=None, descriptions=None, layout=None, fps=None
    ) -> dict[str, Any]:
        pose, frame_size = self.reader.read(inputs, layout, fps)
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
        names, pooling = label_pooling(labels)  # a label's score: the mean over its descriptions
        scores = scores.float() @ torch.from_numpy(pooling).to(scores.device)
        return {"logits": scores * self.hali.temperature_scale(), "labels": names}

    def postprocess(self, model_outputs: dict[str, Any], top_k: int | None = None) -> list[dict[str, Any]]:
        probabilities = model_outputs["logits"].float().softmax(-1)
        top = probabilities.topk(min(top_k or len(probabilities), len(probabilities)))
        labels = model_outputs["labels"]
        return [
            {"label": labels[index], "score": float(score)}
            for score, index in zip(top.values.tolist(), top.indices.tolist(), strict=True)
        ]

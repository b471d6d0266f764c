"""Zero-shot evaluation of HALI on a ZSSLR config (Xian et al.'s protocol, per-class accuracy in percent), and
ISLR evaluation of a `HALIForSignClassification` (`evaluate_islr`: P-I / P-C top-1 and top-5).

- ZSL: samples of the unseen test classes (``test``), searched among the unseen test classes: top-1 / top-5.
- GZSL: samples of ``test`` and ``test_seen``, searched among seen + unseen test classes: S, U and H.
- Validation ZSL (``validation``, unseen validation classes) for model selection and training curves.

A class may have several descriptions (e.g. the held-out paraphrase templates of LexSign-Synth). Each is encoded
once by `HALIZeroShotClassifier`; a sample's score for a class is the **mean of its similarities to the class's
descriptions** (score averaging, so no single wording decides). Similarities follow
`HALIConfig.inference_similarity`: ``"global"`` (video ↔ description cosine) or ``"hali"`` (the mean of the global,
snippet↔fragment and subunit↔fragment similarities); `evaluate_zsslr` can score both and pick one on the validation
classes, never on the test classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import TrainerCallback

from ..data.collator import frame_size
from ..metrics import gzsl_accuracy, islr_accuracy, zsl_accuracy
from ..models.hali import HALIForSignClassification, HALIModel, HALIProcessor, HALIZeroShotClassifier
from ..models.hali.modeling_hali import HALIPoseFeatures
from ..pose import processor_input
from .zsslr import ZSSLRData

__all__ = [
    "SIMILARITIES", "ZSSLREvaluator", "ZeroShotEvalCallback", "evaluate_islr", "evaluate_zsslr", "prototype_aligned_zsl"
]  # fmt: skip

SIMILARITIES = ("global", "hali")
# Score of a class that was not encoded for a split (never read: metrics only search the encoded classes).
_UNSCORED = -1e4


class ZSSLREvaluator:
    """Scores the evaluation splits of a `ZSSLRData` against per-class description vocabularies."""

    def __init__(
        self, data: ZSSLRData, processor: HALIProcessor, batch_size: int = 64, progress: bool = False
    ):
        self.data = data
        self.processor = processor
        self.batch_size = batch_size
        self.progress = progress
        self.descriptions = data.eval_descriptions()
        self._poses: dict[str, tuple[list[np.ndarray], np.ndarray]] = {}
        self._frame_sizes: dict[str, list[tuple[float, float] | None]] = {}

    def poses(self, split: str) -> tuple[list[np.ndarray], np.ndarray]:
        """Pose arrays (as the processor takes them: `lexsign_hf.pose.processor_input`) and labels of a split
        (converted once)."""
        if split not in self._poses:
            dataset = self.data.splits.get(split)
            if dataset is None or len(dataset) == 0:
                raise ValueError(f"the dataset has no {split!r} split to evaluate on")
            normalization = self.processor.pose_normalization
            poses = [
                processor_input(np.asarray(row["pose"], np.float32), row["layout"], normalization)
                for row in dataset
            ]
            self._poses[split] = (poses, np.asarray(dataset["label"], dtype=np.int64))
            self._frame_sizes[split] = [frame_size(row) for row in dataset]  # the processor decides their use
        return self._poses[split]

    def encode_split(self, model: HALIModel, split: str) -> tuple[HALIPoseFeatures, np.ndarray]:
        """Pose features and labels of a split (and each frame size, for a ``"uni_sign"`` processor)."""
        poses, labels = self.poses(split)
        return self.encode_poses(model, poses, split, self._frame_sizes[split]), labels

    @torch.no_grad()
    def encode_poses(
        self,
        model: HALIModel,
        poses: Sequence[np.ndarray],
        desc: str = "",
        frame_sizes: Sequence[tuple[float, float] | None] | None = None,
    ) -> HALIPoseFeatures:
        device = next(model.parameters()).device
        chunks = []
        starts = range(0, len(poses), self.batch_size)
        for start in tqdm(starts, desc=desc, disable=not self.progress, leave=False):
            end = start + self.batch_size
            sizes = None if frame_sizes is None else list(frame_sizes[start:end])
            inputs = self.processor(poses=list(poses[start:end]), frame_sizes=sizes).to(device)
            chunks.append(model.get_pose_features(**inputs))
        return HALIPoseFeatures(
            **{key: torch.cat([getattr(chunk, key) for chunk in chunks]) for key in chunks[0].keys()}
        )

    @torch.no_grad()
    def class_scores(
        self,
        model: HALIModel,
        pose_features: HALIPoseFeatures,
        classes: Sequence[int],
        similarities: Sequence[str] = SIMILARITIES,
    ) -> dict[str, np.ndarray]:
        """Per similarity, a (samples, all classes) score matrix whose `classes` columns hold the mean similarity
        to each class's descriptions (other columns are a constant low score)."""
        classes = sorted(set(classes))
        owners = np.concatenate([[label] * len(self.descriptions[label]) for label in classes])
        texts = [text for label in classes for text in self.descriptions[label]]
        classifier = HALIZeroShotClassifier(model, self.processor, batch_size=self.batch_size)
        classifier.set_vocabulary([self.data.classes[label] for label in owners], texts)
        pooling = np.zeros((len(texts), len(self.data.classes)), dtype=np.float32)
        pooling[np.arange(len(texts)), owners] = 1.0
        pooling /= np.maximum(pooling.sum(0, keepdims=True), 1.0)
        unscored = np.full(len(self.data.classes), _UNSCORED, dtype=np.float32)
        unscored[classes] = 0.0
        configured = model.config.inference_similarity
        results = {}
        try:
            for similarity in similarities:
                model.config.inference_similarity = similarity
                scores = model.score(pose_features, classifier.text_features).cpu()
                scores = (scores.float() if scores.dtype == torch.bfloat16 else scores).numpy()  # own dtype
                results[similarity] = scores @ pooling.astype(scores.dtype) + unscored.astype(scores.dtype)
        finally:
            model.config.inference_similarity = configured
        return results

    def validation_zsl(self, model: HALIModel, similarities: Sequence[str] = SIMILARITIES) -> dict[str, dict]:
        """ZSL top-1 / top-5 on the unseen validation classes, per similarity."""
        features, labels = self.encode_split(model, "validation")
        scores = self.class_scores(model, features, self.data.unseen_validation, similarities)
        return {
            name: zsl_accuracy(matrix, labels, self.data.unseen_validation) for name, matrix in scores.items()
        }

    def evaluate(self, model: HALIModel, similarities: Sequence[str] = SIMILARITIES) -> dict[str, Any]:
        """ZSL and GZSL results per similarity, plus validation ZSL when there is a validation split."""
        was_training = model.training
        model.eval()
        try:
            test_features, test_labels = self.encode_split(model, "test")
            seen_features, seen_labels = self.encode_split(model, "test_seen")
            candidates = [*self.data.seen, *self.data.unseen_test]
            test_scores = self.class_scores(model, test_features, candidates, similarities)
            seen_scores = self.class_scores(model, seen_features, candidates, similarities)
            validation = self.validation_zsl(model, similarities) if "validation" in self.data.splits else {}
        finally:
            model.train(was_training)
        results = {}
        for name in similarities:
            results[name] = {
                "zsl": zsl_accuracy(test_scores[name], test_labels, self.data.unseen_test),
                "gzsl": gzsl_accuracy(
                    np.concatenate([seen_scores[name], test_scores[name]]),
                    np.concatenate([seen_labels, test_labels]),
                    self.data.seen,
                    self.data.unseen_test,
                ),
            }
            if name in validation:
                results[name]["validation_zsl"] = validation[name]
        return results


def evaluate_zsslr(
    model: HALIModel,
    processor: HALIProcessor,
    data: ZSSLRData,
    similarities: Sequence[str] | None = None,
    batch_size: int = 64,
    progress: bool = False,
) -> dict[str, Any]:
    """Evaluate `model` and return ``{"zsl": {"top1", "top5"}, "gzsl": {"S", "U", "H"}, "validation_zsl": ...,
    "inference_similarity": name, "by_similarity": {name: ...}}`` (percentages).

    With several `similarities` (default: the model's configured one), the reported one is the best on the
    unseen *validation* classes (ZSL top-1; ties keep the earlier name), and is written into
    ``model.config.inference_similarity`` so a saved model scores the same way.
    """
    similarities = list(similarities or [model.config.inference_similarity])
    unknown = [name for name in similarities if name not in SIMILARITIES]
    if unknown:
        raise ValueError(f"unknown inference similarities {unknown}; expected some of {list(SIMILARITIES)}")
    by_similarity = ZSSLREvaluator(data, processor, batch_size, progress).evaluate(model, similarities)
    chosen = max(
        similarities,
        key=lambda name: (
            by_similarity[name].get("validation_zsl", {}).get("top1", 0.0),
            -similarities.index(name),
        ),
    )
    model.config.inference_similarity = chosen
    return {**by_similarity[chosen], "inference_similarity": chosen, "by_similarity": by_similarity}


@torch.no_grad()
def prototype_aligned_zsl(
    model: HALIModel,
    processor: HALIProcessor,
    data: ZSSLRData,
    similarity: str = "global",
    support_factor: float = 0.9,
    batch_size: int = 64,
) -> dict[str, float]:
    """ZSL top-1 / top-5 after PGFA's prototype-guided text feature alignment (Zhou et al., TIP 2025), a
    transductive step over the unseen test samples: each sample is first scored as usual (`similarity`); for each
    unseen class, the `support_factor` share of the samples predicted as that class with the lowest prediction
    entropy gives a prototype (their mean video embedding), and every sample is re-scored by cosine to the
    prototypes; a class with no support keeps its description score. PGFA's default `support_factor` is 0.9
    (NTU-60)."""
    if not 0 < support_factor <= 1:
        raise ValueError(f"support_factor must be in (0, 1], got {support_factor}")
    evaluator = ZSSLREvaluator(data, processor, batch_size)
    was_training = model.training
    model.eval()
    try:
        features, labels = evaluator.encode_split(model, "test")
        scores = evaluator.class_scores(model, features, data.unseen_test, [similarity])[similarity]
    finally:
        model.train(was_training)
    unseen = np.asarray(sorted(set(data.unseen_test)))
    local = scores[:, unseen].astype(np.float64)
    logits = float(model.temperature_scale()) * local
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    entropy = -(probabilities * np.log(np.clip(probabilities, 1e-30, None))).sum(1)
    predicted = local.argmax(1)
    video = features.video_embeds.double().cpu().numpy()
    aligned = local.copy()
    for column in range(len(unseen)):
        members = np.flatnonzero(predicted == column)
        support = members[np.argsort(entropy[members], kind="stable")[: int(len(members) * support_factor)]]
        if len(support):
            prototype = video[support].mean(0)
            aligned[:, column] = video @ (prototype / np.linalg.norm(prototype))
    full = np.full(scores.shape, _UNSCORED, dtype=np.float64)
    full[:, unseen] = aligned
    return zsl_accuracy(full, labels, data.unseen_test)


@torch.no_grad()
def evaluate_islr(
    model: HALIForSignClassification, processor: HALIProcessor, dataset, batch_size: int = 64
) -> dict[str, Any]:
    """ISLR accuracy of a classifier on `dataset` (rows with ``pose``, ``layout``, ``gloss``), each row's gloss
    mapped to the classifier's label by ``model.config.label2id``: per-instance (P-I) and per-class (P-C) top-1 and
    top-5 in percent (`metrics.islr_accuracy`: a tie counts against the true class), plus the sample and class
    counts. A gloss the classifier does not know is refused, never skipped."""
    label2id = model.config.label2id
    glosses = [str(gloss) for gloss in dataset["gloss"]]
    unknown = sorted(set(glosses) - set(label2id))
    if unknown:
        raise ValueError(
            f"{len(unknown)} glosses of the evaluation split are not among the classifier's "
            f"{len(label2id)} labels, e.g. {unknown[:5]}"
        )
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    normalization = processor.pose_normalization
    logits = []
    try:
        for start in range(0, len(dataset), batch_size):
            rows = [dataset[index] for index in range(start, min(start + batch_size, len(dataset)))]
            poses = [
                processor_input(np.asarray(row["pose"], np.float32), row["layout"], normalization)
                for row in rows
            ]
            inputs = processor(poses=poses, frame_sizes=[frame_size(row) for row in rows]).to(device)
            logits.append(
                model(pose_values=inputs["pose_values"], pose_mask=inputs.get("pose_mask")).logits.cpu()
            )
    finally:
        model.train(was_training)
    scores = torch.cat(logits)
    labels = np.asarray([label2id[gloss] for gloss in glosses], dtype=np.int64)
    return {
        **islr_accuracy(scores, labels, topk=(1, 5)),
        "num_samples": len(labels),
        "num_classes": len(set(labels.tolist())),
    }


class ZeroShotEvalCallback(TrainerCallback):
    """Log validation ZSL top-1 (``val_zsl_top1``, and ``val_zsl_top1_<similarity>`` for the others) before
    training, every `eval_steps` steps and at the end, into the Trainer's log history (kept in checkpoints)."""

    def __init__(
        self, evaluator: ZSSLREvaluator, eval_steps: int, similarities: Sequence[str] = SIMILARITIES
    ):
        self.evaluator = evaluator
        self.eval_steps = max(1, eval_steps)
        self.similarities = list(similarities)

    def _log(self, state, model) -> dict[str, float] | None:
        if (
            not state.is_world_process_zero
        ):  # one process evaluates (and logs); the others wait at the next step
            return None
        was_training = model.training
        model.eval()
        try:
            results = self.evaluator.validation_zsl(model, self.similarities)
        finally:
            model.train(was_training)
        entry = {"step": state.global_step}
        for index, name in enumerate(self.similarities):
            entry["val_zsl_top1" if index == 0 else f"val_zsl_top1_{name}"] = results[name]["top1"]
        state.log_history.append(entry)
        return entry

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if state.global_step == 0:  # the untrained starting point of the curve
            self._log(state, model)

    @staticmethod
    def _logged_now(state) -> bool:
        return any(
            "val_zsl_top1" in entry and entry.get("step") == state.global_step for entry in state.log_history
        )

    def on_step_end(self, args, state, control, model=None, **kwargs):
        due = state.global_step % self.eval_steps == 0 or control.should_training_stop
        if due and not self._logged_now(state):
            self._log(state, model)

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if not self._logged_now(state):
            self._log(state, model)

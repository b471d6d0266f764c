"""Conventional baselines: a model that scores the four options and answers the best one.

A ZSSLR model answers subunit questions by the description most similar to the sign; an ISLR model answers
gloss questions by its class scores (the paper's Tables 14-15). Any scorer fits: `ScoringAnswerer` takes a
callable `score(items) -> (len(items), 4) array` per level. `hali_description_scorer` / `hali_class_scorer`
plug in a HALI checkpoint, reading one `.pose` file per video (the runner's `--videos` folder holds them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .prompts import LETTERS
from .runner import BenchAnswer, BenchItem

ScoreFn = Callable[[Sequence[BenchItem]], np.ndarray]
POSE_SUFFIXES = (".pose",)


class ScoringAnswerer:
    """Answers each question with the option its level's scorer rates highest (variant `scores`)."""

    variants = ("scores",)

    def __init__(self, name: str, scorers: dict[str, ScoreFn], suffixes: Sequence[str] = POSE_SUFFIXES):
        unknown = set(scorers) - {"subunit", "gloss"}
        if not scorers or unknown:
            raise ValueError(
                f"scorers must map 'subunit' and/or 'gloss' to a callable, got {sorted(scorers)}"
            )
        self.name = name
        self.scorers = scorers
        self.levels = tuple(scorers)
        self.suffixes = tuple(suffixes)

    def answer(self, items: Sequence[BenchItem]) -> list[BenchAnswer]:
        answers: list[BenchAnswer | None] = [None] * len(items)
        for level, scorer in self.scorers.items():
            indices = [i for i, item in enumerate(items) if item.question["level"] == level]
            if indices:
                for i, answer in zip(indices, self._score(scorer, [items[i] for i in indices]), strict=True):
                    answers[i] = answer
        error = f"{self.name} answers only {', '.join(self.levels)} questions"
        return [answer or BenchAnswer(response="", prediction=None, error=error) for answer in answers]

    def _score(self, scorer: ScoreFn, items: list[BenchItem]) -> list[BenchAnswer]:
        start = time.perf_counter()
        try:
            scores = np.asarray(scorer(items), dtype=np.float64)
        except (OSError, ValueError) as error:
            if len(items) == 1:
                return [BenchAnswer(response="", prediction=None, error=str(error))]
            return [
                answer for item in items for answer in self._score(scorer, [item])
            ]  # isolate the bad item
        if scores.shape != (len(items), len(LETTERS)):
            raise ValueError(f"{self.name}: scorer returned shape {scores.shape}, expected ({len(items)}, 4)")
        latency = (time.perf_counter() - start) / len(items)
        answers = []
        for row in scores:
            letter = LETTERS[int(np.argmax(row))] if np.isfinite(row).any() else None
            answers.append(
                BenchAnswer(response=" ".join(f"{s:.4f}" for s in row), prediction=letter, latency_s=latency)
            )
        return answers

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "levels": list(self.levels)}


def _read_poses(items: Sequence[BenchItem]) -> list[np.ndarray]:
    from lexsign_hf.pose import read_pose

    poses = []
    for item in items:
        if item.video is None or Path(item.video).suffix.lower() not in POSE_SUFFIXES:
            raise FileNotFoundError(f"no .pose file for video {item.question['video_id']}")
        poses.append(read_pose(item.video).canonical())
    return poses


def hali_description_scorer(model_name_or_path: str | Path, device: str | None = None) -> ScoreFn:
    """ZSSLR: similarity between the sign's pose sequence and each option description (`HALIModel.score`)."""
    import torch

    from lexsign_hf.models.hali import HALIModel, HALIProcessor

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = HALIModel.from_pretrained(model_name_or_path).to(device).eval()
    processor = HALIProcessor.from_pretrained(model_name_or_path)

    def score(items: Sequence[BenchItem]) -> np.ndarray:
        poses = processor(poses=_read_poses(items)).to(device)
        texts = [option for item in items for option in item.question["options"]]
        text = processor(text=texts).to(device)
        with torch.inference_mode():
            pose_features = model.get_pose_features(poses["pose_values"], poses["pose_mask"])
            text_features = model.get_text_features(
                text["input_ids"], text["attention_mask"], text["fragment_ids"]
            )
            similarity = model.score(pose_features, text_features).float().cpu().numpy()  # (B, 4B)
        return np.stack([similarity[i, 4 * i : 4 * i + 4] for i in range(len(items))])

    return score


def hali_class_scorer(model_name_or_path: str | Path, device: str | None = None) -> ScoreFn:
    """ISLR: the classifier's logit of each option gloss (`-inf` for a gloss outside its label set)."""
    import torch

    from lexsign_hf.models.hali import HALIForSignClassification, HALIProcessor

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = HALIForSignClassification.from_pretrained(model_name_or_path).to(device).eval()
    processor = HALIProcessor.from_pretrained(model_name_or_path)
    label2id = {str(label).lower(): int(i) for label, i in model.config.label2id.items()}

    def score(items: Sequence[BenchItem]) -> np.ndarray:
        poses = processor(poses=_read_poses(items)).to(device)
        with torch.inference_mode():
            logits = (
                model(pose_values=poses["pose_values"], pose_mask=poses["pose_mask"])
                .logits.float()
                .cpu()
                .numpy()
            )
        scores = np.full((len(items), len(LETTERS)), -np.inf)
        for row, item in enumerate(items):
            for column, gloss in enumerate(item.question["options"]):
                if gloss.lower() in label2id:
                    scores[row, column] = logits[row, label2id[gloss.lower()]]
        return scores

    return score

"""Zero-shot classification of one pose file against a list of glosses and their descriptions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..models.hali import HALIModel, HALIProcessor, HALIZeroShotClassifier
from ..pose import processor_input, read_pose

__all__ = ["load_zero_shot_model", "predict_pose", "rank_glosses", "read_label_file"]


def read_label_file(path: str | Path) -> tuple[list[str], list[str]]:
    """Glosses and descriptions from a JSONL file of ``{"gloss": ..., "text": ...}`` lines (blank lines skipped; a
    gloss may appear on several lines, one per description)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"labels file not found: {path}")
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(
            f"{path}: not a UTF-8 text file (binary?); expected JSONL lines of gloss and text"
        ) from None
    glosses, texts = [], []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        if not isinstance(entry, dict):
            raise ValueError(
                f"{path}:{number}: expected an object with 'gloss' and 'text', got {type(entry).__name__}"
            )
        for key in ("gloss", "text"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ValueError(f"{path}:{number}: field {key!r} must be a non-empty string")
        glosses.append(entry["gloss"])
        texts.append(entry["text"])
    if not glosses:
        raise ValueError(f"{path}: no labels (expected JSONL lines with 'gloss' and 'text')")
    return glosses, texts


def load_zero_shot_model(model_dir: str | Path) -> HALIZeroShotClassifier:
    """A `HALIZeroShotClassifier` around the HALI model and processor saved in `model_dir`."""
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{model_dir}: no saved HALI model (config.json missing)")
    model = HALIModel.from_pretrained(model_dir)
    processor = HALIProcessor.from_pretrained(model_dir)
    return HALIZeroShotClassifier(model, processor)


@torch.no_grad()
def rank_glosses(
    classifier: HALIZeroShotClassifier,
    poses: Sequence[np.ndarray],
    glosses: Sequence[str],
    top_k: int = 5,
    frame_sizes: Sequence[tuple[float, float] | None] | None = None,
) -> list[list[dict[str, Any]]]:
    """Per pose, the `top_k` glosses with probabilities: the mean similarity to each gloss's descriptions, softmax
    over glosses at the model's temperature (a classifier whose vocabulary holds one entry per description)."""
    names = list(dict.fromkeys(glosses))
    owner = torch.tensor([names.index(gloss) for gloss in glosses])
    pooling = torch.zeros(len(glosses), len(names))
    pooling[torch.arange(len(glosses)), owner] = 1.0
    pooling /= pooling.sum(0, keepdim=True)
    scores = classifier.scores(poses, frame_sizes).float().cpu() @ pooling
    probabilities = (scores * classifier.model.temperature_scale().cpu()).softmax(-1)
    top = probabilities.topk(min(top_k, len(names)), dim=-1)
    return [
        [
            {"gloss": names[index], "score": round(float(value), 6)}
            for value, index in zip(values, indices, strict=True)
        ]
        for values, indices in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    ]


def predict_pose(
    model_dir: str | Path, pose_path: str | Path, labels_path: str | Path, top_k: int = 5
) -> dict:
    """``{"file", "layout", "predictions": [{"gloss", "score"}, ...]}`` for one pose file (any layout
    `lexsign_hf.pose.read_pose` supports)."""
    if top_k < 1:
        raise ValueError(f"--top-k must be at least 1, got {top_k}")
    glosses, texts = read_label_file(labels_path)
    sequence = read_pose(pose_path)
    classifier = load_zero_shot_model(model_dir)
    classifier.set_vocabulary(glosses, texts)
    try:
        pose = processor_input(sequence.data, sequence.layout, classifier.processor.pose_normalization)
        predictions = rank_glosses(classifier, [pose], glosses, top_k, [sequence.frame_size])[0]
    except ValueError as error:
        raise ValueError(f"{pose_path}: {error}") from None
    return {"file": str(pose_path), "layout": sequence.layout, "predictions": predictions}

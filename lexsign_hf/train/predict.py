"""Zero-shot classification of one pose file or signing video against a list of glosses and their descriptions
(`lexsign predict`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data.hub_ids import resolve_repo
from ..models.hali import HALIModel, HALIProcessor, HALIZeroShotClassifier
from ..models.hali.labels_hali import label_pooling, read_labels
from ..pose import processor_input, read_pose

__all__ = ["load_zero_shot_model", "predict_pose", "predict_video", "rank_glosses", "read_label_file"]

VIDEO_LAYOUT = "mediapipe_holistic_576"  # what MediaPipe Holistic through pose-format gives for a video


def read_label_file(path: str | Path) -> tuple[list[str], list[str]]:
    """Glosses and descriptions from a labels file in the one labels format (`parse_labels`: JSON lines
    ``{"gloss", "text"}``, CSV with gloss,text columns, or ``GLOSS: description`` lines; a gloss may appear on
    several lines, one per description, and is scored by the mean over them)."""
    return read_labels(path)


def load_zero_shot_model(model: str | os.PathLike) -> HALIZeroShotClassifier:
    """A `HALIZeroShotClassifier` around the HALI model and processor saved in `model` (a folder, or a Hub id
    taken from the HF cache first)."""
    model_dir = resolve_repo(model, "model", "--model")
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"--model {model}: no saved HALI model (config.json missing in {model_dir})")
    return HALIZeroShotClassifier(
        HALIModel.from_pretrained(model_dir), HALIProcessor.from_pretrained(model_dir)
    )


@torch.no_grad()
def rank_glosses(
    classifier: HALIZeroShotClassifier,
    poses: Sequence[np.ndarray],
    glosses: Sequence[str],
    top_k: int = 5,
    frame_sizes: Sequence[tuple[float, float] | None] | None = None,
) -> list[list[dict[str, Any]]]:
    """Per pose, the `top_k` glosses as ``{"label", "score"}``: the mean similarity to each gloss's descriptions,
    softmax over glosses at the model's temperature (a classifier whose vocabulary holds one entry per
    description), as the pipeline scores them."""
    names, pooling = label_pooling(list(glosses))
    scores = classifier.scores(poses, frame_sizes).float().cpu() @ torch.from_numpy(pooling)
    probabilities = (scores * classifier.model.temperature_scale().cpu()).softmax(-1)
    top = probabilities.topk(min(top_k, len(names)), dim=-1)
    return [
        [
            {"label": names[index], "score": round(float(value), 6)}
            for value, index in zip(values, indices, strict=True)
        ]
        for values, indices in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    ]


def predict_pose(
    model: str | os.PathLike, pose_path: str | Path, labels_path: str | Path, top_k: int = 5
) -> dict:
    """``{"file", "layout", "predictions": [{"label", "score"}, ...]}`` for one pose file (any layout
    `lexsign_hf.pose.read_pose` supports)."""
    if top_k < 1:
        raise ValueError(f"--top-k must be at least 1, got {top_k}")
    glosses, texts = read_label_file(labels_path)
    sequence = read_pose(pose_path)
    classifier = load_zero_shot_model(model)
    classifier.set_vocabulary(glosses, texts)
    try:
        pose = processor_input(sequence.data, sequence.layout, classifier.processor.pose_normalization)
        predictions = rank_glosses(classifier, [pose], glosses, top_k, [sequence.frame_size])[0]
    except ValueError as error:
        raise ValueError(f"{pose_path}: {error}") from None
    return {"file": str(pose_path), "layout": sequence.layout, "predictions": predictions}


def predict_video(
    model: str | os.PathLike, video_path: str | Path, labels_path: str | Path, top_k: int = 5
) -> dict:
    """`predict_pose` for a signing video: its pose is estimated with MediaPipe Holistic (as `lexsign pose
    extract` does) by the processor's reader, the one the pipeline, `handler.py` and the Space use."""
    if top_k < 1:
        raise ValueError(f"--top-k must be at least 1, got {top_k}")
    glosses, texts = read_label_file(labels_path)
    video_path = Path(video_path)
    if not video_path.is_file():
        raise FileNotFoundError(f"--video {video_path}: file not found")
    classifier = load_zero_shot_model(model)
    pose, frame_size = classifier.processor.pose_reader.read(video_path)
    classifier.set_vocabulary(glosses, texts)
    predictions = rank_glosses(classifier, [pose], glosses, top_k, [frame_size])[0]
    return {"file": str(video_path), "layout": VIDEO_LAYOUT, "predictions": predictions}

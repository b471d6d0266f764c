"""Collate LexSign dataset rows into HALI model inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .. import pose as pose_lib
from ..pose.validate import check_pose
from .descriptions import DescriptionBank


class HALIDataCollator:
    """Turn rows with ``pose`` (T, K, 3), ``layout``, ``gloss``, ``label`` into a HALI batch with ``labels``.

    Each pose goes to the form the processor takes (`lexsign_hf.pose.processor_input`: the canonical skeleton, or
    whole COCO-WholeBody poses and the rows' frame ``width``/``height`` for a ``"uni_sign"`` processor, the cosign
    tower's); each example gets one description:
    sampled from ``description_bank`` (multi-source sampling over ``sources``/``weights``) when given, else the
    row's own ``description`` (a string, or a list from which one is drawn). The processor (e.g.
    `HALIProcessor`) normalises poses, samples frames, tokenizes and fragments the text.

    Args:
        processor: callable as ``processor(poses=[...], text=[...], return_tensors="pt")``.
        description_bank: descriptions per gloss; None to use the rows' ``description`` column.
        sources: description sources to sample from (default: all the bank has).
        weights: per-source sampling weights (see `DescriptionBank.sample`).
        max_frames: uniformly subsample longer sequences to at most this many frames before the processor.
        seed: seed of the description sampling (each DataLoader worker derives its own stream from it).
    """

    def __init__(
        self,
        processor: Any,
        description_bank: DescriptionBank | None = None,
        sources: Sequence[str] | None = None,
        weights: Sequence[float] | Mapping[str, float] | None = None,
        max_frames: int | None = None,
        seed: int = 0,
    ) -> None:
        if max_frames is not None and max_frames < 1:
            raise ValueError(f"HALIDataCollator: max_frames must be positive, got {max_frames}.")
        self.processor = processor
        self.description_bank = description_bank
        self.sources = sources
        self.weights = weights
        self.max_frames = max_frames
        self.seed = seed
        self.pose_normalization = getattr(processor, "pose_normalization", "shoulder")
        self._rngs: dict[int, np.random.Generator] = {}

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        if not rows:
            raise ValueError("HALIDataCollator: empty batch.")
        rng = self._rng()
        poses = [self._pose(row) for row in rows]
        texts = [self._description(row, rng) for row in rows]
        sizes = (
            {"frame_sizes": [frame_size(row) for row in rows]}
            if self.pose_normalization == "uni_sign"
            else {}
        )
        try:
            batch = dict(self.processor(poses=poses, text=texts, return_tensors="pt", **sizes))
        except ValueError as error:  # the processor numbers poses within the batch: name the videos
            names = [row.get("video_id", row.get("gloss")) for row in rows]
            raise ValueError(f"HALIDataCollator: batch of videos {names}: {error}") from error
        batch["labels"] = torch.tensor([int(row["label"]) for row in rows], dtype=torch.long)
        return batch

    def _rng(self) -> np.random.Generator:
        worker = torch.utils.data.get_worker_info()
        worker_id = worker.id if worker is not None else -1
        if worker_id not in self._rngs:
            self._rngs[worker_id] = np.random.default_rng([self.seed, worker_id + 1])
        return self._rngs[worker_id]

    def _pose(self, row: Mapping[str, Any]) -> np.ndarray:
        name = row.get("video_id", row.get("gloss"))
        if row.get("pose") is None or not row.get("layout"):
            raise ValueError(
                f"HALIDataCollator: row {name!r} has no pose (columns 'pose' and 'layout' are needed; "
                "build the dataset with pose files)."
            )
        source = f"HALIDataCollator: video {name!r}" + (
            f" ({row['pose_file']})" if row.get("pose_file") else ""
        )
        array = check_pose(row["pose"], row["layout"], frame_size(row), source)  # the build's own check
        if self.max_frames is not None and array.shape[0] > self.max_frames:
            array = array[np.linspace(0, array.shape[0] - 1, self.max_frames).round().astype(int)]
        return pose_lib.processor_input(array, row["layout"], self.pose_normalization)

    def _description(self, row: Mapping[str, Any], rng: np.random.Generator) -> str:
        gloss = row["gloss"]
        if self.description_bank is not None:
            return self.description_bank.sample(gloss, rng, sources=self.sources, weights=self.weights).text
        description = row.get("description")
        if isinstance(description, str) and description.strip():
            return description
        if isinstance(description, Sequence) and not isinstance(description, str) and len(description) > 0:
            return str(description[int(rng.integers(len(description)))])
        raise ValueError(
            f"HALIDataCollator: gloss {gloss!r} has no description (pass a description_bank or add a "
            "'description' column)."
        )


def frame_size(row: Mapping[str, Any]) -> tuple[float, float] | None:
    """A row's video frame (width, height), or None where its pose file did not record one."""
    width, height = row.get("width"), row.get("height")
    return None if width is None or height is None else (float(width), float(height))

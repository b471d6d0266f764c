"""Video–description training pairs for LoRA fine-tuning, from a LexSign dataset folder (or Hub repo).

A LexSign config (e.g. ``asl1000``) gives rows with ``gloss`` and ``video_id``; videos live in a folder as
``<video_id>.mp4`` (or another container PyAV reads); descriptions come from description files
(`lexsign_hf.data.descriptions`) or the dataset's ``descriptions`` config. The default gloss set is the paper's
leakage-free one: the training glosses of ``asl1000`` that are not training glosses of ``asl300``, so a model
tuned on them can then describe the asl300 glosses without having seen their descriptions.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lexsign_hf.agp.prompts import MAX_WORDS, LANGUAGE_NAMES, ExamplePool, PromptTemplate
from lexsign_hf.data.descriptions import DescriptionBank

logger = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".webm", ".mkv", ".mov", ".avi")
_SPAN_COLUMNS = ("frame_start", "frame_end")


def find_video(videos_dir: str | Path, video_id: str) -> Path | None:
    """The video file of `video_id` in `videos_dir` (``<video_id>.mp4``, ``.webm``, ...), or None."""
    for suffix in VIDEO_SUFFIXES:
        candidate = Path(videos_dir) / f"{video_id}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def load_index_rows(dataset: str | Path, config: str, split: str = "train") -> list[dict[str, Any]]:
    """Rows (``gloss``, ``video_id`` and WLASL's ``frame_start``/``frame_end`` when present) of a LexSign config.

    Only these columns are read, so a config that stores poses does not load them.
    """
    import datasets

    try:
        builder = datasets.load_dataset_builder(str(dataset), config)
    except (FileNotFoundError, ValueError) as error:
        raise ValueError(f"cannot open config {config!r} of dataset {dataset}: {error}") from None
    names = list(builder.info.features or {})
    missing = [name for name in ("gloss", "video_id") if name not in names]
    if names and missing:
        raise ValueError(f"dataset {dataset} config {config!r} lacks column(s) {missing} (has {names})")
    columns = ["gloss", "video_id"] + [name for name in _SPAN_COLUMNS if name in names]
    table = datasets.load_dataset(str(dataset), config, split=split, columns=columns)
    return table.to_list()


def config_glosses(dataset: str | Path, config: str, split: str = "train") -> set[str]:
    """The glosses of one split of a config (for ZSSLR configs the seen classes of ``train``)."""
    return {row["gloss"] for row in load_index_rows(dataset, config, split)}


def leakage_free_glosses(
    dataset: str | Path, config: str = "asl1000", exclude_config: str | None = "asl300", split: str = "train"
) -> list[str]:
    """Glosses of `config`'s `split` minus those of `exclude_config` (the paper's asl1000 \\ asl300 choice)."""
    glosses = config_glosses(dataset, config, split)
    if exclude_config:
        glosses -= config_glosses(dataset, exclude_config, split)
    if not glosses:
        raise ValueError(f"no gloss of {dataset} config {config!r} is left after excluding {exclude_config!r}")
    return sorted(glosses)


def load_description_bank(dataset: str | Path | None = None, files: Sequence[str | Path] = ()) -> DescriptionBank:
    """Descriptions from `files` (JSONL/CSV records), or else from the dataset's ``descriptions`` config."""
    if files:
        return DescriptionBank.from_files(files)
    if dataset is None:
        raise ValueError("no description source: pass description files or a dataset with a 'descriptions' config")
    import datasets

    rows = datasets.load_dataset(str(dataset), "descriptions", split="train")
    return DescriptionBank.from_rows(rows)


@dataclass(frozen=True)
class VideoExample:
    """One training video of a gloss (`span`: WLASL's 1-based first/last frame, or None for the whole file)."""

    gloss: str
    video_id: str
    video: Path
    span: tuple[int, int] | None = None


def collect_examples(
    rows: Iterable[dict[str, Any]],
    glosses: Iterable[str],
    videos_dir: str | Path,
    bank: DescriptionBank,
    sources: Sequence[str] | None = None,
) -> tuple[list[VideoExample], dict[str, int]]:
    """Training videos of `glosses` that have a video file and a description; counts of what was skipped."""
    wanted = set(glosses)
    videos_dir = Path(videos_dir)
    if not videos_dir.is_dir():
        raise FileNotFoundError(f"videos folder not found: {videos_dir}")
    counts: Counter[str] = Counter()
    examples = []
    for row in rows:
        counts["rows"] += 1
        gloss = row["gloss"]
        if gloss not in wanted:
            counts["outside_gloss_set"] += 1
            continue
        available = bank.sources_for(gloss)
        if not any(source in available for source in (sources or available)):
            counts["no_description"] += 1
            continue
        video = find_video(videos_dir, str(row["video_id"]))
        if video is None:
            counts["missing_video"] += 1
            continue
        span = None
        if row.get("frame_start") is not None:
            span = (int(row["frame_start"]), int(row["frame_end"]) if row.get("frame_end") is not None else -1)
        examples.append(VideoExample(gloss=gloss, video_id=str(row["video_id"]), video=video, span=span))
    counts["examples"] = len(examples)
    counts["glosses"] = len({example.gloss for example in examples})
    if counts["missing_video"] or counts["no_description"]:
        logger.warning(
            "skipped %d video(s) without a file in %s and %d without a description",
            counts["missing_video"],
            videos_dir,
            counts["no_description"],
        )
    if not examples:
        raise ValueError(
            f"no training pair: of {counts['rows']} rows, {counts['outside_gloss_set']} are outside the gloss set, "
            f"{counts['no_description']} have no description, {counts['missing_video']} have no video in {videos_dir}"
        )
    return examples, dict(counts)


class DescriptionPairs(torch.utils.data.Dataset):
    """Training pairs: a video, the AGP description prompt for it, and one description of its gloss.

    Each access draws a description among the gloss's sources (the paper's multi-source sampling), seeded by
    `(seed, index, access count)`, so epochs see different descriptions and a run is reproducible.
    """

    def __init__(
        self,
        examples: Sequence[VideoExample],
        bank: DescriptionBank,
        template: PromptTemplate,
        example_pool: ExamplePool,
        language: str = "asl",
        sources: Sequence[str] | None = None,
        seed: int = 0,
        max_words: int = MAX_WORDS,
    ):
        self.examples = list(examples)
        self.bank = bank
        self.template = template
        self.example_pool = example_pool
        self.language = language
        self.sources = list(sources) if sources else None
        self.seed = seed
        self.max_words = max_words
        self._draws: Counter[int] = Counter()

    def __len__(self) -> int:
        return len(self.examples)

    def prompt(self, gloss: str) -> str:
        return self.template.render(
            examples=self.example_pool.for_gloss(gloss),
            max_words=self.max_words,
            language_name=LANGUAGE_NAMES.get(self.language, self.language),
            gloss=gloss,
        )

    def __getitem__(self, index: int) -> dict[str, Any]:
        example = self.examples[index]
        rng = np.random.default_rng([self.seed, index, self._draws[index]])
        self._draws[index] += 1
        record = self.bank.sample(example.gloss, rng, sources=self.sources)
        return {
            "video": str(example.video),
            "span": example.span,
            "prompt": self.prompt(example.gloss),
            "text": record.text,
            "gloss": example.gloss,
            "video_id": example.video_id,
        }

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
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lexsign_hf.agp.prompts import LANGUAGE_NAMES, MAX_WORDS, ExamplePool, PromptTemplate
from lexsign_hf.agp.videos import SignVideo, load_index_rows, match_videos
from lexsign_hf.data.descriptions import SOURCES, DescriptionBank
from lexsign_hf.mllm.video import probe_video

logger = logging.getLogger(__name__)


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
        raise ValueError(
            f"no gloss of {dataset} config {config!r} is left after excluding {exclude_config!r}"
        )
    return sorted(glosses)


def load_description_bank(
    dataset: str | Path | None = None, files: Sequence[str | Path] = ()
) -> DescriptionBank:
    """Descriptions from `files` (JSONL/CSV records), or else from the dataset's ``descriptions`` config."""
    if files:
        return DescriptionBank.from_files(files)
    if dataset is None:
        raise ValueError(
            "no description source: pass description files or a dataset with a 'descriptions' config"
        )
    import datasets

    rows = datasets.load_dataset(str(dataset), "descriptions", split="train")
    return DescriptionBank.from_rows(rows)


def collect_examples(
    rows: Iterable[dict[str, Any]],
    glosses: Iterable[str],
    videos_dir: str | Path,
    bank: DescriptionBank,
    sources: Sequence[str] | None = None,
    trim: bool = True,
) -> tuple[list[SignVideo], dict[str, int]]:
    """Training videos of `glosses` that have a decodable video (or `.pose`, rendered) and a description; counts
    of what was skipped. Clips are cut to WLASL's frame span unless `trim` is off (`clip_span`)."""
    rows = list(rows)
    wanted = set(glosses)
    allowed = set(sources or SOURCES)
    in_set = [row for row in rows if row["gloss"] in wanted]
    described = [row for row in in_set if allowed & set(bank.sources_for(row["gloss"]))]
    matched, missing = match_videos(described, videos_dir, trim=trim)
    videos, undecodable = [], 0
    for video in matched:  # one broken clip is skipped and counted, never aborts training
        problem = probe_video(video.path)
        if problem:
            undecodable += 1
            logger.warning("skipped: %s", problem)
        else:
            videos.append(video)
    counts = {
        "rows": len(rows),
        "outside_gloss_set": len(rows) - len(in_set),
        "no_description": len(in_set) - len(described),
        "missing_video": missing["missing_video"],
        "examples": len(videos),
        "glosses": len({video.gloss for video in videos}),
    }
    # reported only when they happen: skeletons that could not be read, clips that do not decode
    counts.update(
        {
            key: value
            for key, value in (
                ("unreadable_pose", missing["unreadable_pose"]),
                ("undecodable_video", undecodable),
            )
            if value
        }
    )
    if counts["no_description"]:
        logger.warning("skipped %d video(s) of glosses without a description", counts["no_description"])
    if not videos:
        raise ValueError(
            f"no training pair: of {counts['rows']} rows, {counts['outside_gloss_set']} are outside the gloss set, "
            f"{counts['no_description']} have no description, {counts['missing_video']} have no video in {videos_dir}"
        )
    return videos, counts


class DescriptionPairs(torch.utils.data.Dataset):
    """Training pairs: a video, the AGP description prompt for it, and one description of its gloss.

    Each access draws a description among the gloss's sources (the paper's multi-source sampling), seeded by
    `(seed, index, access count)`, so epochs see different descriptions and a run is reproducible.
    """

    def __init__(
        self,
        examples: Sequence[SignVideo],
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
            "video": str(example.path),
            "span": example.span,
            "prompt": self.prompt(example.gloss),
            "text": record.text,
            "gloss": example.gloss,
            "video_id": example.video_id,
        }

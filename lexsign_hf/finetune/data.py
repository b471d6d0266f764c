"""Video–description training pairs for LoRA fine-tuning, from a LexSign dataset folder (or Hub repo).

A LexSign config (e.g. ``asl1000``) gives rows with ``gloss`` and ``video_id``; videos live in a folder as
``<video_id>.mp4`` (or another container PyAV reads); descriptions come from description files
(`lexsign_hf.data.descriptions`) or the dataset's ``descriptions`` config. The default gloss set is the paper's
leakage-free one: the training glosses of ``asl1000`` that are not training glosses of ``asl300``, so a model
tuned on them can then describe the asl300 glosses without having seen their descriptions.

Before training every clip is decoded over its span (`check_clip`): a clip that does not decode, or that ends
before the frames its header declares (a truncated file), is skipped with its reason; a span that runs past the
clip's last frame is clamped to it; a span that starts after it is taken as already cut (the whole clip, the
rule of ``data build`` for short poses). Both are counted and listed, and end up in the adapter card, so one bad
clip never stops a run at step 3 or on its resume.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import torch

from lexsign_hf.agp.prompts import LANGUAGE_NAMES, MAX_WORDS, ExamplePool, PromptTemplate
from lexsign_hf.agp.videos import SignVideo, load_index_rows, match_videos
from lexsign_hf.data.descriptions import SOURCES, DescriptionBank

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipCheck:
    """What decoding a clip over its span found: the span to train on, or the `problem` that skips it."""

    span: tuple[int, int] | None
    frames: int = 0
    problem: str | None = None
    note: str | None = None  # "span_clamped" or "span_past_end"


def check_clip(path: str | Path, span: tuple[int, int] | None = None) -> ClipCheck:
    """Decode `path` up to the end of `span` (WLASL 1-based, last -1 = to the end; None = whole file)."""
    first, last = span or (1, -1)
    end = math.inf if last < 0 else last
    decoded, declared, reached_end = 0, 0, True
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return ClipCheck(span, problem=f"{path} has no video stream")
            stream = container.streams.video[0]
            declared = int(stream.frames or 0)
            for _ in container.decode(stream):
                decoded += 1
                if decoded >= end:
                    reached_end = False
                    break
    except (av.FFmpegError, OSError, UnicodeDecodeError) as error:
        return ClipCheck(
            span, decoded, problem=f"cannot decode video {path} after {decoded} frame(s): {error}"
        )
    if decoded == 0:
        return ClipCheck(span, problem=f"no frames decoded from {path}")
    if reached_end and declared > decoded:
        return ClipCheck(
            span,
            decoded,
            problem=f"{path}: decoded {decoded} of the {declared} frames its header declares (truncated)",
        )
    if last < 0 or last <= decoded:
        return ClipCheck(span, decoded)
    if first <= decoded:
        return ClipCheck((first, decoded), decoded, note="span_clamped")
    return ClipCheck(None, decoded, note="span_past_end")


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
) -> tuple[list[SignVideo], dict[str, Any]]:
    """Training videos of `glosses` that have a video (or `.pose`, rendered) decodable over its span and a
    description; counts of what was skipped or clamped (`check_clip`), with the clips listed under ``skipped``
    and ``clamped``. Clips are cut to WLASL's frame span unless `trim` is off (`clip_span`)."""
    rows = list(rows)
    wanted = set(glosses)
    allowed = set(sources or SOURCES)
    in_set = [row for row in rows if row["gloss"] in wanted]
    described = [row for row in in_set if allowed & set(bank.sources_for(row["gloss"]))]
    matched, missing = match_videos(described, videos_dir, trim=trim)
    videos, skipped, clamped = [], [], []
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        checks = list(pool.map(lambda video: check_clip(video.path, video.span), matched))
    # A broken clip is skipped and counted, never fatal; a span past the clip's end is clamped and noted.
    for video, check in zip(matched, checks, strict=True):
        if check.problem:
            skipped.append({"video_id": video.video_id, "reason": check.problem})
            logger.warning("skipped: %s", check.problem)
            continue
        if check.note:
            clamped.append(
                {
                    "video_id": video.video_id,
                    "note": check.note,
                    "span": list(video.span) if video.span else None,
                    "used": list(check.span) if check.span else None,
                    "frames": check.frames,
                }
            )
            logger.warning(
                "%s: span %s runs past its last frame %d; using %s",
                video.path,
                video.span,
                check.frames,
                check.span or "the whole clip",
            )
        videos.append(dataclasses.replace(video, span=check.span))
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
                ("undecodable_video", len(skipped)),
                ("span_clamped", sum(c["note"] == "span_clamped" for c in clamped)),
                ("span_past_end", sum(c["note"] == "span_past_end" for c in clamped)),
                ("skipped", skipped),
                ("clamped", clamped),
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
    `(seed, index, epoch, access count within the epoch)`, so epochs see different descriptions, a run is
    reproducible and a run resumed from a checkpoint draws what the uninterrupted run would have drawn. The
    trainer sets `epoch` at every epoch's start (`lexsign_hf.finetune.lora`).
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
        self.epoch = 0
        self._draws: Counter[tuple[int, int]] = Counter()

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
        rng = np.random.default_rng([self.seed, index, self.epoch, self._draws[self.epoch, index]])
        self._draws[self.epoch, index] += 1
        record = self.bank.sample(example.gloss, rng, sources=self.sources)
        return {
            "video": str(example.path),
            "span": example.span,
            "prompt": self.prompt(example.gloss),
            "text": record.text,
            "gloss": example.gloss,
            "video_id": example.video_id,
        }

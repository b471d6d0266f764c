"""Run a backend (or a conventional baseline) over LexSign-Bench with a resumable per-question cache.

A results folder belongs to one bench (`store`): ``bench_key.json`` holds the bench fingerprint and each
question's content hash; a run of another bench into it is refused with both fingerprints named. It holds
``answers.jsonl`` (append-only; one record per question x prompt variant x condition, written as soon as its
request returns, carrying the question hash and bench fingerprint) and ``run.json`` (backend, templates hash,
and per variant/control the condition, token budget, counts of questions, missing, undecodable and failed
videos, and whether `--limit` made the run partial). The cache key is ``question|variant|control|condition``,
the condition a hash of the model, frame policy, clip trimming, token budget, seed and rendering: re-running the
same command asks only what is not answered yet, a change of any setting never reuses an answer, and a cached
answer whose question changed is asked again. Correctness is never cached: the report recomputes it from the
answer key. A corrupted line is reported, skipped and asked again. Missing videos and failures are not cached,
so they are retried once the video exists or the endpoint recovers.

Videos are ``<video_id>.<ext>`` files; ``.pose`` files are rendered to skeleton videos for MLLMs (cached under
``<out>/rendered``). The spatial control re-renders ``.pose`` inputs with another body and camera; RGB videos
are taken only from a user-supplied folder of perturbed copies (`perturbed_videos`), never from the originals.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import datasets
import numpy as np
from tqdm.auto import tqdm

from lexsign_hf.mllm import ChatRequest, MLLMBackend
from lexsign_hf.mllm.video import clip_span

from .prompts import CONTROLS, LEVELS, VARIANTS, PromptTemplates, load_templates, parse_answer
from .store import (
    ANSWERS_FILE,
    RUN_FILE,
    append_jsonl,
    bench_key,
    bind_folder,
    is_current,
    read_answers,
    write_json_atomic,
)

logger = logging.getLogger(__name__)

TEMPORAL_PERTURBATION = 0.2
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v")
POSE_SUFFIX = ".pose"
RENDER_DIR = "rendered"
REQUIRED_COLUMNS = ("question_id", "video_id", "gloss", "iconicity_type", "level", "options", "answer")


@dataclass
class BenchItem:
    """One question to ask under one prompt variant."""

    question: dict[str, Any]
    variant: str
    video: Path | None


@dataclass
class BenchAnswer:
    """What an answerer returned for a `BenchItem`; `error` set means no answer (not cached, retried later)."""

    response: str
    prediction: str | None
    usage: dict[str, int] = field(default_factory=dict)
    latency_s: float = 0.0
    error: str | None = None


class Answerer(Protocol):
    """Anything that answers bench questions: an MLLM with prompts, or a scoring baseline."""

    name: str

    def answer(self, items: Sequence[BenchItem]) -> list[BenchAnswer]: ...

    def describe(self) -> dict[str, Any]: ...


class MLLMAnswerer:
    """Asks an `MLLMBackend` with the prompt templates and parses the letter it answers.

    `trim_spans` cuts each clip to the question's WLASL ``frame_start``/``frame_end`` (`clip_span`); turn it
    off for clips that are already cut. `max_new_tokens` overrides the templates' token budget of every
    variant (default: each variant's own, `PromptTemplates.max_new_tokens`)."""

    def __init__(
        self,
        backend: MLLMBackend,
        templates: PromptTemplates | None = None,
        max_new_tokens: int | None = None,
        trim_spans: bool = True,
    ):
        self.backend = backend
        self.templates = templates or load_templates()
        self.max_new_tokens = max_new_tokens
        self.trim_spans = trim_spans
        self.name = backend.name

    def answer(self, items: Sequence[BenchItem]) -> list[BenchAnswer]:
        requests = [
            ChatRequest(
                prompt=self.templates.render(
                    item.question["level"], item.variant, list(item.question["options"])
                ),
                video=item.video,
                video_span=clip_span(item.question, self.trim_spans) if item.video is not None else None,
                max_new_tokens=self.budget(item.variant),
                request_id=f"{item.question['question_id']}|{item.variant}",
            )
            for item in items
        ]
        answers = []
        for item, generation in zip(items, self.backend.generate(requests), strict=True):
            answers.append(
                BenchAnswer(
                    response=generation.text,
                    prediction=parse_answer(generation.text, list(item.question["options"]))
                    if generation.ok
                    else None,
                    usage=generation.usage,
                    latency_s=generation.latency_s,
                    error=generation.error,
                )
            )
        return answers

    def budget(self, variant: str) -> int:
        """Token budget of one prompt variant."""
        return self.max_new_tokens or self.templates.max_new_tokens[variant]

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "templates": self.templates.source,
            "templates_hash": self.templates.hash,
            "frame_policy": asdict(self.backend.frame_policy),
            "max_new_tokens": {variant: self.budget(variant) for variant in VARIANTS},
            "trim_spans": self.trim_spans,
        }


@dataclass
class RunSummary:
    """Counts of one `run_bench` call (`failed_by_variant`: failures per prompt variant)."""

    asked: int = 0
    cached: int = 0
    failed: int = 0
    invalid: int = 0
    missing_videos: list[str] = field(default_factory=list)
    undecodable_videos: list[str] = field(default_factory=list)
    corrupt_cache_lines: int = 0
    partial: bool = False
    conditions: dict[str, str] = field(default_factory=dict)
    failed_by_variant: dict[str, int] = field(default_factory=dict)
    bench_fingerprint: str = ""


def load_bench(path: str | Path, split: str = "test") -> datasets.Dataset:
    """Load the `bench` config of a LexSign-Bench dataset folder (or Hub id)."""
    if Path(path).exists() and not (Path(path) / "README.md").is_file():
        raise FileNotFoundError(f"{path} is not a dataset folder (no README.md with a 'bench' config)")
    try:
        # a local folder is read afresh: a rebuild into the same folder must never be served from the cache
        mode = "force_redownload" if Path(path).is_dir() else None
        bench = datasets.load_dataset(str(path), "bench", split=split, download_mode=mode)
    except ValueError as error:
        raise ValueError(f"cannot load config 'bench' from {path}: {error}") from None
    missing = [column for column in REQUIRED_COLUMNS if column not in bench.column_names]
    if missing:
        raise ValueError(f"{path}: the bench config lacks columns {missing}")
    return bench


def index_videos(folder: str | Path, suffixes: Sequence[str] = VIDEO_SUFFIXES) -> dict[str, Path]:
    """`{file stem: path}` for the files with `suffixes` directly in `folder` (or one level below)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"videos folder not found: {folder}")
    index: dict[str, Path] = {}
    for path in sorted(folder.glob("*")) + sorted(folder.glob("*/*")):
        if path.suffix.lower() in suffixes and path.stem not in index:
            index[path.stem] = path
    return index


def cache_key(question_id: str, variant: str, control: str, condition: str = "") -> str:
    return f"{question_id}|{variant}|{control}|{condition}"


def run_condition(
    answerer: Answerer, variant: str, control: str, seed: int, render: str | None = None
) -> dict[str, Any]:
    """Everything besides the question that can change an answer under one prompt variant (hashed into the
    cache key)."""
    description = answerer.describe()
    budgets = description.get("max_new_tokens")
    return {
        "backend": answerer.name,
        "control": control,
        "frame_policy": description.get("frame_policy"),
        "trim_spans": description.get("trim_spans"),
        "max_new_tokens": budgets.get(variant) if isinstance(budgets, dict) else budgets,
        "seed": seed,
        "render": render,
    }


def condition_hash(condition: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(condition, sort_keys=True).encode("utf-8")).hexdigest()[:12]


def sample_videos(bench: Sequence[dict[str, Any]], limit: int, seed: int = 0) -> list[str]:
    """`limit` video ids spread over the iconicity types (round robin over types, random within each)."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for question in bench:
        videos = by_type[question["iconicity_type"]]
        if str(question["video_id"]) not in videos:
            videos.append(str(question["video_id"]))
    rng = np.random.default_rng(seed)
    queues = [[ids[i] for i in rng.permutation(len(ids))] for _, ids in sorted(by_type.items())]
    chosen: list[str] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen


def run_bench(
    bench: datasets.Dataset | Sequence[dict[str, Any]],
    answerer: Answerer,
    out_dir: str | Path,
    videos: str | Path | None = None,
    variants: Sequence[str] = ("original",),
    control: str = "none",
    levels: Sequence[str] | None = None,
    limit: int | None = None,
    seed: int = 0,
    chunk_size: int = 1,
    progress: bool = True,
    perturbed_videos: str | Path | None = None,
) -> RunSummary:
    """Answer every question under every variant with `answerer`, appending to `out_dir/answers.jsonl`.

    `videos` is the folder of `<video_id>.<ext>` inputs (`.pose` files are rendered for MLLMs; not needed for
    the blind control); `perturbed_videos` the folder of spatially perturbed RGB copies for the spatial control;
    `levels` restricts the question levels (default: those the answerer handles); `limit` keeps the questions of
    `limit` videos spread over the iconicity types (a trial run, flagged as partial). `chunk_size` requests are
    sent at once (a kill loses at most those); each answer is written as soon as its chunk returns.
    """
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {CONTROLS}, got {control!r}")
    unknown = [variant for variant in variants if variant not in (*VARIANTS, "scores")]
    if unknown:
        raise ValueError(f"unknown prompt variants {unknown}; expected {VARIANTS} or 'all'")
    if control != "blind" and videos is None:
        raise ValueError(f"control {control!r} needs a videos folder (--videos)")
    if control == "spatial" and not isinstance(answerer, MLLMAnswerer):
        raise ValueError(
            "the spatial control perturbs videos for MLLMs; scoring baselines have no spatial control"
        )
    if perturbed_videos is not None and videos is not None:
        if Path(perturbed_videos).resolve() == Path(videos).resolve():
            raise ValueError(
                f"--perturbed-videos {perturbed_videos} is the --videos folder: unperturbed clips are never "
                "labelled as perturbed"
            )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(answerer, MLLMAnswerer):  # frames dropped/repeated under the temporal control only
        answerer.backend.frame_policy = replace(
            answerer.backend.frame_policy,
            temporal_perturbation=TEMPORAL_PERTURBATION if control == "temporal" else 0.0,
            seed=seed,
        )
    render_style = None
    if isinstance(answerer, MLLMAnswerer) and control != "blind":
        from lexsign_hf.pose.render import RenderStyle, perturbed_style

        render_style = perturbed_style(seed) if control == "spatial" else RenderStyle()
    render = render_style.key() if render_style else None
    conditions = {variant: run_condition(answerer, variant, control, seed, render) for variant in variants}
    condition_ids = {variant: condition_hash(condition) for variant, condition in conditions.items()}
    key = bench_key(bench)
    bind_folder(out_dir, key)
    run_info = _check_run_file(out_dir, answerer)

    answers_path = out_dir / ANSWERS_FILE
    cached, corrupt = read_answers(answers_path)
    summary = RunSummary(
        corrupt_cache_lines=corrupt,
        conditions=condition_ids,
        failed_by_variant=dict.fromkeys(variants, 0),
        bench_fingerprint=key["fingerprint"],
    )
    suffixes = tuple(getattr(answerer, "suffixes", (*VIDEO_SUFFIXES, POSE_SUFFIX)))
    video_index = index_videos(videos, suffixes) if control != "blind" else {}
    if control == "spatial":
        # .pose inputs are re-rendered with another body; RGB clips come only from the perturbed folder
        perturbed = index_videos(perturbed_videos, VIDEO_SUFFIXES) if perturbed_videos is not None else {}
        video_index = {
            video_id: path if path.suffix.lower() == POSE_SUFFIX else perturbed.get(video_id)
            for video_id, path in {**perturbed, **video_index}.items()
        }
        video_index = {video_id: path for video_id, path in video_index.items() if path is not None}
    levels = set(levels or getattr(answerer, "levels", LEVELS)) & set(getattr(answerer, "levels", LEVELS))
    kept_videos = set(sample_videos(bench, limit, seed)) if limit else None
    summary.partial = kept_videos is not None and len(kept_videos) < len({str(q["video_id"]) for q in bench})
    pending: list[BenchItem] = []
    in_scope = 0
    for question in bench:
        if question["level"] not in levels or (
            kept_videos is not None and str(question["video_id"]) not in kept_videos
        ):
            continue
        in_scope += 1
        for variant in variants:
            record = cached.get(cache_key(question["question_id"], variant, control, condition_ids[variant]))
            if record is not None and is_current(record, key):
                summary.cached += 1
                continue
            video = None
            if control != "blind":
                video = video_index.get(str(question["video_id"]))
                if video is None:
                    summary.missing_videos.append(str(question["video_id"]))
                    continue
            pending.append(BenchItem(question=dict(question), variant=variant, video=video))
    summary.missing_videos = sorted(set(summary.missing_videos))
    if summary.missing_videos:
        logger.warning(
            "%d videos are missing from %s (e.g. %s): their questions are skipped and reported",
            len(summary.missing_videos),
            perturbed_videos if control == "spatial" else videos,
            ", ".join(summary.missing_videos[:5]),
        )

    first_error = None
    undecodable: set[str] = set()
    with tqdm(total=len(pending), desc=f"bench {answerer.name} [{control}]", disable=not progress) as bar:
        for start in range(0, len(pending), max(1, chunk_size)):
            chunk = pending[start : start + max(1, chunk_size)]
            ready, results = _render_chunk(chunk, render_style, out_dir / RENDER_DIR), {}
            for i, error in ready.items():
                results[i] = BenchAnswer(response="", prediction=None, error=error)
            asked = [i for i in range(len(chunk)) if i not in ready]
            if asked:
                for i, result in zip(asked, answerer.answer([chunk[i] for i in asked]), strict=True):
                    results[i] = result
            records = []
            for i, item in enumerate(chunk):
                result = results[i]
                if result.error is not None:
                    summary.failed += 1
                    summary.failed_by_variant[item.variant] += 1
                    first_error = first_error or result.error
                    if "decod" in result.error or "pose file" in result.error or i in ready:
                        undecodable.add(str(item.question["video_id"]))
                    continue
                records.append(
                    _record(item, result, control, answerer.name, condition_ids[item.variant], key)
                )
                summary.invalid += records[-1]["prediction"] is None
            append_jsonl(answers_path, records)
            summary.asked += len(records)
            bar.update(len(chunk))
    summary.undecodable_videos = sorted(undecodable)
    if summary.failed:
        logger.warning(
            "%d questions failed (%d undecodable videos) and will be retried on the next run; first error: %s",
            summary.failed,
            len(undecodable),
            first_error,
        )

    run_info.setdefault("runs", {})
    for variant in variants:
        run_info["runs"][f"{variant}|{control}"] = {
            "variant": variant,
            "control": control,
            "condition": condition_ids[variant],
            **{name: value for name, value in conditions[variant].items() if name != "backend"},
            "bench_fingerprint": key["fingerprint"],
            "levels": sorted(levels),
            "questions": in_scope,
            "videos": str(videos) if videos else None,
            "perturbed_videos": str(perturbed_videos) if perturbed_videos else None,
            "missing_videos": summary.missing_videos,
            "undecodable_videos": summary.undecodable_videos,
            "failed": summary.failed_by_variant[variant],
            "partial": summary.partial,
            "limit": limit,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
    run_info["corrupt_cache_lines"] = corrupt
    run_info["bench_fingerprint"] = key["fingerprint"]
    write_json_atomic(out_dir / RUN_FILE, run_info)
    return summary


def _render_chunk(chunk: list[BenchItem], style, cache_dir: Path) -> dict[int, str]:
    """Replace each `.pose` input of `chunk` by its (cached) rendering under `style`; errors by chunk index."""
    from lexsign_hf.pose.render import render_cached

    errors: dict[int, str] = {}
    for i, item in enumerate(chunk):
        if style is None or item.video is None or item.video.suffix.lower() != POSE_SUFFIX:
            continue
        try:
            item.video = render_cached(item.video, cache_dir, style)
        except (OSError, ValueError) as error:
            errors[i] = f"cannot render pose file {item.video}: {error}"
    return errors


def _record(
    item: BenchItem, result: BenchAnswer, control: str, backend: str, condition: str, key: dict[str, Any]
) -> dict[str, Any]:
    """One cached answer, bound to its question's content hash and the bench fingerprint; correctness is not
    stored (the report recomputes it from the answer key)."""
    question = item.question
    return {
        "key": cache_key(question["question_id"], item.variant, control, condition),
        "condition": condition,
        "bench_fingerprint": key["fingerprint"],
        "question_id": question["question_id"],
        "question_hash": key["questions"][str(question["question_id"])]["hash"],
        "video_id": question["video_id"],
        "variant": item.variant,
        "control": control,
        "level": question["level"],
        "iconicity_type": question["iconicity_type"],
        "gloss": question["gloss"],
        "prediction": result.prediction,
        "response": result.response,
        "usage": result.usage,
        "latency_s": round(result.latency_s, 4),
        "backend": backend,
    }


def _check_run_file(out_dir: Path, answerer: Answerer) -> dict[str, Any]:
    """`run.json` of the folder, checked against the answerer (one backend and template set per folder)."""
    description = {key: value for key, value in answerer.describe().items() if key != "frame_policy"}
    path = out_dir / RUN_FILE
    if not path.is_file():
        return description
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: corrupted run file ({error}); move it away to start afresh") from None
    for key in ("backend", "templates_hash"):
        if key in info and key in description and info[key] != description[key]:
            raise ValueError(
                f"{out_dir} holds results of {key} {info[key]!r}, not {description[key]!r}: use another --out folder"
            )
    info.update(description)
    return info

"""The AGP pipeline: describe every video of a gloss with an MLLM (perceive), then summarise per gloss (summarize).

```python
from lexsign_hf.agp import perceive, summarize
from lexsign_hf.agp.videos import load_index_rows, match_videos
from lexsign_hf.mllm import build_backend

videos, _ = match_videos(load_index_rows("lexsign_asl/", "asl300"), "wlasl/videos/")
with build_backend("transformers:/models/Qwen2.5-VL-7B-Instruct", batch_size=8) as mllm:
    print(perceive(videos, mllm, "agp.jsonl").summary())
with build_backend("text:/models/Qwen2.5-7B-Instruct") as llm:
    print(summarize("agp.jsonl", llm, instances=3).summary())
```

Both stages append `source="agp"` description records (`lexsign_hf.data.descriptions.DescriptionRecord`) to a
JSONL file: per-video descriptions (`provenance.kind="video"`) and summaries (`kind="summary"`), each with the
model, the prompt's version and SHA-256, the example pool's SHA-256 and the instance (video) ids. Keeping both
kinds in one file is the paper's sampling strategy: `DescriptionBank` samples among all of a gloss's `agp`
descriptions at training time. A rerun skips every record already written with the same settings, so an interrupted run
resumes and a finished one is a no-op; a record written with other settings (``--fps``, ``--max-frames``,
``--max-words``, ``--examples``, ``--no-trim``, ``--template``, ``--max-new-tokens``, summary ``--seed``) is
refused with one line naming each change, or redone with ``redo_changed`` (see `lexsign_hf.agp.store`). A reply
that is not a description (empty, a bare letter, a refusal, too short, cut off by the token budget) is retried
with sampling, then recorded as failed with its reason and raw reply (`lexsign_hf.agp.answers`). Each run
prints and writes a usage report (requests, tokens, failures, answer flags, settings, optional cost).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from lexsign_hf.data.descriptions import DescriptionRecord
from lexsign_hf.mllm import ChatRequest, Generation, MLLMBackend

from .answers import MIN_WORDS, CleanAnswer, clean_answer
from .prompts import (
    LANGUAGE_NAMES,
    MAX_WORDS,
    ExamplePool,
    PromptTemplate,
    describe_template,
    summarize_template,
)
from .store import RecordStore, plan, summary_key, video_key
from .videos import SignVideo

logger = logging.getLogger(__name__)


@dataclass
class RunReport:
    """What one perceive/summarize run did; `to_dict()` is the usage JSON."""

    stage: str
    model: str
    prompt_version: str
    items: int = 0
    skipped_done: int = 0
    redone: int = 0
    written: int = 0
    retried: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    flags: Counter = field(default_factory=Counter)
    usage: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    cost_usd: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["flags"] = dict(self.flags)
        return data

    def summary(self) -> str:
        cost = f", cost ≈ ${self.cost_usd:.4f}" if self.cost_usd is not None else ""
        failed = f", {len(self.failed)} failed (rerun to retry)" if self.failed else ""
        redone = f", {self.redone} redone (other settings)" if self.redone else ""
        flags = ", ".join(f"{key}: {value}" for key, value in sorted(self.flags.items())) or "none"
        return (
            f"agp {self.stage} with {self.model} ({self.prompt_version}): {self.written} written, "
            f"{self.skipped_done} already done of {self.items}{redone}{failed}; {self.retried} retried; flags: {flags}; "
            f"{self.usage.get('requests', 0)} requests, {self.usage.get('prompt_tokens', 0)} prompt + "
            f"{self.usage.get('completion_tokens', 0)} completion tokens{cost}; {self.elapsed_s:.1f} s"
        )


@dataclass
class _Item:
    """One description to produce: its request, key and provenance (filled in as it is generated)."""

    key: tuple
    gloss: str
    language: str
    request: ChatRequest
    provenance: dict[str, Any]


@dataclass(frozen=True)
class ReplyPolicy:
    """What makes a reply a description (`lexsign_hf.agp.answers`) and how often a rejected one is retried."""

    max_words: int = MAX_WORDS
    min_words: int = MIN_WORDS
    keep_cut_off: bool = False
    retries: int = 1
    retry_temperature: float = 0.7


def _generate(
    items: list[_Item],
    backend: MLLMBackend,
    store: RecordStore,
    report: RunReport,
    policy: ReplyPolicy,
    chunk_size: int,
    progress: bool,
) -> None:
    """Generate, clean, retry rejected answers, append finished records chunk by chunk."""
    bar = tqdm(total=len(items), desc=f"agp {report.stage}", unit="item", disable=not progress)
    for start in range(0, len(items), chunk_size):
        pending = items[start : start + chunk_size]
        finished: list[DescriptionRecord] = []
        for attempt in range(policy.retries + 1):
            if attempt:
                report.retried += len(pending)
                for item in pending:
                    item.request.temperature = policy.retry_temperature
                    item.request.request_id = f"{item.request.request_id.split('#')[0]}#retry{attempt}"
            generations = backend.generate([item.request for item in pending])
            rejected = []
            for item, generation in zip(pending, generations, strict=True):
                if not generation.ok:
                    report.failed.append(
                        {"item": item.request.request_id.split("#")[0], "reason": generation.error}
                    )
                    continue
                answer = _clean(generation, item.request, policy)
                if answer.text is None:
                    rejected.append((item, answer.reason, generation.text))
                    continue
                report.flags.update(answer.flags)
                provenance = {
                    **item.provenance,
                    "words": answer.words,
                    "flags": [*item.provenance.get("flags", []), *answer.flags],
                    "attempts": attempt + 1,
                    "usage": dict(generation.usage),
                }
                finished.append(
                    DescriptionRecord(item.gloss, item.language, "agp", answer.text, provenance=provenance)
                )
            pending = [item for item, _, _ in rejected]
            if not pending:
                break
        for item, reason, reply in rejected:
            report.flags[f"rejected_{reason}"] += 1
            report.failed.append(
                {
                    "item": item.request.request_id.split("#")[0],
                    "reason": f"not a description ({reason}) after {policy.retries + 1} attempt(s)",
                    "reply": reply,
                }
            )
        store.append(finished)
        report.written += len(finished)
        bar.update(min(chunk_size, len(items) - start))
    bar.close()


def _clean(generation: Generation, request: ChatRequest, policy: ReplyPolicy) -> CleanAnswer:
    hit_limit = (
        generation.finish_reason == "length"
        or generation.usage.get("completion_tokens", 0) >= request.max_new_tokens
    )
    return clean_answer(
        generation.text,
        max_words=policy.max_words,
        hit_token_limit=hit_limit,
        min_words=policy.min_words,
        keep_cut_off=policy.keep_cut_off,
    )


def _resume(items: list[_Item], store: RecordStore, report: RunReport, redo_changed: bool) -> list[_Item]:
    """The items still to generate (`lexsign_hf.agp.store.plan`); counts done and redone ones."""
    keyed = [(item.key, item.provenance["settings"], item.request.request_id) for item in items]
    todo, report.skipped_done, report.redone = plan(keyed, store, report.stage, redo_changed)
    return [items[index] for index in todo]


def _finish(
    report: RunReport, backend: MLLMBackend, before: dict[str, int], start: float, usage_path, prices
):
    report.usage = {key: backend.usage.get(key, 0) - before.get(key, 0) for key in backend.usage}
    report.elapsed_s = round(time.perf_counter() - start, 3)
    if prices:
        report.cost_usd = round(
            report.usage.get("prompt_tokens", 0) / 1000 * prices.get("input_per_1k", 0.0)
            + report.usage.get("completion_tokens", 0) / 1000 * prices.get("output_per_1k", 0.0),
            6,
        )
    if usage_path:
        usage_path = Path(usage_path)
        tmp = usage_path.with_name(f".{usage_path.name}.tmp")
        tmp.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, usage_path)
    for failure in report.failed:
        logger.warning("agp %s: %s failed: %s", report.stage, failure["item"], failure["reason"])
    return report


def default_usage_path(out_path: str | Path, stage: str) -> Path:
    out_path = Path(out_path)
    return out_path.with_name(f"{out_path.stem}.{stage}-usage.json")


def perceive(
    videos: Sequence[SignVideo],
    backend: MLLMBackend,
    out_path: str | Path,
    template: PromptTemplate | None = None,
    examples: ExamplePool | None = None,
    language: str = "asl",
    max_new_tokens: int = 160,
    reply: ReplyPolicy | None = None,
    chunk_size: int = 32,
    redo_changed: bool = False,
    progress: bool = True,
    usage_path: str | Path | None = None,
    prices: dict[str, float] | None = None,
) -> RunReport:
    """Describe each video with `backend` (an MLLM); append per-video `agp` records to `out_path`.

    Raises `lexsign_hf.agp.store.SettingsChanged` when `out_path` holds descriptions of these videos written
    with other settings, unless `redo_changed` (then they are described again and the old records set aside).
    """
    template = template or describe_template()
    examples = examples or ExamplePool.from_spec()
    reply = reply or ReplyPolicy()
    store = RecordStore(out_path)
    policy = backend.frame_policy
    common = {
        "prompt": template.version,
        "examples": f"{examples.origin}@{examples.sha256[:12]}",
        "max_words": reply.max_words,
        "max_new_tokens": max_new_tokens,
        "language": language,
        "fps": policy.fps,
        "max_frames": policy.max_frames,
        "central": policy.central,
        "temporal_perturbation": policy.temporal_perturbation,
        "frame_seed": policy.seed,
    }
    report = RunReport("perceive", backend.name, template.version, settings=common)
    before, start = dict(backend.usage), time.perf_counter()
    items, seen = [], set()
    for video in videos:
        key = video_key(backend.name, video.gloss, video.video_id)
        if key in seen:
            continue
        seen.add(key)
        report.items += 1
        prompt = template.render(
            examples=examples.for_gloss(video.gloss),
            max_words=reply.max_words,
            language_name=LANGUAGE_NAMES.get(language, language),
            gloss=video.gloss,
        )
        request = ChatRequest(
            prompt=prompt,
            video=str(video.path),
            video_span=video.span,
            max_new_tokens=max_new_tokens,
            request_id=f"{video.gloss}/{video.video_id}",
        )
        provenance = {
            "pipeline": "agp",
            "kind": "video",
            "model": backend.name,
            "prompt_version": template.version,
            "prompt_sha256": template.sha256,
            "examples": examples.origin,
            "examples_sha256": examples.sha256,
            "video_id": video.video_id,
            "instance_ids": [video.video_id],
            "frame_policy": {"fps": policy.fps, "max_frames": policy.max_frames, "central": policy.central},
            "settings": {**common, "span": list(video.span) if video.span else None},
        }
        items.append(_Item(key, video.gloss, language, request, provenance))
    items = _resume(items, store, report, redo_changed)
    _generate(items, backend, store, report, reply, chunk_size, progress)
    return _finish(
        report, backend, before, start, usage_path or default_usage_path(out_path, "perceive"), prices
    )


def select_instances(video_ids: Sequence[str], instances: int, gloss: str, seed: int = 0) -> list[str]:
    """`instances` video ids of a gloss (all when it has fewer), drawn deterministically from `(seed, gloss)`."""
    ordered = sorted(set(video_ids))
    if len(ordered) <= instances:
        return ordered
    rng = np.random.default_rng([seed, zlib.crc32(gloss.encode("utf-8"))])
    return sorted(ordered[i] for i in rng.choice(len(ordered), size=instances, replace=False))


def summarize(
    per_video_path: str | Path,
    backend: MLLMBackend,
    out_path: str | Path | None = None,
    instances: int = 3,
    template: PromptTemplate | None = None,
    examples: ExamplePool | None = None,
    max_new_tokens: int = 160,
    reply: ReplyPolicy | None = None,
    perceive_model: str | None = None,
    glosses: Sequence[str] | None = None,
    seed: int = 0,
    chunk_size: int = 32,
    redo_changed: bool = False,
    progress: bool = True,
    usage_path: str | Path | None = None,
    prices: dict[str, float] | None = None,
) -> RunReport:
    """Summarise up to `instances` per-video descriptions of each gloss with `backend` (a text LLM).

    Per-video records are read from `per_video_path` (grouped per gloss and perceiving model; `perceive_model`
    keeps one model's). Summaries are appended to `out_path` (default: the same file). A gloss with fewer videos
    than `instances` is summarised from what it has and flagged `fewer_instances`. A summary written with other
    settings (or from other per-video descriptions) is refused or, with `redo_changed`, redone (see `perceive`).
    """
    if instances < 1:
        raise ValueError(f"instances per gloss must be >= 1, got {instances}")
    template = template or summarize_template()
    examples = examples or ExamplePool.from_spec()
    reply = reply or ReplyPolicy()
    source = RecordStore(per_video_path)
    if not source.path.is_file():
        raise FileNotFoundError(
            f"per-video description file not found: {source.path} (run `lexsign agp perceive`)"
        )
    groups: dict[tuple[str, str], list[DescriptionRecord]] = {}
    for record in source.records():
        provenance = record.provenance
        if record.source != "agp" or provenance.get("kind") != "video":
            continue
        if perceive_model not in (None, provenance.get("model")) or (glosses and record.gloss not in glosses):
            continue
        groups.setdefault((record.gloss, provenance["model"]), []).append(record)
    if not groups:
        raise ValueError(
            f"{source.path}: no per-video agp description to summarise (model filter: {perceive_model})"
        )
    store = RecordStore(out_path or per_video_path)
    common = {
        "prompt": template.version,
        "examples": f"{examples.origin}@{examples.sha256[:12]}",
        "max_words": reply.max_words,
        "max_new_tokens": max_new_tokens,
        "seed": seed,
    }
    report = RunReport("summarize", backend.name, template.version, settings=common)
    before, start = dict(backend.usage), time.perf_counter()
    items = []
    for (gloss, model), records in sorted(groups.items()):
        report.items += 1
        key = summary_key(backend.name, model, gloss, instances)
        by_video = {record.provenance["video_id"]: record for record in records}
        chosen = select_instances(list(by_video), instances, gloss, seed)
        language = records[0].language
        prompt = template.render(
            examples=examples.for_gloss(gloss),
            descriptions=[by_video[video_id].text for video_id in chosen],
            max_words=reply.max_words,
            language_name=LANGUAGE_NAMES.get(language, language),
            gloss=gloss,
        )
        provenance = {
            "pipeline": "agp",
            "kind": "summary",
            "model": backend.name,
            "prompt_version": template.version,
            "prompt_sha256": template.sha256,
            "examples": examples.origin,
            "examples_sha256": examples.sha256,
            "perceive_model": model,
            "perceive_prompt_version": by_video[chosen[0]].provenance.get("prompt_version"),
            "instance_ids": chosen,
            "instances_requested": instances,
            "instances_used": len(chosen),
            "settings": {**common, "inputs": _inputs_sha([by_video[video_id] for video_id in chosen])},
        }
        if len(chosen) < instances:
            provenance["flags"] = ["fewer_instances"]
            report.flags["fewer_instances"] += 1
        request = ChatRequest(prompt=prompt, max_new_tokens=max_new_tokens, request_id=f"{gloss}/summary")
        items.append(_Item(key, gloss, language, request, provenance))
    items = _resume(items, store, report, redo_changed)
    _generate(items, backend, store, report, reply, chunk_size, progress)
    out = out_path or per_video_path
    return _finish(report, backend, before, start, usage_path or default_usage_path(out, "summarize"), prices)


def _inputs_sha(records: Sequence[DescriptionRecord]) -> str:
    """Fingerprint of the per-video descriptions a summary is made from (ids and texts, in order)."""
    joined = "\n".join(f"{record.provenance['video_id']}\t{record.text}" for record in records)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:12]

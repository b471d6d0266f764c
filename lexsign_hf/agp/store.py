"""The AGP record file and how a rerun resumes it without mixing settings.

Every record stores, in ``provenance["settings"]``, each setting that changes its reply: the prompt (template
version), the in-context examples (origin and SHA-256), ``max_words``, ``max_new_tokens``, the language, and
for a per-video description the frame policy (``fps``, ``max_frames``, window, perturbation) and the clip span
(``--no-trim``); for a summary the instance-drawing ``seed`` and the SHA-256 of the per-video descriptions it
summarises. A record's identity is (kind, model, gloss, video) or (kind, model, perceiving model, gloss,
instances): one file holds several models' descriptions on purpose (`DescriptionBank` samples among them), so
another ``--model`` adds its own records.

A rerun skips an item whose record has the same identity and settings (an interrupted run resumes, a
finished one is a no-op). An item whose record has the same identity but other settings is refused
(`SettingsChanged`, one line naming each changed setting with its old and new value), or, with
``redo_changed=True`` (``--redo-changed``), described again: the old records move to
``<name>.superseded.jsonl`` next to the file, so no reply is lost and the file never mixes settings.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lexsign_hf.data.descriptions import DescriptionRecord

logger = logging.getLogger(__name__)

# How each stored setting is named in a message: the CLI flag that sets it, where there is one.
SETTING_NAMES = {
    "prompt": "--template",
    "examples": "--examples",
    "max_words": "--max-words",
    "max_new_tokens": "--max-new-tokens",
    "language": "--language",
    "fps": "--fps",
    "max_frames": "--max-frames",
    "central": "frame window (central)",
    "temporal_perturbation": "temporal perturbation",
    "frame_seed": "perturbation seed",
    "span": "clip span (--no-trim)",
    "seed": "--seed",
    "inputs": "per-video descriptions",
}
UNRECORDED = "unrecorded"


class SettingsChanged(ValueError):
    """A rerun's settings differ from those the file's records were written with."""


class RecordStore:
    """An append-only JSONL of description records; a record cut off by a crash (last line) is dropped."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def superseded_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.superseded.jsonl")

    def records(self) -> list[DescriptionRecord]:
        if not self.path.is_file():
            return []
        raw = self.path.read_text(encoding="utf-8")
        lines = raw.split("\n")
        records = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(DescriptionRecord.from_dict(json.loads(line)))
            except json.JSONDecodeError:
                if number == len(lines):  # an unterminated last line: a write interrupted by a crash
                    logger.warning("%s: dropping an incomplete last record (interrupted write)", self.path)
                    self._rewrite(raw[: raw.rfind("\n") + 1])
                    break
                raise ValueError(f"{self.path}:{number}: invalid JSON record") from None
            except ValueError as error:
                raise ValueError(f"{self.path}:{number}: {error}") from None
        return records

    def append(self, records: Sequence[DescriptionRecord], path: Path | None = None) -> None:
        if not records:
            return
        text = "".join(json.dumps(record.to_dict(), ensure_ascii=False) + "\n" for record in records)
        with (path or self.path).open("a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def supersede(self, positions: set[int]) -> None:
        """Move the records at `positions` (indices into `records()`) to `superseded_path`."""
        records = self.records()
        self.append([records[i] for i in sorted(positions)], self.superseded_path)
        kept = [record for i, record in enumerate(records) if i not in positions]
        self._rewrite("".join(json.dumps(record.to_dict(), ensure_ascii=False) + "\n" for record in kept))

    def _rewrite(self, text: str) -> None:
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)


def video_key(model: str, gloss: str, video_id: str) -> tuple:
    return ("video", model, gloss, video_id)


def summary_key(model: str, perceive_model: str, gloss: str, instances: int) -> tuple:
    return ("summary", model, perceive_model, gloss, instances)


def record_key(record: DescriptionRecord) -> tuple | None:
    provenance = record.provenance
    if provenance.get("kind") == "video":
        return video_key(provenance["model"], record.gloss, provenance["video_id"])
    if provenance.get("kind") == "summary":
        return summary_key(
            provenance["model"], provenance["perceive_model"], record.gloss, provenance["instances_requested"]
        )
    return None


def plan(
    keyed: Sequence[tuple[tuple, dict[str, Any], str]],
    store: RecordStore,
    stage: str,
    redo_changed: bool = False,
) -> tuple[list[int], int, int]:
    """Which of `keyed` (identity key, settings, item name) still need a reply.

    Returns (indices into `keyed` to generate, items already done, records superseded). Raises
    `SettingsChanged` when a done item's settings differ and `redo_changed` is off.
    """
    records = store.records()
    by_key: dict[tuple, list[int]] = {}
    for position, record in enumerate(records):
        key = record_key(record)
        if key is not None:
            by_key.setdefault(key, []).append(position)
    todo, done, stale = [], 0, set()
    changes: dict[str, tuple[Any, Any]] = {}
    first = None
    for index, (key, settings, name) in enumerate(keyed):
        positions = by_key.get(key, [])
        if any(records[p].provenance.get("settings") == settings for p in positions):
            done += 1
            continue
        if positions:
            old = records[positions[-1]].provenance.get("settings") or {}
            for setting in sorted(set(old) | set(settings), key=_order):
                if old.get(setting, UNRECORDED) != settings.get(setting, UNRECORDED):
                    changes.setdefault(setting, (old.get(setting, UNRECORDED), settings.get(setting)))
            first = first or name
            stale.update(positions)
        todo.append(index)
    if stale and not redo_changed:
        listed = "; ".join(
            f"{SETTING_NAMES.get(setting, setting)}: was {_show(setting, old)}, now {_show(setting, new)}"
            for setting, (old, new) in changes.items()
        )
        raise SettingsChanged(
            f"{store.path}: {len(stale)} {stage} record(s) were written with other settings ({listed}; first: "
            f"{first}); rerun with the same settings, write to another --out, or pass --redo-changed to redo them "
            f"(the old records move to {store.superseded_path.name})"
        )
    if stale:
        logger.warning(
            "%s: redoing %d %s record(s) written with other settings; old ones moved to %s",
            store.path,
            len(stale),
            stage,
            store.superseded_path,
        )
        store.supersede(stale)
    return todo, done, len(stale)


def _order(setting: str) -> int:
    names = list(SETTING_NAMES)
    return names.index(setting) if setting in names else len(names)


def _show(setting: str, value: Any) -> str:
    if value is None:
        return "whole file" if setting == "span" else "none"
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)

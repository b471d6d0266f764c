"""Safe, restartable training runs: the settings a checkpoint folder was trained with, the refusal to resume it
with other ones, the wall time of the whole run across restarts, and the process that writes the results.

A run's checkpoint folder holds ``training_settings.json`` (everything that shapes training: loss mode, steps,
batch size, learning rates, data, model configuration, seed, world size). Resuming with different settings
would silently mix two trainings in one model, so `resume_checkpoint` refuses with one line naming the
differences. Each ``checkpoint-N`` also records the training seconds spent up to it (`ElapsedTimeCallback`), so
``train_seconds`` of a resumed run counts the whole run, not only its last part.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from accelerate import PartialState
from transformers import TrainerCallback
from transformers.trainer_utils import get_last_checkpoint

from ..data.hub_layout import write_json_atomic

__all__ = [
    "ELAPSED_FILE",
    "SETTINGS_FILE",
    "ElapsedTimeCallback",
    "distributed_state",
    "elapsed_seconds",
    "resume_checkpoint",
    "settings_differences",
]

SETTINGS_FILE = "training_settings.json"
ELAPSED_FILE = "elapsed.json"


def distributed_state() -> PartialState:
    """The process's place in a `torchrun` / `accelerate launch` job (a single process otherwise); creating it
    joins the process group as `train_zsslr`'s Trainer will. Without a GPU it must be created with ``cpu=True``
    (accelerate's CPU/gloo path), else every process of a CPU job sees itself as a lone process."""
    return PartialState(cpu=not torch.cuda.is_available())


def _flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in settings.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def settings_differences(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """``"name: recorded -> current"`` for each (dotted) setting that differs, sorted by name."""
    old, new = _flatten(json.loads(json.dumps(recorded))), _flatten(json.loads(json.dumps(current)))
    missing = object()
    return [
        f"{key}: {old.get(key, '(none)')} -> {new.get(key, '(none)')}"
        for key in sorted(old.keys() | new.keys())
        if old.get(key, missing) != new.get(key, missing)
    ]


def resume_checkpoint(
    checkpoints: str | Path, settings: Mapping[str, Any], resume: bool, state: PartialState
) -> Path | None:
    """The checkpoint to resume from (None: start over) after checking that `settings` match the recorded ones.

    `resume=False` deletes the folder's checkpoints; otherwise a folder trained with other settings (or without
    a record of them) raises `ValueError` naming the differences. The main process records `settings` for the
    run about to start. Every process must call this (it synchronises them).
    """
    checkpoints = Path(checkpoints)
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    if last is not None and resume:
        record = checkpoints / SETTINGS_FILE
        if not record.is_file():
            raise ValueError(
                f"{checkpoints} has checkpoints but no {SETTINGS_FILE} (settings unknown); pass --no-resume to "
                "start over"
            )
        differences = settings_differences(json.loads(record.read_text(encoding="utf-8")), settings)
        if differences:
            raise ValueError(
                f"{checkpoints} was trained with other settings ({'; '.join(differences)}); rerun with the same "
                "settings to resume, or pass --no-resume to start over"
            )
    state.wait_for_everyone()
    if state.is_main_process:
        if last is not None and not resume:
            shutil.rmtree(checkpoints)
        checkpoints.mkdir(parents=True, exist_ok=True)
        write_json_atomic(checkpoints / SETTINGS_FILE, dict(settings))
    state.wait_for_everyone()
    return Path(last) if last is not None and resume else None


def elapsed_seconds(checkpoint: str | Path | None) -> float:
    """Training seconds recorded in a checkpoint by `ElapsedTimeCallback` (0 for None)."""
    if checkpoint is None:
        return 0.0
    record = Path(checkpoint) / ELAPSED_FILE
    return float(json.loads(record.read_text(encoding="utf-8"))["train_seconds"]) if record.is_file() else 0.0


class ElapsedTimeCallback(TrainerCallback):
    """Keep the wall time of a run across restarts: `before` seconds from earlier processes plus this one's;
    written into each checkpoint by the main process."""

    def __init__(self, before: float = 0.0):
        self.before = before
        self.started = time.monotonic()

    @property
    def seconds(self) -> float:
        return self.before + time.monotonic() - self.started

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir():
                write_json_atomic(folder / ELAPSED_FILE, {"train_seconds": self.seconds})

"""Zero-shot sign recognition (ZSSLR) training of HALI on a LexSign-format dataset folder.

The folder is the Hub layout written by `lexsign_hf.data` / `lexsign_hf.synth` (``load_dataset(folder, config)``):
a ZSSLR config with splits ``train`` (seen classes), ``validation`` / ``test`` (unseen classes) and ``test_seen``,
its ``data/<config>/classes.json`` (``classes``, ``seen``, ``unseen_validation``, ``unseen_test``) and optionally
a ``descriptions`` config. Training runs the plain `transformers.Trainer` with `HALIDataCollator`, the paper's
AdamW parameter groups (`build_optimizer`) and a cosine schedule; it resumes from the Trainer checkpoints in its
output folder.

Descriptions: a training row gets one of its own ``description`` texts (the training paraphrase templates of
LexSign-Synth) or, without that column, one sampled from the ``descriptions`` config minus the texts marked
``held_out_template`` in their provenance. Evaluation uses, per class, the held-out-template texts where a class
has them, else all its texts (see `ZSSLRData.eval_descriptions`).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
from transformers import (
    PrinterCallback,
    ProgressCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

from ..data.collator import HALIDataCollator
from ..data.descriptions import DescriptionBank
from ..data.phonology.audit import indistinguishable_classes
from ..data.pose_store import load_video_config
from ..models.hali import HALIConfig, HALIModel, HALIProcessor
from .optim import build_optimizer, freeze_text_layers

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_LEARNING_RATES",
    "LOSS_MODES",
    "TrainingBudgetCallback",
    "ZSSLRData",
    "apply_loss_mode",
    "build_hali",
    "estimate_seconds_per_step",
    "load_hali",
    "load_zsslr_data",
    "steps_for_budget",
    "train_zsslr",
]

# Loss weights per mode: "hali" keeps the config's L_FG / L_HC weights, "global" trains L_Global only (baseline).
LOSS_MODES: dict[str, dict[str, float] | None] = {
    "hali": None,
    "global": {"w_fg_snippet": 0.0, "w_fg_subunit": 0.0, "w_hc": 0.0},
}
# Learning rates for a skeleton tower trained from scratch next to a pretrained BERT (tuned on LexSign-Synth).
DEFAULT_LEARNING_RATES = {"pose": 1e-3, "text": 2e-5, "other": 1e-3}
DESCRIPTIONS_CONFIG = "descriptions"
EVAL_SPLITS = ("validation", "test", "test_seen")


@dataclass
class ZSSLRData:
    """A ZSSLR config of a LexSign-format folder: splits, class partitions and description sources."""

    splits: dict[str, datasets.Dataset]
    classes: list[str]
    seen: list[int]
    unseen_validation: list[int]
    unseen_test: list[int]
    description_bank: DescriptionBank | None = None

    @property
    def train_bank(self) -> DescriptionBank | None:
        """Descriptions for training rows without their own ``description`` column (held-out wording removed)."""
        if self.description_bank is None or "description" in self.splits["train"].column_names:
            return None
        return self.description_bank.filter(lambda record: not record.provenance.get("held_out_template"))

    def eval_descriptions(self) -> list[list[str]]:
        """Per class id, the texts a class is scored against: its held-out-template texts if it has any (the
        wording training never saw), else all its texts in the ``descriptions`` config, else the ``description``
        of its first evaluation row."""
        texts = self._scored_texts()
        needed = sorted(set(self.seen) | set(self.unseen_validation) | set(self.unseen_test))
        missing = [self.classes[label] for label in needed if not texts[label]]
        if missing:
            raise ValueError(
                f"{len(missing)} classes have no description to score against, e.g. {missing[:5]} "
                f"(add a '{DESCRIPTIONS_CONFIG}' config or a 'description' column)"
            )
        return texts

    def _scored_texts(self) -> list[list[str]]:
        """`eval_descriptions` without the check that every class has a text."""
        texts: list[list[str]] = [[] for _ in self.classes]
        if self.description_bank is not None:
            for label, gloss in enumerate(self.classes):
                records = self.description_bank.records(gloss) if gloss in self.description_bank else []
                held_out = [record.text for record in records if record.provenance.get("held_out_template")]
                texts[label] = held_out or [record.text for record in records]
        for split in EVAL_SPLITS:
            dataset = self.splits.get(split)
            if dataset is None or "description" not in dataset.column_names:
                continue
            for label, description in zip(dataset["label"], dataset["description"], strict=True):
                if not texts[label]:
                    texts[label] = [description] if isinstance(description, str) else list(description)
        return texts

    def indistinguishable_classes(self) -> dict[str, list[list[str]]]:
        """Per class group (``seen``, ``unseen_validation``, ``unseen_test``), the classes scored against the very
        same texts as another class of the group (`eval_descriptions`): ties that cap zero-shot accuracy. Classes
        without any text are left out (`eval_descriptions` reports them)."""
        texts = dict(zip(self.classes, self._scored_texts(), strict=True))
        groups = {
            name: [self.classes[label] for label in getattr(self, name)]
            for name in ("seen", "unseen_validation", "unseen_test")
        }
        return indistinguishable_classes(texts, groups)


def warn_indistinguishable(data: ZSSLRData) -> dict[str, list[list[str]]]:
    """Log a warning per class group that holds classes no description tells apart; return the groups."""
    found = data.indistinguishable_classes()
    for name, groups in found.items():
        examples = "; ".join(", ".join(group) for group in groups[:3])
        logger.warning(
            "%s: %d classes share all their descriptions with another class of the group (%d groups, e.g. %s): "
            "no zero-shot model can tell them apart, so they cap top-1 accuracy",
            name,
            sum(len(group) for group in groups),
            len(groups),
            examples,
        )
    return found


def load_zsslr_data(data_dir: str | Path, config_name: str) -> ZSSLRData:
    """Load a ZSSLR config (e.g. ``synth``, ``asl1000``) and its classes from a LexSign-format folder."""
    data_dir = Path(data_dir)
    classes_file = data_dir / "data" / config_name / "classes.json"
    if not classes_file.is_file():
        raise FileNotFoundError(
            f"{classes_file} not found: --dataset must be a LexSign dataset folder with a ZSSLR config {config_name!r}"
        )
    metadata = json.loads(classes_file.read_text(encoding="utf-8"))
    missing = [key for key in ("classes", "seen", "unseen_validation", "unseen_test") if key not in metadata]
    if missing:
        raise ValueError(f"{classes_file}: missing fields {missing} (not a ZSSLR config)")
    classes = list(metadata["classes"])
    index = {gloss: label for label, gloss in enumerate(classes)}
    splits = dict(load_video_config(data_dir, config_name))  # poses joined from the build's pose store
    if "train" not in splits or "pose" not in splits["train"].column_names:
        raise ValueError(
            f"{data_dir} config {config_name!r}: needs a 'train' split with a 'pose' column (build it with poses)"
        )
    splits = {
        name: split.with_format("numpy", columns=["pose"], output_all_columns=True)
        for name, split in splits.items()
    }
    bank = None
    if (data_dir / "data" / DESCRIPTIONS_CONFIG).is_dir():
        bank = DescriptionBank.from_rows(
            datasets.load_dataset(str(data_dir), DESCRIPTIONS_CONFIG, split="train")
        )
    return ZSSLRData(
        splits=splits,
        classes=classes,
        seen=[index[gloss] for gloss in metadata["seen"]],
        unseen_validation=[index[gloss] for gloss in metadata["unseen_validation"]],
        unseen_test=[index[gloss] for gloss in metadata["unseen_test"]],
        description_bank=bank,
    )


def apply_loss_mode(config: HALIConfig, loss_mode: str) -> HALIConfig:
    """Set the loss weights of `config` for ``"hali"`` (unchanged) or ``"global"`` (L_Global only)."""
    if loss_mode not in LOSS_MODES:
        raise ValueError(f"loss_mode must be one of {sorted(LOSS_MODES)}, got {loss_mode!r}")
    for name, value in (LOSS_MODES[loss_mode] or {}).items():
        setattr(config, name, value)
    return config


def build_hali(
    text_model: str,
    loss_mode: str = "hali",
    max_frames: int = 64,
    seed: int = 0,
    frozen_text_layers: int = 0,
    **config_kwargs: Any,
) -> tuple[HALIModel, HALIProcessor]:
    """A fresh HALI model (skeleton tower initialised from `seed`, text tower from the `text_model` BERT folder or
    Hub id, its embeddings and lowest `frozen_text_layers` layers frozen when that is > 0) and its processor (with
    Uni-Sign's normalisation for a ``"cosign"`` skeleton tower); keyword arguments go to `HALIConfig`."""
    set_seed(seed)
    config = apply_loss_mode(HALIConfig(**config_kwargs), loss_mode)
    normalization = "uni_sign" if config.pose_config.architecture == "cosign" else "shoulder"
    processor = HALIProcessor.from_text_pretrained(
        text_model, max_frames=max_frames, pose_normalization=normalization
    )
    model = HALIModel.from_text_pretrained(text_model, config=config)
    freeze_text_layers(model, frozen_text_layers)
    return model, processor


def load_hali(
    model_dir: str | Path, loss_mode: str = "hali", max_frames: int = 64, frozen_text_layers: int = 0
) -> tuple[HALIModel, HALIProcessor]:
    """A saved HALI model and its processor to train further (loss weights per `loss_mode`, the processor's
    `max_frames` replaced, the text tower's lowest layers frozen as in `build_hali`)."""
    model = HALIModel.from_pretrained(model_dir)
    processor = HALIProcessor.from_pretrained(model_dir)
    processor.max_frames = max_frames
    apply_loss_mode(model.config, loss_mode)
    freeze_text_layers(model, frozen_text_layers)
    return model, processor


class TrainingBudgetCallback(TrainerCallback):
    """Stop training after `max_seconds` of wall time (since this process began training) or at `stop_step`."""

    def __init__(self, max_seconds: float | None = None, stop_step: int | None = None):
        self.max_seconds = max_seconds
        self.stop_step = stop_step
        self.started = time.monotonic()

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.monotonic()

    def on_step_end(self, args, state, control, **kwargs):
        out_of_time = self.max_seconds is not None and time.monotonic() - self.started > self.max_seconds
        if out_of_time or (self.stop_step is not None and state.global_step >= self.stop_step):
            control.should_training_stop = True
            control.should_save = True


class QuietProgressCallback(ProgressCallback):
    """The Trainer progress bar, with the latest loss as the bar's postfix instead of a printed line per log."""

    def __init__(self, description: str | None = None):
        super().__init__()
        self.description = description

    def on_train_begin(self, args, state, control, **kwargs):
        super().on_train_begin(args, state, control, **kwargs)
        if self.training_bar is not None:
            self.training_bar.set_description(self.description)
            self.training_bar.update(state.global_step)
            self.current_step = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.training_bar is not None and logs:
            shown = {key: f"{value:.3g}" for key, value in logs.items() if key in ("loss", "val_zsl_top1")}
            if shown:
                self.training_bar.set_postfix(shown, refresh=False)


def _collator(processor: HALIProcessor, data: ZSSLRData, seed: int) -> HALIDataCollator:
    return HALIDataCollator(
        processor, description_bank=data.train_bank, max_frames=processor.max_frames, seed=seed
    )


def estimate_seconds_per_step(
    model: HALIModel,
    processor: HALIProcessor,
    data: ZSSLRData,
    batch_size: int,
    learning_rates: Mapping[str, float] | None = None,
    num_steps: int = 5,
    warmup_steps: int = 2,
    seed: int = 0,
) -> float:
    """Median wall time of a training step (forward, backward, AdamW update) on a throwaway copy of `model`, after
    `warmup_steps` unmeasured ones; used to turn a time budget into a step count decided before training."""
    rates = {**DEFAULT_LEARNING_RATES, **(learning_rates or {})}
    probe = copy.deepcopy(model).train()
    optimizer = build_optimizer(probe, rates["pose"], rates["text"], rates["other"])
    collator = _collator(processor, data, seed)
    rng = np.random.default_rng(seed)
    train = data.splits["train"]
    times = []
    for step in range(warmup_steps + num_steps):
        started = time.perf_counter()
        rows = [
            train[int(i)] for i in rng.choice(len(train), size=min(batch_size, len(train)), replace=False)
        ]
        loss = probe(**collator(rows), return_loss=True).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step >= warmup_steps:
            times.append(time.perf_counter() - started)
    del probe, optimizer
    return float(np.median(times))


def train_zsslr(
    model: HALIModel,
    processor: HALIProcessor,
    data: ZSSLRData,
    output_dir: str | Path,
    *,
    max_steps: int,
    batch_size: int = 32,
    learning_rates: Mapping[str, float] | None = None,
    warmup_ratio: float = 0.05,
    weight_decay: float = 0.01,
    seed: int = 0,
    logging_steps: int = 5,
    save_steps: int | None = None,
    resume: bool = True,
    max_seconds: float | None = None,
    stop_step: int | None = None,
    gradient_checkpointing: bool = False,
    callbacks: Sequence[TrainerCallback] = (),
    progress: bool = True,
    description: str | None = None,
    data_collator: Any = None,
) -> Trainer:
    """Train `model` on the ``train`` split with `transformers.Trainer` and return the trainer.

    Args:
        max_steps: optimiser steps of the cosine schedule.
        learning_rates: ``{"pose", "text", "other"}`` AdamW learning rates (default `DEFAULT_LEARNING_RATES`).
        save_steps: checkpoint every so many steps into `output_dir` (None: only when stopped by the budget).
        resume: continue from the last ``checkpoint-*`` in `output_dir` when there is one.
        max_seconds / stop_step: stop early after that much wall time / at that step (`TrainingBudgetCallback`).
        gradient_checkpointing: recompute activations in the backward pass (both towers) to save memory.
        callbacks: extra callbacks, e.g. `ZeroShotEvalCallback` for validation curves.
        data_collator: instead of the default `HALIDataCollator` (e.g. `train.islr.IslrCollator`).

    Under `torchrun` / `accelerate launch` the Trainer wraps `model` in DDP: `batch_size` is per process, the
    main process alone writes checkpoints.
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    if batch_size < 2:
        raise ValueError(
            f"batch_size must be at least 2 (contrastive loss needs negatives), got {batch_size}"
        )
    rates = {**DEFAULT_LEARNING_RATES, **(learning_rates or {})}
    output_dir = Path(output_dir)
    args = TrainingArguments(
        output_dir=str(output_dir),
        max_steps=max_steps,
        per_device_train_batch_size=batch_size,
        lr_scheduler_type="cosine",
        warmup_steps=warmup_ratio,
        logging_steps=logging_steps,
        logging_first_step=True,
        save_strategy="steps" if save_steps else "no",
        save_steps=save_steps or max_steps,
        save_total_limit=1,
        report_to="none",
        use_cpu=not torch.cuda.is_available(),
        remove_unused_columns=False,
        dataloader_pin_memory=False,
        seed=seed,
        disable_tqdm=not progress,
        activation_checkpointing=gradient_checkpointing,
        # the subunit streams only feed L_FG^(u,f) and L_HC: with both off (loss_mode="global") DDP must
        # look for parameters without gradients
        ddp_find_unused_parameters=model.config.w_fg_subunit == 0 and model.config.w_hc == 0,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=data.splits["train"],
        data_collator=data_collator or _collator(processor, data, seed),
        optimizers=(build_optimizer(model, rates["pose"], rates["text"], rates["other"], weight_decay), None),
        callbacks=[TrainingBudgetCallback(max_seconds, stop_step), *callbacks],
    )
    if progress:
        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(QuietProgressCallback(description))
    else:
        trainer.remove_callback(PrinterCallback)
    checkpoint = get_last_checkpoint(str(output_dir)) if resume and output_dir.is_dir() else None
    trainer.train(resume_from_checkpoint=checkpoint)
    return trainer


def steps_for_budget(seconds: float, seconds_per_step: float, minimum: int = 10) -> int:
    """Optimiser steps that fit in `seconds` at the measured speed (at least `minimum`)."""
    if seconds <= 0 or not math.isfinite(seconds):
        raise ValueError(f"the training budget must be a positive number of seconds, got {seconds}")
    return max(minimum, int(seconds / max(seconds_per_step, 1e-6)))

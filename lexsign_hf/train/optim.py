"""Optimiser set-up of the paper: AdamW with separate learning rates for the skeleton tower, the text tower and the
rest (projections, classifier); the cosine schedule comes from `TrainingArguments(lr_scheduler_type="cosine")`."""

from __future__ import annotations

import torch
from torch import nn

# Learning rates of the paper (visual, text, other).
ZSSLR_LEARNING_RATES = {"pose": 3e-5, "text": 1e-5, "other": 6e-5}
ISLR_LEARNING_RATES = {"pose": 1e-4, "text": 1e-4, "other": 1e-3}


def hali_parameter_groups(
    model: nn.Module, pose_lr: float, text_lr: float, other_lr: float, weight_decay: float = 0.01
) -> list[dict]:
    """AdamW parameter groups: `pose_model.*`, `text_model.*` and everything else, with no weight decay on
    biases, norms and the temperature."""
    groups: dict[tuple[str, bool], list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        tower = (
            "pose" if ".pose_model." in f".{name}" else "text" if ".text_model." in f".{name}" else "other"
        )
        decay = parameter.ndim >= 2 and "norm" not in name.lower()
        groups.setdefault((tower, decay), []).append(parameter)
    rates = {"pose": pose_lr, "text": text_lr, "other": other_lr}
    return [
        {"params": params, "lr": rates[tower], "weight_decay": weight_decay if decay else 0.0}
        for (tower, decay), params in sorted(groups.items())
    ]


def build_optimizer(
    model: nn.Module, pose_lr: float, text_lr: float, other_lr: float, weight_decay: float = 0.01
) -> torch.optim.AdamW:
    """AdamW over `hali_parameter_groups`; pass as `Trainer(optimizers=(optimizer, None))`."""
    return torch.optim.AdamW(hali_parameter_groups(model, pose_lr, text_lr, other_lr, weight_decay))


def freeze_text_layers(model: nn.Module, num_layers: int) -> None:
    """Freeze the text tower's embeddings and its lowest `num_layers` transformer layers (0: freeze nothing).

    Frozen parameters get no gradient and no optimiser state, so a step costs less (on a CPU the BERT backward is
    most of a HALI step) while the upper layers still adapt; unseen words keep their pretrained embeddings.
    """
    text_model = model.text_model
    layers = text_model.encoder.layer
    if not 0 <= num_layers <= len(layers):
        raise ValueError(
            f"frozen text layers must be between 0 and {len(layers)} (the text tower's layers), got {num_layers}"
        )
    if num_layers == 0:
        return
    text_model.embeddings.requires_grad_(False)
    for layer in layers[:num_layers]:
        layer.requires_grad_(False)

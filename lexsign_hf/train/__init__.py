"""Training helpers for HALI with the plain `transformers.Trainer`."""

from .optim import build_optimizer, hali_parameter_groups

__all__ = ["build_optimizer", "hali_parameter_groups"]

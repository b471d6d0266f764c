"""What both skeleton towers share: their output, pyramid pooling into snippets, and masked frame averaging."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers.modeling_outputs import ModelOutput


def pyramid_pool(hidden_states: torch.Tensor, mask: torch.Tensor, num_bins: int) -> torch.Tensor:
    """Mean-pool the valid frames of each sequence into `num_bins` consecutive, never-empty bins.

    (N, T, H), (N, T) -> (N, num_bins, H). Bins split each sequence's own valid length, not the padded length.
    """
    lengths = mask.sum(-1, keepdim=True).clamp(min=1).to(hidden_states.dtype)  # (N, 1)
    bins = torch.arange(num_bins, device=hidden_states.device, dtype=hidden_states.dtype)
    starts = torch.floor(bins[None] * lengths / num_bins)  # (N, bins)
    ends = torch.maximum(torch.ceil((bins[None] + 1) * lengths / num_bins), starts + 1)
    frames = torch.arange(hidden_states.shape[1], device=hidden_states.device, dtype=hidden_states.dtype)
    weights = ((frames[None, None] >= starts[..., None]) & (frames[None, None] < ends[..., None])).to(
        hidden_states.dtype
    )  # (N, bins, T)
    weights = weights * mask[:, None, :].to(hidden_states.dtype)
    return torch.bmm(weights, hidden_states) / weights.sum(-1, keepdim=True).clamp(min=1.0)


@dataclass
class SkeletonEncoderOutput(ModelOutput):
    r"""
    pooled_output (`(batch_size, hidden_size)`): video feature; snippets `(batch_size, T_s, hidden_size)`;
    subunits `(batch_size, T_u, hidden_size)` snippet-major; half/quarter-scale frame features and their masks;
    frame_features `(batch_size, frames, width)`: per-frame features before any temporal pooling.
    """

    pooled_output: torch.FloatTensor | None = None
    snippets: torch.FloatTensor | None = None
    subunits: torch.FloatTensor | None = None
    half_scale: torch.FloatTensor | None = None
    quarter_scale: torch.FloatTensor | None = None
    half_mask: torch.BoolTensor | None = None
    quarter_mask: torch.BoolTensor | None = None
    frame_features: torch.FloatTensor | None = None


def halve_frames(hidden_states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Average consecutive pairs of valid frames: (N, T, H), (N, T) -> (N, ceil(T/2), H), (N, ceil(T/2))."""
    if hidden_states.shape[1] % 2:
        hidden_states, mask = F.pad(hidden_states, (0, 0, 0, 1)), F.pad(mask, (0, 1))
    weights = mask.to(hidden_states.dtype).unflatten(1, (-1, 2))  # (N, T/2, 2)
    summed = (hidden_states.unflatten(1, (-1, 2)) * weights[..., None]).sum(2)
    counts = weights.sum(-1)
    return summed / counts.clamp(min=1.0)[..., None], counts > 0


def masked_mean(hidden_states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the valid frames: (N, T, H), (N, T) -> (N, H); a sequence without valid frames gives zeros."""
    weights = mask[..., None].to(hidden_states.dtype)
    return (hidden_states * weights).sum(1) / weights.sum(1).clamp(min=1.0)


__all__ = ["SkeletonEncoderOutput", "halve_frames", "masked_mean", "pyramid_pool"]

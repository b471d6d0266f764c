"""Isolated sign recognition (ISLR) with `HALIForSignClassification`: the paper's Table 4 design.

A classifier on the video feature is trained with cross-entropy ("CE", the baseline), optionally with an alignment
loss on each row's description next to it: L_Global only ("CE + L_Global") or L_HALI ("CE + L_HALI"). The same
`transformers.Trainer` set-up as ZSSLR training (`train_zsslr`: AdamW groups, cosine schedule) trains it; the
collator maps each row's gloss to the classifier's label space and, for CE alone, feeds no text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import set_seed

from ..data.collator import HALIDataCollator
from ..models.hali import HALIConfig, HALIForSignClassification, HALIModel, HALIProcessor
from .optim import freeze_text_layers
from .zsslr import ZSSLRData, train_zsslr

__all__ = ["ALIGNMENTS", "IslrCollator", "build_hali_classifier", "train_islr"]

# alignment loss next to the cross-entropy -> loss weights of L_FG^(s,f), L_FG^(u,f), L_HC (None: no text at all)
ALIGNMENTS: dict[str, dict[str, float] | None] = {
    "none": None,
    "global": {"w_fg_snippet": 0.0, "w_fg_subunit": 0.0, "w_hc": 0.0},
    "hali": {"w_fg_snippet": 1.0, "w_fg_subunit": 1.0, "w_hc": 1.0},
}
TEXT_KEYS = ("input_ids", "attention_mask", "fragment_ids", "token_type_ids")


class IslrCollator:
    """`HALIDataCollator` batches whose ``labels`` are the classifier's ids of the rows' glosses; without
    alignment the description inputs are dropped (the CE baseline sees no text)."""

    def __init__(self, base: HALIDataCollator, label2id: Mapping[str, int], with_text: bool):
        self.base = base
        self.label2id = dict(label2id)
        self.with_text = with_text

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        unknown = sorted({str(row["gloss"]) for row in rows} - set(self.label2id))
        if unknown:
            raise ValueError(f"ISLR batch: glosses {unknown[:5]} are not among the classifier's labels")
        batch = self.base(rows)
        batch["labels"] = torch.tensor([self.label2id[str(row["gloss"])] for row in rows], dtype=torch.long)
        if not self.with_text:
            for key in TEXT_KEYS:
                batch.pop(key, None)
        return batch


def build_hali_classifier(
    text_model: str,
    glosses: Sequence[str],
    alignment: str = "none",
    max_frames: int = 64,
    seed: int = 0,
    frozen_text_layers: int = 0,
    **config_kwargs: Any,
) -> tuple[HALIForSignClassification, HALIProcessor]:
    """A fresh ISLR classifier over `glosses` (label i = glosses[i]) on a HALI model whose text tower is the
    `text_model` BERT (only used by an alignment loss), and its processor; keyword arguments go to `HALIConfig`."""
    if alignment not in ALIGNMENTS:
        raise ValueError(f"alignment must be one of {sorted(ALIGNMENTS)}, got {alignment!r}")
    set_seed(seed)
    config = HALIConfig(
        **config_kwargs,
        **(ALIGNMENTS[alignment] or {}),
        id2label=dict(enumerate(glosses)),
        label2id={gloss: index for index, gloss in enumerate(glosses)},
    )
    hali = HALIModel.from_text_pretrained(text_model, config=config)
    set_seed(seed)
    model = HALIForSignClassification(hali.config)
    model.hali.load_state_dict(hali.state_dict())
    model.config.architectures = ["HALIForSignClassification"]
    freeze_text_layers(model.hali, frozen_text_layers)
    processor = HALIProcessor.from_text_pretrained(text_model, max_frames=max_frames)
    return model, processor


def train_islr(
    model: HALIForSignClassification,
    processor: HALIProcessor,
    data: ZSSLRData,
    output_dir: str | Path,
    *,
    alignment: str,
    max_steps: int,
    seed: int = 0,
    **train_kwargs: Any,
):
    """Train `model` on the ``train`` split of `data` (glosses mapped by ``model.config.label2id``); returns the
    trainer. Keyword arguments go to `train_zsslr` (batch size, learning rates, warm-up, progress)."""
    base = HALIDataCollator(
        processor, description_bank=data.train_bank, max_frames=processor.max_frames, seed=seed
    )
    collator = IslrCollator(base, model.config.label2id, with_text=ALIGNMENTS[alignment] is not None)
    return train_zsslr(
        model,
        processor,
        data,
        output_dir,
        max_steps=max_steps,
        seed=seed,
        data_collator=collator,
        **train_kwargs,
    )

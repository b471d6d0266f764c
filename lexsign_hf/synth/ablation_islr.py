"""`lexsign ablate --task islr`: the paper's Table 4 design on LexSign-Synth's seen classes.

A `HALIForSignClassification` over the seen classes trains on the ``train`` split with cross-entropy (CE), CE +
L_Global or CE + L_HALI on the row's own description, with the same initialisation, data, steps and learning
rates as the zero-shot ablation of the same seed, and is scored on ``test_seen`` (other sequences of the seen
classes, by the held-out signers' mix of the build): per-instance (P-I) and per-class (P-C) top-1 / top-5.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ..models.hali.configuration_hali import SUBUNIT_PARTS_BY_M
from ..train.evaluate import evaluate_islr
from ..train.islr import build_hali_classifier, train_islr
from ..train.zsslr import ZSSLRData
from .demo import MAX_TEXT_TOKENS

__all__ = ["ISLR_VARIANTS", "IslrVariant", "train_islr_variant"]


@dataclass(frozen=True)
class IslrVariant:
    """One ISLR row: the alignment loss next to the cross-entropy (`train.islr.ALIGNMENTS`)."""

    label: str
    alignment: str
    table: str = "Table 4"


ISLR_VARIANTS: dict[str, IslrVariant] = {
    "ce": IslrVariant("CE (baseline)", "none"),
    "ce_global": IslrVariant("CE + L_Global", "global"),
    "ce_hali": IslrVariant("CE + L_HALI", "hali"),
}
ISLR_METRICS = (
    ("test_seen", "islr", "per_instance_top1", "pi_top1"),
    ("test_seen", "islr", "per_instance_top5", "pi_top5"),
    ("test_seen", "islr", "per_class_top1", "pc_top1"),
    ("test_seen", "islr", "per_class_top5", "pc_top5"),
)
ISLR_DELTA_METRICS = ("test_seen_pi_top1", "test_seen_pc_top1", "test_seen_pi_top5")


def train_islr_variant(settings, name: str, seed: int, data: ZSSLRData, text_model: str, work: Path) -> dict:
    """Train one ISLR variant on one seed's seen classes and score it on ``test_seen``; percent and timing."""
    variant = ISLR_VARIANTS[name]
    glosses = [data.classes[label] for label in data.seen]
    model, processor = build_hali_classifier(
        text_model,
        glosses,
        alignment=variant.alignment,
        max_frames=settings.max_frames,
        seed=seed,
        frozen_text_layers=settings.frozen_text_layers,
        pose_config={**settings.pose_config, "subunit_parts": SUBUNIT_PARTS_BY_M[3]},
        projection_dim=settings.projection_dim,
        temperature=settings.temperature,
        duplicate_negatives=settings.duplicate_negatives,
    )
    processor.max_length = MAX_TEXT_TOKENS
    started = time.monotonic()
    train_islr(
        model,
        processor,
        data,
        work / "checkpoints",
        alignment=variant.alignment,
        max_steps=settings.steps,
        seed=seed,
        batch_size=settings.batch_size,
        learning_rates=settings.learning_rates,
        warmup_ratio=settings.warmup_ratio,
        resume=False,
        progress=settings.progress,
        description=f"seed {seed} {variant.label}",
    )
    train_seconds = time.monotonic() - started
    results = evaluate_islr(model, processor, data.splits["test_seen"])
    shutil.rmtree(work / "checkpoints", ignore_errors=True)
    return {"test_seen": {"islr": results}, "train_seconds": round(train_seconds, 1)}

"""The baselines' video-level objectives (LLE, DVTA, PGFA) against literal per-row formulas, and their wiring
through `HALIConfig.global_loss` and `duplicate_negatives` (Eq. 2 verbatim with "keep")."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from lexsign_hf.models.hali.baseline_losses import dvta_loss, lle_loss, multi_positive_kl, pgfa_loss
from lexsign_hf.models.hali.losses import info_nce


@pytest.fixture
def case():
    torch.manual_seed(0)
    return torch.randn(6, 6, dtype=torch.float64) * 3, torch.tensor([4, 1, 4, 2, 1, 4])


def literal_lle(logits, labels) -> float:
    """Per video: softmax cross-entropy over the batch's classes, a class scored by its descriptions' mean."""
    classes = sorted(set(labels))
    total = 0.0
    for i, label in enumerate(labels):
        scores = [
            sum(logits[i][j] for j in range(len(labels)) if labels[j] == c) / labels.count(c) for c in classes
        ]
        total += math.log(sum(math.exp(s) for s in scores)) - scores[classes.index(label)]
    return total / len(labels)


def literal_kl(logits, labels) -> float:
    """KL(target || softmax) per row, target = softmax(10 * same-class indicator), rows and columns averaged."""

    def rows(matrix, same):
        total = 0.0
        for i, row in enumerate(matrix):
            target = [math.exp(10.0 * s) for s in same[i]]
            target = [t / sum(target) for t in target]
            norm = math.log(sum(math.exp(v) for v in row))
            total += sum(t * (math.log(t) - (v - norm)) for t, v in zip(target, row, strict=True))
        return total / len(matrix)

    same = [[float(a == b) for b in labels] for a in labels]
    transposed = [list(column) for column in zip(*logits, strict=True)]
    return (rows(logits, same) + rows(transposed, same)) / 2


def test_lle_matches_literal_and_is_cross_entropy_without_labels(case):
    logits, labels = case
    assert lle_loss(logits, labels).item() == pytest.approx(literal_lle(logits.tolist(), labels.tolist()))
    targets = torch.arange(6)
    assert lle_loss(logits).item() == pytest.approx(F.cross_entropy(logits, targets).item())  # video -> text


def test_dvta_and_pgfa_are_the_multi_positive_kl(case):
    logits, labels = case
    expected = literal_kl(logits.tolist(), labels.tolist())
    for loss in (multi_positive_kl, dvta_loss, pgfa_loss):
        assert loss(logits, labels).item() == pytest.approx(expected, rel=1e-10)
    # without labels each row's only positive is its own pair: close to symmetric InfoNCE (target ~ one-hot)
    assert dvta_loss(logits).item() == pytest.approx(info_nce(logits, logits.t()).item(), abs=1e-2)


def test_baseline_losses_refuse_mismatched_labels(case):
    logits, _ = case
    with pytest.raises(ValueError, match=r"labels must have shape \(6,\)"):
        lle_loss(logits, torch.tensor([0, 1]))


@pytest.mark.parametrize("global_loss", ["lle", "dvta", "pgfa"])
def test_model_trains_with_a_baseline_global_loss(tiny_hali_config, global_loss):
    from lexsign_hf.models.hali import HALIModel

    config = copy.deepcopy(tiny_hali_config)
    config.global_loss = global_loss
    torch.manual_seed(0)
    model = HALIModel(config)
    batch = _batch(config)
    out = model(**batch, return_loss=True)
    scale = model.temperature_scale()
    logits = scale * out.pose_features.video_embeds @ out.text_features.description_embeds.t()
    expected = {"lle": lle_loss, "dvta": dvta_loss, "pgfa": pgfa_loss}[global_loss](logits, batch["labels"])
    torch.testing.assert_close(out.loss_global, expected)
    out.loss.backward()
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in model.parameters())


def test_duplicate_negatives_keep_is_eq2_verbatim(tiny_hali_config):
    from lexsign_hf.models.hali import HALIModel

    results = {}
    for mode in ("exclude", "keep"):
        config = copy.deepcopy(tiny_hali_config)
        config.duplicate_negatives = mode
        config.w_fg_snippet = config.w_fg_subunit = config.w_hc = 0.0
        torch.manual_seed(0)
        model = HALIModel(config).eval()
        batch = _batch(config)
        out = model(**batch, return_loss=True)
        logits = (
            model.temperature_scale()
            * out.pose_features.video_embeds
            @ out.text_features.description_embeds.t()
        )
        results[mode] = (out.loss_global, logits, batch["labels"])
    kept, logits, labels = results["keep"]
    torch.testing.assert_close(kept, info_nce(logits, logits.t()))  # every other row a negative
    same = (labels[:, None] == labels[None, :]) & ~torch.eye(len(labels), dtype=torch.bool)
    torch.testing.assert_close(results["exclude"][0], info_nce(logits, logits.t(), same))
    assert not torch.isclose(kept, results["exclude"][0])


def test_config_refuses_what_the_model_would_clamp_or_not_know(tiny_hali_config):
    from lexsign_hf import HALIConfig

    with pytest.raises(
        ValueError, match=r"temperature must be in \[0.01, 1\) \(the logit scale 1/τ is clamped"
    ):
        HALIConfig(temperature=0.005)
    assert HALIConfig(temperature=0.01).temperature == 0.01
    with pytest.raises(ValueError, match="duplicate_negatives must be one of"):
        HALIConfig(duplicate_negatives="drop")
    with pytest.raises(ValueError, match="global_loss must be one of"):
        HALIConfig(global_loss="clip")


def _batch(config) -> dict:
    generator = torch.Generator().manual_seed(1)
    batch, frames, keypoints = 4, 16, sum(config.pose_config.part_sizes)
    tokens = 12
    fragment_ids = torch.tensor([[-1] + [0] * 5 + [1] * 5 + [-1]] * batch)
    return {
        "pose_values": torch.randn(batch, frames, keypoints, 3, generator=generator),
        "pose_mask": torch.ones(batch, frames, dtype=torch.bool),
        "input_ids": torch.randint(5, 100, (batch, tokens), generator=generator),
        "attention_mask": torch.ones(batch, tokens, dtype=torch.long),
        "fragment_ids": fragment_ids,
        "labels": torch.tensor([0, 1, 0, 2]),
    }

"""Each HALI loss term against a slow, literal loop implementation of the paper's equations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from lexsign_hf.models.hali.losses import (
    duplicate_pair_mask,
    fine_grained_loss,
    hierarchical_consistency_loss,
    info_nce,
)

TAU = 0.03


def cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.dot(a, b) / (a.norm() * b.norm()))


def literal_info_nce(similarity: list[list[float]], excluded=None) -> float:
    """L = 1/2B Σ_i [-log e^{s_ii/τ} / Σ_j e^{s_ij/τ}] + 1/2B Σ_i [-log e^{s_ii/τ} / Σ_j e^{s_ji/τ}]."""
    batch = len(similarity)
    excluded = excluded or set()
    total = 0.0
    for i in range(batch):
        row = [math.exp(similarity[i][j] / TAU) for j in range(batch) if j == i or (i, j) not in excluded]
        col = [math.exp(similarity[j][i] / TAU) for j in range(batch) if j == i or (j, i) not in excluded]
        total += -math.log(math.exp(similarity[i][i] / TAU) / sum(row))
        total += -math.log(math.exp(similarity[i][i] / TAU) / sum(col))
    return total / (2 * batch)


def literal_token_wise(pose, fragments, counts):
    """s_v2d[i][j] = 1/T Σ_t max_f A_ij[t, f];  s_d2v[i][j] = 1/L_j Σ_f max_t A_ij[t, f]."""
    batch = len(pose)
    v2d = [[0.0] * batch for _ in range(batch)]
    d2v = [[0.0] * batch for _ in range(batch)]
    for i in range(batch):
        for j in range(batch):
            affinity = [
                [cosine(pose[i][t], fragments[j][f]) for f in range(counts[j])] for t in range(len(pose[i]))
            ]
            v2d[i][j] = sum(max(row) for row in affinity) / len(affinity)
            d2v[i][j] = (
                sum(max(affinity[t][f] for t in range(len(affinity))) for f in range(counts[j])) / counts[j]
            )
    return v2d, d2v


def literal_fine_grained(pose, fragments, counts) -> float:
    v2d, d2v = literal_token_wise(pose, fragments, counts)
    batch = len(pose)
    total = 0.0
    for i in range(batch):
        total += -math.log(math.exp(v2d[i][i] / TAU) / sum(math.exp(v2d[i][j] / TAU) for j in range(batch)))
        total += -math.log(math.exp(d2v[i][i] / TAU) / sum(math.exp(d2v[j][i] / TAU) for j in range(batch)))
    return total / (2 * batch)


def literal_hc(snippets, subunits, fragments, counts, parts) -> float:
    """Mean over pairs and snippets of KL(P_s||P_u) + KL(P_u||P_s), P = softmax over fragments of affinity/τ,
    the subunit affinity of snippet t being the mean over its M subunits."""
    total, terms = 0.0, 0
    for b in range(len(snippets)):
        for t in range(len(snippets[b])):
            a_s = [cosine(snippets[b][t], fragments[b][f]) / TAU for f in range(counts[b])]
            a_u = [
                sum(cosine(subunits[b][t * parts + m], fragments[b][f]) for m in range(parts)) / parts / TAU
                for f in range(counts[b])
            ]
            z_s, z_u = sum(math.exp(x) for x in a_s), sum(math.exp(x) for x in a_u)
            p = [math.exp(x) / z_s for x in a_s]
            q = [math.exp(x) / z_u for x in a_u]
            total += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))
            total += sum(qi * math.log(qi / pi) for pi, qi in zip(p, q, strict=True))
            terms += 1
    return total / terms


@pytest.fixture
def pairs():
    generator = torch.Generator().manual_seed(0)
    batch, snippets, parts, max_fragments, dim = 5, 6, 3, 7, 16
    counts = [7, 3, 1, 5, 2]
    pose_snippets = torch.randn(batch, snippets, dim, generator=generator, dtype=torch.float64)
    pose_subunits = torch.randn(batch, snippets * parts, dim, generator=generator, dtype=torch.float64)
    fragments = torch.randn(batch, max_fragments, dim, generator=generator, dtype=torch.float64)
    mask = torch.zeros(batch, max_fragments, dtype=torch.bool)
    for row, count in enumerate(counts):
        mask[row, :count] = True
    fragments = fragments * mask[..., None]  # padded fragments are zero vectors, as the model produces
    videos = torch.randn(batch, dim, generator=generator, dtype=torch.float64)
    descriptions = torch.randn(batch, dim, generator=generator, dtype=torch.float64)
    return {
        "snippets": pose_snippets, "subunits": pose_subunits, "fragments": fragments, "mask": mask,
        "counts": counts, "parts": parts, "videos": videos, "descriptions": descriptions,
    }  # fmt: skip


def normalized(x):
    return F.normalize(x, dim=-1)


def test_global_loss_matches_literal(pairs):
    videos, descriptions = normalized(pairs["videos"]), normalized(pairs["descriptions"])
    logits = videos @ descriptions.t() / TAU
    expected = literal_info_nce([[cosine(v, d) for d in pairs["descriptions"]] for v in pairs["videos"]])
    assert float(info_nce(logits, logits.t())) == pytest.approx(expected, abs=1e-5)


def test_global_loss_masks_duplicate_glosses(pairs):
    pairs["descriptions"][2] = pairs["videos"][
        0
    ]  # rows 0 and 2 share a gloss: a strong "negative" if unmasked
    videos, descriptions = normalized(pairs["videos"]), normalized(pairs["descriptions"])
    logits = videos @ descriptions.t() / TAU
    labels = torch.tensor([3, 1, 3, 2, 1])
    duplicates = duplicate_pair_mask(labels, 5, logits.device)
    excluded = {(i, j) for i in range(5) for j in range(5) if i != j and labels[i] == labels[j]}
    similarity = [[cosine(v, d) for d in pairs["descriptions"]] for v in pairs["videos"]]
    expected = literal_info_nce(similarity, excluded)
    assert float(info_nce(logits, logits.t(), duplicates)) == pytest.approx(expected, abs=1e-5)
    assert float(info_nce(logits, logits.t())) != pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("tokens", ["snippets", "subunits"])
@pytest.mark.parametrize("chunk_size", [1, 2, 64])
def test_fine_grained_loss_matches_literal(pairs, tokens, chunk_size):
    scale = torch.tensor(1 / TAU, dtype=torch.float64)
    loss = fine_grained_loss(
        normalized(pairs[tokens]), normalized(pairs["fragments"]) * pairs["mask"][..., None], pairs["mask"], scale,
        chunk_size=chunk_size,
    )  # fmt: skip
    expected = literal_fine_grained(pairs[tokens], pairs["fragments"], pairs["counts"])
    assert float(loss) == pytest.approx(expected, abs=1e-5)


def test_fine_grained_max_ignores_padding_when_all_similarities_negative():
    """Padding filled with 0 would win the max over negative affinities; the loss must use -inf."""
    pose = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]], dtype=torch.float64)  # (2, 1, 2)
    fragments = torch.tensor([[[-1.0, 0.0], [0.0, 0.0]], [[0.0, -1.0], [0.0, 0.0]]], dtype=torch.float64)
    mask = torch.tensor([[True, False], [True, False]])
    scale = torch.tensor(1 / TAU, dtype=torch.float64)
    loss = fine_grained_loss(pose, fragments, mask, scale)
    expected = literal_fine_grained(pose, fragments, [1, 1])
    assert float(loss) == pytest.approx(expected, abs=1e-5)


def test_hierarchical_consistency_matches_literal(pairs):
    scale = torch.tensor(1 / TAU, dtype=torch.float64)
    loss = hierarchical_consistency_loss(
        normalized(pairs["snippets"]), normalized(pairs["subunits"]),
        normalized(pairs["fragments"]) * pairs["mask"][..., None], pairs["mask"], scale, pairs["parts"],
    )  # fmt: skip
    expected = literal_hc(
        pairs["snippets"], pairs["subunits"], pairs["fragments"], pairs["counts"], pairs["parts"]
    )
    assert float(loss) == pytest.approx(expected, abs=1e-5)


def test_hierarchical_consistency_gradient_is_finite_with_padding(pairs):
    snippets = normalized(pairs["snippets"]).requires_grad_()
    fragments = normalized(pairs["fragments"]).requires_grad_()
    loss = hierarchical_consistency_loss(
        snippets, normalized(pairs["subunits"]), fragments * pairs["mask"][..., None], pairs["mask"],
        torch.tensor(1 / TAU, dtype=torch.float64), pairs["parts"],
    )  # fmt: skip
    loss.backward()
    assert torch.isfinite(snippets.grad).all() and torch.isfinite(fragments.grad).all()


def test_batch_of_one_has_zero_contrastive_loss():
    logits = torch.tensor([[5.0]], requires_grad=True)
    loss = info_nce(logits, logits.t())
    assert float(loss) == 0.0
    loss.backward()
    assert torch.isfinite(logits.grad).all()

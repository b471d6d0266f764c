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
    token_wise_similarity,
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


def autograd_token_wise_similarity(pose, fragments, mask, chunk_size):
    """`token_wise_similarity` as it was before its custom backward: plain autograd through einsum and max."""
    counts = mask.sum(-1)
    pose_to_text, text_to_pose = [], []
    for start in range(0, pose.shape[0], chunk_size):
        affinity = torch.einsum("itd,jfd->ijtf", pose[start : start + chunk_size], fragments)
        best = affinity.masked_fill(~mask[None, :, None, :], float("-inf")).max(-1).values
        pose_to_text.append(best.mean(-1))
        text_to_pose.append(affinity.max(-2).values.masked_fill(~mask[None], 0.0).sum(-1) / counts[None])
    return torch.cat(pose_to_text), torch.cat(text_to_pose)


def saved_tensor_bytes(fn) -> int:
    """Bytes of the distinct storages autograd keeps for the backward of `fn()`."""
    storages = {}

    def pack(tensor):
        storages[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    return sum(storages.values())


@pytest.mark.parametrize("chunk_size", [1, 3, 64])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_token_wise_backward_equals_plain_autograd(pairs, chunk_size, dtype):
    """Values and gradients of the recomputing backward equal plain autograd's, with weights on both outputs,
    and with one output unused (its gradient never materialised)."""
    generator = torch.Generator().manual_seed(1)
    pose = normalized(pairs["subunits"].to(dtype)).requires_grad_()
    fragments = (normalized(pairs["fragments"].to(dtype)) * pairs["mask"][..., None]).requires_grad_()
    weights = torch.randn(2, 5, 5, generator=generator, dtype=dtype)
    results = []
    for fn in (token_wise_similarity, autograd_token_wise_similarity):
        pose.grad = fragments.grad = None
        pose_to_text, text_to_pose = fn(pose, fragments, pairs["mask"], chunk_size)
        ((pose_to_text * weights[0]).sum() + (text_to_pose * weights[1]).sum()).backward()
        results.append((pose_to_text, text_to_pose, pose.grad.clone(), fragments.grad.clone()))
        pose.grad = fragments.grad = None
        (fn(pose, fragments, pairs["mask"], chunk_size)[0] * weights[0]).sum().backward()
        results[-1] += (pose.grad.clone(), fragments.grad.clone())
    for new, old in zip(*results, strict=True):
        torch.testing.assert_close(new, old, atol=1e-6, rtol=0)
    assert results[0][2].abs().max() > 0.01 and results[0][3].abs().max() > 0.01


def test_token_wise_gradcheck(pairs):
    """Float64 finite differences (the maxima are unique on random inputs, so the function is smooth there;
    fast mode: random projections of the Jacobian)."""
    pose = normalized(pairs["snippets"][:3, :4, :6]).requires_grad_()
    fragments = (normalized(pairs["fragments"][:4, :, :6]) * pairs["mask"][:4, :, None]).requires_grad_()
    mask = pairs["mask"][:4]
    check = torch.autograd.gradcheck
    assert check(lambda p, f: token_wise_similarity(p, f, mask, 2), (pose, fragments), fast_mode=True)


def test_token_wise_keeps_only_its_inputs_for_backward():
    """Saved for backward: the two embedding tensors and the mask — O(B x (T + L_f) x D), not B² x (T + L_f)."""
    generator = torch.Generator().manual_seed(0)
    batch, tokens, num_fragments, dim = 48, 18, 16, 8
    pose = torch.randn(batch, tokens, dim, generator=generator, requires_grad=True)
    fragments = torch.randn(batch, num_fragments, dim, generator=generator, requires_grad=True)
    mask = torch.rand(batch, num_fragments, generator=generator) > 0.3
    inputs = pose.numel() * 4 + fragments.numel() * 4 + mask.numel()
    assert saved_tensor_bytes(lambda: token_wise_similarity(pose, fragments, mask, 8)) == inputs
    indices = batch * batch * (tokens + num_fragments) * 8
    assert saved_tensor_bytes(lambda: autograd_token_wise_similarity(pose, fragments, mask, 8)) >= indices

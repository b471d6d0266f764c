"""The HALI objective: global, fine-grained (token-wise) and hierarchical-consistency terms.

All functions take L2-normalised embeddings. Notation follows the paper: B pose/description pairs, T_s snippets,
T_u = M x T_s subunits (snippet-major: the M subunits of snippet t are rows t*M .. t*M+M-1), L_f fragments.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def duplicate_pair_mask(
    labels: torch.Tensor | None, batch_size: int, device: torch.device
) -> torch.Tensor | None:
    """(B, B) boolean mask of off-diagonal pairs that share a gloss and so must not act as negatives."""
    if labels is None:
        return None
    if labels.shape != (batch_size,):
        raise ValueError(f"labels must have shape ({batch_size},), got {tuple(labels.shape)}")
    same = labels.to(device)[:, None] == labels.to(device)[None, :]
    return same & ~torch.eye(batch_size, dtype=torch.bool, device=device)


def info_nce(
    logits_per_pose: torch.Tensor, logits_per_text: torch.Tensor, duplicates: torch.Tensor | None = None
) -> torch.Tensor:
    """Symmetric InfoNCE over a (B, B) similarity (row i of each matrix: anchor i against all candidates).

    Pairs flagged in `duplicates` are removed from the softmax denominators. A row without any negative
    (batch size 1, or a batch of one gloss) contributes exactly zero.
    """
    if duplicates is not None:
        logits_per_pose = logits_per_pose.masked_fill(duplicates, float("-inf"))
        logits_per_text = logits_per_text.masked_fill(duplicates, float("-inf"))
    targets = torch.arange(logits_per_pose.shape[0], device=logits_per_pose.device)
    return (F.cross_entropy(logits_per_pose, targets) + F.cross_entropy(logits_per_text, targets)) / 2


def _chunk_affinity(chunk: torch.Tensor, text_tokens: torch.Tensor) -> torch.Tensor:
    """Affinities of a chunk of pose rows with every fragment, laid out (c, T, B_t, L_f) so that this product and
    the backward's are plain matrix products (no permuted copy)."""
    rows, tokens, dim = chunk.shape
    affinity = chunk.reshape(rows * tokens, dim) @ text_tokens.reshape(-1, dim).t()
    return affinity.view(rows, tokens, *text_tokens.shape[:2])


class _TokenWiseSimilarity(torch.autograd.Function):
    """`token_wise_similarity` whose backward recomputes each chunk's affinities and arg-maxes: autograd keeps the
    inputs only, not B² x (T + L_f) indices, and the transient memory is one chunk's affinities."""

    @staticmethod
    def forward(ctx, pose_tokens, text_tokens, fragment_mask, chunk_size):
        fragment_counts = fragment_mask.sum(-1)
        pose_to_text, text_to_pose = [], []
        for start in range(0, pose_tokens.shape[0], chunk_size):
            affinity = _chunk_affinity(pose_tokens[start : start + chunk_size], text_tokens)
            best_token = affinity.amax(1).masked_fill_(~fragment_mask, 0.0)  # (c, B_t, L_f)
            text_to_pose.append(best_token.sum(-1) / fragment_counts)
            best_fragment = affinity.masked_fill_(~fragment_mask, float("-inf")).amax(-1)  # (c, T, B_t)
            pose_to_text.append(best_fragment.mean(1))
            del affinity  # freed before the next chunk's is allocated: one chunk's buffer at a time, not two
        ctx.save_for_backward(pose_tokens, text_tokens, fragment_mask)
        ctx.chunk_size = chunk_size
        ctx.set_materialize_grads(False)
        return torch.cat(pose_to_text), torch.cat(text_to_pose)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_pose_to_text, grad_text_to_pose):
        pose_tokens, text_tokens, fragment_mask = ctx.saved_tensors
        rows, tokens, dim = pose_tokens.shape
        text_matrix = text_tokens.reshape(-1, dim)  # (B_t x L_f, D)
        grad_pose = torch.zeros_like(pose_tokens) if ctx.needs_input_grad[0] else None
        grad_text = torch.zeros_like(text_matrix) if ctx.needs_input_grad[1] else None
        # d(text→pose)/d(affinity) at the best token of each real fragment: 1 / (the description's fragment count)
        fragment_weights = fragment_mask.to(text_tokens.dtype) / fragment_mask.sum(-1, keepdim=True).clamp(
            min=1
        )
        for start in range(0, rows, ctx.chunk_size):
            stop = min(start + ctx.chunk_size, rows)
            chunk = pose_tokens[start:stop]
            affinity = _chunk_affinity(chunk, text_tokens)
            best_token = affinity.argmax(1)  # (c, B_t, L_f)
            best_fragment = affinity.masked_fill_(~fragment_mask, float("-inf")).argmax(-1)  # (c, T, B_t)
            grad_affinity = affinity.zero_()  # the buffer becomes the gradient with respect to the affinities
            if grad_pose_to_text is not None:
                grad = (grad_pose_to_text[start:stop] / tokens)[:, None, :, None]  # (c, 1, B_t, 1)
                grad_affinity.scatter_(3, best_fragment[..., None], grad.expand(-1, tokens, -1, -1))
            if grad_text_to_pose is not None:
                grad = grad_text_to_pose[start:stop, :, None] * fragment_weights  # (c, B_t, L_f)
                grad_affinity.scatter_add_(1, best_token[:, None], grad[:, None])
            grad_matrix = grad_affinity.view((stop - start) * tokens, -1)  # (c x T, B_t x L_f)
            if grad_pose is not None:
                grad_pose[start:stop] = (grad_matrix @ text_matrix).view(-1, tokens, dim)
            if grad_text is not None:
                grad_text.addmm_(grad_matrix.t(), chunk.reshape(-1, dim))
            del affinity, grad_affinity, grad_matrix, best_token, best_fragment  # one chunk alive at a time
        return grad_pose, None if grad_text is None else grad_text.view_as(text_tokens), None, None


def token_wise_similarity(
    pose_tokens: torch.Tensor,
    text_tokens: torch.Tensor,
    text_mask: torch.Tensor,
    chunk_size: int = 64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """FILIP-style similarities between every pose sequence and every description.

    Args:
        pose_tokens: (B_p, T, D) snippet or subunit embeddings (all positions valid).
        text_tokens: (B_t, L_f, D) fragment embeddings.
        text_mask: (B_t, L_f) boolean, True for real fragments.
        chunk_size: pose rows per chunk; transient memory is O(chunk_size * B_t * T * L_f), in the forward and in
            the backward, which recomputes each chunk's affinities (what autograd keeps is the inputs).

    Returns:
        `(s_pose_to_text, s_text_to_pose)`, both (B_p, B_t): the mean over pose tokens of the max over fragments,
        and the mean over real fragments of the max over pose tokens.
    """
    return _TokenWiseSimilarity.apply(pose_tokens, text_tokens, text_mask.bool(), chunk_size)


def fine_grained_loss(
    pose_tokens: torch.Tensor,
    fragments: torch.Tensor,
    fragment_mask: torch.Tensor,
    logit_scale: torch.Tensor,
    duplicates: torch.Tensor | None = None,
    chunk_size: int = 64,
) -> torch.Tensor:
    """L_FG: the InfoNCE of L_Global with token-wise similarities in place of cosine similarity."""
    pose_to_text, text_to_pose = token_wise_similarity(pose_tokens, fragments, fragment_mask, chunk_size)
    return info_nce(logit_scale * pose_to_text, logit_scale * text_to_pose.t(), duplicates)


def _masked_log_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Log-softmax over the real positions; padded positions hold 0 (not -inf) so no NaN reaches the gradient."""
    return torch.log_softmax(scores.masked_fill(~mask, float("-inf")), dim=-1).masked_fill(~mask, 0.0)


def hierarchical_consistency_loss(
    snippets: torch.Tensor,
    subunits: torch.Tensor,
    fragments: torch.Tensor,
    fragment_mask: torch.Tensor,
    logit_scale: torch.Tensor,
    num_subunit_parts: int,
) -> torch.Tensor:
    """L_HC over matched pairs: symmetric KL between snippet→fragment and subunit→fragment distributions.

    The subunit–fragment affinity is brought to the snippet–fragment shape by averaging the M subunit rows of each
    snippet; each snippet row becomes a distribution over the real fragments; the KL terms are averaged over
    snippets and pairs.
    """
    batch, num_snippets, _ = snippets.shape
    if subunits.shape[1] != num_snippets * num_subunit_parts:
        raise ValueError(
            f"subunits must have {num_snippets} x {num_subunit_parts} rows, got {subunits.shape[1]}"
        )
    mask = fragment_mask.bool()[:, None, :]  # (B, 1, L_f)
    snippet_affinity = torch.einsum("btd,bfd->btf", snippets, fragments)
    subunit_affinity = torch.einsum("bud,bfd->buf", subunits, fragments)
    subunit_affinity = subunit_affinity.view(batch, num_snippets, num_subunit_parts, -1).mean(2)
    log_p = _masked_log_softmax(logit_scale * snippet_affinity, mask)
    log_q = _masked_log_softmax(logit_scale * subunit_affinity, mask)
    p, q = log_p.exp() * mask, log_q.exp() * mask
    symmetric_kl = ((p - q) * (log_p - log_q)).sum(-1)  # KL(p||q) + KL(q||p)
    return symmetric_kl.mean()

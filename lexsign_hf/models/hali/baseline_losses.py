"""Video-level objectives of the zero-shot baselines the paper compares with (Tables 1 and 11), as drop-in
replacements of L_Global (`HALIConfig.global_loss`); L_FG and L_HC are added on top exactly as for L_Global.

Each takes the (B, B) logit matrix ``scale * video_embeds @ description_embeds.T`` of B matched pairs (row i with
row i) and the gloss ids of the rows (None: every row its own class), like `losses.info_nce`. Written from the
papers and the authors' public code (read, not copied); what our single shared embedding space and batch-wise
training cannot hold is left out and listed per function.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# DVTA's target: softmax(10 * same-class indicator), i.e. (almost) uniform over a row's positives.
DVTA_TARGET_SCALE = 10.0


def _classes(labels: torch.Tensor | None, batch: int, device: torch.device) -> torch.Tensor:
    if labels is None:
        return torch.arange(batch, device=device)
    if labels.shape != (batch,):
        raise ValueError(f"labels must have shape ({batch},), got {tuple(labels.shape)}")
    return labels.to(device)


def lle_loss(logits: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """Bilge et al. (BMVC 2019; TPAMI 2022) label-embedding objective: the video is scored against *class*
    embeddings of descriptions by a linear compatibility and trained with a softmax cross-entropy over the
    classes, video → class only (their public code: an ALE-style linear map of the video feature, dot product with
    L2-normalised BERT class embeddings, `CrossEntropyLoss` over all seen classes).

    Here the classes are those present in the batch (all seen classes would need every class's description
    encoded at every step), a class's score is the mean of its rows' logits (its descriptions in the batch), and
    the text tower is trained like the video tower (theirs used fixed BERT features).
    """
    batch = logits.shape[0]
    classes = _classes(labels, batch, logits.device)
    unique, owner = torch.unique(classes, return_inverse=True)  # owner[j]: class column of description j
    pooling = F.one_hot(owner, len(unique)).to(logits.dtype)  # (B, C)
    class_logits = (logits @ pooling) / pooling.sum(0)  # (B, C): mean over each class's descriptions
    return F.cross_entropy(class_logits, owner)


def multi_positive_kl(logits: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric KL between the softmax of the logits and a target spread over each row's positives (the rows of
    the same gloss): ``KL(softmax(10 G) || softmax(logits))`` per row, mean over rows, both directions averaged."""
    batch = logits.shape[0]
    classes = _classes(labels, batch, logits.device)
    same = (classes[:, None] == classes[None, :]).to(logits.dtype)
    target = torch.softmax(
        DVTA_TARGET_SCALE * same, dim=-1
    )  # `same` is symmetric: one target for both directions
    forward = F.kl_div(torch.log_softmax(logits, dim=-1), target, reduction="batchmean")
    backward = F.kl_div(torch.log_softmax(logits.t(), dim=-1), target, reduction="batchmean")
    return (forward + backward) / 2


def dvta_loss(logits: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """DVTA's Direct Alignment (Kuang et al., Pattern Recognition 2026, arXiv 2409.14336): cosine similarity / τ
    trained with `multi_positive_kl`, so the several sequences of one gloss in a batch are all positives (their
    public code: `KLLoss` with target ``softmax(10 * ground_truth)``, both directions averaged).

    Left out: the Augmented Alignment branch (a deep metric network with its own parameters on the concatenated
    features, LeakySigmoid output, scores added to the direct ones) and the Semantic Description Enhancement
    (attention over the label name and an LLM-written context); only the loss shape can be a drop-in objective.
    """
    return multi_positive_kl(logits, labels)


def pgfa_loss(logits: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """PGFA's end-to-end cross-modal contrastive training (Zhou et al., IEEE TIP 2025, arXiv 2507.00566): the
    skeleton encoder is trained (not frozen) against the description embeddings with the multi-positive KL objective
    (their default ``loss_type="kl"``), the same loss as `dvta_loss`, here on the shared HALI towers.

    PGFA's other half, the prototype-guided text feature alignment at test time (each unseen class's text
    embedding replaced by the mean of its most confident test embeddings), is a step of the evaluation, not of the
    objective: `lexsign_hf.train.evaluate.prototype_aligned_zsl` (`lexsign ablate --baselines` applies it to the
    "pgfa" rows' test ZSL).
    """
    return multi_positive_kl(logits, labels)


GLOBAL_LOSS_FUNCTIONS = {"lle": lle_loss, "dvta": dvta_loss, "pgfa": pgfa_loss}

__all__ = ["GLOBAL_LOSS_FUNCTIONS", "dvta_loss", "lle_loss", "multi_positive_kl", "pgfa_loss"]

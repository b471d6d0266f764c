"""Figures of `lexsign demo`: training curves, fragment alignment heatmaps (the paper's Fig. 8) and a t-SNE map of
fragment embeddings (the paper's Fig. 9)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from ..models.hali import HALIModel, HALIProcessor, split_fragments  # noqa: E402
from .sign import FACE_ACTIONS, MOUTH_SHAPES  # noqa: E402

__all__ = [
    "FRAGMENT_CATEGORIES",
    "alignment_matrices",
    "fragment_category",
    "fragment_embeddings",
    "plot_alignment",
    "plot_fragment_tsne",
    "plot_training_curves",
]

PART_LABELS = {
    "body": "body",
    "left_hand": "L hand",
    "right_hand": "R hand",
    "mouth": "mouth",
    "face": "face",
}


def _save(figure: plt.Figure, path: str | Path) -> Path:
    """Write a PNG through a temporary name and a rename."""
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(temporary, dpi=120, bbox_inches="tight")
    plt.close(figure)
    temporary.replace(path)
    return path


def plot_training_curves(
    histories: Mapping[str, Sequence[Mapping[str, Any]]], path: str | Path, chance: float | None = None
) -> Path:
    """Training loss and validation ZSL top-1 (global and hali similarity) against steps, one colour per model
    (Trainer `log_history`s with ``val_zsl_top1`` entries from `ZeroShotEvalCallback`)."""
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for index, (name, history) in enumerate(histories.items()):
        color = f"C{index}"
        losses = [(entry["step"], entry["loss"]) for entry in history if "loss" in entry]
        if losses:
            loss_axis.plot(*zip(*losses, strict=True), color=color, marker=".", label=name)
        for key, style, similarity in (("val_zsl_top1", "-", "global"), ("val_zsl_top1_hali", "--", "hali")):
            points = [(entry["step"], entry[key]) for entry in history if key in entry]
            if points:
                accuracy_axis.plot(*zip(*points, strict=True), style, color=color, marker="o",
                                   label=f"{name}, {similarity} similarity")  # fmt: skip
    loss_axis.set(xlabel="step", ylabel="training loss (each model's own objective)", title="Training loss")
    accuracy_axis.set(xlabel="step", ylabel="top-1 (%)", title="ZSL top-1 on unseen validation classes")
    if chance is not None:
        accuracy_axis.axhline(chance, color="grey", linestyle=":", label="chance")
    loss_axis.legend()
    accuracy_axis.legend()
    figure.tight_layout()
    return _save(figure, path)


@torch.no_grad()
def alignment_matrices(
    model: HALIModel, processor: HALIProcessor, pose: np.ndarray, text: str
) -> dict[str, np.ndarray | list[str]]:
    """Cosine affinities of one pose sequence's snippets (T_s, L_f) and subunits (T_u, L_f) with the fragments of
    `text`, with the fragment strings and row labels."""
    model.eval()
    device = next(model.parameters()).device
    inputs = processor(poses=[pose], text=[text]).to(device)
    pose_features = model.get_pose_features(inputs["pose_values"], inputs["pose_mask"])
    text_features = model.get_text_features(
        inputs["input_ids"], inputs["attention_mask"], inputs["fragment_ids"]
    )
    fragments = split_fragments(text)
    count = int(text_features.fragment_mask[0].sum())
    if len(fragments) > count:  # fragments past max_fragments are merged into the last one
        fragments = [*fragments[: count - 1], " ".join(fragments[count - 1 :])]
    fragment_embeds = text_features.fragment_embeds[0, :count]
    pose_config = model.config.pose_config
    half, quarter = pose_config.pyramid_bins
    snippet_labels = [f"½ bin {i + 1}" for i in range(half)] + [f"¼ bin {i + 1}" for i in range(quarter)]
    parts = [PART_LABELS.get(part, part) for part in pose_config.subunit_parts]
    return {
        "snippet": (pose_features.snippet_embeds[0] @ fragment_embeds.t()).float().cpu().numpy(),
        "subunit": (pose_features.subunit_embeds[0] @ fragment_embeds.t()).float().cpu().numpy(),
        "fragments": fragments,
        "snippet_labels": snippet_labels,
        "subunit_labels": [f"{snippet} · {part}" for snippet in snippet_labels for part in parts],
    }


def plot_alignment(matrices: Mapping[str, Mapping[str, Any]], path: str | Path, title: str = "") -> Path:
    """Heatmaps of fragment↔snippet and fragment↔subunit similarity (fragments as rows), one row of panels per
    model; both panels of a model share one colour scale."""
    names = list(matrices)
    first = next(iter(matrices.values()))
    num_fragments, num_snippets, num_subunits = (
        len(first["fragments"]),
        *(len(first[f"{kind}_labels"]) for kind in ("snippet", "subunit")),
    )
    figure, axes = plt.subplots(
        len(names),
        2,
        figsize=(14, (2.2 + 0.45 * num_fragments) * len(names) + 0.8),
        gridspec_kw={"width_ratios": [num_snippets + 2, num_subunits]},
        squeeze=False,
        layout="constrained",
    )
    for row, name in enumerate(names):
        entry = matrices[name]
        low = min(float(np.min(entry[kind])) for kind in ("snippet", "subunit"))
        high = max(float(np.max(entry[kind])) for kind in ("snippet", "subunit"))
        labels = [textwrap.shorten(fragment, 42, placeholder="…") for fragment in entry["fragments"]]
        for column, kind in enumerate(("snippet", "subunit")):
            axis = axes[row, column]
            image = axis.imshow(entry[kind].T, aspect="auto", cmap="viridis", vmin=low, vmax=high)
            axis.set_xticks(
                range(len(entry[f"{kind}_labels"])), entry[f"{kind}_labels"], fontsize=7, rotation=90
            )
            axis.set_yticks(range(len(labels)), labels if column == 0 else [], fontsize=8)
            axis.set_title(f"{name}: fragment ↔ {kind}", fontsize=10)
        figure.colorbar(image, ax=axes[row].tolist(), fraction=0.02, label="cosine similarity")
    if title:
        figure.suptitle(textwrap.fill(title, 160), fontsize=9)
    return _save(figure, path)


# What a description fragment is mainly about, decided by its wording (first matching rule wins).
FRAGMENT_CATEGORIES = ("non-manual", "two hands", "palm orientation", "handshape", "location", "movement")
_NON_MANUAL_PHRASES = tuple(
    phrase for table in (MOUTH_SHAPES, FACE_ACTIONS) for row in table.values() for phrase in row
)
_CATEGORY_WORDS = {
    "two hands": ("non-dominant", "other hand stays", "both hands form", "each hand"),
    "palm orientation": ("palm", "palms"),
    "location": (" at the ", " near the ", " on the ", " in neutral space", " under the ", " above the ",
                 " in front of ", "at the ", "near the ", "in neutral space", "sign is made"),
    "handshape": (" hand", "finger", "thumb", "fist", "handshape"),
}  # fmt: skip


def fragment_category(fragment: str) -> str:
    """The `FRAGMENT_CATEGORIES` entry of a LexSign-Synth description fragment, from its wording."""
    text = f" {fragment.lower()} "
    if any(phrase in fragment.lower() for phrase in _NON_MANUAL_PHRASES):
        return "non-manual"
    motion = ("move", "moving", "hold", "touch", "twist", "open", "close", "spread", "tap", "movement")
    first_words = text.split()[:3]
    if any(word.startswith(motion) for word in first_words) or "movement consists" in text:
        return "movement"
    for category in ("two hands", "palm orientation"):
        if any(word in text for word in _CATEGORY_WORDS[category]):
            return category
    if any(word in text for word in _CATEGORY_WORDS["location"]):
        return "location"
    if any(word in text for word in _CATEGORY_WORDS["handshape"]):
        return "handshape"
    return "movement"


@torch.no_grad()
def fragment_embeddings(
    model: HALIModel, processor: HALIProcessor, texts: Sequence[str], batch_size: int = 64
) -> dict[str, Any]:
    """Projected fragment embeddings (N, D) of `texts` (fragments past `max_fragments` merged into the last one),
    with the fragment strings and their `fragment_category`."""
    model.eval()
    device = next(model.parameters()).device
    vectors, fragments = [], []
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        inputs = processor(text=batch).to(device)
        features = model.get_text_features(
            inputs["input_ids"], inputs["attention_mask"], inputs["fragment_ids"]
        )
        for row, text in enumerate(batch):
            count = int(features.fragment_mask[row].sum())
            pieces = split_fragments(text)
            if len(pieces) > count:
                pieces = [*pieces[: count - 1], " ".join(pieces[count - 1 :])]
            vectors.append(features.fragment_embeds[row, :count].float().cpu().numpy())
            fragments += pieces[:count]
    return {
        "embeddings": np.concatenate(vectors),
        "fragments": fragments,
        "categories": [fragment_category(fragment) for fragment in fragments],
    }


def plot_fragment_tsne(
    embeddings: Mapping[str, Mapping[str, Any]], path: str | Path, seed: int = 0, title: str = ""
) -> Path:
    """t-SNE maps (scikit-learn, cosine metric) of each model's fragment embeddings, coloured by category."""
    from sklearn.manifold import TSNE

    figure, axes = plt.subplots(1, len(embeddings), figsize=(6.5 * len(embeddings), 5.5), squeeze=False)
    for axis, (name, entry) in zip(axes[0], embeddings.items(), strict=True):
        vectors = np.asarray(entry["embeddings"], dtype=np.float64)
        perplexity = float(min(30.0, max(2.0, (len(vectors) - 1) / 3)))
        points = TSNE(
            n_components=2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed
        ).fit_transform(vectors)
        categories = np.asarray(entry["categories"])
        for index, category in enumerate(FRAGMENT_CATEGORIES):
            chosen = categories == category
            if chosen.any():
                axis.scatter(*points[chosen].T, s=9, color=f"C{index}", label=f"{category} ({chosen.sum()})")
        axis.set(title=name, xticks=[], yticks=[])
        axis.legend(fontsize=8, markerscale=1.5)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)

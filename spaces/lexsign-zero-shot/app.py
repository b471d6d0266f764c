"""LexSign zero-shot sign classification: upload a `.pose` file (or pick a synthetic sign), give candidate glosses
with their lexical descriptions, and see HALI rank them, with the fragment ↔ snippet / subunit alignment.

The model is `LEXSIGN_MODEL` (a Hub id or a folder saved by `lexsign push model`; default `lexsign/hali-asl`).
Bundled samples are generated at start-up by the package's synthetic signer (`lexsign_hf.synth`), so the Space
ships no data files.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import matplotlib
import numpy as np
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lexsign_hf.data.phonology import HELD_OUT_TEMPLATES, describe
from lexsign_hf.hub import load_zero_shot_pipeline
from lexsign_hf.mcp.render import render_canonical_gif
from lexsign_hf.models.hali import split_fragments
from lexsign_hf.pose import read_pose, write_pose_file
from lexsign_hf.synth import FPS, LAYOUT, sample_records, synthesize

MODEL = os.environ.get("LEXSIGN_MODEL", "lexsign/hali-asl")
NUM_SAMPLES = int(os.environ.get("LEXSIGN_NUM_SAMPLES", "5"))
WORK_DIR = Path(os.environ.get("LEXSIGN_WORK_DIR") or tempfile.mkdtemp(prefix="lexsign-space-"))


@dataclass
class Sample:
    name: str
    gloss: str
    description: str
    path: Path


def make_samples(folder: Path, num: int, seed: int = 0) -> list[Sample]:
    """`num` synthetic signs written as `.pose` files, each with a description in a held-out wording."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    samples = []
    for index, record in enumerate(sample_records(num, rng, prefix="SIGN")):
        path = write_pose_file(
            folder / f"{record.entry_id}.pose", synthesize(record, seed=index), LAYOUT, FPS
        )
        description = describe(record, template=HELD_OUT_TEMPLATES[0])
        samples.append(Sample(f"{record.entry_id} (synthetic)", record.entry_id, description, path))
    return samples


def parse_candidates(text: str) -> tuple[list[str], list[str]]:
    """`GLOSS: description` lines (a line with only a gloss is described by the gloss itself)."""
    labels, descriptions = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, _, description = line.partition(":")
        if not label.strip():
            raise ValueError(f"candidates line {number}: expected 'GLOSS: description', got {line!r}")
        labels.append(label.strip())
        descriptions.append(description.strip() or label.strip())
    if len(labels) < 2:
        raise ValueError("give at least two candidates, one 'GLOSS: description' per line")
    return labels, descriptions


def fragment_labels(description: str, count: int) -> list[str]:
    """The first `count` fragments of `description`; any further ones merged into the last (as the processor)."""
    fragments = split_fragments(description)
    if len(fragments) > count:
        fragments = [*fragments[: count - 1], " / ".join(fragments[count - 1 :])]
    return [fragment if len(fragment) <= 40 else fragment[:39] + "…" for fragment in fragments]


@torch.no_grad()
def alignment_heatmap(classifier, pose: np.ndarray, description: str, path: Path) -> Path:
    """Cosine similarity of each description fragment with each snippet and each subunit (the paper's Fig. 8)."""
    hali, processor = classifier.hali, classifier.processor
    device = next(hali.parameters()).device
    pose_features = hali.get_pose_features(**processor(poses=[pose]).to(device))
    text_features = hali.get_text_features(**processor(text=[description]).to(device))
    fragments = text_features.fragment_embeds[0][text_features.fragment_mask[0]]
    snippets = [str(t + 1) for t in range(pose_features.snippet_embeds.shape[1])]
    parts = [part[0] for part in hali.config.pose_config.subunit_parts]  # b(ody), l/r (hand), m(outh), f(ace)
    panels = [  # (axis label, fragments × columns similarity, column labels)
        ("snippets", fragments @ pose_features.snippet_embeds[0].T, snippets),
        ("subunits (snippet + part)", fragments @ pose_features.subunit_embeds[0].T,
         [f"{t}{part}" for t in snippets for part in parts]),
    ]  # fmt: skip
    labels = fragment_labels(description, len(fragments))
    figure, axes = plt.subplots(
        1, 2, figsize=(11, 1.2 + 0.45 * len(labels)), gridspec_kw={"width_ratios": [1, 2.4]}, squeeze=False
    )
    for ax, (name, similarity, ticks) in zip(axes[0], panels, strict=True):
        image = ax.imshow(similarity.cpu().numpy(), cmap="viridis", aspect="auto")
        ax.set_yticks(range(len(labels)), labels if ax is axes[0][0] else [""] * len(labels), fontsize=8)
        ax.set_xticks(range(len(ticks)), ticks, fontsize=7)
        ax.set_xlabel(name)
        figure.colorbar(image, ax=ax, fraction=0.04)
    figure.suptitle("fragment ↔ snippet / subunit cosine similarity", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def build_app(classifier, samples: list[Sample], work_dir: Path) -> gr.Blocks:
    by_name = {sample.name: sample for sample in samples}
    default_candidates = "\n".join(f"{sample.gloss}: {sample.description}" for sample in samples)

    def classify(upload: str | None, sample_name: str | None, candidates: str, top_k: int):
        if upload:
            source = Path(upload)
        elif sample_name in by_name:
            source = by_name[sample_name].path
        else:
            raise gr.Error("Upload a .pose file or pick a synthetic sign.")
        try:
            labels, descriptions = parse_candidates(candidates)
            sequence = read_pose(source)
            pose = sequence.canonical()
            ranked = classifier(pose, candidate_labels=labels, descriptions=descriptions, top_k=int(top_k))
        except (ValueError, FileNotFoundError) as error:
            raise gr.Error(str(error)) from None
        stem = f"{source.stem}-{abs(hash((str(source), candidates))) % 10**8}"
        animation = render_canonical_gif(pose, work_dir / f"{stem}.gif", fps=sequence.fps, max_frames=90)
        best = ranked[0]["label"]
        heatmap = alignment_heatmap(
            classifier, pose, descriptions[labels.index(best)], work_dir / f"{stem}.png"
        )
        status = (
            f"`{source.name}`: {sequence.num_frames} frames, layout `{sequence.layout}`. "
            f"Best match **{best}** ({ranked[0]['score']:.1%}); heatmap for its description."
        )
        return str(animation), {item["label"]: item["score"] for item in ranked}, str(heatmap), status

    with gr.Blocks(title="LexSign zero-shot sign classification", analytics_enabled=False) as app:
        gr.Markdown(
            "## LexSign · zero-shot sign classification from skeletons\n"
            f"Model: `{MODEL}`. Upload a pose-format `.pose` file (MediaPipe holistic, COCO-WholeBody, OpenPose) "
            "or pick a synthetic sign, list candidate glosses with their lexical descriptions, and classify."
        )
        with gr.Row():
            with gr.Column():
                upload = gr.File(label=".pose file", file_types=[".pose"], type="filepath", elem_id="upload")
                sample = gr.Dropdown(
                    choices=list(by_name), value=samples[0].name if samples else None, label="or a synthetic sign",
                    elem_id="sample",
                )  # fmt: skip
                candidates = gr.Textbox(
                    value=default_candidates, lines=6, label="Candidates (GLOSS: description, one per line)",
                    elem_id="candidates",
                )  # fmt: skip
                top_k = gr.Slider(1, 10, value=5, step=1, label="top k", elem_id="top-k")
                button = gr.Button("Classify", variant="primary", elem_id="classify")
            with gr.Column():
                animation = gr.Image(
                    label="Skeleton", type="filepath", interactive=False, elem_id="animation"
                )
                ranking = gr.Label(label="Ranked glosses", elem_id="ranking")
        status = gr.Markdown(elem_id="status")
        heatmap = gr.Image(label="Alignment", type="filepath", interactive=False, elem_id="heatmap")
        button.click(
            classify,
            inputs=[upload, sample, candidates, top_k],
            outputs=[animation, ranking, heatmap, status],
        )
    app.work_dir = work_dir
    return app


def main() -> gr.Blocks:
    samples = make_samples(WORK_DIR / "samples", NUM_SAMPLES)
    return build_app(load_zero_shot_pipeline(MODEL), samples, WORK_DIR)


if __name__ == "__main__":
    main().launch(allowed_paths=[str(WORK_DIR)])

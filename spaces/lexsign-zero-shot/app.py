"""LexSign zero-shot sign classification: sign into the webcam or upload a video (or a `.pose` file, or pick a
synthetic sign), give candidate glosses with their lexical descriptions, and see HALI rank them, with the
extracted skeleton and the fragment ↔ snippet / subunit alignment.

A video's pose is estimated with MediaPipe Holistic through pose-format, as `lexsign pose extract` does (the
reader the pipeline and `handler.py` use). The model is `LEXSIGN_MODEL`: a folder saved by `save_pretrained` /
`lexsign push model`, or a Hub id (HF cache first; default `lexsign/hali-asl`). Bundled samples are generated at
start-up by the package's synthetic signer (`lexsign_hf.synth`), so the Space ships no data files.
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

from lexsign_hf.data.hub_ids import resolve_repo
from lexsign_hf.data.phonology import HELD_OUT_TEMPLATES, describe
from lexsign_hf.hub import load_zero_shot_pipeline
from lexsign_hf.mcp.render import render_canonical_gif
from lexsign_hf.models.hali import split_fragments
from lexsign_hf.models.hali.labels_hali import parse_labels
from lexsign_hf.models.hali.pose_inputs import VIDEO_SUFFIXES, PoseInputReader, video_to_pose
from lexsign_hf.pose import read_pose, write_pose_file
from lexsign_hf.synth import FPS, LAYOUT, sample_records, synthesize

MODEL = os.environ.get("LEXSIGN_MODEL", "lexsign/hali-asl")
NUM_SAMPLES = int(os.environ.get("LEXSIGN_NUM_SAMPLES", "5"))
WORK_DIR = Path(os.environ.get("LEXSIGN_WORK_DIR") or tempfile.mkdtemp(prefix="lexsign-space-"))
VIDEO_LAYOUT = "mediapipe_holistic_576"
PART_NAMES = {"b": "body", "l": "left hand", "r": "right hand", "m": "mouth", "f": "face"}


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
    """Candidates in the one labels format of `lexsign predict` and the pipeline (`parse_labels`: `GLOSS:
    description` lines, JSON lines or CSV; a gloss may repeat, once per description, and is scored by the mean)."""
    labels, descriptions = parse_labels(text, "candidates")
    if len(set(labels)) < 2:
        raise ValueError("give at least two candidates, one 'GLOSS: description' per line")
    return labels, descriptions


def fragment_labels(description: str, count: int) -> list[str]:
    """The first `count` fragments of `description`; any further ones merged into the last (as the processor)."""
    fragments = split_fragments(description)
    if len(fragments) > count:
        fragments = [*fragments[: count - 1], " / ".join(fragments[count - 1 :])]
    return [fragment if len(fragment) <= 40 else fragment[:39] + "…" for fragment in fragments]


@torch.no_grad()
def alignment_heatmap(
    classifier, pose: np.ndarray, frame_size: tuple[float, float] | None, description: str, path: Path
) -> Path:
    """Cosine similarity of each description fragment (rows) with each snippet and each subunit (columns), the
    paper's Fig. 8, with a legend for both axes."""
    hali, processor = classifier.hali, classifier.processor
    device = next(hali.parameters()).device
    pose_features = hali.get_pose_features(**processor(poses=[pose], frame_sizes=[frame_size]).to(device))
    text_features = hali.get_text_features(**processor(text=[description]).to(device))
    fragments = text_features.fragment_embeds[0][text_features.fragment_mask[0]]
    snippets = [str(t + 1) for t in range(pose_features.snippet_embeds.shape[1])]
    parts = [part[0] for part in hali.config.pose_config.subunit_parts]  # b(ody), l/r (hand), m(outh), f(ace)
    panels = [  # (axis label, fragments × columns similarity, column labels)
        ("snippet (time window, 1 = first)", fragments @ pose_features.snippet_embeds[0].T, snippets),
        ("subunit (snippet + body part)", fragments @ pose_features.subunit_embeds[0].T,
         [f"{t}{part}" for t in snippets for part in parts]),
    ]  # fmt: skip
    labels = fragment_labels(description, len(fragments))
    figure, axes = plt.subplots(
        1, 2, figsize=(11, 1.6 + 0.45 * len(labels)), gridspec_kw={"width_ratios": [1, 2.4]}, squeeze=False
    )
    for ax, (name, similarity, ticks) in zip(axes[0], panels, strict=True):
        image = ax.imshow(similarity.cpu().numpy(), cmap="viridis", aspect="auto")
        ax.set_yticks(range(len(labels)), labels if ax is axes[0][0] else [""] * len(labels), fontsize=8)
        ax.set_xticks(range(len(ticks)), ticks, fontsize=7)
        ax.set_xlabel(name, fontsize=8)
        figure.colorbar(image, ax=ax, fraction=0.04).set_label("cosine similarity", fontsize=7)
    axes[0][0].set_ylabel("description fragment", fontsize=8)
    legend = ", ".join(f"{letter} = {PART_NAMES.get(letter, letter)}" for letter in dict.fromkeys(parts))
    figure.suptitle(f"fragment ↔ snippet / subunit cosine similarity · parts: {legend}", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def read_input(classifier, source: Path):
    """(what the pipeline takes, canonical skeleton to draw, frame size, fps, layout) for a video (pose by
    MediaPipe Holistic, once) or any pose file `read_pose` reads."""
    if source.suffix.lower() in VIDEO_SUFFIXES:
        pose = video_to_pose(source)
        canonical, frame_size = PoseInputReader(classifier.pose_layouts).read(pose)
        return pose, canonical, frame_size, float(pose.body.fps), VIDEO_LAYOUT
    sequence = read_pose(source)
    return sequence, sequence.canonical(), sequence.frame_size, sequence.fps, sequence.layout


def build_app(classifier, samples: list[Sample], work_dir: Path, model_error: str | None = None) -> gr.Blocks:
    """The app; with `classifier` None (the model did not load) it says `model_error` in one line."""
    by_name = {sample.name: sample for sample in samples}
    default_candidates = "\n".join(f"{sample.gloss}: {sample.description}" for sample in samples)
    cleared = (None, None, None)

    def classify(video: str | None, upload: str | None, sample_name: str | None, candidates: str, top_k: int):
        """(skeleton, ranking, heatmap, status); any failure clears the three results and says why in one line."""
        if classifier is None:
            return *cleared, f"**Model not loaded:** {model_error}"
        if video:
            source = Path(video)
        elif upload:
            source = Path(upload)
        elif sample_name in by_name:
            source = by_name[sample_name].path
        else:
            return (
                *cleared,
                "**Error:** record or upload a video, upload a pose file, or pick a synthetic sign.",
            )
        try:
            labels, descriptions = parse_candidates(candidates)
            given, canonical, frame_size, fps, layout = read_input(classifier, source)
            ranked = classifier(given, candidate_labels=labels, descriptions=descriptions, top_k=int(top_k))
            stem = f"{source.stem}-{abs(hash((str(source), candidates))) % 10**8}"
            animation = render_canonical_gif(canonical, work_dir / f"{stem}.gif", fps=fps, max_frames=90)
            best = ranked[0]["label"]
            pose, size = classifier.reader.read(given)
            heatmap = alignment_heatmap(
                classifier, pose, size, descriptions[labels.index(best)], work_dir / f"{stem}.png"
            )
        except (ValueError, FileNotFoundError, ImportError) as error:
            return *cleared, f"**Error:** {' '.join(str(error).split())}"
        size_text = f" at {frame_size[0]:.0f}×{frame_size[1]:.0f}" if frame_size else ""
        status = (
            f"`{source.name}`: {len(canonical)} frames{size_text}, layout `{layout}`. "
            f"Best match **{best}** ({ranked[0]['score']:.1%}); heatmap for its description."
        )
        ranking = {item["label"]: item["score"] for item in ranked}
        return str(animation), ranking, str(heatmap), status

    with gr.Blocks(title="LexSign zero-shot sign classification", analytics_enabled=False) as app:
        gr.Markdown(
            "## LexSign · zero-shot sign classification from video or skeletons\n"
            f"Model: `{MODEL}`. Sign into the webcam or upload a video (the pose is extracted with MediaPipe "
            "Holistic), or upload a pose-format `.pose` file, or pick a synthetic sign; list candidate glosses "
            "with their lexical descriptions, and classify."
        )
        if model_error:
            gr.Markdown(f"**Model not loaded:** {model_error}", elem_id="model-error")
        with gr.Row():
            with gr.Column():
                video = gr.Video(
                    sources=["webcam", "upload"], label="Video (webcam or upload)", elem_id="video"
                )
                upload = gr.File(
                    label="or a .pose file", file_types=[".pose"], type="filepath", elem_id="upload"
                )
                sample = gr.Dropdown(
                    choices=list(by_name), value=samples[0].name if samples else None, label="or a synthetic sign",
                    elem_id="sample",
                )  # fmt: skip
                candidates = gr.Textbox(
                    value=default_candidates, lines=6, label="Candidates (GLOSS: description, one per line)",
                    elem_id="candidates",
                )  # fmt: skip
                top_k = gr.Slider(1, 10, value=5, step=1, label="top k", elem_id="top-k")
                button = gr.Button(
                    "Classify", variant="primary", elem_id="classify", interactive=classifier is not None
                )
            with gr.Column():
                animation = gr.Image(
                    label="Extracted skeleton", type="filepath", interactive=False, elem_id="animation"
                )
                ranking = gr.Label(label="Ranked glosses", elem_id="ranking")
        status = gr.Markdown(elem_id="status")
        heatmap = gr.Image(label="Alignment", type="filepath", interactive=False, elem_id="heatmap")
        button.click(
            classify,
            inputs=[video, upload, sample, candidates, top_k],
            outputs=[animation, ranking, heatmap, status],
        )
    app.work_dir = work_dir
    return app


def load_classifier(model: str):
    """(pipeline, None), or (None, one line saying why) when the model cannot be loaded."""
    try:
        return load_zero_shot_pipeline(resolve_repo(model, "model", "LEXSIGN_MODEL")), None
    except Exception as error:  # the app must still start and say why in one line
        return None, f"`{model}`: {' '.join(str(error).split()) or type(error).__name__}"


def main() -> gr.Blocks:
    samples = make_samples(WORK_DIR / "samples", NUM_SAMPLES)
    classifier, error = load_classifier(MODEL)
    return build_app(classifier, samples, WORK_DIR, error)


if __name__ == "__main__":
    main().launch(allowed_paths=[str(WORK_DIR)])

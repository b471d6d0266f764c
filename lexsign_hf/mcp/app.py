"""The MCP annotation app (Gradio): watch a sign, pick or edit the dictionary entry that describes it, save.

```python
from lexsign_hf.mcp.app import SignMedia, build_app, read_retrievals

app = build_app(read_retrievals("candidates.jsonl"), "descriptions/mcp.jsonl", SignMedia(["poses/", "videos/"]))
app.launch(server_name="127.0.0.1", server_port=7860)
```

For each gloss the annotator sees the sign (the pose file drawn as an animated skeleton, or the video)
beside the candidates retrieved from the book; choosing one fills an editable text box and, for an OCR-ed entry,
shows the crop of the scanned page it was read from, so the text can be checked against the print (candidates
with a low-confidence line are flagged). *Save* writes an `mcp` description record with the entry's book, page
and line (`lexsign_hf.mcp.annotations.save_choice`).
A gloss without candidates says so and cannot be saved (there is no dictionary position to cite).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .annotations import annotated_glosses, save_choice
from .ocr import LOW_CONFIDENCE

POSE_SUFFIXES = (".pose", ".npy", ".npz")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mkv", ".mov", ".avi")


def read_retrievals(path: str | Path) -> list[dict[str, Any]]:
    """The JSONL written by `lexsign mcp retrieve` (one `{gloss, status, candidates}` object per line)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"candidates file not found: {path} (write it with `lexsign mcp retrieve`)")
    retrievals = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item.get("gloss"), str) or not isinstance(item.get("candidates"), list):
                raise ValueError("needs 'gloss' (string) and 'candidates' (list)")
        except (json.JSONDecodeError, AttributeError, ValueError) as error:
            raise ValueError(f"{path}:{number}: not a retrieval record ({error})") from None
        retrievals.append(item)
    if not retrievals:
        raise ValueError(f"{path}: no gloss to annotate")
    return retrievals


class SignMedia:
    """Finds what to show for a gloss: a pose file (rendered to an animated GIF, cached) or a video.

    Files are looked up in `folders` as `<gloss>.<ext>`, then as `<video_id>.<ext>` for the gloss's video ids
    (`gloss_videos`, e.g. from a LexSign config's rows).
    """

    def __init__(
        self,
        folders: Sequence[str | Path] = (),
        gloss_videos: Mapping[str, Sequence[str]] | None = None,
        cache_dir: str | Path | None = None,
        max_frames: int = 120,
    ):
        import tempfile

        self.folders = [Path(folder) for folder in folders]
        missing = [str(folder) for folder in self.folders if not folder.is_dir()]
        if missing:
            raise FileNotFoundError(f"media folder(s) not found: {', '.join(missing)}")
        self.gloss_videos = {gloss: list(ids) for gloss, ids in (gloss_videos or {}).items()}
        self.cache_dir = Path(cache_dir or tempfile.mkdtemp(prefix="lexsign-mcp-"))
        self.max_frames = max_frames

    def find(self, gloss: str) -> Path | None:
        for name in [gloss, *self.gloss_videos.get(gloss, [])]:
            for folder in self.folders:
                for suffix in POSE_SUFFIXES + VIDEO_SUFFIXES:
                    candidate = folder / f"{name}{suffix}"
                    if candidate.is_file():
                        return candidate
        return None

    def show(self, gloss: str) -> tuple[str | None, Path | None, str]:
        """`(kind, path, note)` with kind ``"animation"`` (GIF), ``"video"`` or None when nothing is found."""
        source = self.find(gloss)
        if source is None:
            return (
                None,
                None,
                f"No pose file or video for **{gloss}** in {', '.join(map(str, self.folders)) or '-'}.",
            )
        if source.suffix.lower() in VIDEO_SUFFIXES:
            return "video", source, f"Video: `{source.name}`"
        from lexsign_hf.pose import read_pose

        from .render import render_canonical_gif

        target = self.cache_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', source.stem)}.gif"
        if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
            try:
                sequence = read_pose(source)
                render_canonical_gif(
                    sequence.canonical(), target, fps=sequence.fps, max_frames=self.max_frames
                )
            except ValueError as error:
                return None, None, f"Cannot draw `{source.name}`: {error}"
        return "animation", target, f"Skeleton from `{source.name}`"


def candidate_label(candidate: Mapping[str, Any], width: int = 140) -> str:
    text = candidate["text"] if len(candidate["text"]) <= width else candidate["text"][: width - 1] + "…"
    index = " (page index, no printed number)" if candidate.get("page_source") == "index" else ""
    where = f"p. {candidate['page']}{index}, l. {candidate['line']}"
    confidence = candidate.get("min_confidence")
    flag = (
        f" ⚠ low OCR confidence ({confidence:.0f})"
        if confidence is not None and confidence < LOW_CONFIDENCE
        else ""
    )
    return f"{candidate['headword']} ({candidate.get('method', '?')}, {where}){flag}: {text}"


def candidate_crop(candidate: Mapping[str, Any], cache_dir: str | Path, margin: int = 12) -> Path | None:
    """The candidate's lines cut from its scanned page image (PNG in `cache_dir`), or None without a scan."""
    from PIL import Image, UnidentifiedImageError

    image, bbox = candidate.get("image"), candidate.get("bbox")
    if not image or not bbox or not Path(image).is_file():
        return None
    left, top, right, bottom = (int(value) for value in bbox)
    name = f"{Path(image).stem}_{left}_{top}_{right}_{bottom}.png"
    target = Path(cache_dir) / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    if not target.is_file():
        try:
            with Image.open(image) as page:
                box = (
                    max(left - margin, 0),
                    max(top - margin, 0),
                    min(right + margin, page.width),
                    min(bottom + margin, page.height),
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                page.crop(box).save(target)
        except (UnidentifiedImageError, OSError):
            return None
    return target


def build_app(
    retrievals: Sequence[Mapping[str, Any]],
    out_path: str | Path,
    media: SignMedia | None = None,
    language: str = "asl",
    annotator: str | None = None,
):
    """The Gradio Blocks app over `retrievals` (see `read_retrievals`), saving choices to `out_path`."""
    import gradio as gr

    media = media or SignMedia()
    by_gloss = {item["gloss"]: item for item in retrievals}
    glosses = list(by_gloss)
    out_path = Path(out_path)

    def progress_text() -> str:
        done = annotated_glosses(out_path) & set(glosses)
        return f"{len(done)} of {len(glosses)} glosses annotated · saving to `{out_path}`"

    def show(gloss: str):
        item = by_gloss.get(gloss) or {"candidates": []}
        kind, path, note = media.show(gloss)
        candidates = item["candidates"]
        if candidates:
            outcome = (
                f"**{len(candidates)} candidate(s)** for **{gloss}**: choose the entry that matches the sign."
            )
        else:
            outcome = (
                f"**No candidates**: the OCR text does not mention **{gloss}**. Nothing can be saved for it."
            )
        choices = [(candidate_label(candidate), str(index)) for index, candidate in enumerate(candidates)]
        return (
            gr.update(value=str(path) if kind == "animation" else None, visible=kind != "video"),
            gr.update(value=str(path) if kind == "video" else None, visible=kind == "video"),
            note,
            outcome,
            gr.update(choices=choices, value=None, interactive=bool(choices)),
            gr.update(value="", interactive=bool(choices)),
            gr.update(value=None, visible=False),
            "",
            progress_text(),
        )

    def choose(gloss: str, choice: str | None):
        if choice is None:
            return gr.update(), gr.update(value=None, visible=False)
        candidate = by_gloss[gloss]["candidates"][int(choice)]
        crop = candidate_crop(candidate, media.cache_dir)
        return candidate["text"], gr.update(value=str(crop) if crop else None, visible=crop is not None)

    def save(gloss: str, choice: str | None, text: str):
        if choice is None:
            return (
                "**Not saved:** choose a candidate first (its book, page and line are saved with the text).",
                progress_text(),
            )
        candidate = by_gloss[gloss]["candidates"][int(choice)]
        source = media.find(gloss)
        try:
            record = save_choice(
                out_path, gloss, text, candidate, language=language, annotator=annotator,
                media=source.name if source else None,
            )  # fmt: skip
        except ValueError as error:
            return f"**Not saved:** {error}", progress_text()
        edited = " (edited)" if record.provenance["edited"] else ""
        where = (
            f"{record.provenance['book']}, p. {record.provenance['page']}, l. {record.provenance['position']}"
        )
        return f"Saved **{gloss}**{edited} from {where}.", progress_text()

    def step(gloss: str, offset: int) -> str:
        return glosses[(glosses.index(gloss) + offset) % len(glosses)] if gloss in glosses else glosses[0]

    with gr.Blocks(title="LexSign MCP annotation", analytics_enabled=False) as app:
        gr.Markdown("## MCP annotation · choose the dictionary entry that describes the sign")
        with gr.Row():
            gloss = gr.Dropdown(choices=glosses, value=glosses[0], label="Gloss", elem_id="gloss", scale=3)
            previous = gr.Button("◀ Previous", elem_id="previous", scale=1)
            following = gr.Button("Next ▶", elem_id="next", scale=1)
        progress = gr.Markdown(elem_id="progress")
        with gr.Row():
            with gr.Column(scale=2):
                animation = gr.Image(
                    label="Sign", type="filepath", interactive=False, elem_id="sign-animation"
                )
                video = gr.Video(label="Sign", interactive=False, visible=False, elem_id="sign-video")
                media_note = gr.Markdown(elem_id="media-note")
            with gr.Column(scale=3):
                outcome = gr.Markdown(elem_id="outcome")
                candidates = gr.Radio(label="Candidates", choices=[], elem_id="candidates")
                with gr.Row():
                    description = gr.Textbox(
                        label="Description (edit if needed)", lines=4, elem_id="description", scale=3
                    )
                    scan = gr.Image(
                        label="Scanned page (the entry's lines)",
                        type="filepath",
                        interactive=False,
                        visible=False,
                        elem_id="scan-crop",
                        scale=2,
                    )
                save_button = gr.Button("Save", variant="primary", elem_id="save")
                status = gr.Markdown(elem_id="status")
        outputs = [animation, video, media_note, outcome, candidates, description, scan, status, progress]
        app.load(show, inputs=gloss, outputs=outputs)
        gloss.change(show, inputs=gloss, outputs=outputs)
        candidates.change(choose, inputs=[gloss, candidates], outputs=[description, scan])
        save_button.click(save, inputs=[gloss, candidates, description], outputs=[status, progress])
        previous.click(lambda g: step(g, -1), inputs=gloss, outputs=gloss)
        following.click(lambda g: step(g, 1), inputs=gloss, outputs=gloss)
    app.media_folders = [str(media.cache_dir), *map(str, media.folders)]
    return app


def launch(app, host: str = "127.0.0.1", port: int | None = None, block: bool = True):
    """Serve `app` (only its media folders are readable through the server); returns `(app, local_url)`."""
    import gradio as gr

    theme = gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]
    )
    _, url, _ = app.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        allowed_paths=getattr(app, "media_folders", []),
        quiet=True,
        ssr_mode=False,
        theme=theme,
    )
    return app, url

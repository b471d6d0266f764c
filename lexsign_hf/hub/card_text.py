"""What a published card says besides its results: how to use the repo from the Hub (pipeline, handler, the
`video-classification` widget of ISLR models, the Space link of zero-shot ones), the weights note, the adapter's
downstream result, and the Hub metadata (tags, licence, dataset link, size category)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from huggingface_hub import ModelCard

from ..fingerprint import WEIGHTS_KEY

TAGS = ["sign-language", "zero-shot", "pose", "lexsign", "hali", "custom_code"]
HUB_DATASET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


class MeasuredResults(Protocol):
    """What the weights note reads of `cards.CardResults`."""

    run: str | None
    source: Path


HUB_USAGE = """
## Use it from the Hub, without the package

```python
from transformers import pipeline

classifier = pipeline("zero-shot-sign-classification", model="{repo_id}", trust_remote_code=True)
classifier("{example}", candidate_labels=["HELLO", "THANK-YOU"],
           descriptions=["Flat hand at the forehead, palm out; move outward.",
                         "Flat hand at the chin, palm in; move forward and down."])
```

Inputs: a signing video (path, bytes or RGB frames; the pose is estimated with MediaPipe Holistic, as `lexsign pose
extract` does), `.pose` files of any layout in `pose_layouts.json` (MediaPipe holistic, COCO-WholeBody 133,
OpenPose 137), `.pose` bytes, or canonical `(frames, 77, 3)` arrays; `{example}` in this repository is a real
signing clip to try. A gloss may repeat in `candidate_labels`, once per description (scores averaged), or give
`labels="GLOSS: description\\n..."`. `handler.py` serves the model on Inference Endpoints: the video bytes as
the request body, or `{{"inputs": "<base64 video or .pose>", "parameters": {{"candidate_labels": [...],
"descriptions": [...]}}}}`.
"""
ISLR_USAGE = """
## Hosted widget: video classification

This model has a classifier head over its own glosses, so the Hub's `video-classification` task runs it
(the widget above, with `{example}`, a real signing clip in this repository):

```python
from transformers import pipeline

classifier = pipeline("video-classification", model="{repo_id}", trust_remote_code=True)
classifier("{example}", top_k=5)  # [{{"label": ..., "score": ...}}, ...]
```
"""
SPACE_USAGE = """
## Try it in a browser

No standard Hub task ranks glosses by their descriptions, so this card carries no `pipeline_tag` (no widget);
the Space [{space}](https://huggingface.co/spaces/{space}) runs this kind of model on webcam or uploaded videos
(`LEXSIGN_MODEL={repo_id}`).
"""
EXAMPLE_VIDEO = "sign.mp4"  # shipped in the repo by `lexsign push` (lexsign_hf/hub/assets/)
ISLR_PIPELINE_TAG = "video-classification"
SPACE_ID = "lexsign/lexsign-zero-shot"  # spaces/lexsign-zero-shot


def add_weights_note(
    card: ModelCard, weights: Mapping[str, str], results: MeasuredResults | None
) -> ModelCard:
    """State which weights the card describes (and, with results, that they were measured on exactly these)."""
    note = f"`{weights['file']}` sha256 `{weights['sha256']}`"
    if results is not None:
        which = f"The `{results.run}` results" if results.run else "The results"
        note = (
            f"{which} above were measured on exactly these weights: {note} (`{WEIGHTS_KEY}` in "
            f"`{results.source.name}`; `lexsign push` refuses results of other weights)."
        )
    else:
        note = f"Weights: {note}. No results were published with them."
    card.text = card.text.rstrip("\n") + f"\n\n## Weights\n\n{note}\n"
    return card


def add_hub_usage(card: ModelCard, repo_id: str, islr: bool = False) -> ModelCard:
    """Point the card's placeholders at `repo_id` and add how to use the pipeline and handler the push ships; an
    ISLR model (`islr`) gets `pipeline_tag: video-classification` and a widget on the shipped example video, a
    zero-shot model no tag and a link to the Space."""
    text = card.text.replace("MODEL_FOLDER_OR_REPO", repo_id)
    if "zero-shot-sign-classification" not in text:
        text = text.rstrip("\n") + "\n" + HUB_USAGE.format(repo_id=repo_id, example=EXAMPLE_VIDEO)
    if islr:
        card.data.pipeline_tag = ISLR_PIPELINE_TAG
        card.data.widget = [
            {
                "src": f"https://huggingface.co/{repo_id}/resolve/main/{EXAMPLE_VIDEO}",
                "example_title": "a signer",
            }
        ]
        if "## Hosted widget" not in text:
            text = text.rstrip("\n") + "\n" + ISLR_USAGE.format(repo_id=repo_id, example=EXAMPLE_VIDEO)
    elif "## Try it in a browser" not in text:
        text = text.rstrip("\n") + "\n" + SPACE_USAGE.format(repo_id=repo_id, space=SPACE_ID)
    card.text = text
    return card


def is_islr_model(model_dir: str | os.PathLike) -> bool:
    """Whether the saved model in `model_dir` is an ISLR classifier (`HALIForSignClassification`)."""
    config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    return "HALIForSignClassification" in (config.get("architectures") or [])


def hub_dataset_id(name: str | None) -> str | None:
    """`name` if it has the shape of a Hub dataset id (``namespace/name``), else None (a local folder name such as
    ``synth-4856d424e015acdb`` or ``lexsign-synth`` names no Hub dataset)."""
    return name if isinstance(name, str) and HUB_DATASET_ID.fullmatch(name) else None


def update_card_metadata(card: ModelCard, dataset_id: str | None, license: str | None) -> ModelCard:
    """Add the Hub tags and `library_name`; `license`, when given, replaces the card's; link `dataset_id` (a Hub
    id) or, without one, drop dataset names that are not Hub ids (see `set_card_dataset` for `model-index`)."""
    card.data.tags = [*(card.data.tags or []), *(tag for tag in TAGS if tag not in (card.data.tags or []))]
    card.data.library_name = card.data.library_name or "transformers"
    card.data.license = license or card.data.license or "cc-by-nc-4.0"
    hub_ids = [name for name in card.data.datasets or [] if hub_dataset_id(name) and name != dataset_id]
    card.data.datasets = [dataset_id, *hub_ids] if dataset_id else hub_ids or None
    return card


def set_card_dataset(card: ModelCard, dataset_id: str | None, dataset_config: str | None) -> ModelCard:
    """Point the card's `model-index` at the Hub dataset `dataset_id` (and its config, when given); without a Hub
    id the card keeps its results table but has no `model-index` (whose dataset must be a Hub id)."""
    if not dataset_id:
        card.data.eval_results = None
        return card
    for result in card.data.eval_results or []:
        result.dataset_type = dataset_id
        result.dataset_config = dataset_config or result.dataset_config
    return card


def size_category(rows: int) -> str:
    """The Hub `size_categories` value of a dataset with `rows` rows (e.g. 194 -> ``"n<1K"``)."""
    for bound, name in SIZE_CATEGORIES:
        if rows < bound:
            return name
    return "1M<n<10M"

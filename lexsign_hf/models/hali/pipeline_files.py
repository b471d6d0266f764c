"""What `HALIPreTrainedModel.save_pretrained` writes beside the weights so that the folder (or the Hub repo
`push_to_hub` makes of it) runs the pipeline with `trust_remote_code=True` alone: `config.custom_pipelines`,
the pipeline module and the modules it imports, the pose layout table, the Inference Endpoints `handler.py` and
its `requirements.txt`."""

from __future__ import annotations

import os
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

ZERO_SHOT_TASK = "zero-shot-sign-classification"
ISLR_TASK = "video-classification"
PIPELINE_CLASS = "pipeline_hali.ZeroShotSignClassificationPipeline"
PIPELINE_FILES = ("pipeline_hali.py", "pose_inputs.py", "labels_hali.py", "pose_layouts.json", "handler.py")
REQUIREMENTS_FILE = "requirements.txt"
# What the remote code, the pipeline and `handler.py` import (Inference Endpoints installs `requirements.txt`);
# `av` and `mediapipe` turn videos into poses.
REQUIREMENTS = ("transformers", "torch", "numpy", "safetensors", "pose-format", "av", "mediapipe")


def custom_pipelines(islr: bool) -> dict[str, dict[str, Any]]:
    """`config.custom_pipelines` of a HALI model: the zero-shot task, and for an ISLR classifier also
    `video-classification` (same pipeline, ranking the model's own classes when given no candidates)."""
    auto_class = "AutoModelForSequenceClassification" if islr else "AutoModel"
    entry = {"impl": PIPELINE_CLASS, "pt": [auto_class], "type": "multimodal"}
    tasks = (ZERO_SHOT_TASK, ISLR_TASK) if islr else (ZERO_SHOT_TASK,)
    return {task: dict(entry) for task in tasks}


def write_pipeline_files(save_directory: str | os.PathLike) -> None:
    """Copy the pipeline's files (those found beside this module) and write `requirements.txt`."""
    save_directory, here = Path(save_directory), Path(__file__).parent
    for name in PIPELINE_FILES:
        if (here / name).is_file() and (here / name).resolve() != (save_directory / name).resolve():
            shutil.copyfile(here / name, save_directory / name)
    (save_directory / REQUIREMENTS_FILE).write_text(requirements(), encoding="utf-8")


def requirements() -> str:
    """`requirements.txt` of a published model: the packages its code needs, at least the installed major.minor
    (the versions it was saved and checked with; `mediapipe` pinned to the installed version, whose wheel carries
    the holistic models)."""
    lines = []
    for name in REQUIREMENTS:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            lines.append(name)
            continue
        major_minor = ".".join(version.split(".")[:2])
        lines.append(f"{name}=={version}" if name == "mediapipe" else f"{name}>={major_minor}")
    return "\n".join(lines) + "\n"

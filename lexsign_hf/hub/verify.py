"""Loading a staged repository tree back the way users will (`verify_staged`): the model with the package and,
in a fresh process without `lexsign_hf`, with `trust_remote_code` (auto class, the card's `pipeline_tag`, the
pipeline, `handler.py`); a dataset with `datasets.load_dataset`; an adapter with `peft`. Also the `StagedRepo`
record `lexsign_hf.hub.push` stages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from huggingface_hub import ModelCard

REPO_TYPES = {"model": "model", "dataset": "dataset", "adapter": "model"}
VERIFY_DESCRIPTIONS = (
    "Flat hand at the chin, palm in; move forward twice.",
    "Index finger circles near the temple.",
)


@dataclass
class StagedRepo:
    """A repository tree ready to upload, with the commit that would create it."""

    kind: str
    repo_id: str
    folder: Path
    commit_message: str
    commit_description: str = ""
    checks: list[str] = field(default_factory=list)  # what `verify_staged` proved

    @property
    def repo_type(self) -> str:
        return REPO_TYPES[self.kind]

    @property
    def files(self) -> list[str]:
        return sorted(
            path.relative_to(self.folder).as_posix() for path in self.folder.rglob("*") if path.is_file()
        )


def model_classes(model_dir: Path):
    """The HALI class of a saved model and the transformers auto class its remote code is registered under."""
    from ..models.hali import HALIConfig, HALIForSignClassification
    from .export import hali_model_class

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "hali":
        raise ValueError(
            f"{model_dir / 'config.json'}: model_type is {config.get('model_type')!r}; expected 'hali'"
        )
    model_class = hali_model_class(HALIConfig.from_pretrained(model_dir))
    return model_class, (
        "AutoModelForSequenceClassification" if model_class is HALIForSignClassification else "AutoModel"
    )


def dataset_card_metadata(folder: Path) -> tuple[dict[str, Any], str]:
    readme = folder / "README.md"
    if not readme.is_file():
        raise FileNotFoundError(
            f"{folder}: missing the dataset card README.md (write the folder with `lexsign data build` or "
            "`lexsign_hf.data.hub_layout.write_dataset_folder`)"
        )
    text = readme.read_text(encoding="utf-8")
    match = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, flags=re.DOTALL)
    if not match:
        raise ValueError(f"{readme}: no YAML front matter (--- ... ---) with the dataset's configs")
    try:
        metadata = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{readme}: the YAML front matter does not parse ({error})") from None
    if not isinstance(metadata, dict) or not metadata.get("configs"):
        raise ValueError(f"{readme}: the YAML front matter has no 'configs:' list (parquet files per config)")
    return metadata, text


def data_file_patterns(data_files: Any) -> list[str]:
    """The path patterns of a README `configs:` entry's `data_files` (a string, a list, or split → path(s))."""
    if isinstance(data_files, str):
        return [data_files]
    patterns = []
    for entry in data_files or []:
        paths = entry.get("path", []) if isinstance(entry, dict) else entry
        patterns.extend([paths] if isinstance(paths, str) else paths)
    return patterns


_REMOTE_CHECK = """
import base64, json, sys
import transformers
folder, auto_class, pose_file, parameters = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
tag = sys.argv[5]
if tag:  # the card's pipeline_tag must load the tree, as the Hub widget and "Use this model" will
    try:
        transformers.pipeline(tag, model=folder, trust_remote_code=True)
    except Exception as error:
        reason = " ".join(str(error).split())[:200]
        sys.exit(f"the card's pipeline_tag {tag!r} does not load this model (remove it from the card): {reason}")
model = getattr(transformers, auto_class).from_pretrained(folder, trust_remote_code=True)
classifier = transformers.pipeline("zero-shot-sign-classification", model=folder, trust_remote_code=True)
sys.path.insert(0, folder)
from handler import EndpointHandler
request = {"inputs": base64.b64encode(open(pose_file, "rb").read()).decode(), "parameters": parameters}
print(json.dumps({
    "model": type(model).__name__,
    "pipeline": classifier(pose_file, **parameters),
    "handler": EndpointHandler(folder)(request),
    "leaked": sorted(name for name in sys.modules if name.split(".")[0] == "lexsign_hf"),
}))
"""


def _same_ranking(found: list[dict], expected: list[dict]) -> bool:
    return [item["label"] for item in found] == [item["label"] for item in expected] and all(
        abs(a["score"] - b["score"]) <= 1e-4 for a, b in zip(found, expected, strict=True)
    )


def _verify_model(staged: StagedRepo) -> list[str]:
    """In this process: the card parses and the model loads with the package. In a fresh Python without
    `lexsign_hf`: the auto class with `trust_remote_code`, the pipeline and `handler.py` on a `.pose` file give
    the package's ranking."""
    from ..models.hali import HALIProcessor
    from ..pose import write_pose_file
    from .export import zero_shot_pipeline

    folder = staged.folder
    card = ModelCard.load(folder / "README.md")
    model_class, auto_class = model_classes(folder)
    model = model_class.from_pretrained(folder).eval()
    parameters = {"candidate_labels": ["A", "B"], "descriptions": list(VERIFY_DESCRIPTIONS)}
    with tempfile.TemporaryDirectory() as scratch:
        keypoints = np.random.default_rng(0).uniform(10, 500, size=(16, 133, 3)).astype(np.float32)
        keypoints[..., 2] = 1.0
        pose_file = write_pose_file(Path(scratch) / "sign.pose", keypoints, "coco_wholebody_133", fps=25.0)
        expected = zero_shot_pipeline(model, HALIProcessor.from_pretrained(folder))(
            str(pose_file), **parameters
        )
        result = subprocess.run(
            [sys.executable, "-c", _REMOTE_CHECK, str(folder.resolve()), auto_class, str(pose_file),
             json.dumps(parameters), card.data.pipeline_tag or ""],
            capture_output=True, text=True, cwd=scratch, timeout=600,
        )  # fmt: skip
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["(no error output)"]
        raise ValueError(f"{folder}: loading with trust_remote_code in a fresh process failed: {lines[-1]}")
    remote = json.loads(result.stdout.strip().splitlines()[-1])
    if remote["leaked"]:
        raise ValueError(f"{folder}: the remote code imported {remote['leaked']} (it must be self-contained)")
    for name in ("pipeline", "handler"):
        if not _same_ranking(remote[name], expected):
            raise ValueError(f"{folder}: the remote {name} ranks {remote[name]}, the package {expected}")
    tag = card.data.pipeline_tag
    return [
        f"{model_class.__name__}.from_pretrained loads the folder",
        f"pipeline({tag!r}, trust_remote_code=True) loads it (the card's pipeline_tag)"
        if tag
        else "the card has no pipeline_tag (no standard Hub task loads HALI); its usage shows "
        "pipeline('zero-shot-sign-classification')",
        f"fresh process without lexsign_hf: {auto_class}.from_pretrained(trust_remote_code=True) gives "
        f"{remote['model']}; pipeline('zero-shot-sign-classification') and handler.py rank a .pose file as the "
        f"package does: {remote['pipeline']}",
    ]


def _verify_dataset(staged: StagedRepo) -> list[str]:
    import datasets

    from ..data.pose_store import POSES_CONFIG_KEY, load_pose_store

    metadata, _ = dataset_card_metadata(staged.folder)
    checks = []
    stores: dict[str, int] = {}
    for config in metadata["configs"]:
        name = config.get("config_name", "default")
        loaded = datasets.load_dataset(str(staged.folder), name)
        sizes = ", ".join(f"{split} {len(rows)}" for split, rows in loaded.items())
        checks.append(f"load_dataset({staged.folder.name!r}, {name!r}): {sizes}")
    for classes in sorted(staged.folder.glob("data/*/classes.json")):
        store = json.loads(classes.read_text(encoding="utf-8")).get(POSES_CONFIG_KEY)
        if store and store not in stores:
            stores[store] = len(load_pose_store(staged.folder, store))
            checks.append(f"pose store data/{store}/ (load_from_disk): {stores[store]} videos")
    return checks


def _verify_adapter(staged: StagedRepo) -> list[str]:
    from huggingface_hub import ModelCard
    from peft import PeftConfig
    from safetensors import safe_open

    ModelCard.load(staged.folder / "README.md")
    config = PeftConfig.from_pretrained(str(staged.folder))
    with safe_open(str(staged.folder / "adapter_model.safetensors"), framework="numpy") as handle:
        lora = [key for key in handle.keys() if ".lora_" in key]
    if not lora:
        raise ValueError(f"{staged.folder / 'adapter_model.safetensors'}: no LoRA weights (lora_A / lora_B)")
    return [
        f"PeftConfig.from_pretrained: {getattr(config.peft_type, 'value', config.peft_type)} r={getattr(config, 'r', '?')}, {len(lora)} LoRA tensors"
    ]


def verify_staged(staged: StagedRepo) -> StagedRepo:
    """Load the staged tree back the way users will; raises `ValueError` when something does not load."""
    verify = {"model": _verify_model, "dataset": _verify_dataset, "adapter": _verify_adapter}[staged.kind]
    staged.checks = verify(staged)
    return staged

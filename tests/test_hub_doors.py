"""The ordinary Hugging Face path publishes a working repo: `model.push_to_hub()` sends the pipeline with the
weights (what `save_pretrained` writes), and `lexsign train --push-to-hub REPO` uploads the tree `lexsign push
model` makes, against the local stand-in for the Hub API of test_hub_push (real `HfApi`, real HTTP)."""

from __future__ import annotations

import base64
import json

import pytest
import torch
from huggingface_hub import ModelCard, constants
from test_hub_push import TOKEN, StubHub, hub  # noqa: F401, F811  (the `hub` fixture)
from test_train_zsslr import TINY_SYNTH
from tiny import TINY_HALI

from lexsign_hf import HALIConfig, HALIModel
from lexsign_hf.cli import main
from lexsign_hf.models.hali.pipeline_files import PIPELINE_FILES
from lexsign_hf.synth import build_synth_dataset


@pytest.fixture
def endpoint(hub, monkeypatch):  # noqa: F811
    """Every Hub client of this test talks to the stub: the default endpoint, and transformers' shared `HfApi`
    (created on first use with the endpoint of that moment) made afresh."""
    import transformers.utils.hub

    monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)
    monkeypatch.setattr(transformers.utils.hub, "_hf_api", None)
    return hub


def sent_files(server: StubHub) -> dict[str, bytes]:
    (commit,) = server.commits
    return {
        line["value"]["path"]: base64.b64decode(line["value"]["content"])
        for line in commit["lines"][1:]
        if line["key"] == "file"
    }


def test_model_push_to_hub_sends_the_pipeline(endpoint):
    server = endpoint
    torch.manual_seed(0)
    HALIModel(HALIConfig(**TINY_HALI)).push_to_hub("someone/hali-pushed", token=TOKEN)
    files = sent_files(server)
    assert {*PIPELINE_FILES, "requirements.txt", "config.json", "model.safetensors"} <= set(files)
    config = json.loads(files["config.json"])
    assert config["custom_pipelines"]["zero-shot-sign-classification"]["impl"] == (
        "pipeline_hali.ZeroShotSignClassificationPipeline"
    )
    assert config["auto_map"]["AutoModel"] == "modeling_hali.HALIModel"


@pytest.mark.slow
def test_train_push_to_hub_uploads_the_lexsign_push_tree(endpoint, tiny_bert, tmp_path, capsys):
    server = endpoint
    torch.set_num_threads(1)
    data = build_synth_dataset(tmp_path / "synth", TINY_SYNTH, progress=False)
    out = tmp_path / "run"
    command = ["train", "--dataset", str(data), "--config", "synth", "--out", str(out), "--steps", "2",
               "--batch-size", "4", "--max-frames", "16", "--pose-hidden-size", "16", "--projection-dim", "16",
               "--text-model", tiny_bert, "--no-progress"]  # fmt: skip
    assert main([*command, "--push-to-hub", "bad id"]) == 1  # refused before training
    assert "expected 'namespace/name'" in capsys.readouterr().err and not out.exists()
    assert main([*command, "--push-to-hub", "someone/hali-synth"]) == 0
    printed = capsys.readouterr().out
    assert "uploaded: " in printed and "/someone/hali-synth/commit/" in printed
    files = sent_files(server)
    assert {
        "README.md",
        "metrics.json",
        "pipeline_hali.py",
        "handler.py",
        "pose_layouts.json",
        "sign.mp4",
    } <= set(files)
    assert files["model.safetensors"] == (out / "model" / "model.safetensors").read_bytes()
    assert files["metrics.json"] == (out / "metrics.json").read_bytes()
    dry = tmp_path / "dry"
    assert (
        main(["push", "model", str(out / "model"), "--repo-id", "someone/hali-synth", "--dry-run", str(dry)])
        == 0
    )
    assert sorted(files) == sorted(p.relative_to(dry).as_posix() for p in dry.rglob("*") if p.is_file())
    card = ModelCard(files["README.md"].decode())
    assert card.data.pipeline_tag is None and "spaces/lexsign/lexsign-zero-shot" in card.text


def test_trainer_push_to_hub_sends_a_tree_the_pipeline_loads(endpoint, minilm_path, tmp_path):
    """`Trainer(push_to_hub=True, processing_class=processor).push_to_hub()` uploads weights, remote code, the
    pipeline and the processor: the uploaded files, laid out as a folder, serve `pipeline(TASK, ...)`."""
    server = endpoint
    from transformers import Trainer, TrainingArguments, pipeline

    from lexsign_hf import HALIProcessor

    torch.manual_seed(0)
    model = HALIModel(HALIConfig(**TINY_HALI))
    processor = HALIProcessor.from_text_pretrained(minilm_path, max_frames=16)
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"), push_to_hub=True, hub_model_id="someone/hali-trainer", hub_token=TOKEN,
        report_to="none", use_cpu=True,
    )  # fmt: skip
    Trainer(model=model, args=args, processing_class=processor).push_to_hub(blocking=True)
    files = {}
    for commit in server.commits:
        for line in commit["lines"][1:]:
            if line["key"] == "file":
                files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
    assert {*PIPELINE_FILES, "processor_config.json", "config.json", "model.safetensors"} <= set(files)
    folder = tmp_path / "downloaded"
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    pose = torch.rand(12, 77, 3).numpy()
    pose[..., 2] = 1.0
    ranked = pipeline("zero-shot-sign-classification", model=str(folder), trust_remote_code=True)(
        pose, labels="A: Flat hand.\nB: Fist at the chin."
    )
    assert sorted(item["label"] for item in ranked) == ["A", "B"]

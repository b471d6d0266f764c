"""Every script in `examples/` runs on its embedded tiny settings (in this process, as `python script.py` would),
and the training examples' outputs publish with `lexsign push` (`examples/agp_table12.py` runs in
`test_agp_table12.py`)."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from lexsign_hf.hub.push import push, stage_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(monkeypatch, name: str, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / name), *args])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def printed_json(text: str):
    """The JSON object a script printed last (from its last line that opens one)."""
    lines = text.splitlines()
    start = max(index for index, line in enumerate(lines) if line.startswith("{"))
    return json.loads("\n".join(lines[start:]))


def test_zero_shot_from_pose(monkeypatch, capsys):
    run_example(monkeypatch, "zero_shot_from_pose.py", "--demo", "--top-k", "3")
    output = printed_json(capsys.readouterr().out)
    assert output["pose"] == "SIGN_0000.pose"
    assert len(output["ranked"]) == 3 and {item["label"] for item in output["ranked"]} <= {
        f"SIGN_000{i}" for i in range(5)
    }
    scores = [item["score"] for item in output["ranked"]]
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-6


def test_train_zsslr_with_trainer_then_push(monkeypatch, capsys, tmp_path):
    out = tmp_path / "zsslr"
    run_example(monkeypatch, "train_zsslr_trainer.py", "--demo", "--out", str(out), "--max-steps", "2",
                "--batch-size", "4", "--max-frames", "16")  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["model"]["zsl"]) == {"top1", "top5"} and set(metrics["model"]["gzsl"]) == {
        "S",
        "U",
        "H",
    }
    assert metrics["config"]["steps"] == 2
    staged = stage_model(
        out / "model", tmp_path / "repo", "someone/hali-synth", dataset="someone/lexsign-synth"
    )
    card = ModelCard.load(staged.folder / "README.md")
    assert [result.metric_value for result in card.data.eval_results][:2] == [
        round(metrics["model"]["zsl"]["top1"], 2),
        round(metrics["model"]["zsl"]["top5"], 2),
    ]


def test_train_islr_with_alignment_then_push(monkeypatch, tmp_path):
    out = tmp_path / "islr"
    run_example(monkeypatch, "train_islr.py", "--demo", "--alignment", "--out", str(out), "--max-steps", "2",
                "--batch-size", "4", "--max-frames", "16")  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training"]["objective"] == "CE + L_HALI"
    assert {"test_per_instance_top1", "test_per_class_top5"} <= set(metrics["islr"])
    staged = stage_model(
        out / "model", tmp_path / "repo", "someone/hali-islr-synth", dataset="someone/lexsign-synth"
    )
    card = ModelCard.load(staged.folder / "README.md")
    values = {result.metric_type: result.metric_value for result in card.data.eval_results}
    assert values["per_instance_top1"] == metrics["islr"]["test_per_instance_top1"]
    assert card.data.eval_results[0].dataset_config == "synth"


def test_run_bench_on_a_local_mllm(monkeypatch, capsys, tmp_path, shared_data):
    run_example(
        monkeypatch, "run_bench_local_mllm.py", "--demo", "--out", str(tmp_path / "bench"),
        "--wlasl", str(shared_data / "wlasl" / "WLASL_v0.3.json"),
        "--asl-lex", str(shared_data / "asl-lex" / "asllex2_signdata-11-5-20.csv"),
        "--variants", "original", "--device", "cpu",
    )  # fmt: skip
    assert '"asked": 4' in capsys.readouterr().out  # 2 videos x 2 levels
    report = json.loads((tmp_path / "bench" / "report" / "report.json").read_text())
    assert report["runs"][0]["results"]["original|none"]["answered"] == 4


def test_agp_generate_demo(monkeypatch, tmp_path):
    out = tmp_path / "agp.jsonl"
    run_example(monkeypatch, "agp_generate.py", "--demo", "--out", str(out))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records and all(record["source"] == "agp" and record["text"] for record in records)


def test_finetune_lora_demo_then_push_the_adapter(monkeypatch, tmp_path):
    run_example(monkeypatch, "finetune_qwen_vl_lora.py", "--demo", "--out", str(tmp_path / "lora"))
    staged, commit = push("adapter", tmp_path / "lora" / "adapter", "someone/qwen-lexsign-lora",
                          dry_run=tmp_path / "repo")  # fmt: skip
    assert commit is None and "adapter_model.safetensors" in staged.files
    assert staged.checks[0].startswith("PeftConfig.from_pretrained: LORA")
    assert "sign-language" in ModelCard.load(staged.folder / "README.md").data.tags


@pytest.mark.slow  # builds and steps a Qwen2.5-VL with the real processors: ~40 s on 2 CPU cores
def test_lora_real_size_check_smoke(monkeypatch, capsys):
    run_example(monkeypatch, "lora_real_size_check.py", "--smoke")
    result = printed_json(capsys.readouterr().out)
    assert result["final_loss"] > 0

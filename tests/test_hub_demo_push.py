"""A tiny `lexsign demo` run published with `lexsign push model --dry-run`: the results are bound to the weights
they were measured on, the tree loads by remote code in a fresh process, and another model's results are refused."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from huggingface_hub import ModelCard

from lexsign_hf.cli import main
from lexsign_hf.fingerprint import DATA_KEY, WEIGHTS_KEY, data_fingerprint, weights_fingerprint
from lexsign_hf.hub.push import stage_model

# The tiny knobs of tests/test_demo.py.
TINY_DEMO = [
    "--steps", "2", "--num-seen", "6", "--num-validation", "3", "--num-test", "4", "--train-instances", "3",
    "--eval-instances", "2", "--test-seen-instances", "1", "--batch-size", "4", "--max-frames", "16",
    "--pose-hidden-size", "16", "--part-hidden-size", "8", "--projection-dim", "16", "--eval-every", "1",
    "--frozen-text-layers", "1", "--no-progress",
]  # fmt: skip
# In a fresh interpreter without lexsign_hf: the card's pipeline_tag (if any) and the custom pipeline load the tree.
FRESH_LOAD = """
import json, sys
import transformers
folder, tag = sys.argv[1], sys.argv[2]
loaded = {}
for task in ([tag] if tag else []) + ["zero-shot-sign-classification"]:
    loaded[task] = type(transformers.pipeline(task, model=folder, trust_remote_code=True)).__name__
print(json.dumps({"loaded": loaded, "leaked": [m for m in sys.modules if m.split(".")[0] == "lexsign_hf"]}))
"""


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, tiny_bert):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("demo")
    try:
        args = [
            "demo",
            "--out",
            str(root / "out"),
            "--text-model",
            tiny_bert,
            "--cache-dir",
            str(root / "cache"),
        ]
        assert main([*args, *TINY_DEMO]) == 0
    finally:
        torch.set_num_threads(threads)
    return root / "out"


def test_demo_results_record_the_weights_and_data_they_measure(demo_out):
    metrics = json.loads((demo_out / "metrics.json").read_text())
    assert metrics["hali"][WEIGHTS_KEY] == weights_fingerprint(demo_out / "model")
    assert metrics["baseline"][WEIGHTS_KEY] == weights_fingerprint(demo_out / "baseline_model")
    assert metrics["hali"][WEIGHTS_KEY]["sha256"] != metrics["baseline"][WEIGHTS_KEY]["sha256"]
    assert metrics[DATA_KEY] == data_fingerprint(metrics["run"]["dataset"], "synth")
    assert {"test", "test_seen", "train", "validation"} <= set(metrics[DATA_KEY]["splits"])


def test_dry_run_push_loads_in_a_fresh_process(demo_out, tmp_path, capsys):
    tree = tmp_path / "tree"
    assert (
        main(["push", "model", str(demo_out / "model"), "--repo-id", "me/hali-demo", "--dry-run", str(tree)])
        == 0
    )
    printed = capsys.readouterr().out
    assert (
        "fresh process without lexsign_hf" in printed
    )  # push's own check ran (remote code, pipeline, handler)
    card = ModelCard.load(tree / "README.md")
    tag = card.data.pipeline_tag
    result = subprocess.run(
        [sys.executable, "-c", FRESH_LOAD, str(tree), tag or ""], capture_output=True, text=True, cwd=tmp_path,
        timeout=600, env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["leaked"] == []
    assert loaded["loaded"]["zero-shot-sign-classification"] == "ZeroShotSignClassificationPipeline"
    if tag is None:  # no standard task loads HALI: the card shows the custom pipeline instead
        assert (
            'pipeline("zero-shot-sign-classification", model="me/hali-demo", trust_remote_code=True)'
            in card.text
        )
    else:
        assert tag in loaded["loaded"]
    assert "weights_fingerprint" in (tree / "metrics.json").read_text()
    assert weights_fingerprint(tree) == weights_fingerprint(demo_out / "model")
    assert f"`model.safetensors` sha256 `{weights_fingerprint(tree)['sha256']}`" in card.text


def test_pushing_the_baseline_with_hali_results_is_refused(demo_out, tmp_path, capsys):
    out = tmp_path / "never"
    args = ["push", "model", str(demo_out / "baseline_model"), "--repo-id", "me/b", "--dry-run", str(out)]
    assert main([*args, "--results", str(demo_out / "metrics.json"), "--results-key", "hali"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "the 'hali' results were measured on other weights" in error
    assert not out.exists()
    # Without --results-key the fingerprint picks the baseline's own results from DIR/../metrics.json.
    staged = stage_model(demo_out / "baseline_model", tmp_path / "repo", "me/b")
    baseline = json.loads((demo_out / "metrics.json").read_text())["baseline"]
    assert f"ZSL top-1 (per class) {baseline['zsl']['top1']:.2f}" in staged.commit_description


def test_lexsign_evaluate_results_can_be_pushed(demo_out, tmp_path, capsys):
    data = json.loads((demo_out / "metrics.json").read_text())["run"]["dataset"]
    results = tmp_path / "results.json"
    args = ["evaluate", "--model", str(demo_out / "model"), "--dataset", data, "--config", "synth"]
    assert main([*args, "--out", str(results)]) == 0
    written = json.loads(results.read_text())
    assert written[WEIGHTS_KEY] == weights_fingerprint(demo_out / "model")
    assert written[DATA_KEY]["sha256"] == data_fingerprint(data, "synth")["sha256"]
    staged = stage_model(demo_out / "model", tmp_path / "repo", "me/h", results=results)
    card = ModelCard.load(staged.folder / "README.md")
    assert card.data.datasets is None and not card.data.eval_results  # a local folder is no Hub dataset
    for wrong in ("None", "nan%", "synth-"):
        assert wrong not in card.text, wrong
    with pytest.raises(ValueError, match="measured on other weights"):
        stage_model(demo_out / "baseline_model", tmp_path / "repo2", "me/b", results=results)
    other = {"global": "hali", "hali": "global"}[written["inference_similarity"]]
    results.write_text(json.dumps({**written, "inference_similarity": other}))
    with pytest.raises(
        ValueError, match=f"scored with inference_similarity '{other}', but .*config.json scores"
    ):
        stage_model(demo_out / "model", tmp_path / "repo3", "me/h", results=results)


def test_lexsign_train_results_push_without_the_folder_name(demo_out, tiny_bert, tmp_path):
    """`lexsign train` on a dataset folder named synth-<hash>: its metrics.json binds the `model` run to the
    weights; the pushed card names no local folder."""
    data = json.loads((demo_out / "metrics.json").read_text())["run"]["dataset"]
    out = tmp_path / "trained"
    code = main(
        ["train", "--dataset", data, "--config", "synth", "--out", str(out), "--steps", "1", "--batch-size", "4",
         "--max-frames", "16", "--pose-hidden-size", "16", "--projection-dim", "16", "--text-model", tiny_bert,
         "--no-progress"]
    )  # fmt: skip
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"][WEIGHTS_KEY] == weights_fingerprint(out / "model")
    assert metrics[DATA_KEY] == data_fingerprint(data, "synth")
    folder_name = data.rstrip("/").split("/")[-1]
    assert folder_name.startswith("synth-")
    staged = stage_model(out / "model", tmp_path / "repo", "me/h")  # finds OUT/metrics.json, run "model"
    card = ModelCard.load(staged.folder / "README.md")
    assert folder_name not in (staged.folder / "README.md").read_text().split("---")[1]  # not in the metadata
    assert card.data.datasets is None and not card.data.eval_results

"""`lexsign demo` end to end on a tiny configuration, and `lexsign predict` on a real pose file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard

from lexsign_hf.cli import main
from lexsign_hf.models.hali import HALIModel, HALIProcessor

TINY_DEMO = [
    "--steps", "2", "--num-seen", "6", "--num-validation", "3", "--num-test", "4", "--train-instances", "3",
    "--eval-instances", "2", "--test-seen-instances", "1", "--batch-size", "4", "--max-frames", "16",
    "--pose-hidden-size", "16", "--part-hidden-size", "8", "--projection-dim", "16", "--eval-every", "1",
    "--frozen-text-layers", "1", "--threads", "1", "--no-progress",
]  # fmt: skip
LABELS = [
    {"gloss": "ESSEN", "text": "Flat O hand, fingertips at the mouth, palm in; tap the lips twice."},
    {"gloss": "KINDER", "text": "Flat hand, palm down, in front of the body; move down in steps."},
    {"gloss": "KINDER", "text": "The palm faces down; the flat hand pats downward at waist height."},
    {"gloss": "PIZZA", "text": "Bent V hand at the chin, palm in; move in a circle."},
]


@pytest.fixture(autouse=True)
def single_thread():
    """Tiny models gain nothing from more threads, and lose a lot to thread contention on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, tiny_bert):
    root = tmp_path_factory.mktemp("demo")
    out = root / "out"
    args = ["demo", "--out", str(out), "--text-model", tiny_bert, "--cache-dir", str(root / "cache")]
    assert main([*args, *TINY_DEMO]) == 0
    return out, root, args


def test_demo_writes_metrics_models_card_and_plots(demo_run):
    out, root, _ = demo_run
    metrics = json.loads((out / "metrics.json").read_text())
    for name in ("hali", "baseline"):
        assert set(metrics[name]["zsl"]) >= {"top1", "top5"} and set(metrics[name]["gzsl"]) >= {"S", "U", "H"}
        values = [*metrics[name]["zsl"].values(), *metrics[name]["gzsl"].values()]
        assert all(0.0 <= value <= 100.0 for value in values)  # percentages, like chance_top1
        assert metrics[name]["config"]["steps"] == 2  # same budget for both
    assert metrics["chance_top1"] == pytest.approx(25.0)  # 4 unseen test classes, in percent
    assert metrics["config"]["seed"] == 0 and metrics["config"]["steps"] == 2
    assert metrics["config"]["threads"] == 1 and metrics["config"]["minutes"] is None
    assert set(metrics["run"]) >= {"machine", "runtime_seconds", "train_seconds", "dataset"}
    assert "machine" not in metrics["config"] and "train_seconds" not in metrics["hali"]["config"]
    assert metrics["config"]["frozen_text_layers"] == 1
    assert (
        metrics["hali"]["config"]["loss_mode"] == "hali"
        and metrics["baseline"]["config"]["loss_mode"] == "global"
    )

    for folder, loss_weight in (("model", 1.0), ("baseline_model", 0.0)):
        model = HALIModel.from_pretrained(out / folder)
        assert model.config.w_hc == loss_weight
        assert (
            model.config.inference_similarity
            == metrics["hali" if folder == "model" else "baseline"]["inference_similarity"]
        )
        HALIProcessor.from_pretrained(out / folder)
        card = ModelCard.load(out / folder / "README.md")
        # generated locally: no Hub dataset id, so the results are a table, not model-index
        assert not card.data.eval_results and not card.data.datasets
        for name in ("hali", "baseline"):
            assert (
                f"| {name} | {metrics[name]['zsl']['top1']:.1f} | {metrics[name]['zsl']['top5']:.1f} |"
                in card.content
            )
        assert "| frozen_text_layers | 1 |" in card.content
    for png in ("training_curves.png", "alignment_heatmap.png", "fragment_tsne.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / ".work").exists()
    assert len(list((root / "cache").glob("synth-*"))) == 1


def test_same_seed_gives_identical_metrics(demo_run, tmp_path):
    """Fixed steps, threads and deterministic algorithms: a second run reproduces every number; only the
    machine-dependent "run" section (wall times, machine, paths) may differ."""
    out, _, args = demo_run
    again = tmp_path / "again"
    assert main(["demo", "--out", str(again), *args[3:], *TINY_DEMO]) == 0
    first, second = (json.loads((folder / "metrics.json").read_text()) for folder in (out, again))
    first.pop("run"), second.pop("run")
    assert first == second
    for folder in ("model", "baseline_model"):
        a, b = (HALIModel.from_pretrained(root / folder).state_dict() for root in (out, again))
        assert all(torch.equal(a[key], b[key]) for key in a)


def test_steps_and_minutes_are_exclusive(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "x"), "--steps", "3", "--minutes", "1"]) == 1
    assert "not both" in capsys.readouterr().err
    from lexsign_hf.synth.demo import DEFAULT_STEPS, DemoSettings

    assert DemoSettings().fixed_steps == DEFAULT_STEPS and DemoSettings(minutes=2.0).fixed_steps is None


def test_predict_ranks_labels_for_a_real_pose_file(demo_run, shared_data, tmp_path, capsys):
    pose = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs" / "essen.pose"
    if not pose.is_file():
        pytest.skip(f"{pose} is not available")
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(entry) + "\n" for entry in LABELS))
    out, _, _ = demo_run
    assert (
        main(
            [
                "predict",
                "--model",
                str(out / "model"),
                "--pose",
                str(pose),
                "--labels",
                str(labels),
                "--top-k",
                "5",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["file"] == str(pose)
    glosses = [entry["label"] for entry in result["predictions"]]
    assert sorted(glosses) == [
        "ESSEN",
        "KINDER",
        "PIZZA",
    ]  # one entry per gloss, several descriptions averaged
    scores = [entry["score"] for entry in result["predictions"]]
    assert scores == sorted(scores, reverse=True) and np.isclose(sum(scores), 1.0, atol=1e-4)


def test_predict_rejects_unsupported_layout(demo_run, tmp_path, capsys):
    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    component = PoseHeaderComponent("FEET", [f"p{i}" for i in range(10)], [(0, 1)], [], "XYC")
    header = PoseHeader(0.1, PoseHeaderDimensions(100, 100, 1), [component])
    body = NumPyPoseBody(25, np.ones((3, 1, 10, 2), dtype=np.float32), np.ones((3, 1, 10), dtype=np.float32))
    pose_path = tmp_path / "feet.pose"
    with pose_path.open("wb") as handle:
        Pose(header, body).write(handle)
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps(LABELS[0]) + "\n")
    out, _, _ = demo_run
    assert (
        main(["predict", "--model", str(out / "model"), "--pose", str(pose_path), "--labels", str(labels)])
        == 1
    )
    assert "unknown pose layout" in capsys.readouterr().err


def test_demo_bad_input_fails_cleanly(demo_run, tmp_path, capsys):
    _, root, args = demo_run
    out = tmp_path / "bad"
    assert main(["demo", "--out", str(out), "--minutes", "0"]) == 1
    assert "--minutes must be a positive number" in capsys.readouterr().err
    assert not (out / "metrics.json").exists()

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["demo", "--out", str(blocker / "out"), *TINY_DEMO]) == 1
    assert "cannot write there" in capsys.readouterr().err

    asl_lex = tmp_path / "asl_lex.csv"
    asl_lex.write_text("EntryID,LemmaID\nhello,HELLO\n")
    assert main([*args[:2], str(out), *args[3:], "--asl-lex", str(asl_lex), *TINY_DEMO]) == 1
    assert "missing columns" in capsys.readouterr().err
    assert not (out / "metrics.json").exists()


def test_interrupted_demo_resumes_without_retraining(demo_run, tmp_path, monkeypatch, capsys):
    from lexsign_hf.synth import demo

    _, root, args = demo_run
    out = tmp_path / "resumed"
    run = ["demo", "--out", str(out), *args[3:], *TINY_DEMO]

    def interrupted(*_, **__):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(demo, "plot_training_curves", interrupted)
    with pytest.raises(RuntimeError, match="interrupted"):
        main(run)
    assert not (out / "metrics.json").exists() and not (out / "model").exists()
    assert (out / ".work" / "hali" / "result.json").is_file()
    assert (out / ".work" / "baseline" / "result.json").is_file()

    monkeypatch.undo()
    capsys.readouterr()
    assert main(run) == 0
    printed = capsys.readouterr().out
    assert (
        "HALI (L_HALI): already trained" in printed and "baseline (L_Global only): already trained" in printed
    )
    assert json.loads((out / "metrics.json").read_text())["hali"]["config"]["steps"] == 2
    assert not (out / ".work").exists()

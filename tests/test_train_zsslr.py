"""ZSSLR training / evaluation / card / predict on a tiny LexSign-Synth folder with a tiny BERT text tower."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard

from lexsign_hf.cli import main
from lexsign_hf.data.phonology import HELD_OUT_TEMPLATES, TRAIN_TEMPLATES
from lexsign_hf.models.hali import HALIConfig, HALIModel
from lexsign_hf.pose import to_canonical
from lexsign_hf.synth import SynthConfig, build_synth_dataset, class_descriptions, synth_classes
from lexsign_hf.train.card import render_zsslr_card
from lexsign_hf.train.evaluate import ZSSLREvaluator, evaluate_zsslr
from lexsign_hf.train.optim import build_optimizer
from lexsign_hf.train.predict import read_label_file
from lexsign_hf.train.zsslr import apply_loss_mode, build_hali, load_zsslr_data, steps_for_budget, train_zsslr

TINY_SYNTH = SynthConfig(
    num_seen=6, num_validation=3, num_test=4, train_instances=3, eval_instances=2, test_seen_instances=1,
    num_signers=4, max_frames=16,
)  # fmt: skip
TINY_POSE = {"hidden_size": 16, "part_hidden_size": 8, "num_temporal_layers": 1, "num_graph_layers": 1}


@pytest.fixture(autouse=True)
def single_thread():
    """Tiny models gain nothing from more threads, and lose a lot to thread contention on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:
    return build_synth_dataset(tmp_path_factory.mktemp("synth"), TINY_SYNTH, progress=False)


@pytest.fixture(scope="module")
def data(synth_dir):
    return load_zsslr_data(synth_dir, "synth")


def tiny_model(tiny_bert: str, loss_mode: str = "hali"):
    return build_hali(tiny_bert, loss_mode=loss_mode, max_frames=16, pose_config=TINY_POSE, projection_dim=16)


def test_partitions_and_held_out_descriptions(data):
    classes = synth_classes(TINY_SYNTH)
    assert data.classes == classes.glosses
    assert (len(data.seen), len(data.unseen_validation), len(data.unseen_test)) == (6, 3, 4)
    assert not set(data.seen) & set(data.unseen_test)
    # unseen (and seen, for GZSL) classes are scored against the held-out templates only
    assert data.eval_descriptions() == class_descriptions(classes, HELD_OUT_TEMPLATES)
    train_texts = {text for row in data.splits["train"] for text in row["description"]}
    held_out = {text for texts in class_descriptions(classes, HELD_OUT_TEMPLATES) for text in texts}
    assert train_texts and not train_texts & held_out
    assert train_texts <= {t for texts in class_descriptions(classes, TRAIN_TEMPLATES) for t in texts}
    assert data.train_bank is None  # rows carry their own training descriptions


def test_load_rejects_folder_without_zsslr_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="classes.json"):
        load_zsslr_data(tmp_path, "asl1000")
    (tmp_path / "data" / "asl1000").mkdir(parents=True)
    (tmp_path / "data" / "asl1000" / "classes.json").write_text(json.dumps({"classes": ["A"]}))
    with pytest.raises(ValueError, match="missing fields"):
        load_zsslr_data(tmp_path, "asl1000")


def test_loss_modes_and_budget():
    config = apply_loss_mode(HALIConfig(), "global")
    assert (config.w_fg_snippet, config.w_fg_subunit, config.w_hc) == (0.0, 0.0, 0.0)
    assert apply_loss_mode(HALIConfig(), "hali").w_hc == 1.0
    with pytest.raises(ValueError, match="loss_mode"):
        apply_loss_mode(HALIConfig(), "clip")
    assert steps_for_budget(300, 1.5) == 200
    with pytest.raises(ValueError, match="positive"):
        steps_for_budget(0, 1.0)


def test_same_seed_gives_same_initialisation_for_both_losses(tiny_bert):
    hali, _ = tiny_model(tiny_bert, "hali")
    baseline, _ = tiny_model(tiny_bert, "global")
    for (name, a), (_, b) in zip(hali.state_dict().items(), baseline.state_dict().items(), strict=True):
        assert torch.equal(a, b), name


def test_frozen_text_layers_stay_fixed_while_the_rest_trains(tiny_bert, data):
    model, processor = build_hali(
        tiny_bert, max_frames=16, pose_config=TINY_POSE, projection_dim=16, frozen_text_layers=1
    )
    frozen = {name: p.detach().clone() for name, p in model.text_model.named_parameters()}
    pose_before = {name: p.detach().clone() for name, p in model.pose_model.named_parameters()}
    optimizer = build_optimizer(model, 1e-2, 1e-2, 1e-2)
    trained = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert not any(id(p) in trained for p in model.text_model.parameters())  # 1-layer tower: all of it frozen
    rows = [data.splits["train"][index] for index in range(4)]
    poses = [to_canonical(np.asarray(row["pose"], dtype=np.float32), row["layout"]) for row in rows]
    batch = processor(
        poses=poses, text=["Flat hand at the chin.", "Fist at the chest.", "V up.", "Index taps."]
    )
    model.train()
    model(**batch, return_loss=True).loss.backward()
    optimizer.step()
    assert all(torch.equal(p, frozen[name]) for name, p in model.text_model.named_parameters())
    assert any(not torch.equal(p, pose_before[name]) for name, p in model.pose_model.named_parameters())
    with pytest.raises(ValueError, match="frozen text layers must be between 0 and 1"):
        build_hali(tiny_bert, max_frames=16, pose_config=TINY_POSE, projection_dim=16, frozen_text_layers=2)


def test_train_stops_at_budget_and_resumes_from_checkpoint(tiny_bert, data, tmp_path):
    model, processor = tiny_model(tiny_bert)
    trainer = train_zsslr(
        model,
        processor,
        data,
        tmp_path,
        max_steps=4,
        batch_size=4,
        stop_step=2,
        logging_steps=1,
        progress=False,
    )
    assert trainer.state.global_step == 2
    assert (tmp_path / "checkpoint-2").is_dir()  # the budget stop leaves a checkpoint
    model, processor = tiny_model(tiny_bert)
    trainer = train_zsslr(
        model, processor, data, tmp_path, max_steps=4, batch_size=4, logging_steps=1, progress=False
    )
    assert trainer.state.global_step == 4
    steps = [entry["step"] for entry in trainer.state.log_history if "loss" in entry]
    assert steps == [1, 2, 3, 4]  # history of the first run kept, steps 3-4 trained after resuming
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert np.isfinite(losses).all()


def test_evaluation_schema_and_validation_choice(tiny_bert, data):
    model, processor = tiny_model(tiny_bert)
    results = evaluate_zsslr(model, processor, data, similarities=["global", "hali"])
    assert set(results["zsl"]) == {"top1", "top5"} and set(results["gzsl"]) == {"S", "U", "H"}
    assert results["zsl"]["top5"] == 100.0  # only 4 unseen test classes
    for section in ("zsl", "gzsl", "validation_zsl"):
        assert all(0.0 <= value <= 100.0 for value in results[section].values())
    by = results["by_similarity"]
    best = max(["global", "hali"], key=lambda name: (by[name]["validation_zsl"]["top1"], name == "global"))
    assert results["inference_similarity"] == best == model.config.inference_similarity
    with pytest.raises(ValueError, match="unknown inference similarities"):
        evaluate_zsslr(model, processor, data, similarities=["cosine"])


def test_class_scores_average_over_descriptions(tiny_bert, data):
    model, processor = tiny_model(tiny_bert)
    evaluator = ZSSLREvaluator(data, processor)
    poses, _ = evaluator.poses("test")
    features = evaluator.encode_poses(model.eval(), poses[:3])
    scores = evaluator.class_scores(model, features, data.unseen_test, ["global"])["global"]
    label = data.unseen_test[0]
    inputs = processor(text=evaluator.descriptions[label])
    with torch.no_grad():
        expected = model.score(features, model.get_text_features(**inputs)).mean(-1).numpy()
    np.testing.assert_allclose(scores[:, label], expected, rtol=1e-4, atol=1e-5)
    assert (scores[:, data.seen] < -1e3).all()  # classes not searched are never candidates


def test_model_card_has_model_index(tmp_path):
    row = {"zsl": {"top1": 30.0, "top5": 70.0}, "gzsl": {"S": 20.0, "U": 10.0, "H": 13.3}}
    metrics = {"hali": row, "baseline": {**row, "zsl": {"top1": 20.0, "top5": 60.0}}, "chance_top1": 1.67,
               "config": {"seed": 3, "steps": 100, "num_unseen_test": 60}}  # fmt: skip
    card = render_zsslr_card(
        metrics, "hali", model_name="m", dataset_type="lexsign-synth", dataset_name="LexSign-Synth",
        dataset_config="synth", synthetic=True,
    )  # fmt: skip
    card.save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    values = {result.metric_name: result.metric_value for result in loaded.data.eval_results}
    assert values["ZSL top-1 accuracy (per class, unseen classes)"] == 30.0
    assert values["GZSL harmonic mean H"] == 13.3
    assert "| baseline | 20.0 |" in loaded.text and "synthetic" in loaded.text
    with pytest.raises(ValueError, match="no results for 'other'"):
        render_zsslr_card(
            metrics, "other", model_name="m", dataset_type="d", dataset_name="D", dataset_config="c"
        )


def test_label_file_errors(tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"gloss": "A", "text": "Flat hand."}\n\n{"gloss": "B", "text": "Fist."}\n')
    assert read_label_file(labels) == (["A", "B"], ["Flat hand.", "Fist."])
    labels.write_text('{"gloss": "A", "text": "Flat hand."}\n{"gloss": "B"}\n')
    with pytest.raises(ValueError, match=r"labels.jsonl:2: field 'text'"):
        read_label_file(labels)
    labels.write_text("not json\n")
    with pytest.raises(ValueError, match=r"labels.jsonl:1: not valid JSON"):
        read_label_file(labels)
    with pytest.raises(FileNotFoundError):
        read_label_file(tmp_path / "missing.jsonl")


def test_train_and_evaluate_commands(tiny_bert, synth_dir, tmp_path, capsys):
    out = tmp_path / "model"
    code = main(
        ["train", "--dataset", str(synth_dir), "--config", "synth", "--out", str(out), "--steps", "2",
         "--batch-size", "4", "--max-frames", "16", "--pose-hidden-size", "16", "--projection-dim", "16",
         "--text-model", tiny_bert, "--no-progress"]
    )  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed["zsl"]) == {"top1", "top5"} and printed["chance_top1"] == 25.0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"]["config"]["steps"] == 2 and not (out / "checkpoints").exists()
    card = ModelCard.load(out / "model" / "README.md")  # a local folder is no Hub id: table, no model-index
    assert not card.data.eval_results and not card.data.datasets and "| model |" in card.text
    assert "`light` skeleton tower" in card.text and "CoSign-style" not in card.text
    model = HALIModel.from_pretrained(out / "model")
    assert model.config.inference_similarity == metrics["model"]["inference_similarity"]

    assert (
        main(["evaluate", "--model", str(out / "model"), "--dataset", str(synth_dir), "--config", "synth"])
        == 0
    )
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["zsl"] == pytest.approx(metrics["model"]["zsl"])

    assert (
        main(["train", "--dataset", str(tmp_path), "--config", "synth", "--out", str(tmp_path / "other")])
        == 1
    )
    assert "classes.json" in capsys.readouterr().err


def test_cli_defaults_match_the_training_module():
    from lexsign_hf.train import cli, zsslr

    assert cli.DEFAULT_LEARNING_RATES == zsslr.DEFAULT_LEARNING_RATES
    assert set(cli.LOSS_MODES) == set(zsslr.LOSS_MODES)


def test_train_command_resumes_only_with_the_same_settings(
    tiny_bert, synth_dir, tmp_path, capsys, monkeypatch
):
    from lexsign_hf.train import runs

    out = tmp_path / "run"
    command = ["train", "--dataset", str(synth_dir), "--config", "synth", "--out", str(out), "--steps", "4",
               "--batch-size", "4", "--max-frames", "16", "--pose-hidden-size", "16", "--projection-dim", "16",
               "--text-model", tiny_bert, "--save-steps", "2", "--no-progress"]  # fmt: skip

    def interrupt(self, args, state, control, **kwargs):  # the process dies right after checkpoint-2
        original_on_save(self, args, state, control, **kwargs)
        raise KeyboardInterrupt

    original_on_save = runs.ElapsedTimeCallback.on_save
    monkeypatch.setattr(runs.ElapsedTimeCallback, "on_save", interrupt)
    assert main(command) == 130  # Ctrl-C: one line, exit status 130
    monkeypatch.undo()
    checkpoints = out / "checkpoints"
    assert (checkpoints / "checkpoint-2").is_dir() and not (out / "metrics.json").exists()
    recorded = json.loads((checkpoints / runs.SETTINGS_FILE).read_text())
    assert recorded["batch_size"] == 4 and recorded["world_size"] == 1 and recorded["loss_mode"] == "hali"
    first_part = json.loads((checkpoints / "checkpoint-2" / runs.ELAPSED_FILE).read_text())["train_seconds"]
    capsys.readouterr()

    changed = [*command, "--batch-size", "6", "--loss-mode", "global"]
    assert main(changed) == 1
    (error,) = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]  # one line
    assert "other settings" in error and "--no-resume" in error
    assert "batch_size: 4 -> 6" in error and "loss_mode: hali -> global" in error
    assert "model_config.w_hc: 1.0 -> 0.0" in error

    assert main(command) == 0
    printed = capsys.readouterr().out
    assert f"resuming from {checkpoints / 'checkpoint-2'}" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"]["config"]["steps"] == 4 and metrics["world_size"] == 1
    assert [entry["step"] for entry in metrics["log_history"] if "loss" in entry][0] == 1  # history kept
    assert metrics["config"]["train_seconds"] >= round(first_part, 1)

    assert main(command) == 1  # a finished run is not overwritten silently
    assert "--overwrite" in capsys.readouterr().err
    assert main([*command, "--overwrite"]) == 0
    assert "resuming" not in capsys.readouterr().out


def test_settings_differences_name_nested_keys():
    from lexsign_hf.train.runs import settings_differences

    recorded = {"batch_size": 4, "model_config": {"pose_config": {"hidden_size": 16}}, "seed": 0}
    current = {
        "batch_size": 4,
        "model_config": {"pose_config": {"hidden_size": 32}},
        "world_size": 2,
        "seed": 0,
    }
    assert settings_differences(recorded, current) == [
        "model_config.pose_config.hidden_size: 16 -> 32",
        "world_size: (none) -> 2",
    ]
    assert settings_differences(recorded, recorded) == []

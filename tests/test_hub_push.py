"""`lexsign push`: dry-run repo trees that load back, bad input refused before anything is written or sent,
and the upload itself against a local stand-in for the Hub API (real `HfApi`, real HTTP on 127.0.0.1)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from huggingface_hub import DatasetCard, HfApi, ModelCard
from tiny import TINY_HALI

from lexsign_hf import HALIConfig, HALIForSignClassification, HALIModel, HALIProcessor
from lexsign_hf.cli import main
from lexsign_hf.fingerprint import WEIGHTS_KEY, weights_fingerprint
from lexsign_hf.hub.push import push, stage_adapter, stage_dataset, stage_model, upload
from lexsign_hf.pose import read_pose

DEMO_METRICS = {
    "hali": {"zsl": {"top1": 31.25, "top5": 75.0}, "gzsl": {"S": 60.5, "U": 12.5, "H": 20.717}},
    "baseline": {"zsl": {"top1": 18.75, "top5": 62.5}, "gzsl": {"S": 58.0, "U": 6.25, "H": 11.284}},
    "chance_top1": 6.25,
    "config": {"max_steps": 200, "batch_size": 32, "seed": 0},
}
ISLR_METRICS = {
    "test_per_instance_top1": 57.5,
    "test_per_instance_top5": 88.0,
    "test_per_class_top1": 55.25,
    "test_per_class_top5": 86.5,
    "dataset": {"id": "lexsign/lexsign", "config": "wlasl100"},
    "training": {"num_train_epochs": 80, "learning_rate": 0.001},
}
TOKEN = "hf_stub_token"


@pytest.fixture(scope="module")
def processor(minilm_path):
    return HALIProcessor.from_text_pretrained(minilm_path, max_frames=32)


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, processor) -> Path:
    """What `lexsign demo --out DIR` leaves: DIR/metrics.json, and DIR/model and DIR/baseline_model, each with
    the card the demo renders for it."""
    from lexsign_hf.train.card import render_zsslr_card

    out = tmp_path_factory.mktemp("demo_out")
    metrics = json.loads(json.dumps(DEMO_METRICS))
    for seed, (run, folder) in enumerate((("hali", "model"), ("baseline", "baseline_model"))):
        torch.manual_seed(seed)  # two different models, as the demo trains them
        HALIModel(HALIConfig(**TINY_HALI)).save_pretrained(out / folder)
        processor.save_pretrained(out / folder)
        card = render_zsslr_card(
            DEMO_METRICS, run, model_name=f"hali-{run}", dataset_type="lexsign-synth", dataset_name="LexSign-Synth",
            dataset_config="synth", license="apache-2.0", synthetic=True,
        )  # fmt: skip
        card.save(out / folder / "README.md")
        metrics[run][WEIGHTS_KEY] = weights_fingerprint(out / folder)
    (out / "metrics.json").write_text(json.dumps(metrics))
    return out


@pytest.fixture(scope="module")
def islr_dir(tmp_path_factory, processor) -> Path:
    folder = tmp_path_factory.mktemp("islr")
    labels = ["HELLO", "THANKS", "MOTHER"]
    config = HALIConfig(
        **TINY_HALI, id2label=dict(enumerate(labels)), label2id={v: k for k, v in enumerate(labels)}
    )
    torch.manual_seed(0)
    HALIForSignClassification(config).save_pretrained(folder)
    processor.save_pretrained(folder)
    (folder / "eval_results.json").write_text(
        json.dumps({**ISLR_METRICS, WEIGHTS_KEY: weights_fingerprint(folder)})
    )
    return folder


@pytest.fixture(scope="module")
def staged_demo(demo_out, tmp_path_factory) -> Path:
    """`lexsign push model DIR --dry-run OUT` of the demo model (loads back in a fresh process, inside push)."""
    out = tmp_path_factory.mktemp("dry") / "hali-demo"
    code = main(
        ["push", "model", str(demo_out / "model"), "--repo-id", "someone/hali-demo", "--dry-run", str(out)]
    )
    assert code == 0
    return out


def test_model_dry_run_writes_a_repo_tree_that_loads_back(staged_demo, demo_out):
    files = {path.relative_to(staged_demo).as_posix() for path in staged_demo.rglob("*") if path.is_file()}
    assert files == {
        "README.md", "config.json", "model.safetensors", "configuration_hali.py", "modeling_hali.py", "losses.py",
        "modeling_cosign.py", "modeling_light.py", "modeling_skeleton_utils.py",  # both towers
        "baseline_losses.py",  # imported by modeling_hali.py for global_loss="lle" | "dvta" | "pgfa"
        "processing_hali.py", "processor_config.json", "tokenizer.json", "tokenizer_config.json",
        "pipeline_hali.py", "pose_inputs.py", "labels_hali.py", "pipeline_files.py",
        "pose_layouts.json", "handler.py", "requirements.txt", "metrics.json", "sign.mp4",
    }  # fmt: skip
    requirements = (staged_demo / "requirements.txt").read_text().splitlines()
    assert [line.split(">=")[0].split("==")[0] for line in requirements] == [
        "transformers", "torch", "numpy", "safetensors", "pose-format", "av", "mediapipe",
    ]  # fmt: skip
    config = json.loads((staged_demo / "config.json").read_text())
    assert config["auto_map"]["AutoModel"] == "modeling_hali.HALIModel"
    assert "zero-shot-sign-classification" in config["custom_pipelines"]
    card = ModelCard.load(
        staged_demo / "README.md"
    )  # the demo's own card, results checked, Hub metadata added
    assert card.data.tags[:2] == ["sign-language", "zero-shot"] and {"pose", "custom_code"} <= set(
        card.data.tags
    )
    assert card.data.license == "apache-2.0" and card.data.library_name == "transformers"
    assert card.data.pipeline_tag is None  # no standard Hub task ranks glosses by descriptions
    assert "https://huggingface.co/spaces/lexsign/lexsign-zero-shot" in card.text  # the Space instead
    # No Hub dataset id known: no datasets:, no model-index (the demo's local name is no Hub id), the table stays.
    assert card.data.datasets is None and not card.data.eval_results
    assert "| hali | 31.2 | 75.0 | 60.5 | 12.5 | 20.7 |" in card.text
    assert 'HALIModel.from_pretrained("someone/hali-demo")' in card.text  # placeholders point at the repo
    assert (
        'pipeline("zero-shot-sign-classification", model="someone/hali-demo", trust_remote_code=True)'
        in card.text
    )
    assert (staged_demo / "metrics.json").read_bytes() == (demo_out / "metrics.json").read_bytes()
    recorded = json.loads((staged_demo / "metrics.json").read_text())["hali"][WEIGHTS_KEY]
    assert weights_fingerprint(staged_demo) == recorded  # the published bytes are the evaluated ones
    reloaded = HALIModel.from_pretrained(staged_demo)
    original = HALIModel.from_pretrained(demo_out / "model")
    for (name, tensor), (_, expected) in zip(
        reloaded.state_dict().items(), original.state_dict().items(), strict=True
    ):
        assert torch.equal(tensor, expected), name


def test_the_card_picks_its_model_of_the_results_file(demo_out, tmp_path):
    staged = stage_model(
        demo_out / "baseline_model",
        tmp_path / "repo",
        "someone/hali-baseline",
        dataset="someone/lexsign-synth",
    )
    card = ModelCard.load(staged.folder / "README.md")
    assert card.data.datasets == ["someone/lexsign-synth"]
    assert {r.dataset_type for r in card.data.eval_results} == {"someone/lexsign-synth"}
    baseline = DEMO_METRICS["baseline"]
    expected = [baseline["zsl"]["top1"], baseline["zsl"]["top5"], *baseline["gzsl"].values()]
    assert [result.metric_value for result in card.data.eval_results] == pytest.approx(expected, abs=0.005)
    assert staged.commit_description.startswith("Results from metrics.json: ZSL top-1 (per class) 18.75")
    with pytest.raises(ValueError, match="the 'hali' results were measured on other weights"):
        stage_model(demo_out / "baseline_model", tmp_path / "repo2", "someone/x", results_key="hali")
    assert not (tmp_path / "repo2").exists()


def test_a_stale_card_is_refused(demo_out, tmp_path, capsys):
    import shutil

    shutil.copytree(demo_out / "model", tmp_path / "model")
    stale = json.loads((demo_out / "metrics.json").read_text())
    stale["hali"]["zsl"] = {"top1": 40.0, "top5": 80.0}  # the same weights re-evaluated: the card is stale
    (tmp_path / "metrics.json").write_text(json.dumps(stale))
    out = tmp_path / "never"
    assert (
        main(["push", "model", str(tmp_path / "model"), "--repo-id", "me/hali", "--dry-run", str(out)]) == 1
    )
    error = capsys.readouterr().err
    assert (
        "model card result ZSL top-1 accuracy (per class, unseen classes) = 31.25 is not in the results"
        in error
    )
    assert not out.exists()


def test_zsslr_card_rendered_from_the_results(demo_out, tmp_path):
    import shutil

    shutil.copytree(demo_out / "model", tmp_path / "model")
    (tmp_path / "model" / "README.md").unlink()  # no card yet: rendered from metrics.json
    shutil.copy(demo_out / "metrics.json", tmp_path / "metrics.json")
    staged = stage_model(
        tmp_path / "model", tmp_path / "repo", "someone/hali-demo", dataset="someone/lexsign-synth",
        dataset_config="synth",
    )  # fmt: skip
    card = ModelCard.load(staged.folder / "README.md")
    assert card.data.datasets == ["someone/lexsign-synth"]
    assert {"sign-language", "zero-shot", "pose"} <= set(card.data.tags)
    assert [result.dataset_config for result in card.data.eval_results] == ["synth"] * 5
    hali = DEMO_METRICS["hali"]
    expected = [hali["zsl"]["top1"], hali["zsl"]["top5"], *hali["gzsl"].values()]
    assert [result.metric_value for result in card.data.eval_results] == [
        round(value, 2) for value in expected
    ]
    assert "| hali | 31.2 | 75.0 | 60.5 | 12.5 | 20.7 |" in card.text
    assert "| baseline | 18.8 | 62.5 | 58.0 | 6.2 | 11.3 |" in card.text


def test_islr_model_card_and_remote_classes(islr_dir, tmp_path):
    staged = stage_model(islr_dir, tmp_path / "repo", "someone/hali-islr", license="mit")
    config = json.loads((staged.folder / "config.json").read_text())
    assert config["custom_pipelines"]["zero-shot-sign-classification"]["pt"] == [
        "AutoModelForSequenceClassification"
    ]
    card = ModelCard.load(staged.folder / "README.md")
    assert card.data.datasets == ["lexsign/lexsign"] and card.data.license == "mit"
    results = {(r.metric_type, r.dataset_config): r.metric_value for r in card.data.eval_results}
    assert results == {
        (key[len("test_") :], "wlasl100"): value
        for key, value in ISLR_METRICS.items()
        if key.startswith("test_")
    }
    assert "| P-C top-1 | `test` | 55.25 |" in card.text
    assert "| num_train_epochs | `80` |" in card.text
    assert "P-I top-1 57.50" in staged.commit_description
    assert HALIForSignClassification.from_pretrained(staged.folder).config.id2label[2] == "MOTHER"
    template = tmp_path / "card.md.jinja"
    template.write_text("---\n{{ card_data }}\n---\n{{ learning_rate }}\n")
    with pytest.raises(ValueError, match="'learning_rate' is undefined"):
        stage_model(islr_dir, tmp_path / "repo2", "someone/hali-islr", card_template=template)
    assert not (tmp_path / "repo2").exists()


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    from lexsign_hf.synth import SynthConfig, build_synth_dataset

    config = SynthConfig(
        num_seen=3, num_validation=2, num_test=2, train_instances=2, test_seen_instances=1, eval_instances=1,
        num_signers=2, max_frames=12,
    )  # fmt: skip
    return build_synth_dataset(tmp_path_factory.mktemp("synth") / "lexsign-synth", config, progress=False)


def test_dataset_dry_run_loads_with_load_dataset(dataset_dir, tmp_path):
    out = tmp_path / "dataset-repo"
    code = main(
        ["push", "dataset", str(dataset_dir), "--repo-id", "someone/lexsign-synth", "--dry-run", str(out)]
    )
    assert code == 0
    card = DatasetCard.load(out / "README.md")
    assert {"sign-language", "zero-shot", "pose"} <= set(card.data.tags)
    rows = sum(
        len(split)
        for name in ("synth", "descriptions")
        for split in datasets.load_dataset(str(out), name).values()
    )
    assert rows < 1000 and card.data.size_categories == ["n<1K"]  # from the real row count
    source = DatasetCard.load(dataset_dir / "README.md")
    assert card.data.to_dict()["configs"] == source.data.to_dict()["configs"]
    for name in ("synth", "descriptions"):
        loaded, original = (
            datasets.load_dataset(str(out), name),
            datasets.load_dataset(str(dataset_dir), name),
        )
        assert {split: len(rows) for split, rows in loaded.items()} == {
            split: len(rows) for split, rows in original.items()
        }
    assert (out / "data" / "synth" / "classes.json").is_file()


def test_dataset_with_a_pose_store_stages_the_store_without_datasets_caches(tmp_path, three_pose_index):
    """A LexSign build's pose store (`save_to_disk`) travels with the repo and is checked by loading it back; the
    `cache-*.arrow` files `datasets` writes beside it when a user maps the store do not."""
    from lexsign_hf.data import pose_store
    from lexsign_hf.data.build import build_lexsign

    poses, index = three_pose_index
    built = tmp_path / "built"
    build_lexsign(built, wlasl=index, poses=poses, asl_spec=None, islr_sizes=(3,), progress=False)
    datasets.load_from_disk(str(built / "data" / "asl_poses")).map(lambda row: {"n": len(row["pose"])})
    assert list((built / "data" / "asl_poses").glob("cache-*.arrow"))
    out = tmp_path / "repo"
    staged, _ = push("dataset", built, "someone/lexsign-mini", dry_run=out)
    assert "pose store data/asl_poses/ (load_from_disk): 3 videos" in staged.checks
    assert not list(out.rglob("cache-*.arrow")) and list((out / "data" / "asl_poses").glob("data-*.arrow"))
    rows = pose_store.load_video_config(out, "wlasl3", split="train")
    for row in rows.with_format("numpy"):
        np.testing.assert_array_equal(row["pose"], read_pose(poses / f"{row['video_id']}.pose").data)


@pytest.fixture
def adapter_dir(tmp_path, minilm_path) -> Path:
    from peft import LoraConfig, get_peft_model
    from transformers import BertConfig, BertModel

    base = BertModel(BertConfig(**TINY_HALI["text_config"]))
    folder = tmp_path / "adapter"
    get_peft_model(base, LoraConfig(r=4, target_modules=["query", "value"])).save_pretrained(folder)
    metadata = {
        "base_model": "Qwen/Qwen2.5-VL-7B-Instruct", "dataset": "lexsign/lexsign", "config": "asl1000",
        "exclude_config": "asl300", "glosses": ["HELLO", "THANKS"], "prompt_version": "agp-describe-v1",
        "frame_policy": {"fps": 5.0, "max_frames": 16}, "data_counts": {"examples": 4, "glosses": 2},
        "training": {"lora_r": 4, "lora_alpha": 8, "lora_dropout": 0.05, "target_modules": "q_proj|v_proj",
                     "learning_rate": 1e-4, "warmup_steps": 0, "num_train_epochs": 1, "max_steps": 2,
                     "per_device_train_batch_size": 1, "gradient_accumulation_steps": 1,
                     "gradient_checkpointing": False, "seed": 0},
        "metrics": {"train_loss": 2.5, "final_loss": 2.25},
    }  # fmt: skip
    (folder / "lexsign_finetune.json").write_text(json.dumps(metadata))
    return folder


def test_adapter_dry_run(adapter_dir, tmp_path, capsys):
    out = tmp_path / "adapter-repo"
    code = main(
        ["push", "adapter", str(adapter_dir), "--repo-id", "someone/qwen-lexsign-lora", "--dry-run", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    assert {"adapter_config.json", "adapter_model.safetensors", "lexsign_finetune.json", "README.md"} <= {
        path.name for path in out.iterdir()
    }
    card = ModelCard.load(out / "README.md")
    assert {"sign-language", "lora"} <= set(card.data.tags)
    assert "| final_loss | 2.25 |" in card.text
    assert "PeftConfig.from_pretrained: LORA r=4" in capsys.readouterr().out


def test_adapter_card_with_its_table12_result(adapter_dir, tmp_path, capsys):
    table12 = {
        "mllm": "transformers:qwen-lora/merged",
        "config": "asl300",
        "zsl_test": {"top1": 1.6, "top5": 6.25},
    }
    (tmp_path / "table12.json").write_text(json.dumps(table12))
    out = tmp_path / "adapter-repo"
    args = ["push", "adapter", str(adapter_dir), "--repo-id", "me/qwen-lora", "--dry-run", str(out)]
    assert main([*args, "--results", str(tmp_path / "table12.json")]) == 0
    card = ModelCard.load(out / "README.md")
    assert [(r.metric_name, r.metric_value, r.dataset_config) for r in card.data.eval_results] == [
        ("ZSL top-1 (per class)", 1.6, "asl300"), ("ZSL top-5 (per class)", 6.25, "asl300"),
    ]  # fmt: skip
    assert "| ZSL top-1 | 1.60 |" in card.text
    (tmp_path / "table12.json").write_text(json.dumps({"config": "asl300"}))
    assert main([*args[:-1], str(tmp_path / "again"), "--results", str(tmp_path / "table12.json")]) == 1
    assert "missing field 'zsl_test'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- bad input


def test_repo_id_without_namespace_is_refused(demo_out, tmp_path, capsys):
    out = tmp_path / "never"
    assert (
        main(["push", "model", str(demo_out / "model"), "--repo-id", "hali-demo", "--dry-run", str(out)]) == 1
    )
    assert "--repo-id 'hali-demo': expected 'namespace/name'" in capsys.readouterr().err
    assert not out.exists()
    assert main(["push", "dataset", str(demo_out), "--repo-id", "me/bad--name", "--dry-run", str(out)]) == 1
    assert "may only use letters" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("config.json", "missing config (config.json)"),
        ("model.safetensors", "missing weights (model.safetensors or model.safetensors.index.json)"),
        ("processor_config.json", "missing processor (processor_config.json)"),
    ],
)
def test_model_folder_missing_config_or_weights(demo_out, tmp_path, capsys, remove, message):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(demo_out / "model", folder)
    shutil.copy(demo_out / "metrics.json", tmp_path / "metrics.json")
    (folder / remove).unlink()
    out = tmp_path / "never"
    assert main(["push", "model", str(folder), "--repo-id", "me/hali", "--dry-run", str(out)]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_or_broken_results_file(demo_out, tmp_path, capsys):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(demo_out / "model", folder)
    out = tmp_path / "never"
    assert main(["push", "model", str(folder), "--repo-id", "me/hali", "--dry-run", str(out)]) == 1
    assert "no results file for the model card" in capsys.readouterr().err
    assert main(["push", "model", str(folder), "--repo-id", "me/hali", "--results", str(tmp_path / "x.json"),
                 "--dry-run", str(out)]) == 1  # fmt: skip
    assert "--results" in capsys.readouterr().err
    (tmp_path / "metrics.json").write_text(json.dumps({"hali": {"zsl": {"top1": 20.0}}}))
    assert main(["push", "model", str(folder), "--repo-id", "me/hali", "--dry-run", str(out)]) == 1
    assert "missing field 'hali.zsl.top5'" in capsys.readouterr().err
    assert not out.exists()


def test_results_must_be_bound_to_the_weights(demo_out, tmp_path, capsys):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(demo_out / "model", folder)
    out = tmp_path / "never"
    args = ["push", "model", str(folder), "--repo-id", "me/hali", "--dry-run", str(out)]
    (tmp_path / "metrics.json").write_text(json.dumps(DEMO_METRICS))  # no fingerprints: nothing binds them
    assert main(args) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "record no weights_fingerprint" in error and "--no-results" in error
    metrics = json.loads((demo_out / "metrics.json").read_text())
    (tmp_path / "metrics.json").write_text(
        json.dumps({"hali": metrics["baseline"]})
    )  # another model's results
    assert main(args) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "measured on other weights" in error and "refusing" in error
    assert not out.exists()


def test_no_results_needs_saying_so_and_the_card_says_not_evaluated(demo_out, tmp_path, capsys):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(demo_out / "model", folder)
    out = tmp_path / "repo"
    args = ["push", "model", str(folder), "--repo-id", "me/hali", "--dry-run", str(out)]
    assert main(args) == 1
    assert "or --no-results to publish it as not evaluated" in capsys.readouterr().err
    assert main([*args, "--no-results", "--results", str(demo_out / "metrics.json")]) == 1
    assert "--no-results: do not also give --results" in capsys.readouterr().err
    staged = stage_model(folder, out, "me/hali", no_results=True, license="mit")
    card = ModelCard.load(out / "README.md")
    assert "**This model has not been evaluated.**" in card.text
    assert not card.data.eval_results and card.data.license == "mit" and card.data.pipeline_tag is None
    assert 'pipeline("zero-shot-sign-classification", model="me/hali", trust_remote_code=True)' in card.text
    assert "metrics.json" not in staged.files and "Not evaluated" in staged.commit_description
    assert f"sha256 `{weights_fingerprint(folder)['sha256']}`. No results were published" in card.text
    for wrong in ("None", "nan"):
        assert wrong not in card.text


def test_a_pipeline_tag_must_load_the_tree(demo_out, tmp_path):
    """The card's `pipeline_tag` is what the Hub widget and "Use this model" load: `zero-shot-classification`, a
    text task, does not load HALI, so a card that claims it is refused (in the fresh process)."""
    import shutil

    from lexsign_hf.hub.push import verify_staged

    folder = tmp_path / "model"
    shutil.copytree(demo_out / "model", folder)
    shutil.copy(demo_out / "metrics.json", tmp_path / "metrics.json")
    card = ModelCard.load(folder / "README.md")
    card.data.pipeline_tag = "zero-shot-classification"
    card.save(folder / "README.md")
    staged = stage_model(folder, tmp_path / "repo", "me/hali")
    with pytest.raises(ValueError, match="the card's pipeline_tag 'zero-shot-classification' does not load"):
        verify_staged(staged)


@pytest.mark.parametrize("flag", ["--results", "--labels"])
def test_binary_file_arguments_are_one_line_errors(demo_out, tmp_path, capsys, flag):
    binary = tmp_path / "weights.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    if flag == "--results":
        args = [
            "push",
            "model",
            str(demo_out / "model"),
            "--repo-id",
            "me/h",
            "--dry-run",
            str(tmp_path / "o"),
        ]
    else:
        pose = tmp_path / "sign.npy"
        np.save(pose, np.zeros((4, 77, 3), np.float32))
        args = ["predict", "--model", str(demo_out / "model"), "--pose", str(pose)]
    assert main([*args, flag, str(binary)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and str(binary) in error and "not a UTF-8 text file" in error


def test_dry_run_folder_must_be_new(demo_out, tmp_path, capsys):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    args = [
        "push",
        "model",
        str(demo_out / "model"),
        "--repo-id",
        "me/hali",
        "--dry-run",
        str(tmp_path / "busy"),
    ]
    assert main(args) == 1
    assert "exists and is not empty" in capsys.readouterr().err
    assert [path.name for path in (tmp_path / "busy").iterdir()] == ["keep.txt"]


def test_dataset_and_adapter_folders_are_checked(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    assert (
        main(
            ["push", "dataset", str(tmp_path / "data"), "--repo-id", "me/d", "--dry-run", str(tmp_path / "o")]
        )
        == 1
    )
    assert "missing the dataset card README.md" in capsys.readouterr().err
    (tmp_path / "data" / "README.md").write_text(
        "---\nconfigs:\n- config_name: x\n  data_files: data/x/*.parquet\n---\n"
    )
    assert (
        main(
            ["push", "dataset", str(tmp_path / "data"), "--repo-id", "me/d", "--dry-run", str(tmp_path / "o")]
        )
        == 1
    )
    assert "config 'x' lists data files ['data/x/*.parquet'] that do not exist" in capsys.readouterr().err
    assert (
        main(
            ["push", "adapter", str(tmp_path / "data"), "--repo-id", "me/a", "--dry-run", str(tmp_path / "o")]
        )
        == 1
    )
    assert "missing adapter_config.json" in capsys.readouterr().err


# ----------------------------------------------------------------------------- upload over HTTP


class StubHub(ThreadingHTTPServer):
    """The few Hub endpoints `create_repo` / `repo_exists` / `upload_folder` use, recording every request."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), StubHubHandler)
        self.repos: dict[tuple[str, str], dict] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        self.commits: list[dict] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class StubHubHandler(BaseHTTPRequestHandler):
    server: StubHub

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _reply(self, status: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _record(self) -> bool:
        path = self.path.split("?")[0]
        self.server.requests.append((self.command, path, self.headers.get("authorization")))
        if self.headers.get("authorization") != f"Bearer {TOKEN}":
            self._reply(401, {"error": "Invalid credentials in Authorization header"})
            return False
        return True

    @staticmethod
    def _repo(parts: list[str]) -> tuple[str, str]:  # ["api", "models", ns, name, ...]
        return parts[1][:-1], f"{parts[2]}/{parts[3]}"

    def do_GET(self):
        if not self._record():
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) >= 4 and parts[1] in ("models", "datasets"):
            key = self._repo(parts)
            if key in self.server.repos:
                return self._reply(
                    200, {"id": key[1], "sha": "0" * 40, "private": self.server.repos[key]["private"]}
                )
            return self._reply(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        self._reply(404, {"error": f"no stub for GET {self.path}"})

    def do_POST(self):
        if not self._record():
            return
        body = self._body()
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["api", "repos", "create"]:
            payload = json.loads(body)
            key = (payload.get("type", "model"), f"{payload['organization']}/{payload['name']}")
            url = f"{self.server.endpoint}/{'' if key[0] == 'model' else key[0] + 's/'}{key[1]}"
            if key in self.server.repos:  # the Hub answers 409 with the existing repo's url
                return self._reply(409, {"error": "You already created this model repo", "url": url})
            self.server.repos[key] = {"private": payload.get("visibility") == "private", "payload": payload}
            return self._reply(200, {"url": url})
        if parts == ["api", "validate-yaml"]:
            return self._reply(200, {"errors": [], "warnings": []})
        if len(parts) == 6 and parts[4] == "preupload":
            files = json.loads(body)["files"]
            return self._reply(200, {"files": [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
            ]})  # fmt: skip
        if len(parts) == 6 and parts[4] == "commit":
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            repo_type, repo_id = self._repo(parts)
            self.server.commits.append({"repo_type": repo_type, "repo_id": repo_id, "lines": lines})
            return self._reply(200, {"commitUrl": f"{self.server.endpoint}/{repo_id}/commit/{'a' * 40}",
                                     "commitOid": "a" * 40})  # fmt: skip
        self._reply(404, {"error": f"no stub for POST {self.path}"})


@pytest.fixture
def hub(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the stub is the only server these tests reach
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    server = StubHub()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_upload_sends_the_staged_files_in_one_commit(hub, staged_demo):
    from lexsign_hf.hub.push import StagedRepo

    staged = StagedRepo(
        "model", "someone/hali-demo", staged_demo, "Upload HALIModel", "Results: ZSL top-1 31.25."
    )
    commit = upload(staged, private=True, api=HfApi(endpoint=hub.endpoint))
    assert commit.commit_url.endswith("/someone/hali-demo/commit/" + "a" * 40)
    assert hub.repos[("model", "someone/hali-demo")]["payload"] == {
        "name": "hali-demo", "organization": "someone", "visibility": "private", "type": "model",
    }  # fmt: skip
    (commit_record,) = hub.commits
    header, *operations = commit_record["lines"]
    assert header == {
        "key": "header",
        "value": {"summary": "Upload HALIModel", "description": "Results: ZSL top-1 31.25."},
    }
    sent = {
        op["value"]["path"]: base64.b64decode(op["value"]["content"])
        for op in operations
        if op["key"] == "file"
    }
    assert sorted(sent) == staged.files
    for name, content in sent.items():
        assert content == (staged_demo / name).read_bytes(), name
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in hub.requests)
    assert [request[:2] for request in hub.requests if request[0] == "POST"][0] == (
        "POST",
        "/api/repos/create",
    )


def test_existing_repo_needs_exist_ok(hub, staged_demo):
    from lexsign_hf.hub.push import StagedRepo

    hub.repos[("model", "someone/hali-demo")] = {"private": False, "payload": {}}
    staged = StagedRepo("model", "someone/hali-demo", staged_demo, "Upload HALIModel")
    api = HfApi(endpoint=hub.endpoint)
    with pytest.raises(
        ValueError, match="model repository someone/hali-demo already exists; pass --exist-ok"
    ):
        upload(staged, api=api)
    assert [method for method, _, _ in hub.requests] == ["GET"] and hub.commits == []
    upload(staged, exist_ok=True, api=api)
    assert len(hub.commits) == 1 and hub.commits[0]["lines"][0]["value"]["summary"] == "Upload HALIModel"


def test_dataset_upload_uses_the_dataset_api(hub, dataset_dir, tmp_path):
    staged = stage_dataset(dataset_dir, tmp_path / "repo", "someone/lexsign-synth")
    upload(staged, api=HfApi(endpoint=hub.endpoint))
    assert ("dataset", "someone/lexsign-synth") in hub.repos
    (commit_record,) = hub.commits
    assert commit_record["repo_type"] == "dataset"
    paths = {line["value"]["path"] for line in commit_record["lines"][1:]}
    assert paths == set(staged.files) and "README.md" in paths
    assert any(path.endswith(".parquet") for path in paths)


def test_no_token_is_refused_before_any_request(hub, monkeypatch, staged_demo, demo_out, tmp_path, capsys):
    from lexsign_hf.hub.push import StagedRepo

    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "no-token"))
    staged = StagedRepo("model", "someone/hali-demo", staged_demo, "Upload HALIModel")
    with pytest.raises(
        ValueError, match="no Hugging Face token: log in with `hf auth login` or set HF_TOKEN"
    ):
        upload(staged, api=HfApi(endpoint=hub.endpoint))
    assert main(["push", "model", str(demo_out / "model"), "--repo-id", "someone/hali-demo"]) == 1
    assert "no Hugging Face token" in capsys.readouterr().err
    assert hub.requests == []


def test_push_stages_verifies_then_uploads(hub, islr_dir):
    staged, commit = push("model", islr_dir, "someone/hali-islr", api=HfApi(endpoint=hub.endpoint))
    assert commit is not None and not staged.folder.exists()  # staged in a temporary folder
    paths = {line["value"]["path"] for line in hub.commits[0]["lines"][1:]}
    assert {
        "README.md",
        "handler.py",
        "pipeline_hali.py",
        "model.safetensors",
        "eval_results.json",
        "sign.mp4",
    } <= paths
    card = ModelCard(base64.b64decode(next(
        line["value"]["content"] for line in hub.commits[0]["lines"][1:] if line["value"]["path"] == "README.md"
    )).decode())  # fmt: skip
    assert card.data.pipeline_tag == "video-classification"  # an ISLR model: the Hub task its pipeline serves
    assert card.data.widget == [
        {"src": "https://huggingface.co/someone/hali-islr/resolve/main/sign.mp4", "example_title": "a signer"}
    ]
    assert any(
        "pipeline('video-classification', trust_remote_code=True) loads it" in c for c in staged.checks
    )
    assert any("fresh process" in check for check in staged.checks)


def test_stage_adapter_requires_its_metadata(adapter_dir, tmp_path):
    (adapter_dir / "lexsign_finetune.json").write_text(json.dumps({"base_model": "x"}))
    with pytest.raises(ValueError, match="lexsign_finetune.json: not a finetune-lora metadata file"):
        stage_adapter(adapter_dir, tmp_path / "repo", "me/adapter")
    assert not (tmp_path / "repo").exists()


def test_pose_layout_table_is_shipped_with_the_model(staged_demo):
    from lexsign_hf.pose import LAYOUTS

    table = json.loads((staged_demo / "pose_layouts.json").read_text())
    assert sorted(table) == sorted(LAYOUTS)
    from lexsign_hf.hub.pipeline import canonical_index

    for name, layout in LAYOUTS.items():
        np.testing.assert_array_equal(canonical_index(table[name]), layout.canonical_index)


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (KeyboardInterrupt(), 130, "lexsign push: interrupted"),
        (ConnectionRefusedError(111, "Connection refused"), 1, "lexsign push: network error: [Errno 111]"),
        ("httpx", 1, "lexsign push: network error: [Errno -3] Temporary failure in name resolution"),
    ],
)
def test_ctrl_c_and_network_failures_are_one_line(monkeypatch, capsys, islr_dir, raised, code, message):
    import httpx

    import lexsign_hf.hub.push as push_module

    if raised == "httpx":
        raised = httpx.ConnectError("[Errno -3] Temporary failure in name resolution\nwhile connecting")

    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(push_module, "push", fail)
    assert main(["push", "model", str(islr_dir), "--repo-id", "me/x"]) == code
    error = capsys.readouterr().err
    assert error.startswith(message) and error.count("\n") == 1 and "Traceback" not in error


def test_other_errors_still_raise(monkeypatch, islr_dir):
    import lexsign_hf.hub.push as push_module

    def bug(*args, **kwargs):
        raise KeyError("a bug, not bad input")

    monkeypatch.setattr(push_module, "push", bug)
    with pytest.raises(KeyError):
        main(["push", "model", str(islr_dir), "--repo-id", "me/x"])


def test_an_unreachable_hub_is_a_one_line_error(monkeypatch, capsys, islr_dir):
    """A real connection failure of the Hub client (nothing listens on port 9)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["push", "model", str(islr_dir), "--repo-id", "me/x"]) == 1
    error = capsys.readouterr().err.splitlines()[-1]  # after the loading progress bars of the verification
    assert error == "lexsign push: network error: [Errno 111] Connection refused"

"""Model cards from results files: parsing every results format, clear errors, table and model-index from the
same numbers, strict templates."""

from __future__ import annotations

import math

import pytest
import torch
from huggingface_hub import ModelCard

from lexsign_hf import HALIConfig, HALIForSignClassification
from lexsign_hf.hub.cards import (
    add_hub_usage,
    build_model_card,
    check_card_results,
    parse_results,
    read_results,
    results_from_file,
    results_of_card,
    set_card_dataset,
    size_category,
    update_card_metadata,
    zsslr_runs,
)

HALI = {"zsl": {"top1": 27.6, "top5": 55.125}, "gzsl": {"S": 40.0, "U": 11.9, "H": 18.34}}
BASELINE = {"zsl": {"top1": 21.0, "top5": 48.5}, "gzsl": {"S": 39.0, "U": 7.0, "H": 11.87}}
TRAINER_ISLR = {
    "eval_loss": 1.2,
    "eval_per_instance_top1": 60.68,
    "eval_per_instance_top5": 90.1,
    "eval_per_class_top1": 58.32,
    "eval_per_class_top5": 88.8,
}


def test_zsslr_formats_and_runs():
    demo = {"hali": HALI, "baseline": BASELINE, "chance_top1": 0.17, "config": {"steps": 10}}
    assert zsslr_runs(demo) == ["hali", "baseline"]
    results = parse_results(demo, "metrics.json")
    assert (results.task, results.run, results.training) == ("zsslr", "hali", {"steps": 10})
    assert [row.value for row in results.rows] == [27.6, 55.125, 40.0, 11.9, 18.34]
    assert [row.value for row in parse_results(demo, "m.json", "baseline").rows][0] == 21.0
    train = {"model": HALI, "config": {"dataset_config": "asl1000"}}  # `lexsign train`'s metrics.json
    assert parse_results(train, "m.json").run == "model"
    flat = {**HALI, "inference_similarity": "hali", "dataset": {"id": "lexsign/lexsign", "config": "asl300"}}
    results = parse_results(flat, "eval.json")  # evaluate_zsslr's output
    assert (results.run, results.dataset_id, results.dataset_config) == ("", "lexsign/lexsign", "asl300")


def test_islr_formats():
    for raw in (
        TRAINER_ISLR,
        {"islr": TRAINER_ISLR},
        {k.replace("eval_", "test_"): v for k, v in TRAINER_ISLR.items()},
    ):
        results = parse_results(raw, "eval_results.json")
        assert results.task == "islr"
        assert [(row.metric_type, row.value) for row in results.rows] == [
            ("per_instance_top1", 60.68), ("per_instance_top5", 90.1), ("per_class_top1", 58.32),
            ("per_class_top5", 88.8),
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"accuracy": 0.5}, "no ZSSLR results ('zsl', or runs like 'hali.zsl') or ISLR results"),
        ({"hali": {"zsl": {"top1": 20.0, "top5": 40.0}}}, "missing field 'hali.gzsl.S'"),
        (
            {"zsl": {"top1": "high", "top5": 1.0}, "gzsl": {}},
            "field 'zsl.top1' must be a finite number, got 'high'",
        ),
        (
            {"zsl": {"top1": math.nan, "top5": 1.0}, "gzsl": {}},
            "field 'zsl.top1' must be a finite number, got nan",
        ),
        (
            {"a": HALI, "b": BASELINE},
            "results of several models ['a', 'b']; say which one with --results-key",
        ),
        ({"eval_per_instance_top1": 50.0}, "missing field 'eval.per_instance_top5'"),
    ],
)
def test_bad_results_are_clear_errors(raw, message):
    with pytest.raises(ValueError) as raised:
        parse_results(raw, "results.json")
    assert message in str(raised.value) and "results.json" in str(raised.value)


def test_results_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="results file not found: .*missing.json"):
        results_from_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json: not valid JSON"):
        read_results(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="expected a JSON object of results, got list"):
        read_results(tmp_path / "list.json")
    with pytest.raises(ValueError, match="no ZSSLR results for 'hali'"):
        parse_results({"model": HALI}, "m.json", "hali")


@pytest.fixture
def islr_model_dir(tmp_path):
    config = HALIConfig(
        projection_dim=16,
        pose_config={"part_hidden_size": 8, "hidden_size": 16, "num_temporal_layers": 1, "num_graph_layers": 1},
        text_config={"vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "intermediate_size": 32},
        id2label={0: "HELLO", 1: "THANKS"}, label2id={"HELLO": 0, "THANKS": 1},
    )  # fmt: skip
    torch.manual_seed(0)
    model = HALIForSignClassification(config)
    model.save_pretrained(tmp_path / "model")
    return tmp_path / "model", sum(parameter.numel() for parameter in model.parameters())


def test_islr_card_table_and_model_index_hold_the_same_numbers(islr_model_dir):
    folder, num_parameters = islr_model_dir
    raw = {**TRAINER_ISLR, "training": {"num_train_epochs": 80}}
    card = build_model_card(folder, parse_results(raw, "eval_results.json"), "me/hali-wlasl100", "lexsign/lexsign",
                            "wlasl100")  # fmt: skip
    reread = ModelCard(str(card))
    assert reread.data.datasets == ["lexsign/lexsign"] and reread.data.license == "cc-by-nc-4.0"
    assert {"sign-language", "zero-shot", "pose"} <= set(reread.data.tags)
    values = {result.metric_type: result.metric_value for result in reread.data.eval_results}
    assert values == {key.removeprefix("eval_"): value for key, value in TRAINER_ISLR.items() if "top" in key}
    for row in (
        "| P-I top-1 | `test` | 60.68 |",
        "| P-C top-5 | `test` | 88.80 |",
        "| num_train_epochs | `80` |",
    ):
        assert row in reread.text
    assert f"({num_parameters:,} parameters)" in reread.text and "classifier over 2" in reread.text
    for section in ("## Intended use", "## Limitations", "## Data and licences", "## Ethical considerations",
                    "## Citation", "C-UDA", "CC BY-NC 4.0", "skeletons carry far less identifying information"):  # fmt: skip
        assert section in reread.text


def test_zsslr_card_from_a_flat_evaluation_file(islr_model_dir):
    folder, _ = islr_model_dir
    raw = {**HALI, "config": {"steps": 200, "batch_size": 32}}
    card = build_model_card(
        folder, parse_results(raw, "eval.json"), "me/hali-asl300", "lexsign/lexsign", "asl300"
    )
    values = [result.metric_value for result in ModelCard(str(card)).data.eval_results]
    assert values == [27.6, 55.12, 40.0, 11.9, 18.34]  # the ZSSLR card rounds to two decimals
    assert "| model | 27.6 | 55.1 | 40.0 | 11.9 | 18.3 |" in card.text
    assert "| steps | 200 |" in card.text
    assert 'pipeline("zero-shot-sign-classification", model="me/hali-asl300"' in card.text


def test_card_checks_and_metadata():
    raw = {"hali": HALI, "baseline": BASELINE}
    from lexsign_hf.train.card import render_zsslr_card

    card = render_zsslr_card(
        raw,
        "baseline",
        model_name="b",
        dataset_type="lexsign-synth",
        dataset_name="LexSign-Synth",
        dataset_config="synth",
    )
    assert results_of_card(card, raw, "metrics.json").run == "baseline"
    with pytest.raises(ValueError, match="model card result .* = 21.0 is not in the results file"):
        check_card_results(card, parse_results(raw, "metrics.json", "hali"))
    with pytest.raises(ValueError, match="the model card has no model-index results"):
        check_card_results(ModelCard("---\nlicense: mit\n---\n# x\n"), parse_results(raw, "m.json"))
    assert card.data.license == "apache-2.0" and card.data.pipeline_tag is None
    assert update_card_metadata(card, None, None).data.license == "apache-2.0"  # no --license: the card's
    assert card.data.datasets is None  # "lexsign-synth" names no Hub dataset
    card = update_card_metadata(card, "me/lexsign-synth", "cc-by-nc-4.0")
    assert (
        card.data.datasets == ["me/lexsign-synth"] and card.data.license == "cc-by-nc-4.0"
    )  # --license wins
    assert card.data.tags[:3] == ["sign-language", "zero-shot", "skeleton"] and "pose" in card.data.tags
    card = add_hub_usage(card, "me/hali")
    assert card.text.count("zero-shot-sign-classification") == 1
    assert add_hub_usage(card, "me/hali").text == card.text  # added once


def test_template_variables_must_exist(islr_model_dir, tmp_path):
    folder, _ = islr_model_dir
    template = tmp_path / "card.md.jinja"
    template.write_text("---\n{{ card_data }}\n---\n{{ results_file }} {{ unknown_value }}\n")
    with pytest.raises(ValueError, match="card.md.jinja: 'unknown_value' is undefined"):
        build_model_card(
            folder, parse_results(TRAINER_ISLR, "e.json"), "me/x", "lexsign/lexsign", template_path=template
        )
    with pytest.raises(FileNotFoundError, match="card template not found"):
        build_model_card(
            folder, parse_results(TRAINER_ISLR, "e.json"), "me/x", "d/d", template_path=tmp_path / "no"
        )


def test_one_run_results_render_no_none_or_nan(islr_model_dir):
    """`lexsign evaluate`'s one-run file: chance from the file, no "(None)", no "nan%"; an undefined H is "n/a"
    in the table and not in model-index."""
    folder, _ = islr_model_dir
    raw = {"zsl": HALI["zsl"], "gzsl": {"S": 40.0, "U": math.nan, "H": math.nan}, "chance_top1": 25.0}
    results = parse_results(raw, "eval.json")
    assert [row.metric_type for row in results.rows] == ["zsl_top1", "zsl_top5", "gzsl_seen"]
    card = build_model_card(folder, results, "me/hali-x", "lexsign/lexsign", "asl300")
    assert "(chance top-1 25.00%)" in card.text and "| model | 27.6 | 55.1 | 40.0 | n/a | n/a |" in card.text
    for wrong in ("None", "nan"):
        assert wrong not in card.text, wrong
    assert [r.metric_value for r in ModelCard(str(card)).data.eval_results] == [27.6, 55.12, 40.0]
    no_chance = build_model_card(folder, parse_results(HALI, "e.json"), "me/hali-x", None)
    assert "chance" not in no_chance.text and "None" not in no_chance.text and "nan" not in no_chance.text


def test_no_hub_dataset_means_no_datasets_nor_model_index(islr_model_dir):
    folder, _ = islr_model_dir
    for raw in (HALI, TRAINER_ISLR):
        card = ModelCard(str(build_model_card(folder, parse_results(raw, "e.json"), "me/hali-x", None)))
        assert card.data.datasets is None and not card.data.eval_results
        assert "None" not in card.text and card.data.pipeline_tag == "video-classification"  # an ISLR model
    from lexsign_hf.train.card import render_zsslr_card

    card = render_zsslr_card({"model": HALI}, "model", model_name="m", dataset_type="synth-4856d424e015acdb",
                             dataset_name="LexSign", dataset_config="synth")  # fmt: skip
    card = update_card_metadata(set_card_dataset(card, None, None), None, None)
    reread = ModelCard(str(card))
    assert "synth-4856d424e015acdb" not in str(reread.data.to_dict()) and not reread.data.eval_results
    card = render_zsslr_card({"model": HALI}, "model", model_name="m", dataset_type="synth-4856d424e015acdb",
                             dataset_name="LexSign", dataset_config="synth")  # fmt: skip
    card = update_card_metadata(set_card_dataset(card, "me/lexsign", "asl300"), "me/lexsign", None)
    reread = ModelCard(str(card))
    assert reread.data.datasets == ["me/lexsign"]
    assert {(r.dataset_type, r.dataset_config) for r in reread.data.eval_results} == {
        ("me/lexsign", "asl300")
    }


@pytest.mark.parametrize(
    ("rows", "category"),
    [(0, "n<1K"), (194, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (9999, "1K<n<10K"), (10_000, "10K<n<100K"),
     (2_000_000, "1M<n<10M")],
)  # fmt: skip
def test_size_category(rows, category):
    assert size_category(rows) == category


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "not a UTF-8 text file"),
        (b'{"hali": {"zsl": {"top1": 3', "not valid JSON, truncated or corrupt"),
    ],
)
def test_binary_or_truncated_results_file(tmp_path, content, message):
    path = tmp_path / "results.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as error:
        read_results(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)

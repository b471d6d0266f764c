"""`lexsign demo`, `train` and `push` stop before any work when what they need at the end is missing."""

from __future__ import annotations

import pytest

from lexsign_hf import card_templates, preflight
from lexsign_hf.cli import main


@pytest.fixture
def no_templates(monkeypatch):
    """An installation whose card templates are missing (as with a wheel built without its package data)."""
    monkeypatch.setattr(card_templates, "TEMPLATE_PACKAGE", "lexsign_hf.pose")


def _error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines  # one line, naming what is wrong
    return lines[0]


def test_demo_stops_before_building_data_on_an_unreadable_text_model(tmp_path, capsys):
    args = ["demo", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")]
    assert (
        main([*args, "--text-model", str(tmp_path / "no-such-model"), "--steps", "1", "--no-progress"]) == 1
    )
    error = _error(capsys)
    assert (
        error
        == f"lexsign demo: error: --text-model {tmp_path / 'no-such-model'}: no such folder (expected a BERT checkpoint folder or Hub id)"
    )
    assert not (tmp_path / "cache").exists()  # LexSign-Synth was not built


def test_demo_stops_when_the_card_template_is_missing(tmp_path, tiny_bert, no_templates, capsys):
    args = ["demo", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")]
    assert main([*args, "--text-model", tiny_bert, "--steps", "1", "--no-progress"]) == 1
    assert "card template 'hali_zsslr.md.jinja'" in _error(capsys)
    assert not (tmp_path / "cache").exists()


def test_train_checks_before_reading_data(tmp_path, tiny_bert, no_templates, capsys):
    args = ["train", "--dataset", str(tmp_path / "data"), "--config", "synth", "--out", str(tmp_path / "out")]
    assert main([*args, "--text-model", tiny_bert]) == 1
    assert "card template 'hali_zsslr.md.jinja'" in _error(capsys)


def test_train_rejects_an_output_path_that_is_a_file(tmp_path, tiny_bert, capsys):
    (tmp_path / "out").write_text("not a folder")
    args = ["train", "--dataset", str(tmp_path / "data"), "--config", "synth", "--out", str(tmp_path / "out")]
    assert main([*args, "--text-model", tiny_bert]) == 1
    assert (
        _error(capsys)
        == f"lexsign train: error: --out {tmp_path / 'out'}: cannot write there (it is a file, not a folder)"
    )


def test_push_checks_templates_and_dry_run_folder(tmp_path, capsys, monkeypatch):
    model = tmp_path / "model"
    model.mkdir()  # no README.md: push would render the card from the packaged template
    base = ["push", "model", str(model), "--repo-id", "someone/hali"]

    assert (
        main([*base, "--dry-run", str(tmp_path / "tree"), "--card-template", str(tmp_path / "x.jinja")]) == 1
    )
    assert f"--card-template {tmp_path / 'x.jinja'}: cannot read it" in _error(capsys)

    (tmp_path / "file").write_text("")
    assert main([*base, "--dry-run", str(tmp_path / "file" / "tree")]) == 1
    assert "--dry-run (its parent folder)" in _error(capsys)

    monkeypatch.setattr(card_templates, "TEMPLATE_PACKAGE", "lexsign_hf.pose")
    assert main([*base, "--dry-run", str(tmp_path / "tree")]) == 1
    assert "card template 'hali_zsslr.md.jinja'" in _error(capsys)
    assert not (tmp_path / "tree").exists()


def test_text_model_check(tmp_path, tiny_bert):
    preflight.check_text_model(tiny_bert)  # config, tokenizer and weights: passes
    folder = tmp_path / "bert"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(FileNotFoundError, match="no weights"):
        preflight.check_text_model(folder)
    (folder / "config.json").write_text("{")
    with pytest.raises(FileNotFoundError, match="no readable config.json"):
        preflight.check_text_model(folder)


def test_packaged_templates_are_readable():
    preflight.check_card_templates(
        ["hali_zsslr.md.jinja", "hali_islr.md.jinja", "lexsign_dataset.md.jinja", "lexsign_bench.md.jinja"]
    )
    with pytest.raises(FileNotFoundError, match="card template 'nope.md.jinja'"):
        preflight.check_card_templates(["nope.md.jinja"])


def test_train_error_names_the_option_the_model_came_with(tmp_path, capsys):
    args = ["train", "--dataset", str(tmp_path / "data"), "--config", "synth", "--out", str(tmp_path / "out")]
    assert main([*args, "--init-model", "noweights"]) == 1  # neither a folder nor a Hub id
    assert _error(capsys).startswith("lexsign train: error: --init-model noweights: no such folder")
    empty = tmp_path / "noweights"
    empty.mkdir()
    assert main([*args, "--init-model", str(empty)]) == 1  # was reported as `--text-model noweights`
    assert _error(capsys).startswith(f"lexsign train: error: --init-model {empty}: ")


def test_preflight_checks_what_its_caller_names(tmp_path, no_templates):
    with pytest.raises(FileNotFoundError, match="card template 'any.md.jinja'"):
        preflight.check_training_run(tmp_path / "out", "bert", "any.md.jinja")
    preflight.check_push(tmp_path / "tree", templates=())  # nothing to render: only the dry-run folder
    with pytest.raises(FileNotFoundError, match="card template 'hali_islr.md.jinja'"):
        preflight.check_push(None, templates=["hali_islr.md.jinja"])

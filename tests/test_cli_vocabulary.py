"""One vocabulary across `lexsign` commands: renamed options kept as hidden aliases, "did you mean" for unknown
options and commands (reported by the command given them), the same name for the same concept everywhere."""

from __future__ import annotations

import argparse
import itertools
import re
from pathlib import Path

import pytest

from lexsign_hf.cli import build_parser, main
from lexsign_hf.cli_options import LexsignArgumentParser, add_alias

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# (command path, old name, new name): the renames of this release (CHANGELOG)
RENAMES = [
    (("agp", "perceive"), "--model", "--backend"),
    (("agp", "summarize"), "--model", "--backend"),
    (("mcp", "correct"), "--model", "--backend"),
    (("mllm", "finetune-lora"), "--max-steps", "--steps"),
    (("train",), "--data", "--dataset"),
    (("evaluate",), "--data", "--dataset"),
]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(path, parser) of every command that takes options (leaves of the sub-command tree)."""
    subcommands = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not subcommands:
        yield path, parser
    for action in subcommands:
        for name, sub in action.choices.items():
            yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(build_parser()))


def _visible(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    hidden = parser.__dict__.get("hidden_aliases", {})
    return {name: action for name, action in parser._option_string_actions.items() if name not in hidden}


@pytest.mark.parametrize(("path", "old", "new"), RENAMES, ids=lambda value: str(value))
def test_old_names_are_hidden_aliases(path, old, new):
    parser = COMMANDS[path]
    assert parser._option_string_actions[old] is parser._option_string_actions[new]  # same dest, same checks
    shown = re.compile(rf"{old}(?![\w-])")  # the name itself, not a longer one it starts
    assert not shown.search(parser.format_help()) and not shown.search(parser.format_usage())
    assert new in parser.format_help()


def test_an_alias_sets_the_new_option_and_warns():
    parser = LexsignArgumentParser(prog="tool")
    parser.add_argument("--steps", type=int, required=True)
    add_alias(parser, "--steps", "--max-steps")
    with pytest.warns(FutureWarning, match="--max-steps is now --steps"):
        assert parser.parse_args(["--max-steps", "3"]).steps == 3
    with pytest.warns(FutureWarning):
        assert parser.parse_args(["--max-steps=4"]).steps == 4
    assert parser.parse_args(["--steps", "5"]).steps == 5
    with pytest.raises(ValueError, match="already an option"):
        add_alias(parser, "--steps", "--steps")


def test_an_unknown_option_gets_a_suggestion_from_its_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--dataset", "d", "--config", "c", "--out", "o", "--stesp", "3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: lexsign train ")  # the command's usage, not the top-level one
    assert err.strip().endswith(
        "lexsign train: error: unrecognized arguments: --stesp 3 (did you mean --steps?)"
    )


def test_an_unknown_command_or_choice_gets_a_suggestion(capsys):
    with pytest.raises(SystemExit):
        main(["trian"])
    assert capsys.readouterr().err.strip().endswith("(did you mean train?)")
    with pytest.raises(SystemExit):
        main(["evaluate", "--model", "m", "--dataset", "d", "--config", "c", "--similarity", "globl"])
    assert capsys.readouterr().err.strip().endswith("(did you mean global?)")
    with pytest.raises(SystemExit):
        main(["train", "--xyzzy"])
    assert "did you mean" not in capsys.readouterr().err  # nothing close: no guess


def test_one_name_per_concept():
    for path, parser in COMMANDS.items():
        options = _visible(parser)
        assert not {"--max-steps", "--data", "--mllm", "--model-spec"} & options.keys(), path
        for name, action in options.items():
            if "openai:MODEL" in (action.help or ""):  # a backend spec string is always --backend
                assert name == "--backend", (path, name)
        if "--steps" in options:
            assert options["--steps"].default is None, path  # None: from --epochs / the command's budget


def test_a_default_that_differs_says_so():
    """HALI commands that share an option share its default, or the help of one names the other's default."""
    hali = [("demo",), ("train",), ("evaluate",), ("predict",), ("data", "synth")]
    for first, second in itertools.combinations(hali, 2):
        ours, theirs = _visible(COMMANDS[first]), _visible(COMMANDS[second])
        for name in ours.keys() & theirs.keys() - {"-h", "--help", "--out"}:
            a, b = ours[name], theirs[name]
            if a.default is not None and b.default is not None and a.default != b.default:
                helps = f"{a.help} {b.help}"
                assert f"lexsign {' '.join(first)}" in helps or f"lexsign {' '.join(second)}" in helps, (
                    name,
                    first,
                    second,
                )


def test_bench_build_accepts_the_wlasl_folder(tmp_path, capsys):
    if not (SHARED_DATA / "wlasl" / "WLASL_v0.3.json").is_file():
        pytest.skip("../shared/data is not available")
    missing = tmp_path / "missing.csv"
    args = ["bench", "build", "--asl-lex", str(missing), "--out", str(tmp_path / "bench")]
    assert main([*args, "--wlasl", str(SHARED_DATA / "wlasl")]) == 1
    err = capsys.readouterr().err
    assert "missing.csv" in err and "WLASL" not in err  # the index was found in the folder; ASL-LEX is next
    assert main([*args, "--wlasl", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"lexsign bench: error: WLASL index {tmp_path / 'WLASL_v0.3.json'} does not exist "
        "(give WLASL_v0.3.json or the folder holding it)."
    )

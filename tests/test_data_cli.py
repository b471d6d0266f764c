from __future__ import annotations

import pytest

from lexsign_hf.cli import main
from lexsign_hf.data.cli import parse_description_argument


def test_description_arguments(tmp_path):
    assert parse_description_argument("mcp=dict.csv") == ("mcp", "dict.csv")
    assert parse_description_argument("agp.jsonl") == "agp.jsonl"
    odd = tmp_path / "a=b.jsonl"
    odd.write_text("")
    assert parse_description_argument(str(odd)) == str(odd)
    with pytest.raises(ValueError, match="unknown source 'wiki'"):
        parse_description_argument("wiki=x.csv")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no index given: pass a WLASL index (--wlasl)"),
        (["--wlasl", "{tmp}/missing"], "WLASL index {tmp}/missing/WLASL_v0.3.json does not exist"),
        (
            ["--devisign", "{tmp}/d.csv", "--asl-lex", "x.csv"],
            "ASL-LEX descriptions (--asl-lex) need the WLASL index",
        ),
    ],
)
def test_build_errors_exit_1_with_a_message(tmp_path, capsys, args, message):
    (tmp_path / "missing").mkdir()
    args = [arg.format(tmp=tmp_path) for arg in args]
    assert main(["data", "build", *args, "--out", str(tmp_path / "out")]) == 1
    assert f"lexsign data: error: {message.format(tmp=tmp_path)}" in capsys.readouterr().err


def test_help_lists_the_build_command(capsys):
    with pytest.raises(SystemExit):
        main(["data", "build", "--help"])
    out = capsys.readouterr().out
    assert "--wlasl" in out and "--asl-lex" in out and "--poses" in out and "--devisign" in out

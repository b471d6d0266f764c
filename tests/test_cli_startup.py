"""`lexsign --help`, `--version` and `lexsign COMMAND [SUBCOMMAND] --help` declare every parser without loading
torch, transformers or datasets (their time is measured by benchmarks/bench_cli_startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "transformers", "datasets", "pose_format", "av")
PROBE = """
import argparse, contextlib, io, json, sys
from lexsign_hf.cli import build_parser, main
parser = build_parser()
def leaves(parser, path):
    subparsers = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    yield path
    for action in subparsers:
        for name, sub in action.choices.items():
            yield from leaves(sub, [*path, name])
commands = [["--version"]] + [[*path, "--help"] for path in leaves(parser, [])]
for argv in commands:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main(argv)
print(json.dumps({"commands": len(commands), "loaded": sorted(set(sys.argv[1:]) & set(sys.modules))}))
"""


def test_help_and_version_do_not_import_heavy_libraries():
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["commands"] > 30  # every command and sub-command was asked for its help
    assert report["loaded"] == []


def test_startup_benchmark_writes_its_result(tmp_path):
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_cli_startup.py"
    subprocess.run(
        [sys.executable, str(script), "--mode", "tiny", "--only=--version", "--out", str(tmp_path)],
        capture_output=True,
        check=True,
        timeout=300,
    )
    results = json.loads((tmp_path / "cli_startup.json").read_text())["results"]
    version = results["this_checkout"]["--version"]
    assert version["wall"]["repeats"] == 1 and version["wall"]["min_s"] > 0
    assert (
        "torch" not in version["heavy_modules_loaded"]
        and "transformers" not in version["heavy_modules_loaded"]
    )

"""Every fenced shell and Python block of README.md runs as written, offline.

A block that cannot run here says why on the line before it: ``<!-- no-test: reason -->`` (it needs a GPU
checkpoint, scans, the network, ...); ``<!-- slow-test -->`` runs it only with the slow tests; a block another
test runs verbatim is marked by that test (``<!-- metrics-example: ... -->``). Blocks run in a fresh folder that
holds the inputs the README assumes the reader has: ``sign.pose`` (a real MediaPipe holistic pose file).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
POSE_SAMPLE = REPO_ROOT.parent / "shared" / "data" / "pose-samples" / "pose-format-tests" / "mediapipe.pose"
FENCE = re.compile(r"^```(?P<language>\w*)\n(?P<body>.*?)^```$", re.DOTALL | re.MULTILINE)
MARKER = re.compile(r"<!--\s*(?P<kind>[\w-]+)(?::\s*(?P<reason>.*?))?\s*-->\s*$")
RUNNERS = {"bash": ["bash", "-euo", "pipefail", "-c"], "python": [sys.executable, "-c"]}
TESTED_ELSEWHERE = {"metrics-example"}


def readme_blocks() -> list[tuple[int, str, str, str | None, str | None]]:
    """(line, language, body, marker kind, marker reason) of each fenced block."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        blocks.append(
            (
                text.count("\n", 0, match.start()) + 1,
                match["language"],
                match["body"],
                marker["kind"] if marker else None,
                marker["reason"] if marker else None,
            )
        )
    return blocks


def _params():
    for line, language, body, kind, reason in readme_blocks():
        marks = [pytest.mark.slow] if kind == "slow-test" else []
        if kind == "no-test" or kind in TESTED_ELSEWHERE:
            marks.append(pytest.mark.skip(reason=f"README.md:{line}: {reason or kind}"))
        yield pytest.param(language, body, id=f"README.md:{line}", marks=marks)


def test_every_block_is_runnable_or_says_why():
    for line, language, _, kind, reason in readme_blocks():
        assert language in RUNNERS or language in ("", "text", "yaml", "json"), (
            f"README.md:{line}: {language}"
        )
        if kind == "no-test":
            assert reason, f"README.md:{line}: a no-test marker needs its reason"
        else:
            assert kind in (None, "slow-test", *TESTED_ELSEWHERE), f"README.md:{line}: unknown marker {kind}"


@pytest.mark.parametrize(("language", "body"), _params())
def test_readme_block_runs(language, body, tmp_path):
    if language not in RUNNERS:
        pytest.skip(f"{language or 'plain'} block: nothing to run")
    if not POSE_SAMPLE.is_file():
        pytest.skip("../shared/data is not available")
    shutil.copy(POSE_SAMPLE, tmp_path / "sign.pose")
    # the blocks call `lexsign` as a user would: the interpreter's own bin folder first (CI runs .venv/bin/python)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [*RUNNERS[language], body], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"


def _command_lines(text: str):
    """Each `lexsign ...` invocation of the README: inline code spans and lines of fenced shell blocks."""
    yield from re.findall(r"`(lexsign [^`]+)`", text)
    for match in FENCE.finditer(text):
        for line in match["body"].replace("\\\n", " ").splitlines():  # continued lines joined
            found = re.search(r"(?:^\s*lexsign|\$\(which lexsign\)) (.*)", line)
            if found and not line.lstrip().startswith("#"):
                yield "lexsign " + found[1]


def test_options_the_readme_names_exist():
    """Every `--option` the README gives a `lexsign` command is a (visible) option of that command."""
    import argparse

    from lexsign_hf.cli import build_parser

    stale = []
    for line in _command_lines(README.read_text(encoding="utf-8")):
        parser, words = build_parser(), line.split()[1:]
        for word in words:  # walk down the sub-commands the line names (`model\\|dataset`: the first one)
            word = word.split("\\|")[0]
            commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            if not commands or word not in commands[0].choices:
                break
            parser = commands[0].choices[word]
        hidden = parser.__dict__.get("hidden_aliases", {})
        for option in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", line.split("#")[0]):
            if option not in parser._option_string_actions or option in hidden:
                stale.append(f"{line!r}: {option}")
    assert stale == []

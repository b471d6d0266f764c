"""Start-up of the `lexsign` command: wall time of `lexsign --version`, `--help` and `lexsign COMMAND --help`, the
import time Python reports for them (`python -X importtime`), and which heavy libraries they load.

Each invocation is a fresh `python -m lexsign_hf.cli ...` process (what the `lexsign` script runs), timed from
spawn to exit; `python -c pass` is the interpreter's own floor. With `--baseline DIR` (a folder holding another
`lexsign_hf/`, e.g. `git archive <commit> lexsign_hf | tar -x -C DIR`) the same invocations of that copy are timed
round-robin with this checkout's, so that machine load hits both alike.
"""

from __future__ import annotations

import common  # isort: skip  (first: sets the offline environment)

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HEAVY = ("torch", "transformers", "datasets", "numpy", "av", "pose_format", "yaml")
REPEATS = {"tiny": 1, "quick": 3, "full": 7}


def _environment(source: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(source)}


def invocations() -> list[list[str]]:
    """`--version`, `--help` and `COMMAND --help` for every top-level command of this checkout."""
    from lexsign_hf.cli import build_parser

    parser = build_parser()
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    return [["--version"], ["--help"], *([name, "--help"] for name in commands.choices)]


def wall_seconds(source: Path, argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "lexsign_hf.cli", *argv],
        env=_environment(source),
        cwd=source,  # `python -m` puts the working folder first on sys.path
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - started


def import_profile(source: Path, argv: list[str]) -> dict[str, Any]:
    """Total import time (`-X importtime`, microseconds summed over top-level imports) and the heavy libraries
    loaded by the time the command has printed its text."""
    code = (
        "import sys\nfrom lexsign_hf.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(set({HEAVY!r}) & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=_environment(source),
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    total = 0
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if not name.startswith("  ") and cumulative.strip().isdigit():  # top level only
                total += int(cumulative)
    loaded = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "?"
    return {"import_seconds": round(total / 1e6, 4), "heavy_modules_loaded": loaded}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=common.MODES, default="quick")
    parser.add_argument("--out", type=Path, default=common.DEFAULT_RESULTS_DIR)
    parser.add_argument("--baseline", type=Path, help="folder holding another lexsign_hf/ to compare with")
    parser.add_argument("--baseline-label", default="baseline", help="what the baseline is (e.g. its commit)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="ARGS",
        help="time only this invocation (repeatable): --only=--version --only='train --help'",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    machine = common.machine_info()
    sources = {"this_checkout": common.REPO_ROOT}
    if args.baseline is not None:
        if not (args.baseline / "lexsign_hf" / "cli.py").is_file():
            raise SystemExit(f"--baseline {args.baseline}: no lexsign_hf/cli.py there")
        sources[args.baseline_label] = args.baseline.resolve()
    repeats = REPEATS[args.mode]
    bare = []
    samples: dict[str, dict[str, list[float]]] = {label: {} for label in sources}
    calls = [call.split() for call in args.only] if args.only else invocations()
    for _ in range(repeats):  # round-robin over versions and commands
        started_bare = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=False)
        bare.append(time.perf_counter() - started_bare)
        for call in calls:
            for label, source in sources.items():
                samples[label].setdefault(" ".join(call), []).append(wall_seconds(source, call))
    results: dict[str, Any] = {"python_bare_seconds": common.summarize(bare)}
    for label, source in sources.items():
        results[label] = {
            command: {"wall": common.summarize(times), **import_profile(source, command.split())}
            for command, times in samples[label].items()
        }
    print(f"`python -c pass`: {results['python_bare_seconds']['min_s']:.2f} s (the interpreter's floor)\n")
    print(
        f"| command | {' | '.join(f'{label}: wall s (min), import s, heavy modules' for label in sources)} |"
    )
    print(f"|---|{'---|' * len(sources)}")
    for command in samples["this_checkout"]:
        cells = " | ".join(
            f"{results[label][command]['wall']['min_s']:.2f}, {results[label][command]['import_seconds']:.2f}, "
            f"{results[label][command]['heavy_modules_loaded']}"
            for label in sources
        )
        print(f"| `lexsign {command}` | {cells} |")
    settings = {
        "repeats": repeats,
        "invocations": [" ".join(call) for call in calls],
        "sources": list(sources),
    }
    common.write_result(args.out, "cli_startup", args.mode, settings, results, machine, started)


if __name__ == "__main__":
    main()

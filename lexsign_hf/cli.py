"""The `lexsign` console entry point: one sub-command per job.

Each area of the package exposes a ``register(subparsers)`` function in its own ``cli`` module; this file
only collects them, so importing it stays cheap and an area's heavy dependencies load when its command runs.
"""

from __future__ import annotations

import argparse
import importlib
import socket
import sys
from pathlib import Path

from . import __version__
from .cli_options import LexsignArgumentParser

# (module, registration function) for each command group, in the order `lexsign --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "lexsign_hf.synth.cli",  # demo, predict
    "lexsign_hf.pose.cli",  # pose info
    "lexsign_hf.data.cli",  # data build
    "lexsign_hf.bench.cli",  # bench build/run/report
    "lexsign_hf.agp.cli",  # agp perceive/summarize
    "lexsign_hf.mcp.cli",  # mcp ingest/retrieve/app
    "lexsign_hf.finetune.cli",  # mllm finetune-lora
    "lexsign_hf.hub.cli",  # push
    "lexsign_hf.train.cli",  # train, evaluate
    "lexsign_hf.convert.cli",  # convert uni-sign
)


def version_line() -> str:
    """``lexsign_hf <version> from <package folder> (Python <version>)``: which installation runs."""
    return (
        f"lexsign_hf {__version__} from {Path(__file__).resolve().parent} (Python {sys.version.split()[0]})"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = LexsignArgumentParser(
        prog="lexsign",
        description="LexSign / HALI command-line tools.",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keeps the --version line whole
    )
    parser.add_argument("--version", action="version", version=version_line())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:  # area not present in this installation
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        print(f"lexsign {args.command}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, PermissionError) as error:
        print(f"lexsign {args.command}: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        network = _network_error(error)
        if not (network or isinstance(error, OSError)):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(
            f"lexsign {args.command}: {'network error' if network else 'error'}: {message}", file=sys.stderr
        )
        return 1
    return int(result or 0)


def _network_error(error: BaseException) -> bool:
    """An error of the network or of an HTTP / Hub client (connection refused, DNS, timeout, HTTP status)."""
    modules = {cls.__module__.split(".")[0] for cls in type(error).__mro__}
    return isinstance(error, (ConnectionError, TimeoutError, socket.gaierror)) or any(
        name.startswith(("httpx", "httpcore", "requests", "urllib3", "huggingface_hub")) for name in modules
    )


if __name__ == "__main__":
    sys.exit(main())

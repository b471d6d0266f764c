"""The argument parser of every `lexsign` command: renamed options kept as hidden aliases, "did you mean"
suggestions for unknown options and commands, and unknown options reported by the command that was given them.

Sub-command parsers inherit the class of the parser that makes them, so building the top-level parser with
`LexsignArgumentParser` gives every command these behaviours; an area's `cli.py` only calls `add_alias`.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

__all__ = ["LexsignArgumentParser", "add_alias", "suggest"]

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<choices>.*)\)$")


def suggest(given: str, candidates: Sequence[str]) -> str:
    """``" (did you mean X?)"`` for the closest candidate to `given`, or ``""`` when none is close."""
    match = difflib.get_close_matches(given, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


def add_alias(parser: argparse.ArgumentParser, new: str, old: str) -> None:
    """Accept `old`, the former name of option `new` of `parser`, for one release: it sets what `new` sets, is
    left out of the help and warns (`FutureWarning`) when used (on a `LexsignArgumentParser`)."""
    if old in parser._option_string_actions:
        raise ValueError(f"{parser.prog}: {old} is already an option")
    action = parser._option_string_actions[new]
    action.option_strings.append(old)
    parser._option_string_actions[old] = action
    parser.__dict__.setdefault("hidden_aliases", {})[old] = new


class LexsignArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` with hidden aliases (`add_alias`) and suggestions in its errors."""

    @property
    def _aliases(self) -> dict[str, str]:
        return self.__dict__.get("hidden_aliases", {})

    @contextmanager
    def _without_aliases(self) -> Iterator[None]:
        hidden = self._aliases
        saved = [(action, list(action.option_strings)) for action in self._actions]
        for action in self._actions:
            action.option_strings = [name for name in action.option_strings if name not in hidden]
        try:
            yield
        finally:
            for action, names in saved:
                action.option_strings = names

    def format_usage(self) -> str:
        with self._without_aliases():
            return super().format_usage()

    def format_help(self) -> str:
        with self._without_aliases():
            return super().format_help()

    def _visible_options(self) -> list[str]:
        return [name for name in self._option_string_actions if name not in self._aliases]

    def _has_subcommands(self) -> bool:
        return any(isinstance(action, argparse._SubParsersAction) for action in self._actions)

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        for token in args:
            old = token.split("=", 1)[0]
            if old in self._aliases:
                message = (
                    f"{self.prog}: {old} is now {self._aliases[old]}; the old name goes in the next release"
                )
                warnings.warn(message, FutureWarning, stacklevel=2)
        namespace, extras = super().parse_known_args(args, namespace)
        if extras and not self._has_subcommands():  # a command: its own usage, not the top-level one
            unknown = extras[0]
            hint = (
                suggest(unknown.split("=", 1)[0], self._visible_options()) if unknown.startswith("-") else ""
            )
            self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
        return namespace, extras

    def error(self, message: str):
        invalid = _INVALID_CHOICE.search(message)
        if invalid:
            choices = [choice.strip().strip("'") for choice in invalid["choices"].split(",")]
            message += suggest(invalid["given"], choices)
        elif message.startswith("unrecognized arguments: ") and "did you mean" not in message:
            unknown = message.removeprefix("unrecognized arguments: ").split()[0].split("=", 1)[0]
            message += suggest(unknown, self._visible_options())
        super().error(message)

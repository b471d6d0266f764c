"""Checks a long command runs before it trains or uploads: what it needs at its last step is there.

`lexsign demo`, `lexsign train` and `lexsign push` write a model card, a results file and weights only after
minutes or hours of work. These checks fail in about a second instead, with one line naming the option or file
and what was expected: a card template missing from the installation, an output folder that cannot be written,
a text model that cannot be read. The caller says what to check (template names, paths, the option each came
from), so this module imports no command package.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from .card_templates import TEMPLATE_PACKAGE, card_template_path

__all__ = [
    "check_card_templates",
    "check_push",
    "check_readable_file",
    "check_text_model",
    "check_training_run",
    "check_writable",
]

TEXT_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def check_card_templates(names: Iterable[str]) -> None:
    """Each packaged card template (`lexsign_hf/model_cards/<name>`) is readable."""
    for name in names:
        try:
            card_template_path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise FileNotFoundError(
                f"card template {name!r} of {TEMPLATE_PACKAGE} cannot be read ({error}); the installation of "
                "lexsign_hf is incomplete, reinstall it"
            ) from None


def check_readable_file(path: str | os.PathLike, option: str) -> None:
    """`path` (given with `option`) is a readable text file."""
    try:
        Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FileNotFoundError(f"{option} {path}: cannot read it ({error})") from None


def check_writable(folder: str | os.PathLike, option: str) -> Path:
    """Create `folder` (and its parents) if needed and prove a file can be written and removed there."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise PermissionError(f"{option} {folder}: cannot write there (it is a file, not a folder)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".lexsign-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise PermissionError(f"{option} {folder}: cannot write there ({error.strerror or error})") from None
    return folder


def check_text_model(name_or_path: str | os.PathLike, option: str = "--text-model") -> None:
    """The text model loads: its config and tokenizer (from a folder, or a Hub id through the cache / network),
    and a local folder also has a weights file."""
    from transformers import AutoConfig, AutoTokenizer

    folder = Path(name_or_path)
    if not folder.exists() and (folder.is_absolute() or str(name_or_path).startswith((".", "~"))):
        raise FileNotFoundError(
            f"{option} {name_or_path}: no such folder (expected a BERT checkpoint folder or Hub id)"
        )
    if folder.is_dir():
        try:
            json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise FileNotFoundError(f"{option} {folder}: no readable config.json ({error})") from None
        if not any((folder / name).is_file() for name in TEXT_WEIGHT_FILES):
            raise FileNotFoundError(f"{option} {folder}: no weights ({' or '.join(TEXT_WEIGHT_FILES)})")
    try:
        AutoConfig.from_pretrained(str(name_or_path))
        AutoTokenizer.from_pretrained(str(name_or_path))
    except (OSError, ValueError) as error:
        lines = str(error).strip().splitlines()
        raise FileNotFoundError(
            f"{option} {name_or_path}: cannot load it ({lines[0] if lines else type(error).__name__})"
        ) from None


def check_training_run(
    out: str | os.PathLike,
    text_model: str | os.PathLike,
    card_template: str,
    *,
    out_option: str = "--out",
    text_option: str = "--text-model",
) -> None:
    """Before a training command trains: its card template (`card_template`, packaged), a writable `out` and a
    loadable text model, each error naming the option the user gave it with."""
    check_card_templates([card_template])
    check_writable(out, out_option)
    check_text_model(text_model, text_option)


def check_push(
    dry_run: str | os.PathLike | None,
    card_template: str | os.PathLike | None = None,
    templates: Iterable[str] = (),
) -> None:
    """Before `lexsign push` stages anything: the card template it will render (the `--card-template` file, else
    the packaged `templates`) and, for a dry run, a writable place for OUT_DIR."""
    if card_template is not None:
        check_readable_file(card_template, "--card-template")
    else:
        check_card_templates(templates)
    if dry_run is not None:
        check_writable(Path(dry_run).absolute().parent, "--dry-run (its parent folder)")

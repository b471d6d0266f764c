"""The one labels format of `lexsign predict`, the pipeline, the Inference Endpoints handler and the Space.

Candidates are glosses with lexical descriptions, written as any of

- JSON lines: ``{"gloss": "MOTHER", "text": "5 hand, thumb touches the chin."}`` (``label`` / ``description``
  are accepted for the two keys);
- CSV with a header naming a ``gloss`` (or ``label``) column and a ``text`` (or ``description``) column;
- ``GLOSS: description`` lines (a line with only a gloss is described by the gloss itself).

A gloss may appear several times, once per description: its score is the mean similarity over its descriptions
(`label_pooling`). This module is copied next to the weights of a published model, so it imports nothing from
`lexsign_hf`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

GLOSS_KEYS = ("gloss", "label")
TEXT_KEYS = ("text", "description")
FORMATS = ("jsonl", "csv", "lines")
SUFFIX_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "lines"}
FORMAT_HINT = "JSON lines {gloss, text}, CSV with gloss,text columns, or 'GLOSS: description' lines"


def parse_labels(text: str, source: str = "labels", format: str | None = None) -> tuple[list[str], list[str]]:
    """(glosses, descriptions) from labels text: `format` one of `FORMATS`, or None to detect it from the first
    line (``{`` → JSON lines; a comma-separated header naming a gloss column → CSV; else ``GLOSS: description``)."""
    if format is not None and format not in FORMATS:
        raise ValueError(f"{source}: unknown labels format {format!r}; expected one of {FORMATS}")
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ValueError(f"{source}: no labels (expected {FORMAT_HINT})")
    if format is None:
        first = lines[0][1].strip()
        header = {cell.strip().lower() for cell in next(csv.reader([first]))}
        format = (
            "jsonl"
            if first.startswith("{")
            else "csv"
            if "," in first and header & {*GLOSS_KEYS}
            else "lines"
        )
    if format == "jsonl":
        pairs = [_json_line(source, number, line) for number, line in lines]
    elif format == "csv":
        pairs = _csv_rows(text, source)
    else:
        pairs = [_colon_line(source, number, line) for number, line in lines]
    return [gloss for gloss, _ in pairs], [description for _, description in pairs]


def read_labels(path: str | os.PathLike) -> tuple[list[str], list[str]]:
    """(glosses, descriptions) from a labels file (see `parse_labels`; `.jsonl`/`.json` files are JSON lines,
    `.csv` files CSV, `.txt` files `GLOSS: description` lines, others detected)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"labels file not found: {path}")
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file (binary?); expected {FORMAT_HINT}") from None
    return parse_labels(content, str(path), SUFFIX_FORMATS.get(path.suffix.lower()))


def label_pooling(labels: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct labels in first-seen order and the (len(labels), distinct) matrix averaging each label's
    description scores (`scores @ pooling`)."""
    names = list(dict.fromkeys(labels))
    pooling = np.zeros((len(labels), len(names)), dtype=np.float32)
    pooling[np.arange(len(labels)), [names.index(label) for label in labels]] = 1.0
    return names, pooling / pooling.sum(0, keepdims=True)


def _field(entry: dict, keys: tuple[str, ...], where: str) -> str:
    value = next((entry[key] for key in keys if key in entry), None)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: field {keys[0]!r} must be a non-empty string")
    return value.strip()


def _json_line(source: str, number: int, line: str) -> tuple[str, str]:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}:{number}: not valid JSON ({error.msg})") from None
    if not isinstance(entry, dict):
        raise ValueError(
            f"{source}:{number}: expected an object with 'gloss' and 'text', got {type(entry).__name__}"
        )
    where = f"{source}:{number}"
    return _field(entry, GLOSS_KEYS, where), _field(entry, TEXT_KEYS, where)


def _csv_rows(text: str, source: str) -> list[tuple[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = {name.strip().lower(): name for name in reader.fieldnames or [] if name}
    gloss = next((header[key] for key in GLOSS_KEYS if key in header), None)
    description = next((header[key] for key in TEXT_KEYS if key in header), None)
    if gloss is None or description is None:
        raise ValueError(f"{source}: CSV header {reader.fieldnames} needs a 'gloss' and a 'text' column")
    pairs = []
    for row in reader:
        where = f"{source}:{reader.line_num}"
        if not any((value or "").strip() for value in row.values()):
            continue
        pairs.append(
            (
                _field({"gloss": row[gloss] or ""}, ("gloss",), where),
                _field({"text": row[description] or ""}, ("text",), where),
            )
        )
    if not pairs:
        raise ValueError(f"{source}: CSV has a header but no rows")
    return pairs


def _colon_line(source: str, number: int, line: str) -> tuple[str, str]:
    gloss, _, description = line.partition(":")
    if not gloss.strip():
        raise ValueError(f"{source}:{number}: expected 'GLOSS: description', got {line.strip()!r}")
    return gloss.strip(), description.strip() or gloss.strip()

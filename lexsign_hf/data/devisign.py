"""DEVISIGN-style Chinese Sign Language index (the LexSign-CSL source).

DEVISIGN itself is licence-gated, so the builder reads a user-made index: a CSV (or TSV) with one row per video and
the columns ``gloss_id``, ``meaning`` (the Chinese word, used as the gloss), ``file`` (the video or pose file,
relative path) and ``signer``; an optional ``split`` column (``train``/``val``/``test``) marks official held-out
videos. A video's id is its ``file`` without the extension, so pose files are found as ``<video_id>.pose`` etc.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

REQUIRED_COLUMNS: tuple[str, ...] = ("gloss_id", "meaning", "file", "signer")
SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass(frozen=True)
class CslInstance:
    video_id: str
    gloss_id: str
    gloss: str
    signer_id: str
    split: str | None
    file: str


@dataclass(frozen=True)
class CslIndex:
    """Parsed index: glosses in gloss-id order and all instances."""

    path: Path
    glosses: tuple[str, ...]
    gloss_ids: tuple[str, ...]
    instances: tuple[CslInstance, ...]

    @property
    def num_signers(self) -> int:
        return len({instance.signer_id for instance in self.instances})


def read_devisign_index(path: str | os.PathLike) -> CslIndex:
    """Read and validate a DEVISIGN-style index; errors name the file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"DEVISIGN index {path} does not exist.")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    instances: list[CslInstance] = []
    meaning_of: dict[str, str] = {}
    id_of: dict[str, tuple[str, int]] = {}
    line_of_video: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise ValueError(f"DEVISIGN index {path}:1: header lacks column(s) {missing} (found {columns}).")
        reader.fieldnames = columns
        for row in reader:
            line = reader.line_num
            where = f"DEVISIGN index {path}:{line}"
            if None in row or any(value is None for value in row.values()):
                raise ValueError(f"{where}: number of fields differs from the header.")
            values = {key: (row.get(key) or "").strip() for key in (*REQUIRED_COLUMNS, "split")}
            for key in REQUIRED_COLUMNS:
                if not values[key]:
                    raise ValueError(f"{where}: field {key!r} is empty.")
            split = values["split"] or None
            if split is not None and split not in SPLITS:
                raise ValueError(f"{where}: field 'split' must be one of {SPLITS}, got {split!r}.")
            gloss_id, meaning = values["gloss_id"], values["meaning"]
            if meaning_of.setdefault(gloss_id, meaning) != meaning:
                raise ValueError(
                    f"{where}: gloss_id {gloss_id!r} has meaning {meaning!r} here but {meaning_of[gloss_id]!r} before."
                )
            known_id, known_line = id_of.setdefault(meaning, (gloss_id, line))
            if known_id != gloss_id:
                raise ValueError(
                    f"{where}: duplicate gloss {meaning!r}: gloss_id {gloss_id!r} here, {known_id!r} on line {known_line}."
                )
            video_id = str(PurePosixPath(values["file"].replace("\\", "/")).with_suffix(""))
            if video_id in line_of_video:
                raise ValueError(
                    f"{where}: duplicate video {video_id!r} (also line {line_of_video[video_id]})."
                )
            line_of_video[video_id] = line
            instances.append(
                CslInstance(video_id, gloss_id, meaning, values["signer"], split, values["file"])
            )
    if not instances:
        raise ValueError(f"DEVISIGN index {path}: no rows.")
    gloss_ids = tuple(sorted(meaning_of, key=_natural_key))
    return CslIndex(
        path=path,
        glosses=tuple(meaning_of[gloss_id] for gloss_id in gloss_ids),
        gloss_ids=gloss_ids,
        instances=tuple(instances),
    )


def _natural_key(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))

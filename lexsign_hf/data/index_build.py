"""`lexsign data build --index my.csv --poses DIR`: LexSign configs from a researcher's own pose files and gloss
list, through the same builder as WLASL (`build_lexsign`: pose store, frame spans, reports, dataset card).

The index is a CSV with a header: ``video_id`` (the pose file's name without extension; or ``file``, whose stem is
used) and ``gloss`` are required; ``split`` (train / val / test), ``description``, ``signer_id``, ``fps``,
``frame_start``, ``frame_end`` are optional. Descriptions (``--index-descriptions``):

- ``given``: the index's ``description`` column (several rows of a gloss may give several descriptions);
- ``phon``: phonological descriptions written from ASL-LEX (``--asl-lex``), for the glosses it knows;
- ``none``: no descriptions, so no ZSSLR config, only the ISLR one.

Written: ISLR config ``wlasl<G>`` over all G glosses (videos without a split: train), and with descriptions the
ZSSLR config ``own`` (seen / unseen validation / unseen test classes, 70 / 10 / 20 %, seeded) plus
``descriptions``. Both join their poses from the pose store ``data/asl_poses``.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

from .build import BuildReport, build_lexsign
from .splits import ZSSLRSpec

DESCRIPTION_MODES = ("given", "phon", "none")
ZSSLR_CONFIG = "own"
GIVEN_SOURCE = "mcp"  # the user's own descriptions are dictionary-style text: stored as the `mcp` source
SPLIT_NAMES = {"train": "train", "val": "val", "validation": "val", "dev": "val", "test": "test", "": "train"}
NUMBER_FIELDS = ("signer_id", "fps", "frame_start", "frame_end")


def read_index(path: str | os.PathLike) -> tuple[dict[str, list[dict]], dict[str, list[tuple[int, str]]]]:
    """(gloss → WLASL-style instances, gloss → (line, given description)s) from the index CSV; errors name the
    line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--index {path}: file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        if "gloss" not in header or not {"video_id", "file"} & set(header):
            raise ValueError(
                f"--index {path}: header {header} needs a 'gloss' and a 'video_id' (or 'file') column"
            )
        entries: dict[str, list[dict]] = {}
        descriptions: dict[str, list[tuple[int, str]]] = {}
        for row in reader:
            row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
            where = f"--index {path}:{reader.line_num}"
            gloss = row.get("gloss", "")
            video_id = row.get("video_id") or Path(row.get("file", "")).stem
            if not gloss or not video_id:
                raise ValueError(f"{where}: 'gloss' and 'video_id' (or 'file') must be non-empty")
            split = row.get("split", "").lower()
            if split not in SPLIT_NAMES:
                raise ValueError(
                    f"{where}: field 'split' is {split!r}; expected train, val or test (or empty)"
                )
            instance = {"video_id": video_id, "split": SPLIT_NAMES[split], "signer_id": 0}
            for name in NUMBER_FIELDS:
                if row.get(name):
                    try:
                        value = float(row[name])
                    except ValueError:
                        raise ValueError(
                            f"{where}: field {name!r} is {row[name]!r}; expected a number"
                        ) from None
                    instance[name] = value if name == "fps" else int(value)
            entries.setdefault(gloss, []).append(instance)
            if row.get("description"):
                descriptions.setdefault(gloss, []).append((reader.line_num, row["description"]))
    if not entries:
        raise ValueError(f"--index {path}: no rows")
    return entries, descriptions


def build_from_index(
    out_dir: str | os.PathLike,
    index: str | os.PathLike,
    poses: str | os.PathLike,
    descriptions: str | None = None,
    asl_lex: str | os.PathLike | None = None,
    seed: int = 0,
    progress: bool = True,
) -> BuildReport:
    """Build the LexSign folder `out_dir` from the index CSV and the pose folder (see the module doc);
    `descriptions` defaults to ``given`` when the index has descriptions, else ``none``."""
    entries, given = read_index(index)
    mode = descriptions or ("given" if given else "none")
    if mode not in DESCRIPTION_MODES:
        raise ValueError(f"--index-descriptions {mode!r}: expected one of {DESCRIPTION_MODES}")
    if mode == "given" and not given:
        raise ValueError(
            f"--index {index}: --index-descriptions given needs a 'description' column with text"
        )
    if mode == "phon" and asl_lex is None:
        raise ValueError("--index-descriptions phon needs --asl-lex (the ASL-LEX 2.0 sign-data CSV)")
    spec = None
    if mode != "none":
        num_glosses = len(entries)
        num_test, num_validation = max(1, round(0.2 * num_glosses)), max(1, round(0.1 * num_glosses))
        if num_glosses - num_test - num_validation < 1:
            raise ValueError(
                f"--index {index}: {num_glosses} glosses are too few for a ZSSLR config (seen, unseen validation and"
                " unseen test classes need at least 3); use --index-descriptions none for the ISLR config alone"
            )
        spec = ZSSLRSpec({ZSSLR_CONFIG: num_glosses - num_test - num_validation}, num_validation, num_test)
    with tempfile.TemporaryDirectory(prefix="lexsign-index-") as scratch:
        wlasl = Path(scratch) / "index.json"
        wlasl.write_text(
            json.dumps([{"gloss": gloss, "instances": instances} for gloss, instances in entries.items()]),
            encoding="utf-8",
        )
        files = []
        if mode == "given":
            records = Path(scratch) / "given.jsonl"
            records.write_text(
                "".join(  # provenance: the index file, its row (page 0: not a printed dictionary)
                    json.dumps(
                        {
                            "gloss": gloss,
                            "text": text,
                            "source": GIVEN_SOURCE,
                            "book": Path(index).name,
                            "page": 0,
                            "position": line,
                        }
                    )
                    + "\n"
                    for gloss, texts in given.items()
                    for line, text in texts
                ),
                encoding="utf-8",
            )
            files.append(records)
        return build_lexsign(
            out_dir,
            wlasl=wlasl,
            poses=poses,
            asl_lex=asl_lex if mode == "phon" else None,
            descriptions=files,
            seed=seed,
            asl_spec=spec,
            islr_sizes=(len(entries),),
            progress=progress,
        )

"""The ASL-Text zero-shot protocol (Bilge et al., BMVC 2019) as a config the user fills in.

ASL-Text splits 250 ASLLVD glosses into 170 seen (train), 30 unseen validation and 50 unseen test classes. Its
descriptions and video features are not public, so `write_asl_text_template` writes fill-in files (the glosses
with their split, a descriptions CSV with one empty row per gloss, an empty video index) and `build_asl_text`
turns the filled files into an ``asltext`` config (+ ``descriptions``) in the same Hub layout as the LexSign
configs, with poses when a pose folder is given.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import datasets

from .build import BuildReport, ConfigPlan, DescriptionInput, add_description_files, write_lexsign_folder
from .descriptions import MCP_PROVENANCE_FIELDS, DescriptionBank
from .splits import ZSSLR_SPLITS, ZSSLRPartition, zsslr_instance_splits

CONFIG_NAME = "asltext"
ASL_TEXT_SIZES: dict[str, int] = {"train": 170, "val": 30, "test": 50}
VIDEO_COLUMNS: tuple[str, ...] = ("video_id", "gloss", "signer_id")
ASL_TEXT_COLUMNS = {
    "signer_id": datasets.Value("string"),
    "source_split": datasets.Value("string"),
    "fps": datasets.Value("float32"),
}


def read_asl_text_splits(
    path: str | os.PathLike, expected_sizes: Mapping[str, int] | None = ASL_TEXT_SIZES
) -> ZSSLRPartition:
    """Read the class split JSON (``{"train": [...], "val": [...], "test": [...]}``) as a partition.

    The seen setting is named ``asltext``. Sizes are checked against ``expected_sizes`` (None: any sizes); the
    three lists must be disjoint and without duplicates.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ASL-Text split file {path} does not exist.")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"ASL-Text split file {path}: invalid JSON ({error.msg}).") from None
    if not isinstance(content, dict) or sorted(content) != sorted(ASL_TEXT_SIZES):
        raise ValueError(
            f"ASL-Text split file {path}: expected an object with keys {sorted(ASL_TEXT_SIZES)}."
        )
    seen: dict[str, str] = {}
    for split, glosses in content.items():
        if not isinstance(glosses, list) or not all(isinstance(gloss, str) and gloss for gloss in glosses):
            raise ValueError(f"ASL-Text split file {path}: field {split!r} must be a list of gloss strings.")
        if expected_sizes is not None and len(glosses) != expected_sizes[split]:
            raise ValueError(
                f"ASL-Text split file {path}: {split!r} has {len(glosses)} glosses, expected {expected_sizes[split]}."
            )
        for gloss in glosses:
            if gloss in seen:
                raise ValueError(
                    f"ASL-Text split file {path}: gloss {gloss!r} is in {seen[gloss]!r} and {split!r}."
                )
            seen[gloss] = split
    return ZSSLRPartition(
        seed=None,
        unseen_validation=tuple(content["val"]),
        unseen_test=tuple(content["test"]),
        seen={CONFIG_NAME: tuple(content["train"])},
    )


def write_asl_text_template(out_dir: str | os.PathLike, splits_path: str | os.PathLike) -> dict[str, Path]:
    """Write the fill-in files for ASL-Text into ``out_dir`` and return them by role.

    - ``glosses``: ``asltext_glosses.csv`` (gloss, split), for reference;
    - ``descriptions``: ``asltext_descriptions.csv`` (gloss, text, source, book, page, position) with one row per
      gloss and an empty ``text`` to fill (source ``mcp`` needs book/page/position; use ``agp`` for generated
      text); more rows per gloss are allowed, rows left empty must be deleted;
    - ``videos``: ``asltext_videos.csv`` (video_id, gloss, signer_id), empty: one row per video to add; pose files
      are then named ``<video_id>.pose`` (or ``.npy``, ...).
    """
    partition = read_asl_text_splits(splits_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    split_of = _split_of(partition)
    paths = {
        "glosses": out_dir / "asltext_glosses.csv",
        "descriptions": out_dir / "asltext_descriptions.csv",
        "videos": out_dir / "asltext_videos.csv",
    }
    _write_csv(paths["glosses"], ("gloss", "split"), [(gloss, split) for gloss, split in split_of.items()])
    _write_csv(
        paths["descriptions"],
        ("gloss", "text", "source", *MCP_PROVENANCE_FIELDS),
        [(gloss, "", "mcp", "", "", "") for gloss in split_of],
    )
    _write_csv(paths["videos"], VIDEO_COLUMNS, [])
    return paths


def build_asl_text(
    out_dir: str | os.PathLike,
    splits_path: str | os.PathLike,
    videos: str | os.PathLike,
    descriptions: Sequence[DescriptionInput] = (),
    poses: str | os.PathLike | None = None,
    progress: bool = True,
) -> BuildReport:
    """Write the ``asltext`` config (train / validation / test) and ``descriptions`` from the filled files.

    ``videos`` is the filled ``asltext_videos.csv``; every gloss must be one of the protocol's 250. Glosses
    without a description are listed in the report's notes (zero-shot evaluation needs one per unseen class).
    """
    partition = read_asl_text_splits(splits_path)
    split_of = _split_of(partition)
    instances = _read_videos(Path(videos), split_of)
    classes = partition.classes(CONFIG_NAME)
    label = {gloss: position for position, gloss in enumerate(classes)}
    splits = zsslr_instance_splits(
        instances, partition, CONFIG_NAME, gloss_of=lambda row: row["gloss"], is_held_out=lambda row: False
    )
    plan = ConfigPlan(
        name=CONFIG_NAME,
        language="asl",
        kind="zsslr",
        classes=classes,
        class_metadata=partition.class_metadata(CONFIG_NAME),
        splits={
            split: [{**row, "label": label[row["gloss"]], "fps": None} for row in splits[split]]
            for split in ZSSLR_SPLITS
        },
        columns=ASL_TEXT_COLUMNS,
    )
    report = BuildReport(seed=None)
    report.inputs["asl_text"] = {"splits": str(splits_path), "videos": str(videos), "glosses": len(classes)}
    banks = {"asl": DescriptionBank()}
    report.descriptions = add_description_files(descriptions, banks, {"asl": set(classes)})
    undescribed = [gloss for gloss in classes if gloss not in banks["asl"]]
    if undescribed:
        report.notes.append(
            f"asltext: {len(undescribed)} glosses have no description, e.g. {undescribed[:5]}."
        )
    write_lexsign_folder(
        out_dir, {CONFIG_NAME: plan}, banks, report, pose_folders={"asl": poses}, progress=progress
    )
    return report


def _split_of(partition: ZSSLRPartition) -> dict[str, str]:
    return {
        **dict.fromkeys(partition.seen[CONFIG_NAME], "train"),
        **dict.fromkeys(partition.unseen_validation, "val"),
        **dict.fromkeys(partition.unseen_test, "test"),
    }


def _read_videos(path: Path, split_of: Mapping[str, str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise FileNotFoundError(f"ASL-Text video index {path} does not exist.")
    rows = []
    line_of: dict[str, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in VIDEO_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"ASL-Text video index {path}:1: header lacks column(s) {missing}.")
        for row in reader:
            where = f"ASL-Text video index {path}:{reader.line_num}"
            values = {name: (row.get(name) or "").strip() for name in VIDEO_COLUMNS}
            if not values["video_id"] or not values["gloss"]:
                raise ValueError(f"{where}: fields 'video_id' and 'gloss' must not be empty.")
            if values["gloss"] not in split_of:
                raise ValueError(
                    f"{where}: gloss {values['gloss']!r} is not one of the ASL-Text protocol's glosses."
                )
            if values["video_id"] in line_of:
                raise ValueError(
                    f"{where}: duplicate video_id {values['video_id']!r} (also line {line_of[values['video_id']]})."
                )
            line_of[values["video_id"]] = reader.line_num
            rows.append({**values, "source_split": split_of[values["gloss"]]})
    if not rows:
        raise ValueError(
            f"ASL-Text video index {path} has no videos: add one row per video (video_id, gloss, signer_id)."
        )
    return rows


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)

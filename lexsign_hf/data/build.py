"""Build the LexSign Hub dataset folder from the public indexes, description files and optional pose files.

Configs (each with ``data/<config>/classes.json``):

- ZSSLR ``asl1000``/``asl300``/``asl100`` (WLASL) and ``csl1000``/``csl300``/``csl100`` (DEVISIGN-style index):
  splits ``train`` (seen classes), ``validation`` / ``test`` (all videos of the unseen validation / test classes,
  identical across the settings of a language) and ``test_seen`` (held-out videos of seen classes, for GZSL).
  WLASL: ``train`` = the official train + val videos of seen classes, ``test_seen`` = their official test videos.
  ``label`` indexes the setting's class list: seen classes, then unseen validation, then unseen test.
- ISLR ``wlasl100``/``wlasl300``/``wlasl1000``/``wlasl2000``: the official ``nslt_<N>.json`` subsets and splits
  (derived from the index when the file is absent); ``label`` is the WLASL class index.
- ``descriptions``: one row per gloss and source (``mcp``, ``agp``, ``phon``) with all its texts.

Without pose files the video configs are metadata only. With ``poses`` each video's (T, K, 3) float32 keypoints, as
read, are stored once, in the config ``asl_poses`` (``csl_poses`` for DEVISIGN) with its ``layout`` and ``fps``, and
every video config names that config in its ``classes.json`` (``poses_config``): a WLASL build holds each pose once,
not once per config. `pose_store.load_video_config` loads a config with its poses joined by ``video_id``. Videos without a pose file are left out (and counted), and pose files
that cannot be read are left out and listed (``build_report.json`` ``poses.unreadable``, the card), never fatal.
A whole-video pose is cut to the instance's ``frame_start``..``frame_end`` (`pose_store.instance_span`; off with
``trim=False``). With ``drop_undescribed`` ZSSLR classes without any description are dropped from the class groups
and their videos from the splits (counted in the report and the card), so every class can be scored.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from huggingface_hub import DatasetCard, DatasetCardData

from lexsign_hf.card_templates import card_template_path

from . import phonology
from .descriptions import SOURCES, DescriptionBank, DescriptionRecord, read_description_file
from .devisign import CslIndex, read_devisign_index
from .hub_layout import DEFAULT_MAX_SHARD_SIZE, pose_feature, write_dataset_folder, write_json_atomic
from .phonology.audit import indistinguishable_summary
from .pose_store import POSES_CONFIG_KEY, PoseCache, find_pose_files, instance_span
from .splits import (
    ASL_ZSSLR,
    CSL_ZSSLR,
    ZSSLR_SPLITS,
    ZSSLRSpec,
    held_out_fraction,
    zsslr_instance_splits,
    zsslr_partition,
)
from .wlasl import ISLR_SIZES, WlaslIndex, find_nslt_files, read_nslt, read_wlasl_index

CARD_TEMPLATE = "lexsign_dataset.md.jinja"
REPORT_FILE = "build_report.json"
DESCRIPTIONS_CONFIG = "descriptions"
ISLR_SPLITS = {"train": "train", "val": "validation", "test": "test"}
CACHE_DIR_NAME = ".lexsign_build"

WLASL_COLUMNS = {
    "signer_id": datasets.Value("int32"),
    "variation_id": datasets.Value("int32"),
    "frame_start": datasets.Value("int32"),
    "frame_end": datasets.Value("int32"),
    "source_split": datasets.Value("string"),
    "fps": datasets.Value("float32"),
}
CSL_COLUMNS = {
    "gloss_id": datasets.Value("string"),
    "signer_id": datasets.Value("string"),
    "source_split": datasets.Value("string"),
    "fps": datasets.Value("float32"),
}

DescriptionInput = str | os.PathLike | tuple[str | None, str | os.PathLike]


@dataclass
class ConfigPlan:
    """Rows of one video config before poses are attached."""

    name: str
    language: str
    kind: str  # "zsslr" or "islr"
    classes: list[str]
    class_metadata: dict[str, Any]
    splits: dict[str, list[dict[str, Any]]]
    columns: Mapping[
        str, Any
    ]  # features of the row columns besides video_id, gloss, label (and pose, layout)


@dataclass
class BuildReport:
    """What a build wrote and from what; saved as ``build_report.json`` and summarised in the card."""

    seed: int | None
    configs: dict[str, dict[str, int]] = field(default_factory=dict)
    classes: dict[str, dict[str, int]] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    descriptions: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    poses: dict[str, Any] = field(default_factory=dict)
    undescribed: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        lines = [
            f"{name}: " + ", ".join(f"{split} {rows}" for split, rows in splits.items())
            for name, splits in self.configs.items()
        ]
        asl_lex = self.coverage.get("asl_lex")
        if asl_lex:
            lines.append(
                f"ASL-LEX coverage: {asl_lex['matched_glosses']}/{asl_lex['index_glosses']} WLASL glosses "
                f"({asl_lex['matched_percent']:.1f}%) have phon descriptions"
            )
        for source, counts in self.descriptions.get("sources", {}).items():
            if counts["descriptions"]:
                lines.append(
                    f"descriptions {source}: {counts['descriptions']} texts for {counts['glosses']} glosses"
                )
        if self.poses:
            lines.append(
                f"poses: {self.poses['files']} files ({self.poses['read']} read, rest from cache), "
                f"layouts {self.poses['layouts']}"
            )
            for reason in self.poses["unreadable"].values():  # each reason names its file
                lines.append(f"unreadable pose file left out: {reason}")
        for name, dropped in self.undescribed.items():
            lines.append(
                f"{name}: dropped {dropped['classes']} classes without descriptions ({dropped['videos']} videos)"
            )
        return "\n".join([*lines, *self.notes])


def build_lexsign(
    out_dir: str | os.PathLike,
    *,
    wlasl: str | os.PathLike | None = None,
    nslt_dir: str | os.PathLike | None = None,
    devisign: str | os.PathLike | None = None,
    asl_lex: str | os.PathLike | None = None,
    poses: str | os.PathLike | None = None,
    devisign_poses: str | os.PathLike | None = None,
    descriptions: Sequence[DescriptionInput] = (),
    seed: int = 0,
    asl_spec: ZSSLRSpec | None = ASL_ZSSLR,
    csl_spec: ZSSLRSpec | None = CSL_ZSSLR,
    islr_sizes: Sequence[int] = ISLR_SIZES,
    test_seen_fraction: float = 0.2,
    max_shard_size: int = DEFAULT_MAX_SHARD_SIZE,
    pose_chunk_size: int = 256,
    keep_cache: bool = False,
    trim: bool = True,
    drop_undescribed: bool = False,
    progress: bool = True,
) -> BuildReport:
    """Write the LexSign dataset folder ``out_dir`` and return the `BuildReport`.

    Args:
        out_dir: output folder (Hub layout: README.md, ``data/<config>/...``, ``build_report.json``).
        wlasl: ``WLASL_v0.3.json`` or its folder (ZSSLR ``asl*`` and ISLR ``wlasl*`` configs).
        nslt_dir: folder with ``nslt_<N>.json`` (default: the index's folder).
        devisign: DEVISIGN-style index CSV/TSV (ZSSLR ``csl*`` configs).
        asl_lex: ASL-LEX 2.0 sign-data CSV; adds ``phon`` descriptions for every WLASL gloss it matches.
        poses / devisign_poses: folders of pose files named ``<video_id>.<ext>`` for WLASL / DEVISIGN videos.
        descriptions: description files (path, or ``(source, path)`` to read a file as one source).
        seed: seed of the class partitions (and of held-out videos where an index has no test split).
        asl_spec / csl_spec: ZSSLR sizes (defaults: the paper's LexSign-ASL and LexSign-CSL settings); None
            writes no ZSSLR configs for that language.
        islr_sizes: WLASL ISLR subsets to write.
        test_seen_fraction: share of each seen class held out as ``test_seen`` when the CSL index has no split.
        max_shard_size: approximate bytes per parquet shard.
        pose_chunk_size: pose files per cache chunk (the unit of resumption).
        keep_cache: keep the pose cache (``<out_dir>/.lexsign_build``) after a successful build.
        trim: cut whole-video poses to the instance's frame span (`pose_store.instance_span`).
        drop_undescribed: leave ZSSLR classes without any description (and their videos) out.
        progress: show progress bars.
    """
    if wlasl is None and devisign is None:
        raise ValueError(
            "no index given: pass a WLASL index (--wlasl) and/or a DEVISIGN-style index (--devisign)."
        )
    if poses is not None and wlasl is None:
        raise ValueError("pose files (--poses) need the WLASL index (--wlasl).")
    if devisign_poses is not None and devisign is None:
        raise ValueError("DEVISIGN pose files (--devisign-poses) need the DEVISIGN-style index (--devisign).")
    out_dir = Path(out_dir)
    report = BuildReport(seed=seed)
    plans: dict[str, ConfigPlan] = {}
    banks = {"asl": DescriptionBank(), "csl": DescriptionBank()}
    known_glosses: dict[str, set[str]] = {"asl": set(), "csl": set()}

    if wlasl is not None:
        wlasl_index = read_wlasl_index(wlasl)
        nslt_files = find_nslt_files(nslt_dir if nslt_dir is not None else wlasl_index.path.parent)
        wlasl_plans, report.inputs["wlasl"] = _wlasl_plans(
            wlasl_index, nslt_files, asl_spec, islr_sizes, seed
        )
        plans.update(wlasl_plans)
        known_glosses["asl"] = set(wlasl_index.glosses)
        if asl_lex is not None:
            phon_records, report.coverage["asl_lex"] = _phon_records(asl_lex, wlasl_index, seed)
            for record in phon_records:
                banks["asl"].add(record)
    elif asl_lex is not None:
        raise ValueError("ASL-LEX descriptions (--asl-lex) need the WLASL index (--wlasl).")
    if devisign is not None:
        csl_index = read_devisign_index(devisign)
        csl_plans, report.inputs["devisign"] = _csl_plans(csl_index, csl_spec, seed, test_seen_fraction)
        plans.update(csl_plans)
        known_glosses["csl"] = set(csl_index.glosses)

    report.descriptions = add_description_files(descriptions, banks, known_glosses)
    if drop_undescribed:
        report.undescribed = drop_undescribed_classes(plans, banks)

    write_lexsign_folder(
        out_dir,
        plans,
        banks,
        report,
        pose_folders={"asl": poses, "csl": devisign_poses},
        max_shard_size=max_shard_size,
        pose_chunk_size=pose_chunk_size,
        keep_cache=keep_cache,
        trim=trim,
        progress=progress,
    )
    return report


def write_lexsign_folder(
    out_dir: str | os.PathLike,
    plans: Mapping[str, ConfigPlan],
    banks: Mapping[str, DescriptionBank],
    report: BuildReport,
    pose_folders: Mapping[str, str | os.PathLike | None] | None = None,
    max_shard_size: int = DEFAULT_MAX_SHARD_SIZE,
    pose_chunk_size: int = 256,
    keep_cache: bool = False,
    trim: bool = True,
    progress: bool = True,
) -> None:
    """Attach poses (language → pose folder) to the planned video configs and write them, the ``descriptions``
    config, the card and ``build_report.json`` (``report`` is completed in place)."""
    out_dir = Path(out_dir)
    report.coverage["configs"] = _coverage(plans, banks)
    report.coverage["indistinguishable"] = _indistinguishable(plans, banks)
    cache_dir = out_dir / CACHE_DIR_NAME
    caches: dict[str, PoseCache] = {}
    for language, folder in (pose_folders or {}).items():
        if folder is not None:
            known_videos = {
                row["video_id"]
                for plan in plans.values()
                if plan.language == language
                for rows in plan.splits.values()
                for row in rows
            }
            indexes = ", ".join(str(info["path"]) for info in report.inputs.values() if "path" in info)
            caches[language] = _pose_cache(
                folder, known_videos, indexes, cache_dir / language, pose_chunk_size, progress
            )
    if caches:
        report.poses = {
            "files": sum(len(cache.files) for cache in caches.values()),
            "read": sum(cache.num_read for cache in caches.values()),
            "layouts": dict(sum((cache.layouts() for cache in caches.values()), Counter())),
            "unreadable": {
                str(cache.files[video_id]): reason
                for cache in caches.values()
                for video_id, reason in sorted(cache.unreadable.items())
            },
            "videos_without_pose": {},
            "trim": "instance frame span" if trim else "off",
            "trimmed": {},
        }

    configs: dict[str, dict[str, Iterable[dict[str, Any]]]] = {}
    features: dict[str, datasets.Features] = {}
    class_files: dict[str, dict[str, Any]] = {}
    stored: dict[str, dict[str, dict[str, Any]]] = {
        language: {} for language in caches
    }  # video id → first row
    for name, plan in plans.items():
        cache = caches.get(plan.language)
        splits = plan.splits
        if cache is not None:
            splits = {
                split: [row for row in rows if row["video_id"] in cache]
                for split, rows in plan.splits.items()
            }
            dropped = sum(len(rows) for rows in plan.splits.values()) - sum(
                len(rows) for rows in splits.values()
            )
            report.poses["videos_without_pose"][name] = dropped
            if not any(splits.values()):
                report.notes.append(f"{name}: not written (none of its videos has a pose file).")
                continue
            for rows in splits.values():
                for row in rows:
                    stored[plan.language].setdefault(row["video_id"], row)
        configs[name] = splits
        features[name] = _video_features(plan)
        class_files[name] = {"classes.json": plan.class_metadata}
        if cache is not None:
            class_files[name]["classes.json"] = {
                **plan.class_metadata,
                POSES_CONFIG_KEY: f"{plan.language}_poses",
            }
        class_files[name]["classes.json"] = {
            **class_files[name]["classes.json"],
            "indistinguishable": report.coverage["indistinguishable"][name],
        }
        report.configs[name] = {split: len(rows) for split, rows in splits.items() if rows}
        report.classes[name] = {
            key: len(value) for key, value in plan.class_metadata.items() if isinstance(value, list)
        }
    for language, cache in caches.items():
        if not stored[language]:
            continue
        name = f"{language}_poses"
        rows = stored[language]
        spans = {video_id: _span(row, cache) if trim else None for video_id, row in rows.items()}
        if trim:
            report.poses["trimmed"][name] = sum(span is not None for span in spans.values())
        configs[name] = {"train": _pose_rows(sorted(rows), cache, spans)}
        features[name] = _pose_features(cache)
        report.configs[name] = {"train": len(rows)}

    description_rows = _description_rows(banks)
    if description_rows:
        configs[DESCRIPTIONS_CONFIG] = {"train": description_rows}
        features[DESCRIPTIONS_CONFIG] = DESCRIPTION_FEATURES
        report.configs[DESCRIPTIONS_CONFIG] = {"train": len(description_rows)}
    else:
        report.notes.append("descriptions: not written (no description files and no ASL-LEX given).")

    card = render_card(report, plans)
    default = next((name for name in ("asl1000", "csl1000", *configs) if name in configs), None)
    write_dataset_folder(
        out_dir,
        configs,
        features,
        card,
        default_config=default,
        config_files=class_files,
        max_shard_size=max_shard_size,
    )
    write_json_atomic(out_dir / REPORT_FILE, report.to_dict())
    for cache in caches.values():
        cache.close()
    if not keep_cache and cache_dir.exists():
        shutil.rmtree(cache_dir)


# ------------------------------------------------------------------------------------------------------ plans


def _asl_row(instance: Any, label: int, split: str | None = None) -> dict[str, Any]:
    return {
        "video_id": instance.video_id,
        "gloss": instance.gloss,
        "label": label,
        "signer_id": instance.signer_id,
        "source_split": split or instance.split,
        "variation_id": instance.variation_id,
        "frame_start": instance.frame_start,
        "frame_end": instance.frame_end,
        "fps": instance.fps,
    }


def _wlasl_plans(
    index: WlaslIndex,
    nslt_files: Mapping[int, Path],
    spec: ZSSLRSpec | None,
    islr_sizes: Sequence[int],
    seed: int,
) -> tuple[dict[str, ConfigPlan], dict[str, Any]]:
    plans: dict[str, ConfigPlan] = {}
    partition = zsslr_partition(index.glosses, spec, seed) if spec is not None else None
    for setting in spec.seen_sizes if spec is not None else ():
        classes = partition.classes(setting)
        label = {gloss: position for position, gloss in enumerate(classes)}
        splits = zsslr_instance_splits(
            index.instances,
            partition,
            setting,
            gloss_of=lambda item: item.gloss,
            is_held_out=lambda item: item.split == "test",
        )
        plans[setting] = ConfigPlan(
            name=setting,
            language="asl",
            kind="zsslr",
            classes=classes,
            class_metadata=partition.class_metadata(setting),
            splits={
                split: [_asl_row(item, label[item.gloss]) for item in splits[split]] for split in ZSSLR_SPLITS
            },
            columns=WLASL_COLUMNS,
        )
    by_video_id = index.by_video_id
    subset_sources = {}
    absent_from_index = {}
    for size in islr_sizes:
        if not 0 < size <= len(index.glosses):
            raise ValueError(
                f"ISLR subset size {size} is outside [1, {len(index.glosses)}] (glosses in {index.path})."
            )
        name = f"wlasl{size}"
        classes = list(index.glosses[:size])
        splits: dict[str, list[dict[str, Any]]] = {split: [] for split in ISLR_SPLITS.values()}
        if size in nslt_files:
            subset_sources[name] = nslt_files[size].name
            absent = 0
            for video_id, entry in read_nslt(nslt_files[size], num_classes=size).items():
                instance = by_video_id.get(video_id)
                if instance is None:
                    absent += 1
                    row = {
                        "video_id": video_id,
                        "gloss": classes[entry.class_id],
                        "label": entry.class_id,
                        "signer_id": -1,
                        "source_split": entry.split,
                        "variation_id": -1,
                        "frame_start": entry.frame_start,
                        "frame_end": entry.frame_end,
                        "fps": None,
                    }
                elif instance.class_id != entry.class_id:
                    raise ValueError(
                        f"{nslt_files[size]}: video {video_id!r} has class {entry.class_id} but the index "
                        f"{index.path} gives class {instance.class_id} ({instance.gloss!r})."
                    )
                else:
                    row = _asl_row(instance, entry.class_id, entry.split)
                splits[ISLR_SPLITS[entry.split]].append(row)
            absent_from_index[name] = absent
        else:
            subset_sources[name] = "derived from the index (nslt file not found)"
            for instance in index.instances:
                if instance.class_id < size:
                    splits[ISLR_SPLITS[instance.split]].append(_asl_row(instance, instance.class_id))
        plans[name] = ConfigPlan(
            name=name,
            language="asl",
            kind="islr",
            classes=classes,
            class_metadata={"setting": name, "classes": classes, "subset": subset_sources[name]},
            splits=splits,
            columns=WLASL_COLUMNS,
        )
    info = {
        "path": str(index.path),
        "release": index.release,
        "sha256": index.sha256,
        "glosses": len(index.glosses),
        "videos": len(index.instances),
        "signers": index.num_signers,
        "split_videos": dict(Counter(instance.split for instance in index.instances)),
        "islr_subsets": subset_sources,
        "islr_videos_absent_from_index": absent_from_index,
    }
    return plans, info


def _csl_plans(
    index: CslIndex, spec: ZSSLRSpec | None, seed: int, test_seen_fraction: float
) -> tuple[dict[str, ConfigPlan], dict[str, Any]]:
    if spec is None:
        raise ValueError(
            "a DEVISIGN-style index needs a CSL ZSSLR spec (csl_spec): it only yields ZSSLR configs."
        )
    with_split = [instance.split is not None for instance in index.instances]
    if any(with_split) and not all(with_split):
        raise ValueError(
            f"DEVISIGN index {index.path}: column 'split' must be filled on every row or on none."
        )
    if all(with_split):
        held_out = {instance.video_id for instance in index.instances if instance.split == "test"}
        held_out_rule = "the index's test split"
    else:
        held_out = held_out_fraction(
            index.instances, lambda item: item.gloss, lambda item: item.video_id, test_seen_fraction, seed
        )
        held_out_rule = f"a seeded {test_seen_fraction:.0%} of each seen class's videos"
    partition = zsslr_partition(index.glosses, spec, seed)
    plans = {}
    for setting in spec.seen_sizes:
        classes = partition.classes(setting)
        label = {gloss: position for position, gloss in enumerate(classes)}
        splits = zsslr_instance_splits(
            index.instances,
            partition,
            setting,
            gloss_of=lambda item: item.gloss,
            is_held_out=lambda item: item.video_id in held_out,
        )
        plans[setting] = ConfigPlan(
            name=setting,
            language="csl",
            kind="zsslr",
            classes=classes,
            class_metadata=partition.class_metadata(setting),
            splits={
                split: [
                    {
                        "video_id": item.video_id,
                        "gloss": item.gloss,
                        "gloss_id": item.gloss_id,
                        "label": label[item.gloss],
                        "signer_id": item.signer_id,
                        "source_split": item.split or ("test" if item.video_id in held_out else "train"),
                        "fps": None,
                    }
                    for item in splits[split]
                ]
                for split in ZSSLR_SPLITS
            },
            columns=CSL_COLUMNS,
        )
    info = {
        "path": str(index.path),
        "glosses": len(index.glosses),
        "videos": len(index.instances),
        "signers": index.num_signers,
        "test_seen": held_out_rule,
    }
    return plans, info


# ------------------------------------------------------------------------------------------------ descriptions


def _phon_records(
    asl_lex: str | os.PathLike, index: WlaslIndex, seed: int
) -> tuple[list[DescriptionRecord], dict[str, Any]]:
    """One ``phon`` record per paraphrase template for every WLASL gloss matched to an ASL-LEX entry."""
    entries = phonology.load_asl_lex(asl_lex)
    records = []
    several = 0
    for class_id, gloss in enumerate(index.glosses):
        matches = phonology.match_wlasl_gloss(gloss, entries)
        if not matches:
            continue
        several += len(matches) > 1
        entry_id = phonology.best_match(gloss, entries)
        for template in range(phonology.N_TEMPLATES):
            rng = np.random.default_rng([seed, class_id, template])
            records.append(
                DescriptionRecord(
                    gloss=gloss,
                    language="asl",
                    source="phon",
                    text=phonology.describe(entries[entry_id], template=template, rng=rng),
                    provenance={
                        "asl_lex_entry_id": entry_id,
                        "template": template,
                        "held_out_template": template in phonology.HELD_OUT_TEMPLATES,
                    },
                )
            )
    matched = len({record.gloss for record in records})
    coverage = {
        "path": str(asl_lex),
        "entries": len(entries),
        "index_glosses": len(index.glosses),
        "matched_glosses": matched,
        "matched_percent": 100.0 * matched / len(index.glosses),
        "glosses_with_several_entries": several,
        "templates": phonology.N_TEMPLATES,
        "held_out_templates": list(phonology.HELD_OUT_TEMPLATES),
    }
    return records, coverage


def add_description_files(
    inputs: Sequence[DescriptionInput],
    banks: Mapping[str, DescriptionBank],
    known_glosses: Mapping[str, set[str]],
) -> dict[str, Any]:
    files = []
    unknown_gloss: Counter = Counter()
    duplicates = 0
    seen = {
        (record.language, record.gloss, record.source, record.text)
        for bank in banks.values()
        for record in bank.records()
    }
    for item in inputs:
        source, path = item if isinstance(item, tuple) else (None, item)
        records = read_description_file(path, source=source)
        files.append({"path": str(path), "records": len(records)})
        for record in records:
            if record.language not in banks:
                raise ValueError(
                    f"{path}: record for gloss {record.gloss!r} has language {record.language!r}; expected one of {sorted(banks)}."
                )
            key = (record.language, record.gloss, record.source, record.text)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            if known_glosses[record.language] and record.gloss not in known_glosses[record.language]:
                unknown_gloss[str(path)] += 1
            banks[record.language].add(record)
    counts = {source: {"glosses": 0, "descriptions": 0} for source in SOURCES}
    for bank in banks.values():
        for source, value in bank.counts().items():
            counts[source]["glosses"] += value["glosses"]
            counts[source]["descriptions"] += value["descriptions"]
    return {
        "files": files,
        "sources": counts,
        "duplicates_dropped": duplicates,
        "records_for_glosses_not_in_index": dict(unknown_gloss),
    }


def _coverage(plans: Mapping[str, ConfigPlan], banks: Mapping[str, DescriptionBank]) -> dict[str, Any]:
    """Per config and class group: classes with at least one description, overall and per source."""
    coverage: dict[str, Any] = {}
    for name, plan in plans.items():
        bank = banks[plan.language]
        groups = (
            {key: plan.class_metadata[key] for key in ("seen", "unseen_validation", "unseen_test")}
            if plan.kind == "zsslr"
            else {"classes": plan.classes}
        )
        coverage[name] = {
            group: {
                "classes": len(glosses),
                "any": sum(gloss in bank for gloss in glosses),
                **{source: sum(source in bank.sources_for(gloss) for gloss in glosses) for source in SOURCES},
            }
            for group, glosses in groups.items()
        }
    return coverage


def _indistinguishable(
    plans: Mapping[str, ConfigPlan], banks: Mapping[str, DescriptionBank]
) -> dict[str, Any]:
    """Per config and class group: the classes whose descriptions (all sources) are the same texts as another's."""
    found = {}
    for name, plan in plans.items():
        bank = banks[plan.language]
        texts = {gloss: [r.text for r in bank.records(gloss)] for gloss in plan.classes if gloss in bank}
        keys = ("seen", "unseen_validation", "unseen_test") if plan.kind == "zsslr" else ()
        groups = {key: plan.class_metadata[key] for key in keys} or {"classes": plan.classes}
        found[name] = indistinguishable_summary(texts, groups)
    return found


DESCRIPTION_FEATURES = datasets.Features(
    {
        "gloss": datasets.Value("string"),
        "language": datasets.Value("string"),
        "source": datasets.Value("string"),
        "texts": datasets.List(datasets.Value("string")),
        "fragments": datasets.List(datasets.List(datasets.Value("string"))),
        "provenance": datasets.List(datasets.Value("string")),
    }
)


def _description_rows(banks: Mapping[str, DescriptionBank]) -> list[dict[str, Any]]:
    rows = []
    for language in sorted(banks):
        bank = banks[language]
        for gloss in bank.glosses:
            for source in bank.sources_for(gloss):
                records = bank.records(gloss, source)
                rows.append(
                    {
                        "gloss": gloss,
                        "language": language,
                        "source": source,
                        "texts": [record.text for record in records],
                        "fragments": [record.fragments for record in records],
                        "provenance": [
                            json.dumps(record.provenance, ensure_ascii=False, sort_keys=True)
                            for record in records
                        ],
                    }
                )
    return rows


# ------------------------------------------------------------------------------------------------------ poses


def _pose_cache(
    folder: str | os.PathLike,
    known_videos: set[str],
    indexes: str,
    cache_dir: Path,
    chunk_size: int,
    progress: bool,
) -> PoseCache:
    files = find_pose_files(folder)
    unknown = [str(path) for video_id, path in files.items() if video_id not in known_videos]
    if unknown:
        raise ValueError(
            f"{len(unknown)} pose file(s) in {folder} are named by a video_id that is not in the index ({indexes}), e.g. "
            f"{unknown[:5]} (pose files must be named <video_id>.<ext>)."
        )
    if not files:
        raise ValueError(
            f"pose folder {folder} holds no pose files (expected <video_id>.pose, .npy, .npz, ...)."
        )
    cache = PoseCache(files, cache_dir, chunk_size=chunk_size)
    cache.prepare(progress=progress)
    return cache


def _span(row: Mapping[str, Any], cache: PoseCache) -> slice | None:
    """The instance's frames in its stored pose (None: keep the pose whole)."""
    if "frame_start" not in row:
        return None
    return instance_span(cache.num_frames(row["video_id"]), row["frame_start"], row["frame_end"])


def _pose_rows(
    video_ids: list[str], cache: PoseCache, spans: Mapping[str, slice | None]
) -> Iterator[dict[str, Any]]:
    for video_id in video_ids:
        stored = cache[video_id]
        span = spans[video_id]
        data = stored.data if span is None else stored.data[span]
        width, height = stored.frame_size or (None, None)
        yield {
            "video_id": video_id,
            "pose": data,
            "layout": stored.layout,
            "fps": stored.fps,
            "width": width,
            "height": height,
        }


def drop_undescribed_classes(
    plans: Mapping[str, ConfigPlan], banks: Mapping[str, DescriptionBank]
) -> dict[str, dict[str, Any]]:
    """Leave ZSSLR classes without any description out of their class groups and splits (in place).

    The class list (and so every ``label``) is unchanged; ``classes.json`` lists the dropped classes under
    ``dropped_undescribed``. Returns, per config, how many classes and videos were dropped.
    """
    dropped = {}
    for name, plan in plans.items():
        if plan.kind != "zsslr":
            continue
        bank = banks[plan.language]
        missing = sorted(gloss for gloss in plan.classes if gloss not in bank)
        gone = set(missing)
        for group in ("seen", "unseen_validation", "unseen_test"):
            plan.class_metadata[group] = [gloss for gloss in plan.class_metadata[group] if gloss not in gone]
        plan.class_metadata["dropped_undescribed"] = missing
        videos = 0
        for split, rows in plan.splits.items():
            kept = [row for row in rows if row["gloss"] not in gone]
            videos += len(rows) - len(kept)
            plan.splits[split] = kept
        dropped[name] = {
            "classes": len(missing),
            "videos": videos,
            "kept_classes": len(plan.classes) - len(missing),
        }
    return dropped


def _video_features(plan: ConfigPlan) -> datasets.Features:
    return datasets.Features(
        {
            "video_id": datasets.Value("string"),
            "gloss": datasets.Value("string"),
            "label": datasets.ClassLabel(names=plan.classes),
            **plan.columns,
        }
    )


def _pose_features(cache: PoseCache) -> datasets.Features:
    keypoint_counts = cache.keypoint_counts()
    return datasets.Features(
        {
            "video_id": datasets.Value("string"),
            "pose": pose_feature(next(iter(keypoint_counts)) if len(keypoint_counts) == 1 else None),
            "layout": datasets.Value("string"),
            "fps": datasets.Value("float32"),
            "width": datasets.Value("float32"),  # the video frame, where the pose file records it (else null)
            "height": datasets.Value("float32"),
        }
    )


# ------------------------------------------------------------------------------------------------------- card


def render_card(
    report: BuildReport, plans: Mapping[str, ConfigPlan], template_path: Path | None = None
) -> DatasetCard:
    """The dataset card from ``model_cards/lexsign_dataset.md.jinja`` and the build report."""
    template_path = Path(template_path) if template_path else card_template_path(CARD_TEMPLATE)
    if not template_path.is_file():
        raise FileNotFoundError(f"dataset card template {template_path} not found.")
    languages = sorted({plan.language for plan in plans.values()})
    total_rows = sum(sum(splits.values()) for splits in report.configs.values())
    card_data = DatasetCardData(
        pretty_name="LexSign",
        language=[{"asl": "ase", "csl": "csl"}[language] for language in languages]
        + (["en"] if "asl" in languages else [])
        + (["zh"] if "csl" in languages else []),
        license="other",
        license_name="mixed-non-commercial",
        task_categories=["video-classification", "zero-shot-classification"],
        tags=["sign-language", "pose", "skeleton", "zero-shot", "lexical-descriptions"],
        size_categories=[_size_category(total_rows)],
    )
    return DatasetCard.from_template(
        card_data,
        template_path=str(template_path),
        report=report.to_dict(),
        plans={name: {"kind": plan.kind, "language": plan.language} for name, plan in plans.items()},
    )


def _size_category(rows: int) -> str:
    for bound, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if rows < bound:
            return name
    return "1M<n<10M"

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
read, are stored once, in the pose store ``data/asl_poses`` (``data/csl_poses`` for DEVISIGN; a `save_to_disk`
folder, not a config) with its ``layout`` and ``fps``, and every video config names it in its ``classes.json``
(``poses_config``): a WLASL build holds each pose once, not once per config, and loading configs copies no pose into
the `datasets` cache (the store is memory-mapped). `pose_store.load_video_config` loads a config with its poses
joined by ``video_id``. Videos without a pose file are left out (and counted), and pose files
that cannot be read are left out and listed (``build_report.json`` ``poses.unreadable``, the card), never fatal.
A whole-video pose is cut to the instance's ``frame_start``..``frame_end`` (`pose_store.instance_span`; off with
``trim=False``). With ``drop_undescribed`` ZSSLR classes without any description are dropped from the class groups
and their videos from the splits (counted in the report and the card), so every class can be scored.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import datasets

from .build_descriptions import (
    DESCRIPTION_FEATURES,
    DescriptionInput,
    add_description_files,
    description_coverage,
    description_rows,
    indistinguishable_classes,
    phon_records,
)
from .build_plans import ConfigPlan, csl_plans, drop_undescribed_classes, video_features, wlasl_plans
from .build_poses import open_pose_cache, pose_features, pose_rows, stored_span
from .build_report import BuildReport, render_card
from .descriptions import DescriptionBank
from .devisign import read_devisign_index
from .hub_layout import DEFAULT_MAX_SHARD_SIZE, write_dataset_folder, write_json_atomic, write_saved_dataset
from .pose_store import POSES_CONFIG_KEY, PoseCache
from .splits import ASL_ZSSLR, CSL_ZSSLR, ZSSLRSpec
from .wlasl import ISLR_SIZES, find_nslt_files, read_wlasl_index

__all__ = [
    "BuildReport",
    "ConfigPlan",
    "DescriptionInput",
    "add_description_files",
    "build_lexsign",
    "drop_undescribed_classes",
    "render_card",
    "write_lexsign_folder",
]

REPORT_FILE = "build_report.json"

DESCRIPTIONS_CONFIG = "descriptions"

CACHE_DIR_NAME = ".lexsign_build"


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
    frame_size: tuple[float, float] | None = None,
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
        frame_size: the videos' (width, height) in pixels, for pose files that record none (``--frame-size``).
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
        asl_plans, report.inputs["wlasl"] = wlasl_plans(wlasl_index, nslt_files, asl_spec, islr_sizes, seed)
        plans.update(asl_plans)
        known_glosses["asl"] = set(wlasl_index.glosses)
        if asl_lex is not None:
            records, report.coverage["asl_lex"] = phon_records(asl_lex, wlasl_index, seed)
            for record in records:
                banks["asl"].add(record)
    elif asl_lex is not None:
        raise ValueError("ASL-LEX descriptions (--asl-lex) need the WLASL index (--wlasl).")
    if devisign is not None:
        csl_index = read_devisign_index(devisign)
        devisign_plans, report.inputs["devisign"] = csl_plans(csl_index, csl_spec, seed, test_seen_fraction)
        plans.update(devisign_plans)
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
        frame_size=frame_size,
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
    frame_size: tuple[float, float] | None = None,
    progress: bool = True,
) -> None:
    """Attach poses (language → pose folder) to the planned video configs and write them, the ``descriptions``
    config, the card and ``build_report.json`` (``report`` is completed in place)."""
    out_dir = Path(out_dir)
    report.coverage["configs"] = description_coverage(plans, banks)
    report.coverage["indistinguishable"] = indistinguishable_classes(plans, banks)
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
            caches[language] = open_pose_cache(
                folder, known_videos, indexes, cache_dir / language, pose_chunk_size, progress, frame_size
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
            "ignored_files": sum(len(cache.ignored) for cache in caches.values()),
            "ignored_examples": [path for cache in caches.values() for path in cache.ignored][:10],
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
        features[name] = video_features(plan)
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
        spans = {video_id: stored_span(row, cache) if trim else None for video_id, row in rows.items()}
        if trim:
            report.poses["trimmed"][name] = sum(span is not None for span in spans.values())
        write_saved_dataset(
            out_dir / "data" / name,
            pose_rows(sorted(rows), cache, spans),
            pose_features(cache),
            scratch_dir=cache_dir,
            max_shard_size=max_shard_size,
        )
        report.configs[name] = {"train": len(rows)}

    descriptions_rows = description_rows(banks)
    if descriptions_rows:
        configs[DESCRIPTIONS_CONFIG] = {"train": descriptions_rows}
        features[DESCRIPTIONS_CONFIG] = DESCRIPTION_FEATURES
        report.configs[DESCRIPTIONS_CONFIG] = {"train": len(descriptions_rows)}
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

"""Config plans of a LexSign build: the rows of the ZSSLR (WLASL asl*, DEVISIGN csl*) and ISLR (wlasl*) configs
before poses are attached, and the removal of undescribed ZSSLR classes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from .descriptions import DescriptionBank
from .devisign import CslIndex
from .splits import ZSSLR_SPLITS, ZSSLRSpec, held_out_fraction, zsslr_instance_splits, zsslr_partition
from .wlasl import WlaslIndex, read_nslt

ISLR_SPLITS = {"train": "train", "val": "validation", "test": "test"}

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


def wlasl_plans(
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


def csl_plans(
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


def video_features(plan: ConfigPlan) -> datasets.Features:
    return datasets.Features(
        {
            "video_id": datasets.Value("string"),
            "gloss": datasets.Value("string"),
            "label": datasets.ClassLabel(names=plan.classes),
            **plan.columns,
        }
    )

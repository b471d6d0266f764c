"""Zero-shot class partitions (ZSSLR) and the instance splits built on them.

A partition draws, from one seeded permutation of the sorted class names, an unseen validation set, an unseen test
set and a pool of seen candidates; every setting (e.g. ``asl1000``/``asl300``/``asl100``) takes the first N classes
of that pool, so the settings share the same unseen classes and are nested (asl100 ⊂ asl300 ⊂ asl1000). Only
``numpy.random.Generator`` (PCG64) is used, never Python's ``hash``, so a seed gives the same classes in every run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

ZSSLR_SPLITS: tuple[str, ...] = ("train", "validation", "test", "test_seen")

T = TypeVar("T")


@dataclass(frozen=True)
class ZSSLRSpec:
    """Sizes of a family of ZSSLR settings: seen classes per setting, unseen validation and test classes."""

    seen_sizes: Mapping[str, int]
    num_validation: int
    num_test: int


ASL_ZSSLR = ZSSLRSpec(
    seen_sizes={"asl1000": 1000, "asl300": 300, "asl100": 100}, num_validation=400, num_test=600
)
CSL_ZSSLR = ZSSLRSpec(
    seen_sizes={"csl1000": 983, "csl300": 299, "csl100": 100}, num_validation=344, num_test=551
)


@dataclass(frozen=True)
class ZSSLRPartition:
    """Class partition shared by a family of settings; class tuples keep the order of the input class list.

    ``seed`` is None for a fixed published partition (ASL-Text).
    """

    seed: int | None
    unseen_validation: tuple[str, ...]
    unseen_test: tuple[str, ...]
    seen: Mapping[str, tuple[str, ...]]

    def classes(self, setting: str) -> list[str]:
        """The setting's class list: seen, then unseen validation, then unseen test (label = position)."""
        return [*self.seen[setting], *self.unseen_validation, *self.unseen_test]

    def class_metadata(self, setting: str) -> dict[str, Any]:
        """JSON-ready class lists of a setting (written as ``classes.json``)."""
        return {
            "setting": setting,
            "seed": self.seed,
            "classes": self.classes(setting),
            "seen": list(self.seen[setting]),
            "unseen_validation": list(self.unseen_validation),
            "unseen_test": list(self.unseen_test),
        }


def zsslr_partition(classes: Sequence[str], spec: ZSSLRSpec, seed: int) -> ZSSLRPartition:
    """Partition ``classes`` into unseen validation / unseen test / nested seen sets (see module docstring)."""
    duplicates = sorted(name for name, count in Counter(classes).items() if count > 1)
    if duplicates:
        raise ValueError(f"zsslr_partition: duplicate class names {duplicates[:5]}.")
    largest = max(spec.seen_sizes.values(), default=0)
    needed = spec.num_validation + spec.num_test + largest
    if min([spec.num_validation, spec.num_test, *spec.seen_sizes.values()]) < 1 or needed > len(classes):
        raise ValueError(
            f"zsslr_partition: {len(classes)} classes cannot hold {spec.num_validation} validation + {spec.num_test} "
            f"test + {largest} seen classes (all sizes must be positive)."
        )
    ordered = sorted(classes)
    permutation = np.random.default_rng(seed).permutation(len(ordered))
    shuffled = [ordered[index] for index in permutation]
    boundary = spec.num_validation + spec.num_test
    position = {name: index for index, name in enumerate(classes)}

    def in_input_order(names: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=position.__getitem__))

    pool = shuffled[boundary:]
    return ZSSLRPartition(
        seed=seed,
        unseen_validation=in_input_order(shuffled[: spec.num_validation]),
        unseen_test=in_input_order(shuffled[spec.num_validation : boundary]),
        seen={setting: in_input_order(pool[:size]) for setting, size in spec.seen_sizes.items()},
    )


def zsslr_instance_splits(
    instances: Iterable[T],
    partition: ZSSLRPartition,
    setting: str,
    gloss_of: Callable[[T], str],
    is_held_out: Callable[[T], bool],
) -> dict[str, list[T]]:
    """Assign instances to the ZSSLR splits of ``setting``.

    ``train``: instances of seen classes not held out; ``test_seen``: held-out instances of seen classes (for GZSL);
    ``validation`` / ``test``: every instance of the unseen validation / test classes. Instances of classes outside
    the setting are left out.
    """
    split_of_class = {name: "validation" for name in partition.unseen_validation}
    split_of_class.update({name: "test" for name in partition.unseen_test})
    split_of_class.update({name: "seen" for name in partition.seen[setting]})
    splits: dict[str, list[T]] = {name: [] for name in ZSSLR_SPLITS}
    for instance in instances:
        split = split_of_class.get(gloss_of(instance))
        if split == "seen":
            split = "test_seen" if is_held_out(instance) else "train"
        if split is not None:
            splits[split].append(instance)
    return splits


def held_out_fraction(
    instances: Iterable[T],
    gloss_of: Callable[[T], str],
    key_of: Callable[[T], str],
    fraction: float,
    seed: int,
) -> set[str]:
    """Keys of a seeded ``fraction`` of each class's instances (at least one when a class has two or more).

    Used to make a ``test_seen`` split when an index has no official test split.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"held-out fraction must be in (0, 1), got {fraction}.")
    by_class: dict[str, list[str]] = {}
    for instance in instances:
        by_class.setdefault(gloss_of(instance), []).append(key_of(instance))
    rng = np.random.default_rng(seed)
    held_out: set[str] = set()
    for name in sorted(by_class):
        keys = sorted(by_class[name])
        if len(keys) < 2:
            continue
        count = max(1, round(fraction * len(keys)))
        held_out.update(keys[index] for index in rng.permutation(len(keys))[:count])
    return held_out

from __future__ import annotations

import pytest

from lexsign_hf.data.splits import ZSSLRSpec, held_out_fraction, zsslr_instance_splits, zsslr_partition

CLASSES = [f"g{index:02d}" for index in range(40)][::-1]  # input order is not sorted order
SPEC = ZSSLRSpec(seen_sizes={"big": 20, "small": 5}, num_validation=6, num_test=10)


def test_partition_is_deterministic_nested_and_disjoint():
    partition = zsslr_partition(CLASSES, SPEC, seed=11)
    assert partition == zsslr_partition(list(CLASSES), SPEC, seed=11)
    # the input order only sets the order within each group
    assert set(zsslr_partition(sorted(CLASSES), SPEC, seed=11).unseen_test) == set(partition.unseen_test)
    seen_big, seen_small = set(partition.seen["big"]), set(partition.seen["small"])
    assert len(seen_big) == 20 and len(seen_small) == 5 and seen_small < seen_big
    groups = [seen_big, set(partition.unseen_validation), set(partition.unseen_test)]
    assert sum(map(len, groups)) == len(set().union(*groups)) == 36
    # each group keeps the input order
    position = {name: index for index, name in enumerate(CLASSES)}
    for group in (partition.seen["big"], partition.unseen_validation, partition.unseen_test):
        assert list(group) == sorted(group, key=position.__getitem__)
    assert partition.classes("small")[:5] == list(partition.seen["small"])
    assert zsslr_partition(CLASSES, SPEC, seed=12).unseen_test != partition.unseen_test


def test_partition_errors():
    with pytest.raises(ValueError, match="40 classes cannot hold 30 validation"):
        zsslr_partition(CLASSES, ZSSLRSpec({"a": 5}, 30, 10), seed=0)
    with pytest.raises(ValueError, match=r"duplicate class names \['g01'\]"):
        zsslr_partition([*CLASSES, "g01"], SPEC, seed=0)


def test_instance_splits():
    partition = zsslr_partition(CLASSES, SPEC, seed=0)
    instances = [(f"{name}-{video}", name, video == 0) for name in CLASSES for video in range(3)]
    splits = zsslr_instance_splits(
        instances, partition, "small", gloss_of=lambda i: i[1], is_held_out=lambda i: i[2]
    )
    assert len(splits["train"]) == 5 * 2 and len(splits["test_seen"]) == 5
    assert len(splits["validation"]) == 6 * 3 and len(splits["test"]) == 10 * 3


def test_held_out_fraction():
    instances = [
        (name, f"{name}-{video}") for name, count in (("a", 10), ("b", 2), ("c", 1)) for video in range(count)
    ]
    held = held_out_fraction(instances, lambda i: i[0], lambda i: i[1], 0.2, seed=0)
    assert sum(key.startswith("a-") for key in held) == 2 and sum(key.startswith("b-") for key in held) == 1
    assert not any(key.startswith("c-") for key in held)
    assert held == held_out_fraction(instances[::-1], lambda i: i[0], lambda i: i[1], 0.2, seed=0)
    with pytest.raises(ValueError, match="fraction must be in"):
        held_out_fraction(instances, lambda i: i[0], lambda i: i[1], 1.0, seed=0)

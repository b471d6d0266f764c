"""LexSign data: dataset builds, pose store, descriptions, phonology, collator. `with_poses` (lazy, from
`trainable`) turns `load_dataset(folder, config)` rows into trainable rows."""

from __future__ import annotations

from typing import Any

__all__ = ["with_poses"]


def __getattr__(name: str) -> Any:
    if name == "with_poses":
        from .trainable import with_poses

        return with_poses
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""`build_backend(spec)`: one string names a backend on the command line."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the backends load when built: `lexsign bench run --help` stays light
    from .base import MLLMBackend

SPEC_HELP = (
    "transformers:PATH (local image/video-text-to-text checkpoint), text:PATH (local causal LM), "
    "openai:MODEL[@BASE_URL] (OpenAI-compatible endpoint), random[:SEED] (chance baseline)"
)


def build_backend(spec: str, **kwargs: Any) -> MLLMBackend:
    """Build a backend from `spec` (see `SPEC_HELP`); keyword arguments it does not take, or None, are dropped."""
    kind, _, target = spec.partition(":")
    if kind == "transformers" and target:
        from .transformers_backend import TransformersBackend

        return _construct(TransformersBackend, target, kwargs)
    if kind == "text" and target:
        from .transformers_backend import TransformersTextBackend

        return _construct(TransformersTextBackend, target, kwargs)
    if kind == "openai" and target:
        from .openai_backend import OpenAIBackend

        model, _, base_url = target.partition("@")
        if base_url:
            kwargs["base_url"] = base_url
        return _construct(OpenAIBackend, model, kwargs)
    if kind == "random":
        from .random_backend import RandomBackend

        if target and not target.lstrip("-").isdigit():
            raise ValueError(f"backend spec {spec!r}: the random backend's seed must be an integer")
        return _construct(
            RandomBackend, None, {**kwargs, "seed": int(target) if target else kwargs.get("seed", 0)}
        )
    raise ValueError(f"unknown backend spec {spec!r}; expected one of: {SPEC_HELP}")


def _construct(cls, target, kwargs: dict[str, Any]):
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {key: value for key, value in kwargs.items() if key in accepted and value is not None}
    return cls(target, **kwargs) if target is not None else cls(**kwargs)

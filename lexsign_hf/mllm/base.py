"""Request/response types and the backend base class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .video import FramePolicy, VideoClip, apply_perturbation, read_video

VideoInput = str | Path | np.ndarray | list[np.ndarray]


@dataclass
class ChatRequest:
    """One single-turn chat: an optional system message, then a user turn with video/images and text."""

    prompt: str
    video: VideoInput | None = None
    video_fps: float | None = None
    video_span: tuple[int, int] | None = None
    images: list[Any] | None = None
    system: str | None = None
    max_new_tokens: int = 16
    temperature: float = 0.0
    request_id: str = ""


@dataclass
class Generation:
    """A model's answer to one `ChatRequest` (or the reason it has none)."""

    text: str
    request_id: str = ""
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0})
    latency_s: float = 0.0
    error: str | None = None
    finish_reason: str | None = None  # the server's ("stop", "length", ...) when it says one

    @property
    def ok(self) -> bool:
        return self.error is None


class MLLMBackend(ABC):
    """Base class: turns `ChatRequest`s into `Generation`s, in order, one `Generation` per request."""

    name: str = "backend"

    def __init__(self, frame_policy: FramePolicy | None = None):
        self.frame_policy = frame_policy or FramePolicy.open_model()
        self.usage = {"requests": 0, "errors": 0, "prompt_tokens": 0, "completion_tokens": 0}

    @abstractmethod
    def generate(self, requests: Sequence[ChatRequest], progress: bool = False) -> list[Generation]:
        """Answer every request; per-request failures come back as `Generation(error=...)`."""

    def close(self) -> None:
        """Release resources (HTTP clients, GPU memory); the backend is unusable afterwards."""
        return None

    def __enter__(self) -> MLLMBackend:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def load_video(self, request: ChatRequest) -> VideoClip | None:
        """Frames of the request's video under `self.frame_policy` (None for a text-only request)."""
        if request.video is None:
            return None
        if isinstance(request.video, (str, Path)):
            return read_video(
                request.video, self.frame_policy, span=request.video_span, key=request.request_id
            )
        frames = np.asarray(np.stack(request.video) if isinstance(request.video, list) else request.video)
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(
                f"request {request.request_id!r}: video frames must be (T, H, W, 3), got {frames.shape}"
            )
        clip = VideoClip(
            frames=frames.astype(np.uint8, copy=False), fps=request.video_fps or self.frame_policy.fps or 25.0
        )
        return apply_perturbation(clip, self.frame_policy, request.request_id)

    def _account(self, generations: Sequence[Generation]) -> None:
        for generation in generations:
            self.usage["requests"] += 1
            self.usage["errors"] += int(not generation.ok)
            self.usage["prompt_tokens"] += generation.usage.get("prompt_tokens", 0)
            self.usage["completion_tokens"] += generation.usage.get("completion_tokens", 0)

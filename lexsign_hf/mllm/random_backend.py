"""The chance-level baseline: answers a uniformly random choice."""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence

import numpy as np

from .base import ChatRequest, Generation, MLLMBackend


class RandomBackend(MLLMBackend):
    """Answers one of `choices` uniformly at random, deterministically per `(seed, request_id)`.

    It ignores video and prompt, so its accuracy on a multiple-choice benchmark estimates chance level (the
    expected value of the blind control) and checks that answer positions carry no signal.
    """

    def __init__(self, choices: Sequence[str] = "ABCD", seed: int = 0):
        super().__init__()
        if not choices:
            raise ValueError("RandomBackend needs at least one choice")
        self.choices = list(choices)
        self.seed = seed
        self.name = f"random:{seed}"
        self._counter = itertools.count()

    def generate(self, requests: Sequence[ChatRequest], progress: bool = False) -> list[Generation]:
        results = []
        for request in requests:
            key = request.request_id or str(next(self._counter))
            rng = np.random.default_rng([self.seed, zlib.crc32(key.encode("utf-8"))])
            choice = self.choices[int(rng.integers(len(self.choices)))]
            results.append(
                Generation(
                    text=choice,
                    request_id=request.request_id,
                    usage={"prompt_tokens": 0, "completion_tokens": 1},
                )
            )
        self._account(results)
        return results

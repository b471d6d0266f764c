"""Inference Endpoints handler of a published HALI model (copied to the repository as `handler.py`).

Request body:

```json
{"inputs": "<base64 of a video or a .pose file>" | [[[x, y, confidence], ...], ...],
 "parameters": {"candidate_labels": ["MOTHER", "HELP"],
                "descriptions": ["5 hand, thumb touches the chin; tap twice.", "A hand on the flat palm; move up."],
                "layout": null, "top_k": 5}}
```

`inputs` is a signing video (mp4, WebM, …) or a `.pose` file, as raw bytes (what Inference Endpoints passes for a
binary request body) or encoded in base64, or keypoints as nested lists: canonical `(frames, 77, 3)`, or any saved
layout named by `layout`. A video's pose is estimated with MediaPipe Holistic, as `lexsign pose extract` does.
Candidates are `candidate_labels` (+ `descriptions`), or `labels`: text in the one labels format (JSON lines, CSV
or `GLOSS: description` lines). The answer is the ranked `[{"label", "score"}]` list. Needs `transformers`,
`torch`, `numpy`, `pose-format` (and `av`, `mediapipe` for videos).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np
from transformers import pipeline

TASK = "zero-shot-sign-classification"
PARAMETERS = ("candidate_labels", "descriptions", "labels", "layout", "fps", "top_k")


class EndpointHandler:
    def __init__(self, path: str = ""):
        self.pipeline = pipeline(TASK, model=path or ".", trust_remote_code=True)

    def __call__(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        if not isinstance(data, dict) or "inputs" not in data:
            raise ValueError('request body: expected a JSON object with "inputs" (and optional "parameters")')
        parameters = data.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise ValueError(f'"parameters": expected an object, got {type(parameters).__name__}')
        unknown = sorted(set(parameters) - set(PARAMETERS))
        if unknown:
            raise ValueError(f'"parameters": unknown keys {unknown}; expected some of {list(PARAMETERS)}')
        return self.pipeline(decode_inputs(data["inputs"]), **parameters)


def decode_inputs(inputs: Any) -> bytes | np.ndarray:
    """Video or `.pose` bytes (raw, or from a base64 string), or a float32 array from nested lists."""
    if isinstance(inputs, (bytes, bytearray)):
        return bytes(inputs)
    if isinstance(inputs, str):
        try:
            return base64.b64decode(inputs, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError('"inputs": a string must be a base64-encoded video or .pose file') from None
    if isinstance(inputs, list):
        try:
            return np.asarray(inputs, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(
                '"inputs": keypoint lists must form a (frames, keypoints, 3) grid of numbers'
            ) from None
    raise ValueError(
        f'"inputs": expected video or .pose bytes (raw or base64) or nested keypoint lists, got {type(inputs).__name__}'
    )

"""Inference Endpoints handler of a published HALI model (copied to the repository as `handler.py`).

Request body:

```json
{"inputs": "<base64 of a .pose file>" | [[[x, y, confidence], ...], ...],
 "parameters": {"candidate_labels": ["MOTHER", "HELP"],
                "descriptions": ["5 hand, thumb touches the chin; tap twice.", "A hand on the flat palm; move up."],
                "layout": null, "top_k": 5}}
```

`inputs` is a `.pose` file encoded in base64, or keypoints as nested lists: canonical `(frames, 77, 3)`, or any
saved layout named by `layout`. The answer is the ranked `[{"label", "score"}]` list. Needs only `transformers`,
`torch`, `numpy` (and `pose-format` for `.pose` inputs).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np
from transformers import pipeline

TASK = "zero-shot-sign-classification"
PARAMETERS = ("candidate_labels", "descriptions", "layout", "top_k")


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
    """`.pose` bytes from a base64 string, or a float32 array from nested lists."""
    if isinstance(inputs, str):
        try:
            return base64.b64decode(inputs, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError('"inputs": a string must be a base64-encoded .pose file') from None
    if isinstance(inputs, list):
        try:
            return np.asarray(inputs, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(
                '"inputs": keypoint lists must form a (frames, keypoints, 3) grid of numbers'
            ) from None
    raise ValueError(
        f'"inputs": expected a base64 .pose string or nested keypoint lists, got {type(inputs).__name__}'
    )

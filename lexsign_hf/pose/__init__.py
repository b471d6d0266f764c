"""Reading sign-language keypoint files and mapping them onto the canonical skeleton HALI consumes.

`read_pose` reads pose-format `.pose` files, numpy `.npy`/`.npz`, OpenPose per-frame JSON folders, MMPose /
COCO-WholeBody JSON and MediaPipe landmark parquet (Kaggle long format), detects the layout (COCO-WholeBody 133,
OpenPose 137, reduced holistic 178, MediaPipe holistic 543 / 576 / 586) and returns a `PoseSequence`, whose
`canonical()` is a (T, 77, 3) float32 array of body, hands, mouth and face keypoints (see `CANONICAL_PARTS`).
`write_pose_file` writes keypoints back as a real `.pose` file.

`lexsign_hf.pose.extract.extract_poses` (`lexsign pose extract`) makes `.pose` files from videos with MediaPipe
Holistic through pose-format (the `pose` extra); RTMPose / MMPose whole-body outputs are read as they are. See
`lexsign_hf/pose/README.md`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CANONICAL_PARTS": "layouts",
    "CANONICAL_SLICES": "layouts",
    "LAYOUTS": "layouts",
    "NUM_CANONICAL_KEYPOINTS": "layouts",
    "Layout": "layouts",
    "detect_layout": "layouts",
    "get_layout": "layouts",
    "processor_input": "layouts",
    "to_canonical": "layouts",
    "DEFAULT_FPS": "readers",
    "PoseSequence": "readers",
    "read_pose": "readers",
    "write_pose_file": "writers",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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

from .layouts import (
    CANONICAL_PARTS,
    CANONICAL_SLICES,
    LAYOUTS,
    NUM_CANONICAL_KEYPOINTS,
    Layout,
    detect_layout,
    get_layout,
    processor_input,
    to_canonical,
)
from .readers import DEFAULT_FPS, PoseSequence, read_pose
from .writers import write_pose_file

__all__ = [
    "CANONICAL_PARTS",
    "CANONICAL_SLICES",
    "DEFAULT_FPS",
    "LAYOUTS",
    "NUM_CANONICAL_KEYPOINTS",
    "Layout",
    "PoseSequence",
    "detect_layout",
    "get_layout",
    "processor_input",
    "read_pose",
    "to_canonical",
    "write_pose_file",
]

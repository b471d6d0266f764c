"""Reading sign-language keypoint files and mapping them onto the canonical skeleton HALI consumes.

`read_pose` reads pose-format `.pose` files, numpy `.npy`/`.npz`, OpenPose per-frame JSON folders, MMPose /
COCO-WholeBody JSON and MediaPipe landmark parquet (Kaggle long format), detects the layout (COCO-WholeBody 133,
OpenPose 137, reduced holistic 178, MediaPipe holistic 543 / 576 / 586) and returns a `PoseSequence`, whose
`canonical()` is a (T, 77, 3) float32 array of body, hands, mouth and face keypoints (see `CANONICAL_PARTS`).
`write_pose_file` writes keypoints back as a real `.pose` file.

Keypoints are not extracted from video here. Use pose-format's MediaPipe Holistic estimator
(`pip install "pose-format" "mediapipe<0.10.30"`, then `video_to_pose --format mediapipe -i sign.mp4 -o
sign.pose`, or `videos_to_poses` for a folder) or MMPose whole-body (`MMPoseInferencer("wholebody")` with
`pred_out_dir=...`, or `pose_format.utils.mmposewholebody.estimate_mmpose_wholebody`), and read their outputs.
See `lexsign_hf/pose/README.md`.
"""

from .layouts import (
    CANONICAL_PARTS,
    CANONICAL_SLICES,
    LAYOUTS,
    NUM_CANONICAL_KEYPOINTS,
    Layout,
    detect_layout,
    get_layout,
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
    "read_pose",
    "to_canonical",
    "write_pose_file",
]

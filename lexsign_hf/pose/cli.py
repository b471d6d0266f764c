"""`lexsign pose info FILE [--json]`: the layout, length and canonical parts of a keypoint file."""

from __future__ import annotations

import argparse
import json

from .layouts import LAYOUTS
from .readers import read_pose


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pose", help="inspect pose / keypoint files")
    commands = parser.add_subparsers(dest="pose_command", metavar="COMMAND", required=True)
    info = commands.add_parser(
        "info", help="layout, frames, keypoints, fps and canonical parts of a pose file"
    )
    info.add_argument(
        "file", help=".pose, .npy/.npz, OpenPose JSON folder, MMPose/COCO-WholeBody .json or .parquet"
    )
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(func=pose_info)


def pose_info(args: argparse.Namespace) -> int:
    sequence = read_pose(args.file)
    info = {
        "layout": sequence.layout,
        "frames": sequence.num_frames,
        "keypoints": sequence.data.shape[1],
        "fps": sequence.fps,
        "parts": LAYOUTS[sequence.layout].part_counts,
    }
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"file:      {sequence.source}")
    print(f"layout:    {info['layout']}")
    print(f"frames:    {info['frames']} ({info['frames'] / info['fps']:.2f} s at {info['fps']:g} fps)")
    print(f"keypoints: {info['keypoints']}")
    print("parts:     " + ", ".join(f"{name} {count}" for name, count in info["parts"].items()))
    return 0

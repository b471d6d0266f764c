"""`lexsign pose info FILE [--json]`: the layout, length and canonical parts of a keypoint file.
`lexsign pose extract VIDEO_OR_DIR... --out DIR [--workers N]`: MediaPipe holistic `.pose` files from videos.
`lexsign pose render FILE --out FILE.mp4`: the skeleton as a video."""

from __future__ import annotations

import argparse
import json
import sys

from .validate import parse_frame_size

FRAME_SIZE_HELP = "the video's frame in pixels, for files that record none (.npy, OpenPose, MMPose JSON)"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pose", help="inspect pose / keypoint files")
    commands = parser.add_subparsers(dest="pose_command", metavar="COMMAND", required=True)
    info = commands.add_parser(
        "info", help="layout, frames, keypoints, fps, frame size and canonical parts of a pose file"
    )
    info.add_argument(
        "file",
        help=".pose, .npy/.npz, OpenPose JSON folder, MMPose/COCO-WholeBody .json, .parquet or Uni-Sign .pkl",
    )
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.add_argument("--frame-size", type=frame_size_argument, metavar="WxH", help=FRAME_SIZE_HELP)
    info.set_defaults(func=pose_info)
    render = commands.add_parser("render", help="draw a pose file as a skeleton video (mp4, native fps)")
    render.add_argument("file", help="any pose file `lexsign pose info` reads (.pose, .npy, OpenPose, ...)")
    render.add_argument("--out", required=True, help="output .mp4")
    render.add_argument("--size", type=int, default=384, help="square canvas side in pixels (default 384)")
    render.add_argument(
        "--other-body",
        type=int,
        metavar="SEED",
        help="re-render with another body, colours and camera (the bench's spatial control), seeded",
    )
    render.add_argument("--frame-size", type=frame_size_argument, metavar="WxH", help=FRAME_SIZE_HELP)
    render.set_defaults(func=pose_render)
    extract = commands.add_parser(
        "extract",
        help="MediaPipe holistic .pose files from videos (resumable; bad videos are reported, not fatal)",
    )
    extract.add_argument("inputs", nargs="+", metavar="VIDEO_OR_DIR", help="video files or folders of videos")
    extract.add_argument("--out", required=True, help="output folder (a folder input keeps its sub-paths)")
    extract.add_argument("--workers", type=int, default=1, help="videos processed in parallel (processes)")
    extract.set_defaults(func=pose_extract)


def frame_size_argument(text: str) -> tuple[float, float]:
    """argparse type of ``--frame-size WxH``."""
    try:
        return parse_frame_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def pose_info(args: argparse.Namespace) -> int:
    from .layouts import LAYOUTS
    from .readers import read_pose

    sequence = read_pose(args.file, frame_size=args.frame_size)
    info = {
        "layout": sequence.layout,
        "frames": sequence.num_frames,
        "keypoints": sequence.data.shape[1],
        "fps": sequence.fps,
        "frame_size": sequence.frame_size,
        "parts": LAYOUTS[sequence.layout].part_counts,
    }
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"file:      {sequence.source}")
    print(f"layout:    {info['layout']}")
    print(f"frames:    {info['frames']} ({info['frames'] / info['fps']:.2f} s at {info['fps']:g} fps)")
    print(f"keypoints: {info['keypoints']}")
    size = sequence.frame_size
    print(f"frame:     {'unknown (pass --frame-size WxH)' if size is None else f'{size[0]:g}x{size[1]:g}'}")
    print("parts:     " + ", ".join(f"{name} {count}" for name, count in info["parts"].items()))
    return 0


def pose_render(args: argparse.Namespace) -> int:
    from .readers import read_pose
    from .render import RenderStyle, perturbed_style, render_pose

    style = RenderStyle(size=args.size)
    if args.other_body is not None:
        style = perturbed_style(args.other_body, style)
    sequence = read_pose(args.file, frame_size=args.frame_size)
    out = render_pose(sequence, args.out, style)
    print(f"{out}: {sequence.num_frames} frames at {sequence.fps:g} fps ({sequence.layout})")
    return 0


def pose_extract(args: argparse.Namespace) -> int:
    from .extract import REPORT_FILE, extract_poses

    try:
        report = extract_poses(args.inputs, args.out, workers=args.workers)
    except ImportError as error:
        print(f"lexsign pose extract: error: {error}", file=sys.stderr)
        return 1
    print(
        f"{report.count('written')} written, {report.count('exists')} already done, "
        f"{report.count('failed')} failed; report: {args.out}/{REPORT_FILE}"
    )
    for result in report.failed:
        print(f"  failed: {result.error}", file=sys.stderr)
    return 1 if report.failed else 0

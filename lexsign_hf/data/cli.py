"""`lexsign data build`: write the LexSign Hub dataset folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from .descriptions import SOURCES


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="build LexSign datasets", description="Build LexSign datasets.")
    commands = data.add_subparsers(dest="data_command", metavar="COMMAND")
    build = commands.add_parser(
        "build",
        help="write the LexSign dataset folder (parquet configs + dataset card)",
        description=(
            "Write ZSSLR configs asl1000/asl300/asl100 (+ csl1000/csl300/csl100 with --devisign), ISLR configs "
            "wlasl100/300/1000/2000 and a descriptions config as a Hugging Face dataset folder."
        ),
    )
    build.add_argument(
        "--wlasl", type=Path, help="WLASL_v0.3.json or the folder holding it (and nslt_*.json)"
    )
    build.add_argument(
        "--nslt-dir", type=Path, help="folder with nslt_<N>.json (default: the index's folder)"
    )
    build.add_argument(
        "--download-wlasl",
        type=Path,
        metavar="DIR",
        help="download the WLASL index and nslt files (sha256-checked) into DIR and use them",
    )
    build.add_argument(
        "--devisign",
        type=Path,
        help="DEVISIGN-style index CSV/TSV (gloss_id, meaning, file, signer[, split])",
    )
    build.add_argument("--asl-lex", type=Path, help="ASL-LEX 2.0 sign-data CSV: adds 'phon' descriptions")
    build.add_argument(
        "--poses", type=Path, help="folder of WLASL pose files named <video_id>.pose (or .npy/.npz/...)"
    )
    build.add_argument(
        "--devisign-poses", type=Path, help="folder of DEVISIGN pose files named <video_id>.<ext>"
    )
    build.add_argument(
        "--frame-size",
        type=frame_size_argument,
        metavar="WxH",
        help="the videos' frame in pixels, for pose files that record none (.npy, OpenPose, MMPose JSON)",
    )
    build.add_argument(
        "--descriptions",
        nargs="+",
        default=[],
        metavar="[SOURCE=]FILE",
        help=f"description files (.jsonl/.csv); SOURCE ({', '.join(SOURCES)}) reads every record as that source",
    )
    build.add_argument("--seed", type=int, default=0, help="seed of the class partitions (default 0)")
    build.add_argument(
        "--islr-sizes", type=int, nargs="+", default=[100, 300, 1000, 2000], help="WLASL ISLR subsets"
    )
    build.add_argument("--keep-cache", action="store_true", help="keep the pose cache in OUT/.lexsign_build")
    build.add_argument(
        "--no-trim",
        action="store_true",
        help="store whole-video poses whole (default: cut to the instance's frame_start..frame_end)",
    )
    build.add_argument(
        "--drop-undescribed",
        action="store_true",
        help="leave ZSSLR classes without any description (and their videos) out, so `lexsign train` can score all",
    )
    build.add_argument(
        "--index",
        type=Path,
        help="your own data: CSV of video_id (or file), gloss[, split, description, signer_id, fps, frame_start, "
        "frame_end]; with --poses DIR builds ISLR (+ ZSSLR with descriptions) configs (lexsign_hf.data.index_build)",
    )
    build.add_argument(
        "--index-descriptions",
        choices=("phon", "given", "none"),
        help="descriptions of an --index build: phon (from --asl-lex), given (its description column), none "
        "(ISLR only); default given when the index has descriptions, else none",
    )
    build.add_argument("--out", type=Path, required=True, help="output dataset folder")
    build.set_defaults(func=run_build)

    template = commands.add_parser(
        "asltext-template",
        help="write the ASL-Text fill-in files (glosses, descriptions, video index)",
        description="Write the ASL-Text protocol's fill-in files (170/30/50 glosses) into a folder.",
    )
    template.add_argument("--splits", type=Path, required=True, help="asltext_class_splits.json")
    template.add_argument("--out", type=Path, required=True, help="folder for the fill-in files")
    template.set_defaults(func=run_asl_text_template)

    asl_text = commands.add_parser(
        "asltext-build",
        help="build the asltext config from filled-in ASL-Text files",
        description="Build the 'asltext' config (+ descriptions) from the filled-in ASL-Text files.",
    )
    asl_text.add_argument("--splits", type=Path, required=True, help="asltext_class_splits.json")
    asl_text.add_argument("--videos", type=Path, required=True, help="filled asltext_videos.csv")
    asl_text.add_argument(
        "--descriptions", nargs="+", default=[], metavar="[SOURCE=]FILE", help="description files"
    )
    asl_text.add_argument("--poses", type=Path, help="folder of pose files named <video_id>.<ext>")
    asl_text.add_argument("--out", type=Path, required=True, help="output dataset folder")
    asl_text.set_defaults(func=run_asl_text_build)

    synth = commands.add_parser(
        "synth",
        help="write LexSign-Synth (the synthetic signer's ZSSLR data) as a dataset folder",
        description=(
            "Write LexSign-Synth alone (configs 'synth' and 'descriptions', the builder `lexsign demo` uses) so that "
            "`lexsign train --config synth` can run without the demo."
        ),
    )
    synth.add_argument("--out", type=Path, required=True, help="output dataset folder")
    synth.add_argument("--num-seen", type=int, default=120, help="seen (training) classes (default 120)")
    synth.add_argument(
        "--num-validation", type=int, default=40, help="unseen validation classes (default 40)"
    )
    synth.add_argument("--num-test", type=int, default=60, help="unseen test classes (default 60)")
    synth.add_argument("--train-instances", type=int, default=12, help="sequences per seen class (12)")
    synth.add_argument("--eval-instances", type=int, default=6, help="sequences per unseen class (6)")
    synth.add_argument("--seed", type=int, default=0, help="seed of classes, signers and motion (default 0)")
    synth.add_argument("--no-progress", action="store_true", help="no progress bar")
    synth.set_defaults(func=run_synth)


def frame_size_argument(text: str) -> tuple[float, float]:
    """argparse type of ``--frame-size WxH`` (imports the pose stack only when the flag is given)."""
    from ..pose.validate import parse_frame_size

    try:
        return parse_frame_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_description_argument(value: str) -> str | tuple[str, str]:
    """``"mcp=dict.csv"`` → ``("mcp", "dict.csv")``; a plain path stays a path."""
    source, separator, path = value.partition("=")
    if separator and source in SOURCES:
        return source, path
    if separator and not Path(value).exists():
        raise ValueError(f"--descriptions {value!r}: unknown source {source!r} (expected one of {SOURCES}).")
    return value


def run_build(args: argparse.Namespace) -> int:
    from .build import build_lexsign
    from .wlasl import download_wlasl

    if args.index is not None:
        return run_index_build(args)

    wlasl = args.wlasl
    if args.download_wlasl is not None:
        if wlasl is not None:
            raise ValueError("give either --wlasl or --download-wlasl, not both.")
        wlasl = download_wlasl(args.download_wlasl)
    report = build_lexsign(
        args.out,
        wlasl=wlasl,
        nslt_dir=args.nslt_dir,
        devisign=args.devisign,
        asl_lex=args.asl_lex,
        poses=args.poses,
        devisign_poses=args.devisign_poses,
        descriptions=[parse_description_argument(value) for value in args.descriptions],
        seed=args.seed,
        islr_sizes=args.islr_sizes,
        keep_cache=args.keep_cache,
        trim=not args.no_trim,
        drop_undescribed=args.drop_undescribed,
        frame_size=args.frame_size,
    )
    print(report.summary())
    print(f"wrote {args.out}")
    return 0


def run_index_build(args: argparse.Namespace) -> int:
    from .index_build import build_from_index

    if args.poses is None or args.wlasl is not None or args.devisign is not None:
        raise ValueError(
            "--index builds from your own pose files: give --poses DIR (and no --wlasl / --devisign)"
        )
    report = build_from_index(
        args.out, args.index, args.poses, args.index_descriptions, asl_lex=args.asl_lex, seed=args.seed
    )
    print(report.summary())
    print(f"wrote {args.out}")
    return 0


def run_asl_text_template(args: argparse.Namespace) -> int:
    from .asl_text import write_asl_text_template

    for role, path in write_asl_text_template(args.out, args.splits).items():
        print(f"{role}: {path}")
    return 0


def run_asl_text_build(args: argparse.Namespace) -> int:
    from .asl_text import build_asl_text

    report = build_asl_text(
        args.out,
        args.splits,
        args.videos,
        descriptions=[parse_description_argument(value) for value in args.descriptions],
        poses=args.poses,
    )
    print(report.summary())
    print(f"wrote {args.out}")
    return 0


def run_synth(args: argparse.Namespace) -> int:
    from ..synth.dataset import SynthConfig, build_synth_dataset

    config = SynthConfig(
        num_seen=args.num_seen,
        num_validation=args.num_validation,
        num_test=args.num_test,
        train_instances=args.train_instances,
        eval_instances=args.eval_instances,
        seed=args.seed,
    )
    build_synth_dataset(args.out, config, progress=not args.no_progress)
    print(f"wrote {args.out} (config 'synth')")
    return 0

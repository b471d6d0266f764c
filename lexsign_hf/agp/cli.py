"""`lexsign agp perceive|summarize`: generate lexical descriptions with (M)LLMs, resumably."""

from __future__ import annotations

import argparse
from pathlib import Path


def _backend_arguments(parser: argparse.ArgumentParser) -> None:
    from lexsign_hf.cli_options import add_alias
    from lexsign_hf.mllm.factory import SPEC_HELP

    parser.add_argument("--backend", required=True, help=f"backend: {SPEC_HELP}")
    add_alias(parser, "--backend", "--model")
    parser.add_argument("--batch-size", type=int, help="local models: requests per forward batch")
    parser.add_argument("--device", help="local models: cuda, cuda:1, cpu (default: cuda when available)")
    parser.add_argument("--dtype", choices=("auto", "bfloat16", "float16", "float32"), help="local models")
    parser.add_argument("--max-retries", type=int, help="endpoints: retries on 429/5xx/timeouts (default 5)")
    parser.add_argument("--timeout", type=float, help="endpoints: seconds per request")
    parser.add_argument("--workers", type=int, help="endpoints: concurrent requests")
    parser.add_argument("--rate-limit", type=float, help="endpoints: request starts per minute")
    parser.add_argument("--template", type=Path, help="prompt template file (Jinja2; default: built-in)")
    parser.add_argument(
        "--examples", help="in-context examples: 'builtin', a description file, or phon:ASL_LEX_CSV"
    )
    parser.add_argument("--max-words", type=int, default=50)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--chunk-size", type=int, default=32, help="items generated between two saves")
    parser.add_argument(
        "--retries",
        type=int,
        default=1,
        help="retries (with sampling) of replies that are not a description; then recorded as failed",
    )
    parser.add_argument(
        "--min-words", type=int, default=5, help="shorter replies are not a description (default 5)"
    )
    parser.add_argument(
        "--keep-cut-off",
        action="store_true",
        help="keep replies cut off by the token budget (trimmed to their last clause, flagged) instead of failing",
    )
    parser.add_argument(
        "--redo-changed",
        action="store_true",
        help="redo records of --out written with other settings (default: refuse; old records are set aside)",
    )
    parser.add_argument("--price-in", type=float, help="USD per 1k prompt tokens (for the cost estimate)")
    parser.add_argument("--price-out", type=float, help="USD per 1k completion tokens")
    parser.add_argument("--usage", type=Path, help="usage report JSON (default: next to the output)")
    parser.add_argument("--seed", type=int, default=0)


def register(subparsers) -> None:
    group = subparsers.add_parser(
        "agp", help="generate descriptions: describe each video, then summarise per gloss"
    )
    commands = group.add_subparsers(dest="agp_command", metavar="COMMAND", required=True)

    perceive = commands.add_parser("perceive", help="describe every video of each gloss with an MLLM")
    _backend_arguments(perceive)
    source = perceive.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", help="LexSign dataset folder or Hub repo (rows gloss, video_id)")
    source.add_argument("--index", type=Path, help="CSV with gloss, video_id [, frame_start, frame_end]")
    perceive.add_argument("--config", default="asl300", help="config of --dataset (default asl300)")
    perceive.add_argument("--split", default="train", help="split of --dataset ('all' for every split)")
    perceive.add_argument(
        "--videos", type=Path, required=True, help="folder of <video_id>.mp4 files (or .pose, rendered)"
    )
    perceive.add_argument(
        "--no-trim",
        dest="trim",
        action="store_false",
        help="clips are already cut: do not trim them to WLASL frame_start..frame_end",
    )
    perceive.add_argument("--glosses", type=Path, help="only these glosses (text file, one per line)")
    perceive.add_argument(
        "--max-videos-per-gloss", type=int, help="describe at most this many videos per gloss"
    )
    perceive.add_argument("--language", default="asl")
    perceive.add_argument("--fps", type=float, help="frame sampling rate (default: the backend's policy)")
    perceive.add_argument("--max-frames", type=int, help="frames kept (default: the backend's policy)")
    perceive.add_argument("--out", type=Path, required=True, help="agp description JSONL (appended to)")
    perceive.set_defaults(func=run_perceive)

    summarize = commands.add_parser("summarize", help="summarise the per-video descriptions of each gloss")
    _backend_arguments(summarize)
    summarize.add_argument(
        "--per-video", type=Path, required=True, help="JSONL written by `lexsign agp perceive`"
    )
    summarize.add_argument("--out", type=Path, help="where summaries are appended (default: --per-video)")
    summarize.add_argument(
        "--instances", type=int, choices=(1, 2, 3), default=3, help="videos per gloss (default 3)"
    )
    summarize.add_argument("--perceive-model", help="only summarise this perceiving model's descriptions")
    summarize.add_argument("--glosses", type=Path, help="only these glosses (text file, one per line)")
    summarize.set_defaults(func=run_summarize)


def run_perceive(args: argparse.Namespace) -> int:
    from lexsign_hf.mllm import FramePolicy

    from .pipeline import perceive
    from .videos import load_index_rows, match_videos, read_index_csv

    glosses = _read_glosses(args.glosses)
    if args.dataset:
        rows = load_index_rows(args.dataset, args.config, None if args.split == "all" else args.split)
    else:
        rows = read_index_csv(args.index)
    videos, counts = match_videos(rows, args.videos, glosses, trim=args.trim)
    if args.max_videos_per_gloss:
        videos = _first_per_gloss(videos, args.max_videos_per_gloss)
    if not videos:
        raise ValueError(
            f"no video to describe: {counts.get('missing_video', 0)} of the index's videos are not in {args.videos}"
        )
    with _backend(args) as backend:
        if args.fps is not None or args.max_frames is not None:
            policy = backend.frame_policy
            backend.frame_policy = FramePolicy(
                fps=args.fps if args.fps is not None else policy.fps,
                max_frames=args.max_frames if args.max_frames is not None else policy.max_frames,
                central=policy.central,
            )
        report = perceive(videos, backend, args.out, language=args.language, **_common(args))
    print(report.summary())
    return 1 if report.failed else 0


def run_summarize(args: argparse.Namespace) -> int:
    from .pipeline import summarize

    with _backend(args) as backend:
        report = summarize(
            args.per_video,
            backend,
            args.out,
            instances=args.instances,
            perceive_model=args.perceive_model,
            glosses=_read_glosses(args.glosses),
            seed=args.seed,
            **_common(args),
        )
    print(report.summary())
    return 1 if report.failed else 0


def _backend(args: argparse.Namespace):
    from lexsign_hf.mllm import build_backend

    return build_backend(
        args.backend,
        batch_size=args.batch_size,
        device=args.device,
        dtype=args.dtype,
        max_retries=args.max_retries,
        timeout=args.timeout,
        max_workers=args.workers,
        rate_limit_per_min=args.rate_limit,
    )


def _common(args: argparse.Namespace) -> dict:
    from .pipeline import ReplyPolicy
    from .prompts import ExamplePool, describe_template, summarize_template

    template = describe_template if args.func is run_perceive else summarize_template
    prices = None
    if args.price_in is not None or args.price_out is not None:
        prices = {"input_per_1k": args.price_in or 0.0, "output_per_1k": args.price_out or 0.0}
    return {
        "template": template(args.template),
        "examples": ExamplePool.from_spec(args.examples, seed=args.seed),
        "max_new_tokens": args.max_new_tokens,
        "reply": ReplyPolicy(
            max_words=args.max_words,
            min_words=args.min_words,
            keep_cut_off=args.keep_cut_off,
            retries=args.retries,
        ),
        "chunk_size": args.chunk_size,
        "redo_changed": args.redo_changed,
        "usage_path": args.usage,
        "prices": prices,
    }


def _first_per_gloss(videos: list, limit: int) -> list:
    kept, counts = [], {}
    for video in videos:
        counts[video.gloss] = counts.get(video.gloss, 0) + 1
        if counts[video.gloss] <= limit:
            kept.append(video)
    return kept


def _read_glosses(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    if not path.is_file():
        raise FileNotFoundError(f"--glosses file not found: {path}")
    glosses = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not glosses:
        raise ValueError(f"--glosses file {path} lists no gloss")
    return glosses

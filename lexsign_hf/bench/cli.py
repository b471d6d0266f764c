"""`lexsign bench build | run | report`."""

from __future__ import annotations

import argparse
import json
import sys

from lexsign_hf.mllm.factory import SPEC_HELP

from .prompts import CONTROLS, VARIANTS

BASELINE_SPECS = "hali-zsslr:PATH (HALIModel, answers subunit questions), hali-islr:PATH (HALIForSignClassification, gloss questions)"


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser(
        "bench", help="LexSign-Bench: build the benchmark, run models on it, report"
    )
    commands = bench.add_subparsers(dest="bench_command", metavar="SUBCOMMAND", required=True)

    build = commands.add_parser("build", help="build the benchmark dataset folder (config 'bench')")
    build.add_argument("--wlasl", required=True, help="WLASL_v0.3.json or the folder holding it")
    build.add_argument("--asl-lex", required=True, help="ASL-LEX 2.0 sign-data CSV")
    build.add_argument("--out", required=True, help="output dataset folder")
    build.add_argument("--per-type", type=int, default=75, help="glosses per iconicity type (default 75)")
    build.add_argument("--distractors", choices=("hard", "random"), default="hard")
    build.add_argument(
        "--confusion", help="ISLR confusion file (.json classes+matrix, or .csv gloss,predicted,count)"
    )
    build.add_argument(
        "--descriptions", help="LexSign description file (.jsonl/.csv) for the subunit options"
    )
    build.add_argument(
        "--description-source",
        choices=("mcp", "agp", "phon"),
        help="the one source of --descriptions used for every option (AGP: per-gloss summaries; default: "
        "the source describing the most glosses); glosses without it are not selected",
    )
    build.add_argument("--seed", type=int, default=0)
    build.add_argument(
        "--card-template", help="Jinja dataset-card template (default: model_cards/lexsign_bench.md.jinja)"
    )
    build.set_defaults(func=_build)

    audit = commands.add_parser(
        "audit", help="text-only choosers on the option texts: accuracy per level and type (audit.json)"
    )
    audit.add_argument("bench_dir", metavar="BENCH_DIR", help="benchmark dataset folder")
    audit.add_argument("--seed", type=int, default=0, help="seed of the random tie-breaking")
    audit.set_defaults(func=_audit)

    run = commands.add_parser(
        "run", help="ask a model every question; resumable (answers cached per question)"
    )
    _run_arguments(run)
    run.add_argument("--prompt-variant", choices=(*VARIANTS, "all"), default="all")
    run.set_defaults(func=_run)

    paper = commands.add_parser(
        "paper",
        help="the paper's protocol in one command: run all three prompt complexities under one setting, then "
        "report their mean (OUT/report)",
    )
    _run_arguments(paper)
    paper.set_defaults(func=_paper, prompt_variant="all")

    report = commands.add_parser("report", help="accuracy tables (JSON, Markdown) and a bar chart (PNG)")
    report.add_argument("results", nargs="+", help="results folder(s) written by `lexsign bench run`")
    report.add_argument("--out", required=True, help="output folder")
    report.add_argument(
        "--bench",
        help="score against this bench (refused for a folder of another bench; default: each folder's answer key)",
    )
    report.set_defaults(func=_report)


def _run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("--bench", required=True, help="benchmark dataset folder (or Hub id)")
    run.add_argument("--backend", required=True, help=f"{SPEC_HELP}; or {BASELINE_SPECS}")
    run.add_argument(
        "--videos",
        help="folder of <video_id>.mp4 clips or <video_id>.pose skeletons (rendered to video for MLLMs; "
        "hali-* read .pose directly); not needed for --control blind",
    )
    run.add_argument(
        "--perturbed-videos",
        help="spatial control: folder of spatially perturbed copies of RGB clips (.pose inputs are re-rendered "
        "with another body instead); never the --videos folder",
    )
    run.add_argument("--out", required=True, help="results folder (one per backend)")
    run.add_argument("--templates", help="prompt templates YAML (default: the package's prompts.yaml)")
    run.add_argument(
        "--control",
        choices=CONTROLS,
        default="none",
        help="blind: no video; temporal: drop/repeat frames with p=0.2; spatial: .pose re-rendered with another "
        "body and camera, RGB clips from --perturbed-videos",
    )
    run.add_argument(
        "--frames",
        choices=("open", "closed"),
        help="frame policy: open = central 16 @ 5 fps, closed = all @ 10 fps",
    )
    run.add_argument(
        "--levels", nargs="+", choices=("subunit", "gloss"), help="question levels to ask (default both)"
    )
    run.add_argument(
        "--limit",
        type=int,
        help="only the questions of N videos spread over the iconicity types (partial run)",
    )
    run.add_argument(
        "--no-trim",
        dest="trim",
        action="store_false",
        help="clips are already cut: do not trim them to WLASL frame_start..frame_end",
    )
    run.add_argument(
        "--max-new-tokens",
        type=int,
        help="token budget of every variant (default: each variant's own, `max_new_tokens` in the templates)",
    )
    run.add_argument("--batch-size", type=int, help="local models: requests per generate() call")
    run.add_argument("--dtype", help="local models: auto | bfloat16 | float16 | float32")
    run.add_argument("--device", help="local models: e.g. cuda, cuda:1, cpu")
    run.add_argument("--api-key-env", help="openai: environment variable holding the API key")
    run.add_argument("--timeout", type=float, help="openai: seconds per HTTP request")
    run.add_argument("--max-retries", type=int, help="openai: retries on 429 / 5xx / timeouts")
    run.add_argument("--rate-limit", type=float, help="openai: at most this many requests per minute")
    run.add_argument("--workers", type=int, help="openai: concurrent requests")
    run.add_argument(
        "--seed", type=int, default=0, help="seed of the perturbations and of --limit (part of the cache key)"
    )


def _build(args: argparse.Namespace) -> int:
    from ..data.wlasl import resolve_index_path
    from .builder import build_bench

    out, summary = build_bench(
        resolve_index_path(args.wlasl),  # a file or its folder, as `lexsign data build --wlasl`
        args.asl_lex,
        args.out,
        per_type=args.per_type,
        distractors=args.distractors,
        confusion_path=args.confusion,
        seed=args.seed,
        descriptions_path=args.descriptions,
        card_template=args.card_template,
        description_source=args.description_source,
    )
    per_type = ", ".join(f"{kind} {count}" for kind, count in summary.selected.items())
    print(
        f"LexSign-Bench written to {out}: {summary.num_glosses} glosses ({per_type}), {summary.num_videos} videos, "
        f"{summary.num_questions} questions; answers {summary.answer_counts}"
    )
    print(
        "blind audit (best text-only chooser): "
        + ", ".join(f"{level} {100 * value:.1f} %" for level, value in summary.audit_max_accuracy.items())
    )
    _warn_leaky(summary.audit_above_threshold)
    for kind, missing in summary.shortfall.items():
        print(
            f"warning: iconicity type {kind!r} has {missing} glosses fewer than --per-type {args.per_type}",
            file=sys.stderr,
        )
    return 0


def _warn_leaky(above: list[str]) -> None:
    from .audit import THRESHOLD

    if above:
        print(
            f"WARNING: {len(above)} text-only chooser(s) reach {100 * THRESHOLD:.0f} % without the video: "
            f"{'; '.join(above)}. "
            "This benchmark can be gamed from the option texts.",
            file=sys.stderr,
        )


def _audit(args: argparse.Namespace) -> int:
    from .audit import audit_bench

    result, path = audit_bench(args.bench_dir, seed=args.seed)
    for level, value in result.max_accuracy.items():
        print(
            f"{level}: {result.num_questions[level]} questions, {result.num_items[level]} independent items; "
            f"best chooser {result.worst[level]!r} {100 * value:.1f} %"
        )
    _warn_leaky(result.above_threshold)
    print(f"audit written to {path}")
    return 1 if result.above_threshold else 0


def _answerer(args: argparse.Namespace):
    from lexsign_hf.mllm import FramePolicy, build_backend

    from .baselines import ScoringAnswerer, hali_class_scorer, hali_description_scorer
    from .prompts import load_templates
    from .runner import MLLMAnswerer

    kind, _, target = args.backend.partition(":")
    if kind == "hali-zsslr":
        return ScoringAnswerer(args.backend, {"subunit": hali_description_scorer(target, args.device)})
    if kind == "hali-islr":
        return ScoringAnswerer(args.backend, {"gloss": hali_class_scorer(target, args.device)})
    policy = {"open": FramePolicy.open_model(), "closed": FramePolicy.closed_model()}.get(args.frames)
    backend = build_backend(
        args.backend,
        frame_policy=policy,
        batch_size=args.batch_size,
        dtype=args.dtype,
        device=args.device,
        api_key_env=args.api_key_env,
        timeout=args.timeout,
        max_retries=args.max_retries,
        rate_limit_per_min=args.rate_limit,
        max_workers=args.workers,
    )
    return MLLMAnswerer(backend, load_templates(args.templates), args.max_new_tokens, args.trim)


def _run(args: argparse.Namespace) -> int:
    from .runner import load_bench, run_bench

    bench = load_bench(args.bench)
    answerer = _answerer(args)
    variants = getattr(answerer, "variants", None) or (
        VARIANTS if args.prompt_variant == "all" else (args.prompt_variant,)
    )
    summary = run_bench(
        bench,
        answerer,
        args.out,
        videos=args.videos,
        variants=variants,
        control=args.control,
        levels=args.levels,
        limit=args.limit,
        seed=args.seed,
        chunk_size=max(1, args.batch_size or 1, args.workers or 1),
        perturbed_videos=args.perturbed_videos,
    )
    print(
        f"{answerer.name}: {summary.asked} asked, {summary.cached} already cached, {summary.invalid} invalid answers, "
        f"{summary.failed} failed (retried next run), {len(summary.missing_videos)} videos missing, "
        f"{len(summary.undecodable_videos)} undecodable; results of bench {summary.bench_fingerprint} in {args.out}"
        + (f" (PARTIAL run: --limit {args.limit})" if summary.partial else "")
    )
    return 1 if summary.failed else 0


def _paper(args: argparse.Namespace) -> int:
    """Run the three prompt complexities, then report; exit 1 when a run failed or the mean was refused."""
    from pathlib import Path

    from .report import MEAN_VARIANT, write_report

    code = _run(args)
    paths = write_report([args.out], Path(args.out) / "report")
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    mean = report["runs"][0]["results"].get(
        f"{MEAN_VARIANT}|{args.control}", {"refused": "no variant answered"}
    )
    if "refused" in mean:
        print(f"no mean over the prompt variants: {mean['refused']}", file=sys.stderr)
        code = 1
    else:
        print(
            f"mean over {', '.join(mean['variants'])} ({mean['frames']}, {mean['answered']} questions"
            + (", PARTIAL" if mean["partial"] else "")
            + "): "
            + ", ".join(f"{name} {_percent(mean[name])}" for name in ("AVG(S)", "AVG(G)", "AVG"))
        )
    print("report written: " + ", ".join(str(path) for path in paths.values()))
    return code


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _report(args: argparse.Namespace) -> int:
    from .report import write_report
    from .runner import load_bench

    paths = write_report(args.results, args.out, load_bench(args.bench) if args.bench else None)
    print("report written: " + ", ".join(str(path) for path in paths.values()))
    return 0

"""`lexsign demo` (LexSign-Synth → HALI vs L_Global baseline → zero-shot evaluation), `lexsign ablate` (Tables 7
and 21 on LexSign-Synth) and `lexsign predict`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="train and evaluate HALI on the synthetic signer, offline on a CPU",
        description=(
            "Build LexSign-Synth (cached), train HALI (L_HALI, pretrained MiniLM text tower) and the L_Global-only "
            "baseline with the same data, steps, seed and learning rates, evaluate both zero-shot (ZSL top-1/top-5 "
            "on unseen classes described with held-out wording; GZSL S/U/H) and write OUT/metrics.json, OUT/model, "
            "OUT/baseline_model, model cards and PNG plots. An interrupted run resumes when re-run with the same "
            "settings."
        ),
    )
    demo.add_argument(
        "--out", type=Path, default=Path("lexsign-demo"), help="output folder (default lexsign-demo)"
    )
    demo.add_argument(
        "--minutes",
        type=float,
        help="instead of a fixed step count: a training budget per model in minutes, turned into steps by a "
        "timing probe (the result then depends on the machine's speed)",
    )
    demo.add_argument(
        "--seed", type=int, default=0, help="seed of the data, initialisation and sampling (default 0)"
    )
    demo.add_argument(
        "--asl-lex", help="ASL-LEX 2.0 sign-data CSV: use real glosses and their coding as classes"
    )
    size = demo.add_argument_group("size knobs (smaller runs, tests)")
    size.add_argument(
        "--steps",
        type=int,
        help="optimiser steps per model (default 200; the run time depends on the machine: see the README)",
    )
    size.add_argument("--num-seen", type=int, default=120, help="seen (training) classes (default 120)")
    size.add_argument("--num-validation", type=int, default=40, help="unseen validation classes (default 40)")
    size.add_argument("--num-test", type=int, default=60, help="unseen test classes (default 60)")
    size.add_argument(
        "--train-instances", type=int, default=12, help="training sequences per seen class (12)"
    )
    size.add_argument(
        "--eval-instances",
        type=int,
        default=10,
        help="sequences per unseen class (default 10, the demo's; `lexsign data synth`: 6)",
    )
    size.add_argument(
        "--test-seen-instances", type=int, default=3, help="test_seen sequences per seen class (3)"
    )
    size.add_argument("--batch-size", type=int, default=32, help="training batch size (default 32)")
    size.add_argument(
        "--max-frames",
        type=int,
        default=32,
        help="frames per sequence after sampling (default 32, the demo's CPU budget; `lexsign train`: 64)",
    )
    size.add_argument("--pose-hidden-size", type=int, default=256, help="skeleton tower width (default 256)")
    size.add_argument("--part-hidden-size", type=int, default=64, help="per-part graph width (default 64)")
    size.add_argument("--projection-dim", type=int, default=256, help="joint embedding size (default 256)")
    size.add_argument(
        "--frozen-text-layers",
        type=int,
        default=3,
        help="freeze the text tower's embeddings and this many lowest layers (default 3, the demo's CPU "
        "budget; 0 trains all, as `lexsign train` does by default)",
    )
    size.add_argument("--eval-every", type=int, default=5, help="validation evaluations per training run (5)")
    size.add_argument(
        "--text-model", help="BERT folder for the text tower (default: the packaged all-MiniLM-L6-v2)"
    )
    size.add_argument(
        "--cache-dir", type=Path, help="where LexSign-Synth builds are cached (~/.cache/lexsign_hf)"
    )
    size.add_argument(
        "--threads",
        type=int,
        default=2,
        help="CPU threads for torch (default 2; results are reproducible for a given thread count)",
    )
    size.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.set_defaults(func=run_demo_command)

    ablate = subparsers.add_parser(
        "ablate",
        help="the paper's loss and subunit ablations (Tables 7 and 21) on LexSign-Synth, over several seeds",
        description=(
            "Train HALI with L_Global only; + L_FG(s,f); + L_FG(u,f); + L_FG(s,f) + L_HC; + L_FG(u,f) + L_HC; "
            "+ both; + both + L_HC (M = 3), and L_HALI with M = 2 and M = 5 subunit parts, each for the same "
            "number of steps on every seed (each seed its own LexSign-Synth build and initialisation), and write "
            "OUT/ablation.json (mean, std, 95 %% t-interval and per-seed ZSL top-1/top-5, GZSL S/U/H on test, ZSL "
            "on validation; paired differences to L_Global and to both FG terms) and OUT/ablation.png. Finished "
            "runs are kept under OUT/.work, keyed by the settings, so a re-run resumes. --smoke is a "
            "seconds-long run that checks the plumbing only (its numbers mean nothing)."
        ),
    )
    ablate.add_argument("--out", type=Path, default=Path("results/ablation"), help="output folder")
    ablate.add_argument("--seeds", type=int, nargs="+", help="seeds (default 0 1 2)")
    ablate.add_argument(
        "--variants", nargs="+", help="variants to run (default all: see lexsign_hf.synth.ablation.VARIANTS)"
    )
    ablate.add_argument("--steps", type=int, help="optimiser steps per model (default 120)")
    ablate.add_argument("--num-seen", type=int, help="seen classes (default 80)")
    ablate.add_argument("--num-validation", type=int, help="unseen validation classes (default 30)")
    ablate.add_argument("--num-test", type=int, help="unseen test classes (default 40)")
    ablate.add_argument("--train-instances", type=int, help="training sequences per seen class (default 10)")
    ablate.add_argument("--eval-instances", type=int, help="sequences per unseen class (default 8)")
    ablate.add_argument("--batch-size", type=int, help="training batch size (default 24)")
    ablate.add_argument("--max-frames", type=int, help="frames per sequence after sampling (default 32)")
    ablate.add_argument(
        "--frozen-text-layers", type=int, help="frozen text-tower embeddings + lowest layers (default 4)"
    )
    ablate.add_argument("--pose-hidden-size", type=int, help="skeleton tower width (default 192)")
    ablate.add_argument("--part-hidden-size", type=int, help="per-part graph width (default 48)")
    ablate.add_argument("--projection-dim", type=int, help="joint embedding size (default 192)")
    ablate.add_argument(
        "--text-model", help="BERT folder for the text tower (default: packaged all-MiniLM-L6-v2)"
    )
    ablate.add_argument("--cache-dir", type=Path, help="where LexSign-Synth builds are cached")
    ablate.add_argument("--threads", type=int, help="torch CPU threads per job (default 2)")
    ablate.add_argument(
        "--jobs",
        type=int,
        help="(seed, variant) runs trained at once in worker processes (default 1; same numbers for any value)",
    )
    ablate.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, 2 steps, 2 seeds: checks the plumbing only, its numbers mean nothing",
    )
    ablate.add_argument("--quick", dest="smoke", action="store_true", help=argparse.SUPPRESS)
    ablate.add_argument(
        "--task",
        choices=("zsslr", "islr"),
        default="zsslr",
        help="zsslr (default: Tables 7 and 21) or islr (Table 4: CE, CE + L_Global, CE + L_HALI on seen classes)",
    )
    ablate.add_argument(
        "--baselines",
        action="store_true",
        help="the zero-shot baselines of Table 11 (LLE, DVTA, PGFA), each alone and with L_FG + L_HC",
    )
    ablate.add_argument(
        "--duplicate-negatives",
        choices=("exclude", "keep"),
        help="same-gloss pairs in a batch: exclude from the denominators (default) or keep (Eq. 2 verbatim)",
    )
    ablate.add_argument(
        "--aggregate-only",
        action="store_true",
        help="train nothing: write OUT/ablation.json from the seeds whose runs are all stored (marked partial)",
    )
    ablate.add_argument("--no-progress", action="store_true", help="no progress bars")
    ablate.set_defaults(func=run_ablate_command)

    predict = subparsers.add_parser(
        "predict",
        help="zero-shot classify a pose file or a signing video against glosses with descriptions",
        description=(
            "Rank the glosses of a labels file (JSONL {gloss, text} lines, CSV, or 'GLOSS: description' lines; "
            "several descriptions of one gloss are averaged) for one pose file (.pose, .npy, OpenPose JSON, ... in "
            "any supported layout) or video (MediaPipe Holistic) with a saved HALI model (folder or Hub id); "
            'prints JSON {"file", "layout", "predictions": [{"label", "score"}]}.'
        ),
    )
    predict.add_argument(
        "--model", required=True, help="saved HALI model: folder (e.g. OUT/model) or Hub id (HF cache first)"
    )
    source = predict.add_mutually_exclusive_group(required=True)
    source.add_argument("--pose", type=Path, help="pose file")
    source.add_argument(
        "--video", type=Path, help="signing video (pose by MediaPipe Holistic, as pose extract)"
    )
    predict.add_argument(
        "--labels",
        type=Path,
        required=True,
        help="labels: JSONL {gloss, text} lines, CSV with gloss,text columns, or 'GLOSS: description' lines",
    )
    predict.add_argument("--top-k", type=int, default=5, help="number of glosses to print (default 5)")
    predict.set_defaults(func=run_predict_command)


def run_demo_command(args: argparse.Namespace) -> int:
    from .dataset import SynthConfig
    from .demo import DemoSettings, run_demo

    synth = SynthConfig(
        num_seen=args.num_seen,
        num_validation=args.num_validation,
        num_test=args.num_test,
        train_instances=args.train_instances,
        eval_instances=args.eval_instances,
        test_seen_instances=args.test_seen_instances,
        seed=args.seed,
        asl_lex=args.asl_lex,
    )
    defaults = DemoSettings()
    settings = dataclasses.replace(
        defaults,
        out=args.out,
        minutes=args.minutes,
        seed=args.seed,
        asl_lex=args.asl_lex,
        steps=args.steps,
        synth=synth,
        text_model=args.text_model,
        batch_size=args.batch_size,
        max_frames=args.max_frames,
        pose_config={
            **defaults.pose_config,
            "hidden_size": args.pose_hidden_size,
            "part_hidden_size": args.part_hidden_size,
        },
        projection_dim=args.projection_dim,
        frozen_text_layers=args.frozen_text_layers,
        eval_every=args.eval_every,
        cache_dir=args.cache_dir,
        threads=args.threads,
        progress=not args.no_progress,
    )
    run_demo(settings)
    return 0


def run_ablate_command(args: argparse.Namespace) -> int:
    from .ablation import SMOKE, AblationSettings, run_ablation

    if args.smoke:
        print("smoke run: tiny sizes and 2 steps; it checks the plumbing only, its numbers mean nothing")
    settings = AblationSettings(**(SMOKE if args.smoke else {}))
    if args.baselines and args.task == "islr":
        raise ValueError("--baselines are zero-shot objectives: not with --task islr")
    if args.task == "islr" or args.baselines:
        from .ablation import BASELINES, ISLR_VARIANTS

        settings.variants = tuple(ISLR_VARIANTS if args.task == "islr" else BASELINES)
    synth_sizes = {
        "num_seen": args.num_seen,
        "num_validation": args.num_validation,
        "num_test": args.num_test,
        "train_instances": args.train_instances,
        "eval_instances": args.eval_instances,
    }
    pose_sizes = {"hidden_size": args.pose_hidden_size, "part_hidden_size": args.part_hidden_size}
    settings = dataclasses.replace(
        settings,
        out=args.out,
        synth=dataclasses.replace(settings.synth, **{k: v for k, v in synth_sizes.items() if v is not None}),
        pose_config={**settings.pose_config, **{k: v for k, v in pose_sizes.items() if v is not None}},
        text_model=args.text_model,
        cache_dir=args.cache_dir,
        progress=not args.no_progress,
        aggregate_only=args.aggregate_only,
        **{
            name: value
            for name, value in (
                ("seeds", tuple(args.seeds) if args.seeds else None),
                ("variants", tuple(args.variants) if args.variants else None),
                ("steps", args.steps),
                ("batch_size", args.batch_size),
                ("max_frames", args.max_frames),
                ("frozen_text_layers", args.frozen_text_layers),
                ("projection_dim", args.projection_dim),
                ("threads", args.threads),
                ("jobs", args.jobs),
                ("duplicate_negatives", args.duplicate_negatives),
            )
            if value is not None
        },
    )
    run_ablation(settings)
    return 0


def run_predict_command(args: argparse.Namespace) -> int:
    from ..train.predict import predict_pose, predict_video

    if args.video is not None:
        result = predict_video(args.model, args.video, args.labels, args.top_k)
    else:
        result = predict_pose(args.model, args.pose, args.labels, args.top_k)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0

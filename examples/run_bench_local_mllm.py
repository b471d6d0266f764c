"""Evaluate a local multimodal LLM (transformers, e.g. Qwen2.5-VL-7B-Instruct) on LexSign-Bench and report.

    # the benchmark folder from `lexsign bench build`, WLASL videos, the three prompt variants
    python examples/run_bench_local_mllm.py --bench lexsign-bench/ --model /models/Qwen2.5-VL-7B-Instruct \
        --videos WLASL/videos --out results/qwen2.5-vl-7b
    # blind control (no video; should sit near 25%)
    python examples/run_bench_local_mllm.py ... --control blind --out results/qwen2.5-vl-7b-blind

    # self-contained: build a small bench from WLASL + ASL-LEX, a tiny random Qwen2.5-VL, generated clips
    python examples/run_bench_local_mllm.py --demo --wlasl WLASL_v0.3.json --asl-lex signdata.csv --out /tmp/bench

Answers are appended to OUT/answers.jsonl (a rerun asks only what is missing); OUT/report/ holds report.json,
report.md (accuracy per level and iconicity type, AVG over the variants) and report.png. The shell equivalent is
`lexsign bench run ...` followed by `lexsign bench report ...`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lexsign_hf.bench import VARIANTS, MLLMAnswerer, build_bench, load_bench, run_bench, write_report
from lexsign_hf.mllm import build_backend


def build_demo_inputs(folder: Path, wlasl: Path, asl_lex: Path, limit: int) -> tuple[Path, Path, str]:
    """A bench with 2 glosses per iconicity type, clips for its first `limit` videos and a tiny Qwen2.5-VL."""
    from lexsign_hf.bench.runner import sample_videos
    from lexsign_hf.mllm.testing import build_tiny_qwen2_5_vl, write_test_clips

    bench_dir, _ = build_bench(wlasl, asl_lex, folder / "bench", per_type=2)
    video_ids = sample_videos(load_bench(bench_dir).to_list(), limit)  # the videos `--limit` asks about
    write_test_clips(folder / "videos", video_ids, num_frames=12)
    return bench_dir, folder / "videos", str(build_tiny_qwen2_5_vl(folder / "tiny-qwen2.5-vl"))


def main() -> None:
    parser = argparse.ArgumentParser(description="Run LexSign-Bench on a local transformers MLLM and report.")
    parser.add_argument("--bench", type=Path, help="LexSign-Bench dataset folder (or Hub id)")
    parser.add_argument("--model", help="local Qwen2.5-VL / LLaVA-OneVision / InternVL checkpoint folder")
    parser.add_argument("--videos", type=Path, help="folder of <video_id>.mp4 files")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--control", default="none", choices=("none", "blind", "temporal", "spatial"))
    parser.add_argument("--limit", type=int, help="only the questions of N videos across types (a trial run)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, help="default: each prompt variant's own budget")
    parser.add_argument("--device", help="e.g. cuda:0 or cpu (default: the first GPU if any)")
    parser.add_argument("--demo", action="store_true", help="small bench, tiny random model, generated clips")
    parser.add_argument("--wlasl", type=Path, help="--demo: the WLASL_v0.3.json index")
    parser.add_argument("--asl-lex", type=Path, help="--demo: the ASL-LEX 2.0 sign-data CSV")
    args = parser.parse_args()
    if args.demo:
        if not (args.wlasl and args.asl_lex):
            parser.error("--demo needs --wlasl and --asl-lex to build its small bench")
        args.limit = args.limit or 2
        args.bench, args.videos, args.model = build_demo_inputs(
            args.out / "inputs", args.wlasl, args.asl_lex, args.limit
        )
        args.max_new_tokens = 3
    if not (args.bench and args.model):
        parser.error("--bench and --model are required (or --demo)")

    backend = build_backend(f"transformers:{args.model}", batch_size=args.batch_size, device=args.device)
    summary = run_bench(
        load_bench(args.bench),
        MLLMAnswerer(backend, max_new_tokens=args.max_new_tokens),  # three complexities, letter-only answers
        args.out / "results",
        videos=args.videos,
        variants=args.variants,
        control=args.control,
        limit=args.limit,
    )
    paths = write_report([args.out / "results"], args.out / "report")
    print(json.dumps({"asked": summary.asked, "cached": summary.cached, "invalid": summary.invalid,
                      "missing_videos": len(summary.missing_videos)}))  # fmt: skip
    print(paths["markdown"].read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()

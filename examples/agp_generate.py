"""Generate lexical descriptions for signs no dictionary covers (AGP: perceive, then summarize).

    # Qwen2.5-VL describes every asl300 training video, Qwen2.5 summarises three per gloss
    python examples/agp_generate.py --dataset lexsign_asl/ --config asl300 --videos wlasl/videos/ \
        --mllm transformers:/models/Qwen2.5-VL-7B-Instruct --llm text:/models/Qwen2.5-7B-Instruct --out agp.jsonl

    # or through any OpenAI-compatible endpoint (key in $OPENAI_API_KEY)
    python examples/agp_generate.py ... --mllm openai:gpt-4o --llm openai:gpt-4o-mini

    # a self-contained run with tiny random models and generated clips (CPU, seconds)
    python examples/agp_generate.py --demo --out /tmp/agp-demo/agp.jsonl

The output JSONL holds per-video and summarised `agp` records; feed it to `lexsign data build --descriptions`.
Rerunning the script resumes (records already written are skipped). Same as the shell commands
`lexsign agp perceive ...` and `lexsign agp summarize ...`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lexsign_hf.agp import ReplyPolicy, match_videos, perceive, read_index_csv, summarize
from lexsign_hf.agp.videos import load_index_rows
from lexsign_hf.mllm import FramePolicy, build_backend


def demo_inputs(folder: Path) -> dict[str, str]:
    """Tiny random Qwen2.5-VL and Qwen2 checkpoints, three generated clips and their index CSV."""
    from lexsign_hf.mllm.testing import build_tiny_causal_lm, build_tiny_qwen2_5_vl, write_test_clips

    write_test_clips(folder / "videos", ["book_1", "book_2", "drink_1"])
    (folder / "index.csv").write_text(
        "gloss,video_id\nbook,book_1\nbook,book_2\ndrink,drink_1\n", encoding="utf-8"
    )
    return {
        "mllm": f"transformers:{build_tiny_qwen2_5_vl(folder / 'tiny-vl')}",
        "llm": f"text:{build_tiny_causal_lm(folder / 'tiny-lm')}",
        "index": str(folder / "index.csv"),
        "videos": str(folder / "videos"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description="AGP: describe sign videos with an MLLM, summarise with an LLM."
    )
    parser.add_argument("--dataset", help="LexSign dataset folder (rows gloss, video_id)")
    parser.add_argument("--config", default="asl300")
    parser.add_argument("--index", help="or a CSV index with gloss, video_id columns")
    parser.add_argument("--videos", help="folder of <video_id>.mp4 files")
    parser.add_argument("--mllm", help="video model backend spec (transformers:PATH or openai:MODEL[@URL])")
    parser.add_argument("--llm", help="summarising model backend spec (text:PATH or openai:MODEL[@URL])")
    parser.add_argument("--instances", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--out", required=True)
    parser.add_argument("--demo", action="store_true", help="tiny random models and generated clips")
    args = parser.parse_args()

    if args.demo:
        for key, value in demo_inputs(Path(args.out).parent / "demo-inputs").items():
            setattr(args, key, value)
    if not (args.mllm and args.llm and args.videos and (args.dataset or args.index)):
        parser.error("--mllm, --llm, --videos and --dataset or --index are required (or use --demo)")
    rows = read_index_csv(args.index) if args.index else load_index_rows(args.dataset, args.config)
    videos, _ = match_videos(rows, args.videos)

    # Random tiny demo models never finish a sentence: keep whatever they write (real models: the defaults).
    reply = ReplyPolicy(min_words=1, keep_cut_off=True) if args.demo else ReplyPolicy()
    budget = 24 if args.demo else 160
    with build_backend(args.mllm, batch_size=4) as mllm:
        if args.demo:
            mllm.frame_policy = FramePolicy(fps=None, max_frames=8)
        print(perceive(videos, mllm, args.out, max_new_tokens=budget, reply=reply).summary())
    with build_backend(args.llm, batch_size=8) as llm:
        print(
            summarize(args.out, llm, instances=args.instances, max_new_tokens=budget, reply=reply).summary()
        )


if __name__ == "__main__":
    main()

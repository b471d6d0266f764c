"""LoRA-tune Qwen2.5-VL to write lexical descriptions of signs (the LexSign paper's Table 12 recipe).

    # the paper's setting: the asl1000 training glosses that are not in asl300, MCP + AGP descriptions
    python examples/finetune_qwen_vl_lora.py --model Qwen/Qwen2.5-VL-7B-Instruct --dataset lexsign_asl/ \
        --videos wlasl/videos/ --descriptions mcp.jsonl agp.jsonl --out qwen-vl-lexsign-lora --merge

    # a self-contained run on a tiny random Qwen2.5-VL and generated clips (CPU, seconds)
    python examples/finetune_qwen_vl_lora.py --demo --out /tmp/lora-demo

On several GPUs: `accelerate launch examples/finetune_qwen_vl_lora.py ...`. The same run from the shell:
`lexsign mllm finetune-lora --model ... --dataset ... --videos ... --out ...`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lexsign_hf.finetune import LoraFinetuneConfig, finetune_lora


def build_demo_inputs(folder: Path) -> dict[str, str]:
    """A tiny random Qwen2.5-VL, three generated clips, a two-config dataset folder and a description file."""
    import datasets

    from lexsign_hf.data.hub_layout import write_dataset_folder
    from lexsign_hf.mllm.testing import build_tiny_qwen2_5_vl, write_test_clips

    descriptions = {
        "book": "Both open hands, palms together; open them sideways like a book.",
        "drink": "C hand in front of the mouth; tilt it toward the mouth.",
        "mother": "5 hand, thumb at the chin; tap twice.",
    }
    model = build_tiny_qwen2_5_vl(folder / "tiny-qwen2.5-vl")
    write_test_clips(folder / "videos", [f"v_{gloss}" for gloss in descriptions])
    rows = [{"gloss": gloss, "video_id": f"v_{gloss}"} for gloss in descriptions]
    features = datasets.Features({"gloss": datasets.Value("string"), "video_id": datasets.Value("string")})
    configs = {"asl1000": {"train": rows}, "asl300": {"train": rows[2:]}}
    write_dataset_folder(folder / "dataset", configs, features, "# demo dataset")
    lines = [
        json.dumps({"gloss": gloss, "source": "phon", "text": text, "provenance": {"origin": "demo"}})
        for gloss, text in descriptions.items()
    ]
    (folder / "descriptions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "model": str(model),
        "dataset": str(folder / "dataset"),
        "videos_dir": str(folder / "videos"),
        "description_files": [str(folder / "descriptions.jsonl")],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="LoRA-tune Qwen2.5-VL on LexSign video–description pairs.")
    parser.add_argument("--model", help="Qwen2.5-VL checkpoint (folder or Hub id)")
    parser.add_argument("--dataset", help="LexSign dataset folder or Hub repo")
    parser.add_argument("--videos", help="folder of <video_id>.mp4 files")
    parser.add_argument("--descriptions", nargs="*", default=[], help="description JSONL/CSV files")
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--merge", action="store_true")
    parser.add_argument("--demo", action="store_true", help="tiny random model and generated clips")
    args = parser.parse_args()

    if args.demo:
        inputs = build_demo_inputs(Path(args.out) / "inputs")
        config = LoraFinetuneConfig(**inputs, output_dir=args.out, max_steps=4, gradient_accumulation_steps=1,
                                    lora_r=4, lora_alpha=8, logging_steps=1, merge=True)  # fmt: skip
    else:
        if not (args.model and args.dataset and args.videos):
            parser.error("--model, --dataset and --videos are required (or use --demo)")
        config = LoraFinetuneConfig(
            model=args.model,
            dataset=args.dataset,
            videos_dir=args.videos,
            description_files=args.descriptions,
            output_dir=args.out,
            num_train_epochs=args.epochs,
            merge=args.merge,
        )
    result = finetune_lora(config)
    print(
        f"adapter: {result.adapter_dir}  merged: {result.merged_dir}  final loss: {result.metrics['final_loss']}"
    )


if __name__ == "__main__":
    main()

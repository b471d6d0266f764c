"""`lexsign mllm finetune-lora`: LoRA-tune Qwen2.5-VL on LexSign video–description pairs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cli_options import add_alias


def register(subparsers) -> None:
    group = subparsers.add_parser("mllm", help="multimodal LLM tools (LoRA fine-tuning)")
    commands = group.add_subparsers(dest="mllm_command", metavar="COMMAND", required=True)
    parser = commands.add_parser(
        "finetune-lora",
        help="LoRA-tune Qwen2.5-VL to write lexical descriptions from sign videos",
        description="Train a PEFT LoRA adapter for Qwen2.5-VL on video–description pairs of a LexSign config, "
        "restricted by default to the glosses of --config that are not in --exclude-config (asl1000 \\ asl300).",
    )
    parser.add_argument("--model", required=True, help="Qwen2.5-VL checkpoint: local folder or Hub id")
    parser.add_argument(
        "--dataset", required=True, help="LexSign dataset folder or Hub repo (rows gloss, video_id)"
    )
    parser.add_argument(
        "--videos", required=True, help="folder of <video_id>.mp4 files (or .pose, rendered to video)"
    )
    parser.add_argument(
        "--no-trim",
        dest="trim",
        action="store_false",
        help="clips are already cut: do not trim them to WLASL frame_start..frame_end",
    )
    parser.add_argument("--out", required=True, help="output folder (adapter/, checkpoints/, merged/)")
    parser.add_argument(
        "--config", default="asl1000", help="config whose training glosses are used (default asl1000)"
    )
    parser.add_argument(
        "--exclude-config", default="asl300", help="drop this config's glosses ('' keeps all)"
    )
    parser.add_argument(
        "--glosses", type=Path, help="text file with one gloss per line (overrides the default set)"
    )
    parser.add_argument(
        "--descriptions",
        nargs="*",
        default=[],
        help="description JSONL/CSV files (default: the dataset's 'descriptions' config)",
    )
    parser.add_argument(
        "--sources", nargs="*", choices=("mcp", "agp", "phon"), help="description sources to train on"
    )
    parser.add_argument("--language", default="asl")
    parser.add_argument(
        "--template", help="description prompt template file (default: the built-in AGP prompt)"
    )
    parser.add_argument(
        "--examples", help="in-context examples: 'builtin', a description file, or phon:ASL_LEX_CSV"
    )
    parser.add_argument("--fps", type=float, default=5.0, help="frame sampling rate (default 5)")
    parser.add_argument("--max-frames", type=int, default=16, help="central frames kept (default 16)")
    parser.add_argument("--max-length", type=int, help="reject examples longer than this many tokens")
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--lora-alpha", type=int, default=32)
    parser.add_argument("--lora-dropout", type=float, default=0.05)
    parser.add_argument(
        "--target-modules", help="regex or comma list of modules (default: language-model projections)"
    )
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--steps", type=int, help="optimiser steps (default: from --epochs)")
    add_alias(parser, "--steps", "--max-steps")
    parser.add_argument("--batch-size", type=int, default=1, help="per-device batch size")
    parser.add_argument("--grad-accum", type=int, default=8)
    parser.add_argument("--logging-steps", type=int, default=10)
    parser.add_argument("--save-steps", type=int, default=200)
    parser.add_argument("--no-gradient-checkpointing", action="store_true")
    parser.add_argument("--bf16", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--workers", type=int, default=0, help="dataloader workers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--merge", action="store_true", help="also save the base model with the adapter merged in"
    )
    parser.add_argument(
        "--base-model-id", help="Hub id of the base model for the card (when --model is a folder)"
    )
    parser.set_defaults(func=run_finetune)


def run_finetune(args: argparse.Namespace) -> int:
    from .lora import LANGUAGE_TARGET_MODULES, LoraFinetuneConfig, finetune_lora

    glosses = None
    if args.glosses:
        if not args.glosses.is_file():
            raise FileNotFoundError(f"--glosses file not found: {args.glosses}")
        glosses = [
            line.strip() for line in args.glosses.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        if not glosses:
            raise ValueError(f"--glosses file {args.glosses} lists no gloss")
    target = args.target_modules or LANGUAGE_TARGET_MODULES
    if args.target_modules and "," in target:
        target = [name.strip() for name in target.split(",") if name.strip()]
    config = LoraFinetuneConfig(
        model=args.model,
        dataset=args.dataset,
        videos_dir=args.videos,
        trim_spans=args.trim,
        output_dir=args.out,
        config=args.config,
        exclude_config=args.exclude_config or None,
        glosses=glosses,
        description_files=list(args.descriptions),
        sources=args.sources or None,
        language=args.language,
        prompt_template=args.template,
        examples=args.examples,
        fps=args.fps,
        max_frames=args.max_frames,
        max_length=args.max_length,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=target,
        learning_rate=args.lr,
        num_train_epochs=args.epochs,
        max_steps=-1 if args.steps is None else args.steps,
        per_device_train_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum,
        logging_steps=args.logging_steps,
        save_steps=args.save_steps,
        gradient_checkpointing=not args.no_gradient_checkpointing,
        bf16={"auto": None, "yes": True, "no": False}[args.bf16],
        dataloader_num_workers=args.workers,
        seed=args.seed,
        merge=args.merge,
        base_model_id=args.base_model_id,
    )
    result = finetune_lora(config)
    summary = {
        "adapter": str(result.adapter_dir),
        "merged": str(result.merged_dir) if result.merged_dir else None,
        "data": result.data_counts,
        "metrics": result.metrics,
    }
    print(json.dumps(summary, indent=2))
    return 0

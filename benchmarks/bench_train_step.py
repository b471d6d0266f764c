"""Training step: samples/s and peak memory of a full HALI step against the same model with L_Global only.

One step = forward of the skeleton tower and the MiniLM text tower, the loss, backward and an AdamW step (the
paper's ZSSLR learning rates via `build_optimizer`), on a fixed batch of LexSign-Synth signs (64 frames max,
`phon` descriptions) prepared once by `HALIProcessor`. Variants, timed round-robin on the same model:

- `hali`: `HALIModel.forward(..., return_loss=True)` with the default weights (L_HALI);
- `hali_zero_weights`: the same call with w_fg_snippet = w_fg_subunit = w_hc = 0 (what a user gets by zeroing
  the weights in the config: `hali_loss` still computes every term);
- `global_only`: features + `info_nce` on the video/description logits only (no fine-grained terms at all).

The headline is `hali / global_only` (target: the HALI terms add < 15 %). On CUDA, bf16 autocast and
`torch.compile` variants are added; on CPU they are opt-in (`--bf16`, `--compile`).
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import argparse
import contextlib
import time
from typing import Any

import torch

from lexsign_hf.models.hali import HALIConfig, HALIModel, HALIProcessor
from lexsign_hf.models.hali.losses import info_nce
from lexsign_hf.train.optim import ZSSLR_LEARNING_RATES, build_optimizer

SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {"batch_sizes": [4], "max_frames": 16, "repeats": 2, "text_tower": "tiny"},
    "quick": {"batch_sizes": [12], "max_frames": 64, "repeats": 3, "text_tower": "minilm"},
    "full": {"batch_sizes": [12, 32], "max_frames": 64, "repeats": 5, "text_tower": "minilm"},
}
VARIANTS = ("hali", "hali_zero_weights", "global_only")
TARGET_OVERHEAD = 0.15
# Projected runs: LexSign-ASL1000 train split (seen classes) and all LexSign-ASL videos, 40 epochs (ZSSLR).
ASL1000_TRAIN_ROWS, ASL_ALL_VIDEOS, EPOCHS = 9027, 21083, 40
TINY_TOWERS = {
    "pose_config": {
        "part_hidden_size": 16,
        "hidden_size": 32,
        "num_temporal_layers": 1,
        "num_graph_layers": 1,
    },
    "text_config": {
        "vocab_size": 30522,
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 64,
    },
    "projection_dim": 32,
}


def build_model(text_tower: str, device: str) -> HALIModel:
    if text_tower == "tiny":
        model = HALIModel(HALIConfig(**TINY_TOWERS))
    else:
        model = HALIModel.from_text_pretrained(common.minilm_path())
    return model.to(device).train()


def make_step(
    model: HALIModel, optimizer: torch.optim.Optimizer, batch: dict[str, torch.Tensor], variant: str, precision: str,
    compiled: bool, device: str,
):  # fmt: skip
    """A closure running one optimisation step of `variant`."""
    weights = (
        {"w_fg_snippet": 0.0, "w_fg_subunit": 0.0, "w_hc": 0.0} if variant == "hali_zero_weights" else None
    )
    defaults = {name: getattr(model.config, name) for name in ("w_fg_snippet", "w_fg_subunit", "w_hc")}

    def hali_loss(inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return model(**inputs, return_loss=True).loss

    def global_loss(inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        pose = model.get_pose_features(inputs["pose_values"], inputs["pose_mask"])
        text = model.get_text_features(inputs["input_ids"], inputs["attention_mask"], inputs["fragment_ids"])
        logits = model.temperature_scale() * pose.video_embeds @ text.description_embeds.t()
        return info_nce(logits, logits.t())

    loss_fn = global_loss if variant == "global_only" else hali_loss
    if compiled:
        loss_fn = torch.compile(loss_fn)
    autocast = (
        torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)
        if precision == "bf16"
        else contextlib.nullcontext()
    )

    def step() -> None:
        if weights:
            for name, value in weights.items():
                setattr(model.config, name, value)
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            loss = loss_fn(batch)
        loss.backward()
        optimizer.step()
        for name, value in defaults.items():
            setattr(model.config, name, value)

    return step


def run_batch_size(
    batch_size: int, settings: dict[str, Any], precisions: list[tuple[str, bool]], device: str
) -> list[dict[str, Any]]:
    poses, texts = common.synth_signs(batch_size, max_frames=settings["max_frames"])
    processor = HALIProcessor.from_text_pretrained(common.minilm_path(), max_frames=settings["max_frames"])
    batch = dict(processor(poses=poses, text=texts).to(device))
    batch["labels"] = torch.arange(batch_size, device=device)
    entries = []
    for precision, compiled in precisions:
        model = build_model(settings["text_tower"], device)
        optimizer = build_optimizer(model, **{f"{k}_lr": v for k, v in ZSSLR_LEARNING_RATES.items()})
        steps = {
            name: make_step(model, optimizer, batch, name, precision, compiled, device) for name in VARIANTS
        }
        for step in steps.values():  # first steps: AdamW state, compilation
            step()
        samples = common.time_interleaved(steps, repeats=settings["repeats"], warmup=1, device=device)
        variants = {}
        for name, step in steps.items():
            memory = common.measure_peak(step, device)
            timing = common.summarize(samples[name])
            variants[name] = {
                "time": timing,
                "samples_per_s": batch_size / timing["min_s"],
                "samples_per_s_median": batch_size / timing["median_s"],
                "memory": memory,
            }
        overhead = variants["hali"]["time"]["min_s"] / variants["global_only"]["time"]["min_s"] - 1
        entries.append(
            {
                "batch_size": batch_size,
                "precision": precision,
                "compiled": compiled,
                "frames": int(batch["pose_values"].shape[1]),
                "text_tokens": int(batch["input_ids"].shape[1]),
                "variants": variants,
                "hali_overhead_vs_global": overhead,
                "hali_overhead_vs_global_median": variants["hali"]["time"]["median_s"]
                / variants["global_only"]["time"]["median_s"]
                - 1,
                "zero_weights_overhead_vs_global": variants["hali_zero_weights"]["time"]["min_s"]
                / variants["global_only"]["time"]["min_s"]
                - 1,
                "meets_target": overhead < TARGET_OVERHEAD,
                "projected_40_epochs_hours": {
                    "asl1000_train_rows": ASL1000_TRAIN_ROWS
                    * EPOCHS
                    / variants["hali"]["samples_per_s"]
                    / 3600,
                    "asl_all_videos": ASL_ALL_VIDEOS * EPOCHS / variants["hali"]["samples_per_s"] / 3600,
                },
            }
        )
        del model, optimizer, steps
    return entries


def add_cpu_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bf16", action="store_true", help="also time bf16 autocast on CPU (always on CUDA)")
    parser.add_argument(
        "--compile", action="store_true", help="also time torch.compile on CPU (always on CUDA)"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = common.parse_args(__doc__.splitlines()[0], argv, add_cpu_options)
    started = time.perf_counter()
    machine = common.machine_info()
    settings = SETTINGS[args.mode]
    torch.manual_seed(0)
    if args.device.startswith("cuda"):
        precisions = [("fp32", False), ("bf16", False), ("bf16", True)]
    else:
        precisions = [("fp32", False)]
        if args.bf16:
            precisions.append(("bf16", False))
        if args.compile:
            precisions.append(("bf16" if args.bf16 else "fp32", True))
    entries = [
        entry
        for size in settings["batch_sizes"]
        for entry in run_batch_size(size, settings, precisions, args.device)
    ]
    rows = []
    for entry in entries:
        variants = entry["variants"]
        rows.append(
            [entry["batch_size"], entry["precision"] + (" + compile" if entry["compiled"] else "")]
            + [f"{variants[name]['samples_per_s']:.1f}" for name in VARIANTS]
            + [f"{common.fmt_ms(variants[name]['time']['min_s'])}" for name in VARIANTS]
            + [
                f"{100 * entry['hali_overhead_vs_global']:+.1f}%",
                f"{100 * entry['zero_weights_overhead_vs_global']:+.1f}%",
            ]
            + [common.fmt_mib(variants[name]["memory"]["peak_bytes"]) for name in ("hali", "global_only")]
            + ["yes" if entry["meets_target"] else "no"]
        )
    common.print_table(
        f"Training step on {args.device} ({settings['text_tower']} text tower, AdamW)",
        ["B", "precision", "HALI samples/s", "zero-weights samples/s", "global-only samples/s",
         "HALI ms", "zero-weights ms", "global-only ms", "HALI overhead", "zero-weights overhead",
         "HALI peak MiB", "global peak MiB", "< 15 %"],
        rows,
    )  # fmt: skip
    common.write_result(
        args.out,
        "train_step",
        args.mode,
        {
            **settings,
            "device": args.device,
            "precisions": [{"precision": p, "compiled": c} for p, c in precisions],
            "learning_rates": ZSSLR_LEARNING_RATES,
            "target_overhead": TARGET_OVERHEAD,
            "projection": {
                "asl1000_train_rows": ASL1000_TRAIN_ROWS,
                "asl_all_videos": ASL_ALL_VIDEOS,
                "epochs": EPOCHS,
            },
            "timing_statistic": "ratios and samples/s from the minimum over repeats (least disturbed on a shared machine)",
        },
        {"steps": entries},
        machine,
        started,
    )
    return {"steps": entries}


if __name__ == "__main__":
    main()

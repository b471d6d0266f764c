"""Run the LoRA recipe for a few steps on a real-size Qwen2.5-VL-7B (random weights) and print memory/throughput.

This is the project's check that `lexsign mllm finetune-lora` fits and runs at the paper's scale: the
Qwen2.5-VL-7B-Instruct architecture (built from its configuration, randomly initialised, bf16 on the GPU),
LoRA on the language model's projections, gradient checkpointing, the real Qwen2.5-VL image/video processors
with their default pixel budget, 16 frames per clip, and the same `VideoChatCollator` / `Trainer` as the CLI.
No download: the tokenizer is the small locally trained one of `lexsign_hf.mllm.testing` (token ids stay inside
the 7B vocabulary), so sequence lengths are those of real prompts within a few percent.

    python examples/lora_real_size_check.py --steps 6 --batch-size 1 --out lora_real_size.json
    python examples/lora_real_size_check.py --smoke          # a tiny configuration, on CPU, to check the script

Prints one JSON object: parameters (total / trainable), sequence and video-token lengths, seconds per optimizer
step (first step excluded), samples and tokens per second, peak GPU memory.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from transformers import (
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
    Qwen2VLImageProcessor,
    Qwen2VLVideoProcessor,
    TrainerCallback,
)

from lexsign_hf.agp.prompts import ExamplePool, describe_template
from lexsign_hf.finetune.lora import LoraFinetuneConfig, add_lora, build_trainer
from lexsign_hf.mllm.testing import CHAT_TEMPLATE, train_tiny_tokenizer, write_test_clips

# Qwen2.5-VL-7B-Instruct's published architecture.
QWEN2_5_VL_7B_TEXT = {
    "vocab_size": 152064,
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "max_position_embeddings": 128000,
    "rms_norm_eps": 1e-6,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
}
QWEN2_5_VL_7B_VISION = {
    "depth": 32,
    "hidden_size": 1280,
    "intermediate_size": 3420,
    "num_heads": 16,
    "out_hidden_size": 3584,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "window_size": 112,
    "fullatt_block_indexes": [7, 15, 23, 31],
    "tokens_per_second": 2,
}
SMOKE_TEXT = {**QWEN2_5_VL_7B_TEXT, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2,
              "rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [2, 3, 3]}}  # fmt: skip
SMOKE_VISION = {**QWEN2_5_VL_7B_VISION, "depth": 2, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
                "out_hidden_size": 64, "fullatt_block_indexes": [1]}  # fmt: skip


class StepTimer(TrainerCallback):
    """Wall time of every optimizer step (CUDA-synchronised)."""

    def __init__(self):
        self.times: list[float] = []
        self._start = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.times.append(time.perf_counter() - self._start)


def build_model(smoke: bool, tokenizer) -> Qwen2_5_VLForConditionalGeneration:
    token_id = tokenizer.convert_tokens_to_ids
    config = Qwen2_5_VLConfig(
        text_config={
            **(SMOKE_TEXT if smoke else QWEN2_5_VL_7B_TEXT),
            "bos_token_id": token_id("<|endoftext|>"),
            "eos_token_id": token_id("<|im_end|>"),
            "pad_token_id": token_id("<|endoftext|>"),
        },
        vision_config=SMOKE_VISION if smoke else QWEN2_5_VL_7B_VISION,
        image_token_id=token_id("<|image_pad|>"),
        video_token_id=token_id("<|video_pad|>"),
        vision_start_token_id=token_id("<|vision_start|>"),
        vision_end_token_id=token_id("<|vision_end|>"),
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    with torch.device(device):
        return Qwen2_5_VLForConditionalGeneration._from_config(config, dtype=dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps", type=int, default=6, help="optimizer steps (the first is excluded from timing)"
    )
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--grad-accum", type=int, default=1)
    parser.add_argument(
        "--frames", type=int, default=16, help="frames per clip (the paper's open-model setting)"
    )
    parser.add_argument("--size", type=int, default=256, help="clip side in pixels (WLASL crops are ~256)")
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--no-gradient-checkpointing", action="store_true")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny configuration (checks the script, e.g. on CPU)"
    )
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    args = parser.parse_args()

    tokenizer = train_tiny_tokenizer()
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(),
        video_processor=Qwen2VLVideoProcessor(),
        tokenizer=tokenizer,
        chat_template=CHAT_TEMPLATE,
    )
    if args.smoke:
        small = {"shortest_edge": 56 * 56, "longest_edge": 112 * 112}
        processor.video_processor.size = processor.image_processor.size = small
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    model = build_model(args.smoke, tokenizer)
    build_seconds = time.perf_counter() - start
    total_parameters = sum(parameter.numel() for parameter in model.parameters())
    model = add_lora(model, r=args.lora_r, alpha=2 * args.lora_r, dropout=0.05)
    trainable = sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)

    with tempfile.TemporaryDirectory() as tmp:
        names = [f"clip{i}" for i in range(4)]
        clips = write_test_clips(tmp, names, num_frames=args.frames, size=args.size)
        prompt = describe_template().render(
            examples=ExamplePool.from_spec("builtin").for_gloss(),
            max_words=50,
            language_name="American Sign Language",
        )
        text = "Flat O hand, palm facing down, in front of the chest; move the hand forward and open it into a 5 hand."
        examples = [{"video": str(clip), "span": None, "prompt": prompt, "text": text} for clip in clips]
        config = LoraFinetuneConfig(
            model="random", dataset="", videos_dir=tmp, output_dir=tmp, fps=None, max_frames=args.frames,
            per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=args.grad_accum,
            max_steps=args.steps, logging_steps=1, save_steps=10**9, warmup_steps=0,
            gradient_checkpointing=not args.no_gradient_checkpointing,
        )  # fmt: skip
        trainer = build_trainer(
            model, processor, examples * (args.steps * args.batch_size * args.grad_accum), config
        )
        timer = StepTimer()
        trainer.add_callback(timer)
        batch = trainer.data_collator(examples[: args.batch_size])
        trainer.train()

    steady = timer.times[1:] or timer.times
    step_seconds = sum(steady) / len(steady)
    samples_per_step = args.batch_size * args.grad_accum
    sequence_length = int(batch["attention_mask"].sum(dim=1).float().mean())
    result = {
        "model": "Qwen2.5-VL-7B architecture, random weights" if not args.smoke else "smoke configuration",
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "dtype": str(next(model.parameters()).dtype),
        "parameters_total": total_parameters,
        "parameters_trainable": trainable,
        "lora_r": args.lora_r,
        "gradient_checkpointing": not args.no_gradient_checkpointing,
        "batch_size": args.batch_size,
        "gradient_accumulation": args.grad_accum,
        "frames": args.frames,
        "clip_size": args.size,
        "video_tokens": int((batch["mm_token_type_ids"][0] > 0).sum()),
        "sequence_length": sequence_length,
        "steps_timed": len(steady),
        "build_seconds": round(build_seconds, 2),
        "first_step_seconds": round(timer.times[0], 3),
        "step_seconds": round(step_seconds, 3),
        "samples_per_second": round(samples_per_step / step_seconds, 3),
        "tokens_per_second": round(samples_per_step * sequence_length / step_seconds, 1),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)
        if torch.cuda.is_available()
        else None,
        "final_loss": next((e["loss"] for e in reversed(trainer.state.log_history) if "loss" in e), None),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

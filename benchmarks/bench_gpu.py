"""Accelerator readiness: samples/s and MFU of both skeleton towers and of a full HALI training step, in fp32 and
bf16 autocast, eager and `torch.compile`d.

- `light_tower`, `cosign_tower`: forward + backward of the tower alone (default configs, training mode), B = 12,
  T = 64 (`light` on the canonical 77 points, `cosign` on Uni-Sign's 69);
- `hali_step`: `HALIModel` with the cosign tower and a BERT-base text tower (`BertConfig()`, random weights), the
  full L_HALI forward, backward and an AdamW step (ZSSLR learning rates), on LexSign-Synth signs and their `phon`
  descriptions prepared once by `HALIProcessor`.

MFU = (FLOPs of one call, counted by `torch.utils.flop_counter.FlopCounterMode` on the eager model: matmuls and
convolutions, forward and backward) / time / the device's peak dense FLOP/s for that precision (fp32 without TF32:
CUDA cores; bf16: tensor cores). Peaks are known for H100 / H200 (`PEAK_TFLOPS`) or given with `--peak-tflops-fp32`
/ `--peak-tflops-bf16`; otherwise MFU is None. On CUDA all four variants run; on CPU fp32 eager, plus `--bf16` and
`--compile` when asked (inductor's C++ build takes minutes on a small CPU). `--tiny` is a seconds-long CPU check.
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import contextlib
import time
from typing import Any

import torch
from transformers import BertConfig

from lexsign_hf.models.hali import HALIConfig, HALIModel, HALIProcessor, SkeletonEncoderConfig
from lexsign_hf.models.hali.modeling_cosign import CoSignSkeletonEncoder
from lexsign_hf.models.hali.modeling_light import SkeletonEncoder
from lexsign_hf.synth.signer import IMAGE_SIZE
from lexsign_hf.train.optim import ZSSLR_LEARNING_RATES, build_optimizer

SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {"batch": 2, "frames": 16, "repeats": 2, "text": "tiny"},
    "quick": {"batch": 12, "frames": 64, "repeats": 5, "text": "bert_base"},
    "full": {"batch": 12, "frames": 64, "repeats": 20, "text": "bert_base"},
}
TINY_TEXT = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}
# Dense peak TFLOP/s by device-name fragment: (fp32 on CUDA cores, bf16 on tensor cores), from NVIDIA's data sheets.
PEAK_TFLOPS = {"H200": (67.0, 989.0), "H100 PCIe": (51.0, 756.0), "H100": (67.0, 989.0)}


def peak_flops(device: str, precision: str, overrides: dict[str, float | None]) -> float | None:
    if overrides.get(precision):
        return overrides[precision] * 1e12
    if not device.startswith("cuda"):
        return None
    name = torch.cuda.get_device_name(torch.device(device))
    for fragment, (fp32, bf16) in PEAK_TFLOPS.items():
        if fragment in name:
            return (fp32 if precision == "fp32" else bf16) * 1e12
    return None


def count_flops(call) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        call()
    return int(counter.get_total_flops())


def build_calls(settings: dict[str, Any], device: str) -> dict[str, tuple[torch.nn.Module, Any, Any]]:
    """name -> (module, loss function to compile, optimizer or None) on one fixed batch."""
    batch, frames = settings["batch"], settings["frames"]
    poses, texts = common.synth_signs(max(batch, 8), max_frames=frames)
    poses = [poses[i % len(poses)] for i in range(batch)]
    texts = [texts[i % len(texts)] for i in range(batch)]
    uni_sign = HALIProcessor.from_text_pretrained(
        common.minilm_path(), max_frames=frames, pose_normalization="uni_sign"
    )
    canonical = HALIProcessor.from_text_pretrained(common.minilm_path(), max_frames=frames)
    inputs = dict(
        uni_sign(poses=poses, text=texts, frame_sizes=[IMAGE_SIZE] * batch).to(device)
    )  # synth pixels
    inputs["labels"] = torch.arange(batch, device=device)
    light_inputs = dict(canonical(poses=poses).to(device))

    light = SkeletonEncoder(SkeletonEncoderConfig()).to(device).train()
    cosign = CoSignSkeletonEncoder(SkeletonEncoderConfig(architecture="cosign")).to(device).train()
    text_config = BertConfig(**(TINY_TEXT if settings["text"] == "tiny" else {}))
    model = HALIModel(HALIConfig(pose_config={"architecture": "cosign"}, text_config=text_config.to_dict()))
    model = model.to(device).train()
    optimizer = build_optimizer(model, **{f"{k}_lr": v for k, v in ZSSLR_LEARNING_RATES.items()})

    def tower_loss(tower, values, mask):
        out = tower(values[..., :3], mask)
        return out.pooled_output.sum() + out.snippets.sum() + out.subunits.sum()

    return {
        "light_tower": (
            light,
            lambda: tower_loss(light, light_inputs["pose_values"], light_inputs["pose_mask"]),
            None,
        ),
        "cosign_tower": (
            cosign,
            lambda: tower_loss(cosign, inputs["pose_values"], inputs["pose_mask"]),
            None,
        ),
        "hali_step": (model, lambda: model(**inputs, return_loss=True).loss, optimizer),
    }


def make_step(module, loss_fn, optimizer, precision: str, compiled: bool, device: str):
    loss_fn = torch.compile(loss_fn) if compiled else loss_fn
    autocast = (
        torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)
        if precision == "bf16"
        else contextlib.nullcontext()
    )

    def step() -> None:
        module.zero_grad(set_to_none=True)
        with autocast:
            loss = loss_fn()
        loss.backward()
        if optimizer is not None:
            optimizer.step()

    return step


def main(argv: list[str] | None = None) -> dict[str, Any]:
    def add_arguments(parser) -> None:
        parser.add_argument("--bf16", action="store_true", help="also bf16 autocast on CPU (always on CUDA)")
        parser.add_argument(
            "--compile", action="store_true", help="also torch.compile on CPU (always on CUDA)"
        )
        parser.add_argument("--peak-tflops-fp32", type=float, help="the device's dense fp32 peak, for MFU")
        parser.add_argument("--peak-tflops-bf16", type=float, help="the device's dense bf16 peak, for MFU")

    args = common.parse_args(__doc__.splitlines()[0], argv, add_arguments)
    started = time.perf_counter()
    machine = common.machine_info()
    settings = SETTINGS[args.mode]
    device = args.device
    torch.manual_seed(0)
    if device.startswith("cuda"):
        variants = [("fp32", False), ("bf16", False), ("fp32", True), ("bf16", True)]
    else:
        variants = [("fp32", False)] + [("bf16", False)] * args.bf16 + [("fp32", True)] * args.compile
    overrides = {"fp32": args.peak_tflops_fp32, "bf16": args.peak_tflops_bf16}
    calls = build_calls(settings, device)
    flops = {}
    for name, (module, loss_fn, _) in calls.items():
        flops[name] = count_flops(
            lambda module=module, loss_fn=loss_fn: make_step(module, loss_fn, None, "fp32", False, device)()
        )
    entries = []
    for precision, compiled in variants:
        steps = {
            name: make_step(module, loss_fn, optimizer, precision, compiled, device)
            for name, (module, loss_fn, optimizer) in calls.items()
        }
        compile_seconds = {}
        for name, step in steps.items():  # first calls: compilation, AdamW state
            start = time.perf_counter()
            step()
            common.synchronize(device)
            compile_seconds[name] = time.perf_counter() - start
        samples = common.time_interleaved(steps, repeats=settings["repeats"], warmup=1, device=device)
        peak = peak_flops(device, precision, overrides)
        for name, step in steps.items():
            timing = common.summarize(samples[name])
            achieved = flops[name] / timing["median_s"]
            entries.append({
                "name": name, "precision": precision, "compiled": compiled, "time": timing,
                "samples_per_s": settings["batch"] / timing["median_s"],
                "samples_per_s_best": settings["batch"] / timing["min_s"],
                "flops_per_call": flops[name], "achieved_tflops": achieved / 1e12,
                "peak_tflops": None if peak is None else peak / 1e12,
                "mfu": None if peak is None else achieved / peak,
                "first_call_seconds": compile_seconds[name],
                "memory": common.measure_peak(step, device),
            })  # fmt: skip
        del steps
        if compiled:
            torch._dynamo.reset()
    common.print_table(
        f"Towers and HALI step on {device} (B = {settings['batch']}, T = {settings['frames']}, {settings['text']})",
        ["call", "precision", "compiled", "median ms", "samples/s", "TFLOP/s", "MFU", "peak MiB"],
        [
            [e["name"], e["precision"], "yes" if e["compiled"] else "no", common.fmt_ms(e["time"]["median_s"]),
             f"{e['samples_per_s']:.1f}", f"{e['achieved_tflops']:.3f}",
             "-" if e["mfu"] is None else f"{100 * e['mfu']:.1f}%", common.fmt_mib(e["memory"]["peak_bytes"])]
            for e in entries
        ],
    )  # fmt: skip
    gpu = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else None
    common.write_result(
        args.out,
        "gpu",
        args.mode,
        {**settings, "device": device, "device_name": gpu, "variants": [list(v) for v in variants],
         "peak_tflops_overrides": overrides, "mfu_time_statistic": "median over repeats"},
        {"calls": entries},
        machine,
        started,
    )  # fmt: skip
    return {"calls": entries}


if __name__ == "__main__":
    main()

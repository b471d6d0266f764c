"""Skeleton towers: forward + backward time, parameters and peak memory of HALI's `cosign` and `light` towers and of
Uni-Sign's own pose-branch code, in one process, on the same batch (B = 12, T = 64, 133 COCO-WholeBody keypoints).

- `uni_sign_branch`: Uni-Sign's `stgcn_layers` (`Graph`, `get_stgcn_chain`) and `Linear(3, 64)` per part, wired as
  `Uni_Sign.forward` wires them, up to the concatenated part features (+ `part_para`). Uni-Sign's code is not part
  of this repository (it has no licence): the script imports it from a checkout given by `--uni-sign-repo`
  (`git clone https://github.com/ZechengLi19/Uni-Sign /tmp/Uni-Sign`). Without one, that row is skipped.
- `cosign_branch`: `CoSignSkeletonEncoder.joint_features` and the part means, the same computation; the script first
  copies Uni-Sign's weights into it with `convert_uni_sign_state_dict` and records the largest difference of the
  frame features (train and eval mode) to show the math is identical.
- `cosign_tower`: the whole cosign tower as HALI runs it (frame features + video, snippet and subunit pooling, M = 3).
- `light_tower`: the `light` tower (default config) on the canonical 77-point skeleton of the same keypoints.

Memory: peak RSS growth of one step (CPU; `torch.cuda.max_memory_allocated` on a GPU) and, deterministic, the bytes
of the activations autograd saves for the backward.

Parity (with `--uni-sign-repo`): frame features and every parameter's gradient of Uni-Sign's code and of the cosign
tower on the same weights, in train and eval mode (`uni_sign_parity`). Speed: the median over interleaved rounds of
the per-round time ratio Uni-Sign / cosign. `--compile` adds `cosign_branch_compiled` (`torch.compile`, inductor).
`--profile` records where the cosign branch's time goes (torch.profiler, one step; `profile`). The `checkpointing`
section times the cosign tower with and without activation checkpointing of its chains at B = 12 and 32.

The 133 keypoints are reduced to each tower's points outside the timed region (Uni-Sign does it in its data
loader, HALI in `HALIProcessor`). Training mode (BatchNorm batch statistics); the loss is the sum of the outputs.
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lexsign_hf.convert import convert_uni_sign_state_dict
from lexsign_hf.models.hali import SkeletonEncoderConfig
from lexsign_hf.models.hali.modeling_cosign import CoSignSkeletonEncoder
from lexsign_hf.models.hali.modeling_hali import SkeletonEncoder
from lexsign_hf.models.hali.processing_hali import (
    UNI_SIGN_COCO_INDEX,
    UNI_SIGN_PART_SIZES,
    uni_sign_normalize,
)
from lexsign_hf.pose import to_canonical

SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {
        "batch": 2,
        "frames": 16,
        "repeats": 2,
        "checkpointing_batches": [2],
        "checkpointing_repeats": 1,
    },
    "quick": {
        "batch": 12,
        "frames": 64,
        "repeats": 3,
        "checkpointing_batches": [12],
        "checkpointing_repeats": 2,
    },
    "full": {
        "batch": 12,
        "frames": 64,
        "repeats": 10,
        "checkpointing_batches": [12, 32],
        "checkpointing_repeats": 3,
    },
}
UNI_SIGN_MODES = ("body", "left", "right", "face_all")


class UniSignPoseBranch(nn.Module):
    """Uni-Sign's pose encoder built from its own `stgcn_layers` (imported from a checkout), with its parameter
    names; `forward` follows `Uni_Sign.forward` up to `torch.cat(features, -1) + part_para`."""

    def __init__(self, stgcn_layers):
        super().__init__()
        self.proj_linear, self.gcn_modules, self.fusion_gcn_modules = (
            nn.ModuleDict(),
            nn.ModuleDict(),
            nn.ModuleDict(),
        )
        for mode in UNI_SIGN_MODES:
            adjacency = torch.tensor(
                stgcn_layers.Graph(layout=mode, strategy="distance", max_hop=1).A, dtype=torch.float32
            )
            self.proj_linear[mode] = nn.Linear(3, 64)
            self.gcn_modules[mode], width = stgcn_layers.get_stgcn_chain(
                64, "spatial", (1, adjacency.size(0)), adjacency.clone(), True
            )
            self.fusion_gcn_modules[mode], _ = stgcn_layers.get_stgcn_chain(
                width, "temporal", (5, adjacency.size(0)), adjacency.clone(), True
            )
        for modules in (self.gcn_modules, self.fusion_gcn_modules, self.proj_linear):
            modules["left"] = modules["right"]
        self.part_para = nn.Parameter(torch.zeros(256 * len(UNI_SIGN_MODES)))

    def frame_features(self, parts: dict[str, torch.Tensor]) -> torch.Tensor:
        features, body = [], None
        for mode in UNI_SIGN_MODES:
            hidden = self.gcn_modules[mode](self.proj_linear[mode](parts[mode]).permute(0, 3, 1, 2))
            if mode == "body":
                body = hidden
            else:
                anchor = {"left": -2, "right": -1, "face_all": 0}[mode]
                hidden = hidden + body[..., anchor][..., None].detach()
            features.append(self.fusion_gcn_modules[mode](hidden).mean(-1).transpose(1, 2))
        return torch.cat(features, dim=-1)

    def forward(self, parts: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.frame_features(parts) + self.part_para


def import_stgcn_layers(repo: Path):
    if not (repo / "stgcn_layers" / "__init__.py").is_file():
        raise FileNotFoundError(
            f"--uni-sign-repo {repo}: no stgcn_layers/ (git clone https://github.com/ZechengLi19/Uni-Sign)"
        )
    sys.path.insert(0, str(repo))
    try:
        import stgcn_layers
    finally:
        sys.path.remove(str(repo))
    return stgcn_layers


def coco_batch(batch: int, frames: int, seed: int = 0) -> np.ndarray:
    """(B, T, 133, 3) COCO-WholeBody keypoints in pixels: a wandering skeleton of random joints, confident."""
    generator = np.random.default_rng(seed)
    base = generator.uniform(200, 800, size=(batch, 1, 133, 2))
    drift = np.cumsum(generator.normal(0, 3, size=(batch, frames, 133, 2)), axis=1)
    confidence = generator.uniform(0.2, 1.0, size=(batch, frames, 133, 1))
    return np.concatenate([base + drift, confidence], axis=-1).astype(np.float32)


def git_commit(repo: Path) -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def parameters(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def fwd_bwd(model: nn.Module, forward) -> None:
    model.zero_grad(set_to_none=True)
    forward().backward()


def cosign_input(batch: int, frames: int, device: str) -> torch.Tensor:
    """(B, T, 69, 3) Uni-Sign-normalised keypoints of `coco_batch`, as `HALIProcessor(pose_normalization="uni_sign")`
    gives them."""
    coco = coco_batch(batch, frames)
    values = np.stack(
        [uni_sign_normalize(sequence[:, UNI_SIGN_COCO_INDEX], (1000.0, 1000.0)) for sequence in coco]
    )
    return torch.from_numpy(values).to(device)


def parity(
    uni_sign: nn.Module, cosign: CoSignSkeletonEncoder, values: torch.Tensor, mask: torch.Tensor
) -> dict[str, Any]:
    """Largest differences of the frame features and of every parameter's gradient (through `cosign`'s names, by
    the converter's mapping), train and eval mode, on the same weights and input, in float32 and float64 (where
    only the order of the sums differs between the two codes, float64 shows the math is the same)."""
    result = {}
    for dtype in (torch.float32, torch.float64):
        uni_sign.to(dtype)
        cosign.to(dtype)
        inputs = values.to(dtype)
        parts = dict(zip(UNI_SIGN_MODES, inputs.split(list(UNI_SIGN_PART_SIZES), dim=2), strict=True))
        initial = {name: model.state_dict() for name, model in (("uni_sign", uni_sign), ("cosign", cosign))}
        initial = {name: {k: v.clone() for k, v in state.items()} for name, state in initial.items()}

        def cosign_features(inputs: torch.Tensor = inputs) -> torch.Tensor:
            joints = cosign.joint_features(inputs, mask)
            return torch.cat([joints[part].mean(-1).transpose(1, 2) for part in cosign.config.part_names], -1)

        for mode in ("train", "eval"):
            outputs = {}
            for name, model, forward in (
                ("uni_sign", uni_sign, lambda parts=parts: uni_sign.frame_features(parts)),
                ("cosign", cosign, cosign_features),
            ):
                model.load_state_dict(initial[name])  # the same BatchNorm statistics in both, each mode
                model.train(mode == "train")
                model.zero_grad(set_to_none=True)
                features = forward()
                weights = torch.linspace(-1, 1, features.shape[-1], device=features.device, dtype=dtype)
                (features * weights).sum().backward()
                outputs[name] = features.detach()
            # Uni-Sign's gradients under its own names (both hands' names point at the shared module's gradient)
            grads = {
                key: (torch.zeros_like(value) if value.grad is None else value.grad)
                if isinstance(value, nn.Parameter)
                else value
                for key, value in uni_sign.state_dict(keep_vars=True).items()
            }  # part_para is not in the frame features: a zero gradient stands in
            expected, _ = convert_uni_sign_state_dict(grads, cosign, "Uni-Sign gradients")
            compared = [
                (parameter.grad, expected[key])
                for key, parameter in cosign.named_parameters()
                if parameter.grad is not None
            ]
            result[f"{mode}_{str(dtype).removeprefix('torch.')}"] = {
                "features_max_abs_difference": float((outputs["uni_sign"] - outputs["cosign"]).abs().max()),
                "features_max_abs": float(outputs["uni_sign"].abs().max()),
                "gradients_compared": len(compared),
                "gradients_max_abs_difference": float(max((a - b).abs().max() for a, b in compared)),
                "gradients_max_abs": float(max(b.abs().max() for _, b in compared)),
            }
        for name, model in (("uni_sign", uni_sign), ("cosign", cosign)):
            model.load_state_dict(initial[name])
    uni_sign.float().train()
    cosign.float().train()
    return result


def profile_step(call, top: int = 15) -> dict[str, Any]:
    """Self CPU time of the top operators of one call (after a warm-up), and each one's share."""
    from torch.profiler import ProfilerActivity, profile

    call()
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        call()
    events = sorted(profiler.key_averages(), key=lambda event: event.self_cpu_time_total, reverse=True)
    total = sum(event.self_cpu_time_total for event in events)
    return {
        "self_cpu_total_s": total / 1e6,
        "top": [
            {"op": event.key, "calls": event.count, "self_cpu_s": event.self_cpu_time_total / 1e6,
             "share": event.self_cpu_time_total / total}
            for event in events[:top]
        ],
    }  # fmt: skip


def checkpointing(batches: list[int], frames: int, repeats: int, device: str) -> list[dict[str, Any]]:
    """The cosign tower (training mode, M = 3) with and without activation checkpointing of its eight chains."""
    from functools import partial

    from torch.utils.checkpoint import checkpoint

    rows = []
    for batch in batches:
        values = cosign_input(batch, frames, device)
        mask = torch.ones(batch, frames, dtype=torch.long, device=device)
        towers = {}
        for name, enabled in (("plain", False), ("checkpointed", True)):
            torch.manual_seed(0)
            tower = CoSignSkeletonEncoder(SkeletonEncoderConfig(architecture="cosign")).to(device).train()
            for module in tower.modules():
                if hasattr(module, "gradient_checkpointing"):
                    module.gradient_checkpointing = enabled
                    module._gradient_checkpointing_func = partial(checkpoint, use_reentrant=False)
            towers[name] = tower

        def forward(tower: CoSignSkeletonEncoder, values=values, mask=mask) -> torch.Tensor:
            out = tower(values, mask)
            return out.pooled_output.sum() + out.snippets.sum() + out.subunits.sum()

        calls = {
            name: (lambda tower=tower: fwd_bwd(tower, lambda: forward(tower)))
            for name, tower in towers.items()
        }
        samples = common.time_interleaved(calls, repeats, warmup=1, device=device)
        entry: dict[str, Any] = {"batch": batch}
        for name, tower in towers.items():
            entry[name] = {
                **common.summarize(samples[name]),
                **common.measure_peak(calls[name], device),
                "saved_for_backward_bytes": common.saved_for_backward_bytes(
                    lambda tower=tower: forward(tower)
                ),
            }
        entry["saved_ratio"] = (
            entry["checkpointed"]["saved_for_backward_bytes"] / entry["plain"]["saved_for_backward_bytes"]
        )
        entry["median_per_round_time_ratio"] = statistics.median(
            a / b for a, b in zip(samples["checkpointed"], samples["plain"], strict=True)
        )
        rows.append(entry)
    return rows


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()

    def add_arguments(parser) -> None:
        parser.add_argument(
            "--uni-sign-repo",
            type=Path,
            help="checkout of github.com/ZechengLi19/Uni-Sign (for its stgcn_layers)",
        )
        parser.add_argument("--compile", action="store_true", help="also time torch.compile(cosign branch)")
        parser.add_argument("--profile", action="store_true", help="record the cosign branch's top operators")
        parser.add_argument(
            "--skip-checkpointing", action="store_true", help="skip the checkpointing section"
        )

    args = common.parse_args(__doc__.split("\n\n")[0], argv, add_arguments)
    machine = common.machine_info()
    setting = SETTINGS[args.mode]
    device, batch, frames = args.device, setting["batch"], setting["frames"]
    torch.manual_seed(0)

    coco = coco_batch(batch, frames)
    cosign_values = cosign_input(batch, frames, device)
    mask = torch.ones(batch, frames, dtype=torch.long, device=device)
    parts = dict(zip(UNI_SIGN_MODES, cosign_values.split(list(UNI_SIGN_PART_SIZES), dim=2), strict=True))
    light_input = np.stack([to_canonical(sequence, "coco_wholebody_133") for sequence in coco])
    light_input[..., :2] = (light_input[..., :2] - 500.0) / 200.0
    light_values = torch.from_numpy(light_input).to(device)

    cosign = CoSignSkeletonEncoder(SkeletonEncoderConfig(architecture="cosign")).to(device).train()
    light = SkeletonEncoder(SkeletonEncoderConfig()).to(device).train()

    def cosign_branch() -> torch.Tensor:
        joints = cosign.joint_features(cosign_values, mask)
        return torch.cat([joints[part].mean(-1).transpose(1, 2) for part in cosign.config.part_names], -1)

    def cosign_tower() -> torch.Tensor:
        out = cosign(cosign_values, mask)
        return out.pooled_output.sum() + out.snippets.sum() + out.subunits.sum()

    variants = {
        "cosign_branch": (cosign, lambda: (cosign_branch() + cosign.part_para).sum()),
        "cosign_tower": (cosign, cosign_tower),
        "light_tower": (light, lambda: light(light_values, mask).pooled_output.sum()),
    }
    results: dict[str, Any] = {
        "parameters": {"cosign_tower": parameters(cosign), "light_tower": parameters(light)}
    }
    repo = args.uni_sign_repo
    if repo is not None:
        uni_sign = UniSignPoseBranch(import_stgcn_layers(repo)).to(device).train()
        results["parameters"]["uni_sign_branch"] = parameters(uni_sign)
        variants["uni_sign_branch"] = (uni_sign, lambda: uni_sign(parts).sum())
        converted, report = convert_uni_sign_state_dict(uni_sign.state_dict(), cosign, "Uni-Sign pose branch")
        cosign.load_state_dict(converted)
        results["uni_sign_parity"] = {
            "mapped_tensors": len(report.mapped),
            **parity(uni_sign, cosign, cosign_values, mask),
        }
    else:
        results["uni_sign_branch"] = {
            "skipped": "no --uni-sign-repo (git clone https://github.com/ZechengLi19/Uni-Sign)"
        }

    if args.compile:
        compiled = torch.compile(cosign_branch)
        variants["cosign_branch_compiled"] = (cosign, lambda: (compiled() + cosign.part_para).sum())
        compile_start = time.perf_counter()
        fwd_bwd(cosign, variants["cosign_branch_compiled"][1])
        results["compile_seconds"] = time.perf_counter() - compile_start
    calls = {
        name: (lambda model=model, forward=forward: fwd_bwd(model, forward))
        for name, (model, forward) in variants.items()
    }
    if args.profile:
        results["profile"] = {"cosign_branch": profile_step(calls["cosign_branch"])}
        if "uni_sign_branch" in calls:
            results["profile"]["uni_sign_branch"] = profile_step(calls["uni_sign_branch"])
    samples = common.time_interleaved(calls, setting["repeats"], warmup=1, device=device)
    timings = {name: common.summarize(values) for name, values in samples.items()}
    memory = {name: common.measure_peak(call, device) for name, call in calls.items()}
    for name, (_, forward) in variants.items():
        saved = common.saved_for_backward_bytes(forward)
        results[name] = {
            **timings[name],
            **memory[name],
            "saved_for_backward_bytes": saved,
            "samples_s": samples[name],
        }
    pairs = [("cosign_tower", "light_tower")]
    if "uni_sign_branch" in samples:
        pairs += [("uni_sign_branch", "cosign_branch"), ("uni_sign_branch", "cosign_tower")]
        if "cosign_branch_compiled" in samples:
            pairs += [("uni_sign_branch", "cosign_branch_compiled")]
    # ratio of the minima, and the median over rounds of the per-round ratio (variants run back to back in each
    # round, so a change in machine load hits both sides of a round's ratio alike)
    ratios = {f"{a}_vs_{b}": timings[a]["min_s"] / timings[b]["min_s"] for a, b in pairs}
    paired = {
        f"{a}_vs_{b}": statistics.median(x / y for x, y in zip(samples[a], samples[b], strict=True))
        for a, b in pairs
    }
    results["ratios_of_min_times"] = ratios
    results["median_per_round_ratios"] = paired

    rows = [
        [name, f"{parameters(variants[name][0]):,}", common.fmt_ms(timing["min_s"]),
         common.fmt_ms(timing["median_s"]), common.fmt_mib(memory[name]["peak_delta_bytes"]),
         common.fmt_mib(results[name]["saved_for_backward_bytes"])]
        for name, timing in timings.items()
    ]  # fmt: skip
    common.print_table(
        f"Skeleton towers, forward + backward, B = {batch}, T = {frames} ({device})",
        ["variant", "parameters", "min ms", "median ms", "peak MiB", "saved for backward MiB"],
        rows,
    )
    print("ratio of minima", {key: round(value, 3) for key, value in ratios.items()})
    print("median per-round ratio", {key: round(value, 3) for key, value in paired.items()})
    if not args.skip_checkpointing:
        results["checkpointing"] = checkpointing(
            setting["checkpointing_batches"], frames, setting["checkpointing_repeats"], device
        )
        common.print_table(
            "Cosign tower with activation checkpointing of its chains",
            ["B", "plain min ms", "checkpointed min ms", "time ratio (per round)", "plain saved MiB",
             "checkpointed saved MiB", "saved ratio", "plain peak MiB", "checkpointed peak MiB"],
            [
                [row["batch"], common.fmt_ms(row["plain"]["min_s"]), common.fmt_ms(row["checkpointed"]["min_s"]),
                 f"{row['median_per_round_time_ratio']:.2f}", common.fmt_mib(row["plain"]["saved_for_backward_bytes"]),
                 common.fmt_mib(row["checkpointed"]["saved_for_backward_bytes"]), f"{row['saved_ratio']:.3f}",
                 common.fmt_mib(row["plain"]["peak_delta_bytes"]), common.fmt_mib(row["checkpointed"]["peak_delta_bytes"])]
                for row in results["checkpointing"]
            ],
        )  # fmt: skip
    settings = {
        **setting,
        "keypoints": 133,
        "device": device,
        "uni_sign_repo": str(repo) if repo else None,
        "uni_sign_commit": git_commit(repo) if repo else None,
        "compile": args.compile,
    }
    common.write_result(args.out, "towers", args.mode, settings, results, machine, started)


if __name__ == "__main__":
    main()

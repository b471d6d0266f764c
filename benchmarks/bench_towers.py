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
    "tiny": {"batch": 2, "frames": 16, "repeats": 2},
    "quick": {"batch": 12, "frames": 64, "repeats": 3},
    "full": {"batch": 12, "frames": 64, "repeats": 10},
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


def main(argv: list[str] | None = None) -> None:
    started = time.perf_counter()
    args = common.parse_args(
        __doc__.split("\n\n")[0],
        argv,
        lambda parser: parser.add_argument(
            "--uni-sign-repo",
            type=Path,
            help="checkout of github.com/ZechengLi19/Uni-Sign (for its stgcn_layers)",
        ),
    )
    machine = common.machine_info()
    setting = SETTINGS[args.mode]
    device, batch, frames = args.device, setting["batch"], setting["frames"]
    torch.manual_seed(0)

    coco = coco_batch(batch, frames)
    sizes = (1000.0, 1000.0)
    cosign_input = np.stack(
        [uni_sign_normalize(sequence[:, UNI_SIGN_COCO_INDEX], sizes) for sequence in coco]
    )
    cosign_values = torch.from_numpy(cosign_input).to(device)
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
        differences = {}
        for mode in ("train", "eval"):
            uni_sign.train(mode == "train")
            cosign.train(mode == "train")
            with torch.no_grad():
                differences[mode] = float((uni_sign.frame_features(parts) - cosign_branch()).abs().max())
        uni_sign.train()
        cosign.train()
        results["uni_sign_parity"] = {"mapped_tensors": len(report.mapped), "max_abs_difference": differences}
    else:
        results["uni_sign_branch"] = {
            "skipped": "no --uni-sign-repo (git clone https://github.com/ZechengLi19/Uni-Sign)"
        }

    calls = {
        name: (lambda model=model, forward=forward: fwd_bwd(model, forward))
        for name, (model, forward) in variants.items()
    }
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
    settings = {
        **setting,
        "keypoints": 133,
        "device": device,
        "uni_sign_repo": str(repo) if repo else None,
        "uni_sign_commit": git_commit(repo) if repo else None,
    }
    common.write_result(args.out, "towers", args.mode, settings, results, machine, started)


if __name__ == "__main__":
    main()

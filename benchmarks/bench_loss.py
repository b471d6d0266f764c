"""Loss: forward + backward time and peak memory of the HALI objective against the alternatives.

Variants, all on the same random L2-normalised embeddings (B pairs, T_s = 6 snippets, T_u = 18 subunits, L_f
fragment slots of which each description uses between L_f/2 and L_f, dimension D):

- `hali_full`: `HALIModel.hali_loss` (L_Global + L_FG^(s,f) + L_FG^(u,f) + L_HC), chunked over pose rows;
- `hali_global`: L_Global alone (`info_nce` on the (B, B) cosine logits) — the floor;
- `hali_fg_subunit`: one fine-grained term, `fine_grained_loss` on the 18 subunits;
- `xclip_fg_subunit`: the same token-wise (FILIP) term computed by the `x-clip` package (`x_clip.CLIP` with
  `use_all_token_embeds=True`, pass-through encoders and identity projections, so only its loss code runs);
- `literal_fg_subunit`: the paper's equations as written, one pose/description pair at a time (the reference
  of `tests/test_hali_losses.py`, with tensor ops so that it has a backward); small B only.

The `token_wise` section compares, at one large batch (B = 512, D = 512, L_f = 32, T_u = 18 in quick/full mode),
`token_wise_similarity`'s recomputing backward (`hali_fg_subunit`) with the plain-autograd version it replaced
(`autograd_fg_subunit`: einsum + max per chunk, autograd keeping B² x (T_u + L_f) int64 arg-max indices) and x-clip,
on time, peak memory and the bytes autograd saves for the backward (`--token-wise-only` runs just that section).

Memory: peak RSS growth on CPU (`torch.cuda.max_memory_allocated` on a GPU), and the analytic size of the largest
intermediate (HALI: chunk x B x T_u x L_f floats; x-clip: B x B x T_u x L_f).
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import statistics
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lexsign_hf.models.hali import HALIConfig, HALIModel
from lexsign_hf.models.hali.losses import fine_grained_loss, info_nce
from lexsign_hf.models.hali.modeling_hali import HALIPoseFeatures, HALITextFeatures

NUM_SNIPPETS, NUM_SUBUNIT_PARTS = 6, 3
TAU = 0.03

SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {
        "grid": [(8, 64, 8)],  # (B, D, L_f)
        "chunk_sweep": {"batch": 8, "dim": 64, "fragments": 8, "chunks": [2, 8]},
        "literal_max_batch": 8,
        "repeats": 2,
    },
    "quick": {
        "grid": [(8, 256, 16), (32, 256, 16), (128, 256, 16), (128, 512, 32)],
        "chunk_sweep": {"batch": 128, "dim": 256, "fragments": 16, "chunks": [8, 32, 128]},
        "literal_max_batch": 16,
        "repeats": 3,
    },
    "full": {
        "grid": [(b, 256, 16) for b in (8, 16, 32, 64, 128, 256, 512)]
        + [(b, 512, 32) for b in (8, 32, 128, 256, 512)],
        "chunk_sweep": {"batch": 256, "dim": 256, "fragments": 16, "chunks": [8, 16, 32, 64, 128, 256]},
        "literal_max_batch": 32,
        "repeats": 3,
    },
}
TOKEN_WISE: dict[str, tuple[int, int, int]] = {
    "tiny": (8, 64, 8),
    "quick": (512, 512, 32),
    "full": (512, 512, 32),
}
XCLIP_MAX_INTERMEDIATE_BYTES = (
    1 << 30
)  # skip x-clip where one of its (B, B, T_u, L_f) tensors would pass 1 GiB


def make_inputs(
    batch: int, dim: int, num_fragments: int, device: str, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Leaf embeddings (requires_grad) shaped like the model's features; padded fragments are zero vectors."""
    generator = torch.Generator().manual_seed(seed)

    def unit(*shape: int) -> torch.Tensor:
        return F.normalize(torch.randn(*shape, generator=generator), dim=-1)

    counts = torch.randint(max(1, num_fragments // 2), num_fragments + 1, (batch,), generator=generator)
    mask = torch.arange(num_fragments)[None, :] < counts[:, None]
    tensors = {
        "video": unit(batch, dim),
        "description": unit(batch, dim),
        "snippets": unit(batch, NUM_SNIPPETS, dim),
        "subunits": unit(batch, NUM_SNIPPETS * NUM_SUBUNIT_PARTS, dim),
        "fragments": unit(batch, num_fragments, dim) * mask[..., None],
    }
    inputs = {name: value.to(device).requires_grad_() for name, value in tensors.items()}
    inputs["mask"] = mask.to(device)
    inputs["labels"] = torch.arange(batch, device=device)
    return inputs


def loss_model(dim: int, chunk_size: int, device: str) -> HALIModel:
    """A HALIModel whose `hali_loss` is measured; its towers are tiny since only the loss runs."""
    config = HALIConfig(
        projection_dim=dim,
        temperature=TAU,
        loss_chunk_size=chunk_size,
        pose_config={
            "part_hidden_size": 8,
            "hidden_size": 16,
            "num_temporal_layers": 1,
            "num_graph_layers": 1,
        },
        text_config={
            "vocab_size": 128,
            "hidden_size": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 32,
        },
    )
    return HALIModel(config).to(device)


def hali_full_loss(model: HALIModel, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    pose = HALIPoseFeatures(
        video_embeds=inputs["video"], snippet_embeds=inputs["snippets"], subunit_embeds=inputs["subunits"]
    )
    text = HALITextFeatures(
        description_embeds=inputs["description"],
        fragment_embeds=inputs["fragments"],
        fragment_mask=inputs["mask"],
    )
    return model.hali_loss(pose, text, inputs["labels"])["loss"]


def hali_global_loss(inputs: dict[str, torch.Tensor], scale: torch.Tensor) -> torch.Tensor:
    logits = scale * inputs["video"] @ inputs["description"].t()
    return info_nce(logits, logits.t())


def hali_fg_subunit_loss(
    inputs: dict[str, torch.Tensor], scale: torch.Tensor, chunk_size: int
) -> torch.Tensor:
    return fine_grained_loss(
        inputs["subunits"], inputs["fragments"], inputs["mask"], scale, chunk_size=chunk_size
    )


def literal_fg_loss(inputs: dict[str, torch.Tensor], scale: torch.Tensor) -> torch.Tensor:
    """L_FG^(u,f) exactly as the equations read: one (T_u x L_j) affinity per pose/description pair."""
    pose, fragments = inputs["subunits"], inputs["fragments"]
    counts = inputs["mask"].sum(-1).tolist()
    batch = pose.shape[0]
    pose_to_text, text_to_pose = [], []
    for i in range(batch):
        row_v2d, row_d2v = [], []
        for j in range(batch):
            affinity = pose[i] @ fragments[j, : counts[j]].t()  # (T_u, L_j) cosine affinities
            row_v2d.append(
                affinity.max(dim=1).values.mean()
            )  # mean over pose tokens of the max over fragments
            row_d2v.append(
                affinity.max(dim=0).values.mean()
            )  # mean over fragments of the max over pose tokens
        pose_to_text.append(torch.stack(row_v2d))
        text_to_pose.append(torch.stack(row_d2v))
    pose_to_text, text_to_pose = torch.stack(pose_to_text), torch.stack(text_to_pose)
    targets = torch.arange(batch, device=pose.device)
    return (
        F.cross_entropy(scale * pose_to_text, targets) + F.cross_entropy(scale * text_to_pose.t(), targets)
    ) / 2


def autograd_token_wise_similarity(
    pose_tokens: torch.Tensor, text_tokens: torch.Tensor, text_mask: torch.Tensor, chunk_size: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """`token_wise_similarity` before its custom backward (lexsign_hf 0.x): autograd through einsum and max."""
    counts = text_mask.sum(-1)
    pose_to_text, text_to_pose = [], []
    for start in range(0, pose_tokens.shape[0], chunk_size):
        affinity = torch.einsum("itd,jfd->ijtf", pose_tokens[start : start + chunk_size], text_tokens)
        best = affinity.masked_fill(~text_mask[None, :, None, :], float("-inf")).max(-1).values
        pose_to_text.append(best.mean(-1))
        text_to_pose.append(affinity.max(-2).values.masked_fill(~text_mask[None], 0.0).sum(-1) / counts[None])
    return torch.cat(pose_to_text), torch.cat(text_to_pose)


def autograd_fg_loss(inputs: dict[str, torch.Tensor], scale: torch.Tensor, chunk_size: int) -> torch.Tensor:
    pose_to_text, text_to_pose = autograd_token_wise_similarity(
        inputs["subunits"], inputs["fragments"], inputs["mask"], chunk_size
    )
    return info_nce(scale * pose_to_text, scale * text_to_pose.t())


class _FragmentTable(nn.Module):
    """x-clip text encoder stand-in: token id k > 0 looks up row k of a table of fragment embeddings."""

    def __init__(self) -> None:
        super().__init__()
        self.table: torch.Tensor | None = None

    def forward(self, token_ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.table[token_ids]


class XClipFineGrained:
    """The token-wise contrastive loss of `x_clip.CLIP(use_all_token_embeds=True)` on given embeddings."""

    def __init__(self, dim: int, device: str):
        import x_clip

        self.text_encoder = _FragmentTable()
        self.clip = x_clip.CLIP(
            image_encoder=nn.Identity(),
            text_encoder=self.text_encoder,
            dim_text=dim,
            dim_image=dim,
            dim_latent=dim,
            use_all_token_embeds=True,
            text_has_cls_token=False,
            visual_has_cls_token=False,
            text_pad_id=0,
        ).to(device)
        with torch.no_grad():
            nn.init.eye_(self.clip.to_text_latent.weight)
            nn.init.eye_(self.clip.to_visual_latent.weight)
            self.clip.temperature.fill_(float(torch.tensor(1 / TAU).log()))
        self.clip.requires_grad_(False)
        self.clip.train()

    def loss(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        fragments, mask = inputs["fragments"], inputs["mask"]
        batch, num_fragments, dim = fragments.shape
        self.text_encoder.table = torch.cat([fragments.new_zeros(1, dim), fragments.reshape(-1, dim)])
        token_ids = torch.arange(1, batch * num_fragments + 1, device=fragments.device).view(
            batch, num_fragments
        )
        return self.clip(token_ids * mask, inputs["subunits"], return_loss=True)


def xclip_reference_value(inputs: dict[str, torch.Tensor], scale: torch.Tensor) -> float:
    """What x-clip's loss must equal given HALI's token-wise similarities: x-clip normalises *both* directions
    over the images (poses) for each text, where HALI's L_FG normalises pose→text over texts."""
    from lexsign_hf.models.hali.losses import token_wise_similarity

    with torch.no_grad():
        pose_to_text, text_to_pose = token_wise_similarity(
            inputs["subunits"], inputs["fragments"], inputs["mask"]
        )
        targets = torch.arange(pose_to_text.shape[0], device=pose_to_text.device)
        text_anchored = F.cross_entropy(scale * text_to_pose.t(), targets)
        text_anchored_v2d = F.cross_entropy(scale * pose_to_text.t(), targets)
    return float((text_anchored + text_anchored_v2d) / 2)


def backward_call(loss_fn, inputs: dict[str, torch.Tensor]):
    leaves = [value for value in inputs.values() if value.requires_grad]

    def call() -> None:
        for leaf in leaves:
            leaf.grad = None
        loss_fn().backward()

    return call


def run_config(
    batch: int,
    dim: int,
    num_fragments: int,
    chunk_size: int,
    settings: dict[str, Any],
    device: str,
    only: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Time and memory of every variant (or of `only` those) on one input size."""
    inputs = make_inputs(batch, dim, num_fragments, device)
    model = loss_model(dim, chunk_size, device)
    scale = model.temperature_scale()
    num_subunits = NUM_SNIPPETS * NUM_SUBUNIT_PARTS
    variants = {
        "hali_full": lambda: hali_full_loss(model, inputs),
        "hali_global": lambda: hali_global_loss(inputs, scale),
        "hali_fg_subunit": lambda: hali_fg_subunit_loss(inputs, scale, chunk_size),
    }
    largest = {
        "hali_full": min(chunk_size, batch) * batch * num_subunits * num_fragments * 4,
        "hali_global": batch * batch * 4,
        "hali_fg_subunit": min(chunk_size, batch) * batch * num_subunits * num_fragments * 4,
    }
    notes = {}
    xclip_bytes = batch * batch * num_subunits * num_fragments * 4
    try:
        xclip = XClipFineGrained(dim, device)
    except ImportError:
        notes["xclip_fg_subunit"] = "x-clip is not installed (pip install x-clip)"
    else:
        if xclip_bytes <= XCLIP_MAX_INTERMEDIATE_BYTES:
            variants["xclip_fg_subunit"] = lambda: xclip.loss(inputs)
            largest["xclip_fg_subunit"] = xclip_bytes
        else:
            notes["xclip_fg_subunit"] = (
                f"skipped: one (B, B, T_u, L_f) tensor would be {xclip_bytes / 2**30:.1f} GiB"
            )
    if batch <= settings["literal_max_batch"]:
        variants["literal_fg_subunit"] = lambda: literal_fg_loss(inputs, scale)
        largest["literal_fg_subunit"] = num_subunits * num_fragments * 4

    if only is not None:
        variants = {name: fn for name, fn in variants.items() if name in only}
    checks = {}
    with torch.no_grad():
        hali_value = float(hali_fg_subunit_loss(inputs, scale, chunk_size))
        if "literal_fg_subunit" in variants:
            checks["literal_minus_hali_fg_subunit"] = float(literal_fg_loss(inputs, scale)) - hali_value
        if "xclip_fg_subunit" in variants:
            checks["xclip_minus_reference"] = float(xclip.loss(inputs)) - xclip_reference_value(inputs, scale)

    repeats = settings["repeats"]
    calls = {name: backward_call(fn, inputs) for name, fn in variants.items()}
    samples = common.time_interleaved(calls, repeats=repeats, warmup=1, device=device)
    rows = {}
    for name, call in calls.items():
        rows[name] = {
            "time": common.summarize(samples[name]),
            "memory": common.measure_peak(call, device),
            "largest_intermediate_bytes": largest[name],
        }
    return {
        "batch": batch,
        "dim": dim,
        "fragments": num_fragments,
        "chunk_size": chunk_size,
        "variants": rows,
        "checks": checks,
        "notes": notes,
    }


def token_wise_comparison(
    batch: int, dim: int, num_fragments: int, chunk_size: int, repeats: int, device: str
) -> dict[str, Any]:
    """L_FG^(u,f) forward + backward with the recomputing backward, the plain-autograd one, and x-clip."""
    inputs = make_inputs(batch, dim, num_fragments, device)
    scale = torch.tensor(1 / TAU, device=device)
    variants = {
        "hali_fg_subunit": lambda: hali_fg_subunit_loss(inputs, scale, chunk_size),
        "autograd_fg_subunit": lambda: autograd_fg_loss(inputs, scale, chunk_size),
    }
    notes = {}
    try:
        xclip = XClipFineGrained(dim, device)
    except ImportError:
        notes["xclip_fg_subunit"] = "x-clip is not installed (pip install x-clip)"
    else:
        variants["xclip_fg_subunit"] = lambda: xclip.loss(inputs)
    leaves = [inputs[name] for name in ("subunits", "fragments")]
    grads = {}
    for name in ("hali_fg_subunit", "autograd_fg_subunit"):
        for leaf in leaves:
            leaf.grad = None
        value = variants[name]()
        value.backward()
        grads[name] = (value.detach(), *(leaf.grad.clone() for leaf in leaves))
    checks = {
        "max_abs_difference_to_autograd": max(
            float((new - old).abs().max())
            for new, old in zip(grads["hali_fg_subunit"], grads["autograd_fg_subunit"], strict=True)
        )
    }
    calls = {name: backward_call(fn, inputs) for name, fn in variants.items()}
    samples = common.time_interleaved(calls, repeats=repeats, warmup=1, device=device)
    rows = {
        name: {
            "time": common.summarize(samples[name]),
            "memory": common.measure_peak(call, device),
            "saved_for_backward_bytes": common.saved_for_backward_bytes(variants[name]),
        }
        for name, call in calls.items()
    }
    per_round = {
        f"hali_vs_{name}": statistics.median(
            a / b for a, b in zip(samples["hali_fg_subunit"], samples[name], strict=True)
        )
        for name in variants
        if name != "hali_fg_subunit"
    }
    peak = {name: row["memory"]["peak_delta_bytes"] for name, row in rows.items()}
    peak_ratios = {
        f"hali_vs_{name}": peak["hali_fg_subunit"] / peak[name]
        for name in variants
        if name != "hali_fg_subunit" and peak["hali_fg_subunit"] is not None and peak[name]
    }
    return {
        "batch": batch, "dim": dim, "fragments": num_fragments, "subunits": NUM_SNIPPETS * NUM_SUBUNIT_PARTS,
        "chunk_size": chunk_size, "variants": rows, "median_per_round_time_ratios": per_round,
        "peak_ratios": peak_ratios, "checks": checks, "notes": notes,
        "targets": {"peak_vs_xclip": 1 / 8, "peak_vs_autograd": 1 / 2, "time_vs_autograd": 1.1},
    }  # fmt: skip


def ratio(rows: dict[str, Any], name: str, reference: str) -> float | None:
    if name not in rows or reference not in rows:
        return None
    return rows[name]["time"]["median_s"] / rows[reference]["time"]["median_s"]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = common.parse_args(
        __doc__.splitlines()[0],
        argv,
        lambda parser: parser.add_argument(
            "--token-wise-only",
            action="store_true",
            help="only the token-wise section (writes loss_token_wise.json)",
        ),
    )
    started = time.perf_counter()
    machine = common.machine_info()
    settings = SETTINGS[args.mode]
    default_chunk = HALIConfig.loss_chunk_size
    torch.manual_seed(0)

    token_wise = token_wise_comparison(
        *TOKEN_WISE[args.mode], default_chunk, settings["repeats"], args.device
    )
    rows = token_wise["variants"]
    common.print_table(
        f"Token-wise L_FG^(u,f), B={token_wise['batch']}, D={token_wise['dim']}, L_f={token_wise['fragments']} "
        f"({args.device})",
        ["variant", "median ms", "peak MiB", "saved for backward MiB"],
        [
            [name, common.fmt_ms(row["time"]["median_s"]), common.fmt_mib(row["memory"]["peak_delta_bytes"]),
             common.fmt_mib(row["saved_for_backward_bytes"])]
            for name, row in rows.items()
        ],
    )  # fmt: skip
    print("time ratios", token_wise["median_per_round_time_ratios"], "peak ratios", token_wise["peak_ratios"])
    if args.token_wise_only:
        settings = {"mode": args.mode, "device": args.device, "temperature": TAU}
        common.write_result(
            args.out, "loss_token_wise", args.mode, settings, {"token_wise": token_wise}, machine, started
        )
        return {"token_wise": token_wise}

    grid = [run_config(b, d, f, default_chunk, settings, args.device) for b, d, f in settings["grid"]]
    sweep = settings["chunk_sweep"]
    chunks = [
        run_config(
            sweep["batch"],
            sweep["dim"],
            sweep["fragments"],
            chunk,
            settings,
            args.device,
            only=("hali_full",),
        )
        for chunk in sweep["chunks"]
    ]

    names = ["hali_full", "hali_global", "hali_fg_subunit", "xclip_fg_subunit", "literal_fg_subunit"]
    table = []
    for entry in grid:
        rows = entry["variants"]
        table.append(
            [entry["batch"], entry["dim"], entry["fragments"]]
            + [common.fmt_ms(rows[n]["time"]["median_s"]) if n in rows else "-" for n in names]
            + [
                common.fmt_mib(rows[n]["memory"]["peak_delta_bytes"]) if n in rows else "-"
                for n in names[:1] + names[3:4]
            ]
            + [
                f"{ratio(rows, 'xclip_fg_subunit', 'hali_fg_subunit'):.2f}"
                if "xclip_fg_subunit" in rows
                else "-"
            ]
            + [
                f"{ratio(rows, 'literal_fg_subunit', 'hali_fg_subunit'):.0f}"
                if "literal_fg_subunit" in rows
                else "-"
            ]
            + [f"{ratio(rows, 'hali_full', 'hali_global'):.1f}"]
        )
    common.print_table(
        f"Loss forward+backward, median ms ({args.device}, chunk {default_chunk}, T_s=6, T_u=18)",
        ["B", "D", "L_f", "HALI full", "global only", "FG (u,f)", "x-clip FG", "literal FG",
         "HALI full peak MiB", "x-clip peak MiB", "x-clip / HALI FG", "literal / HALI FG", "full / global"],
        table,
    )  # fmt: skip
    common.print_table(
        f"Chunk size (B={sweep['batch']}, D={sweep['dim']}, L_f={sweep['fragments']}): HALI full loss",
        ["chunk", "median ms", "peak MiB", "largest intermediate MiB"],
        [
            [
                entry["chunk_size"],
                common.fmt_ms(entry["variants"]["hali_full"]["time"]["median_s"]),
                common.fmt_mib(entry["variants"]["hali_full"]["memory"]["peak_delta_bytes"]),
                common.fmt_mib(entry["variants"]["hali_full"]["largest_intermediate_bytes"]),
            ]
            for entry in chunks
        ],
    )
    results = {"grid": grid, "chunk_sweep": chunks, "token_wise": token_wise}
    common.write_result(
        args.out,
        "loss",
        args.mode,
        {
            **settings,
            "device": args.device,
            "default_chunk_size": default_chunk,
            "num_snippets": NUM_SNIPPETS,
            "num_subunits": NUM_SNIPPETS * NUM_SUBUNIT_PARTS,
            "temperature": TAU,
            "xclip_max_intermediate_bytes": XCLIP_MAX_INTERMEDIATE_BYTES,
        },
        results,
        machine,
        started,
    )
    return results


if __name__ == "__main__":
    main()

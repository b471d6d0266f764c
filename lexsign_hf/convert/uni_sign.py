"""Convert a Uni-Sign checkpoint (github.com/ZechengLi19/Uni-Sign, weights at huggingface.co/ZechengLi19/Uni-Sign)
into a HALI model whose `architecture="cosign"` skeleton tower carries Uni-Sign's pretrained pose encoder.

Uni-Sign's pose branch names its parameters `proj_linear.<part>.*` (Linear 3 -> 64), `gcn_modules.<part>.layer<i>_0.*`
(the spatial chain), `fusion_gcn_modules.<part>.layer0_<j>.*` (the temporal chain) and `part_para`, for the parts
`body`, `left`, `right` and `face_all`; the two hands are one shared module saved under both names. Inside a block:
`gcn.conv` / `gcn.A` / `gcn.bn` (graph convolution, adjacency, BatchNorm), `tcn.0` / `tcn.1` (temporal convolution
and its BatchNorm) and `residual.0` / `residual.1`. Its translation model (`mt5_model.*`, `pose_proj`) and any RGB
branch are not part of the pose encoder and are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..models.hali import HALIConfig, HALIModel, HALIProcessor
from ..models.hali.modeling_cosign import CoSignSkeletonEncoder

UNI_SIGN_PARTS = {"body": ("body",), "hand": ("right", "left"), "face_all": ("face_all",)}
BLOCK_MODULES = {
    "graph_conv": "gcn.conv",
    "adjacency": "gcn.A",
    "graph_norm": "gcn.bn",
    "temporal_conv": "tcn.0",
    "temporal_norm": "tcn.1",
    "residual_conv": "residual.0",
    "residual_norm": "residual.1",
}
DROPPED_PREFIXES = ("mt5_model.", "pose_proj.")
UNI_SIGN_REPO = "https://github.com/ZechengLi19/Uni-Sign"
UNI_SIGN_WEIGHTS = "https://huggingface.co/ZechengLi19/Uni-Sign"


def uni_sign_names(tower_key: str) -> tuple[str, ...]:
    """The Uni-Sign checkpoint name(s) of one `CoSignSkeletonEncoder` state-dict key (two for the shared hands)."""
    if tower_key == "part_para":
        return ("part_para",)
    group, stream, *rest = tower_key.split(".")
    parts = UNI_SIGN_PARTS[stream]
    if group == "part_embeddings":
        return tuple(f"proj_linear.{part}.{rest[0]}" for part in parts)
    _, index, module, *tail = rest  # layers.<n>.<module>[.<parameter>]
    block = f"layer{index}_0" if group == "spatial_chains" else f"layer0_{index}"
    chain = "gcn_modules" if group == "spatial_chains" else "fusion_gcn_modules"
    suffix = ".".join([BLOCK_MODULES[module], *tail])
    return tuple(f"{chain}.{part}.{block}.{suffix}" for part in parts)


@dataclass
class ConversionReport:
    """Which checkpoint keys went where: `mapped` (Uni-Sign name -> HALI name), `dropped` (translation model),
    `ignored` (anything else, e.g. an RGB branch)."""

    mapped: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"mapped {len(self.mapped)} Uni-Sign pose-encoder tensors into pose_model.*"]
        if self.dropped:
            groups = sorted({key.split(".")[0] for key in self.dropped})
            lines.append(f"dropped {len(self.dropped)} translation-model tensors ({', '.join(groups)})")
        if self.ignored:
            shown = ", ".join(self.ignored[:8]) + (" ..." if len(self.ignored) > 8 else "")
            lines.append(f"ignored {len(self.ignored)} other tensors: {shown}")
        return "\n".join(lines)


def convert_uni_sign_state_dict(
    state_dict: Mapping[str, torch.Tensor], tower: CoSignSkeletonEncoder, source: str = "checkpoint"
) -> tuple[dict[str, torch.Tensor], ConversionReport]:
    """The `tower` state dict filled from a Uni-Sign `state_dict`; raises `ValueError` naming `source` if a pose
    key is missing, has the wrong shape, or the two hands' copies differ."""
    state_dict = {key.removeprefix("module."): value for key, value in state_dict.items()}
    report, converted, missing = ConversionReport(), {}, []
    for tower_key, target in tower.state_dict().items():
        names = [name for name in uni_sign_names(tower_key) if name in state_dict]
        if not names:
            missing.append(uni_sign_names(tower_key)[0])
            continue
        value = state_dict[names[0]]
        if tuple(value.shape) != tuple(target.shape):
            raise ValueError(
                f"{source}: {names[0]} has shape {tuple(value.shape)}, expected {tuple(target.shape)} for {tower_key}"
            )
        for other in names[1:]:
            if not torch.equal(state_dict[other], value):
                raise ValueError(
                    f"{source}: {other} differs from {names[0]} (Uni-Sign shares the hands' weights)"
                )
        converted[tower_key] = value.to(target.dtype)
        report.mapped.update({name: f"pose_model.{tower_key}" for name in names})
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise ValueError(
            f"{source}: incomplete Uni-Sign pose encoder, {len(missing)} tensors missing ({shown}); expected a "
            f"checkpoint of {UNI_SIGN_REPO} with proj_linear.*, gcn_modules.*, fusion_gcn_modules.* and part_para"
        )
    for key in state_dict:
        if key not in report.mapped:
            (report.dropped if key.startswith(DROPPED_PREFIXES) else report.ignored).append(key)
    return converted, report


def load_uni_sign_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    """`torch.load(path, weights_only=True)["model"]` (the layout Uni-Sign saves), or a bare state dict."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Uni-Sign checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # unpickling errors come in many types; the message says what was wrong
        raise ValueError(
            f"{path}: not a loadable torch checkpoint ({type(error).__name__}: {error})"
        ) from error
    state_dict = checkpoint.get("model", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise ValueError(
            f"{path}: expected a dict with a 'model' state dict of tensors (Uni-Sign's checkpoint)"
        )
    return state_dict


def uni_sign_to_hali(
    state_dict: Mapping[str, torch.Tensor],
    text_model: str,
    source: str = "checkpoint",
    **config_kwargs,
) -> tuple[HALIModel, HALIProcessor, ConversionReport]:
    """A HALI model (cosign tower from `state_dict`, BERT text tower from `text_model`) and its Uni-Sign processor.
    Keyword arguments go to `HALIConfig`."""
    config = HALIConfig(pose_config={"architecture": "cosign"}, **config_kwargs)
    model = HALIModel.from_text_pretrained(text_model, config=config)
    converted, report = convert_uni_sign_state_dict(state_dict, model.pose_model, source)
    model.pose_model.load_state_dict(converted, strict=True)
    processor = HALIProcessor.from_text_pretrained(
        text_model, max_frames=256, max_fragments=config.max_fragments, pose_normalization="uni_sign"
    )
    return model, processor, report


CARD = """---
library_name: transformers
tags:
- sign-language
- skeleton
- hali
- uni-sign
---

# HALI with Uni-Sign's pretrained pose encoder

Converted with `lexsign convert uni-sign` from the Uni-Sign checkpoint `{checkpoint}`.

- **Skeleton tower**: `architecture="cosign"`, the CoSign-1s pose encoder as published in Uni-Sign's pose branch
  (per-part ST-GCN over COCO-WholeBody body, hands and face, BatchNorm, learnable adjacency; {pose_params:,}
  parameters), weights from Uni-Sign ({mapped} tensors mapped; the mT5 translation model and `pose_proj` dropped).
- **Text tower**: `{text_model}` (BERT). **Projections**: freshly initialised; fine-tune before use
  (`examples/reproduce_asl1000.md`).
- **Processor**: `pose_normalization="uni_sign"` (Uni-Sign's crop-scale normalisation; COCO-WholeBody 133 keypoints,
  or the canonical 77-point skeleton without the inner lips).

## Credit

The pose encoder and its weights are Uni-Sign's: Zecheng Li, Wengang Zhou, Weichao Zhao, Kepeng Wu, Hezhen Hu,
Houqiang Li, *Uni-Sign: Toward Unified Sign Language Understanding at Scale*, ICLR 2025 ({repo}, weights at
{weights}); its pose encoder follows CoSign (Jiao et al., ICCV 2023). Use of the weights follows their terms.
"""


def write_converted(
    model: HALIModel, processor: HALIProcessor, report: ConversionReport, out: str | Path, checkpoint: str
) -> Path:
    """Save model, processor and a card crediting Uni-Sign into `out`."""
    out = Path(out)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    card = CARD.format(
        checkpoint=Path(checkpoint).name,
        pose_params=sum(parameter.numel() for parameter in model.pose_model.parameters()),
        mapped=len(report.mapped),
        text_model=model.config.text_config._name_or_path or "BERT",
        repo=UNI_SIGN_REPO,
        weights=UNI_SIGN_WEIGHTS,
    )
    (out / "README.md").write_text(card, encoding="utf-8")
    return out


__all__ = [
    "ConversionReport",
    "convert_uni_sign_state_dict",
    "load_uni_sign_checkpoint",
    "uni_sign_names",
    "uni_sign_to_hali",
    "write_converted",
]

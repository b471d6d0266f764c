"""The `architecture="light"` skeleton tower: per-part graph layers over the canonical skeleton, a fused video
stream and per-part subunit streams over time (LayerNorm, GELU; 1.7M parameters)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import initialization as init
from transformers.modeling_layers import GradientCheckpointingLayer

from .configuration_hali import SkeletonEncoderConfig
from .modeling_skeleton_utils import SkeletonEncoderOutput, masked_mean, pyramid_pool

# Skeleton graphs of the canonical parts (edges between joint indices of the part).
_HAND_EDGES = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
               (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20)]  # fmt: skip
PART_GRAPHS: dict[str, tuple[int, list[tuple[int, int]]]] = {
    "body": (9, [(0, 1), (0, 2), (0, 3), (0, 4), (3, 4), (3, 5), (4, 6), (5, 7), (6, 8)]),
    "left_hand": (21, _HAND_EDGES),
    "right_hand": (21, _HAND_EDGES),
    "mouth": (8, [(i, (i + 1) % 8) for i in range(8)]),
    "face": (
        18,
        [(i, i + 1) for i in range(8)] + [(9, 10), (10, 11), (12, 13), (13, 14), (15, 16), (16, 17)],
    ),
}


def normalized_adjacency(num_joints: int, edges: list[tuple[int, int]]) -> torch.Tensor:
    """Symmetrically normalised adjacency with self loops, D^-1/2 (A + I) D^-1/2."""
    adjacency = torch.eye(num_joints)
    for a, b in edges:
        adjacency[a, b] = adjacency[b, a] = 1.0
    degree = adjacency.sum(-1).rsqrt()
    return degree[:, None] * adjacency * degree[None, :]


class GraphConvLayer(nn.Module):
    """Spatial graph convolution over the joints of one part with a learnable edge importance."""

    def __init__(self, num_joints: int, hidden_size: int):
        super().__init__()
        self.edge_importance = nn.Parameter(torch.ones(num_joints, num_joints))
        self.linear = nn.Linear(hidden_size, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size)

    def forward(self, hidden_states: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:  # (..., J, H)
        mixed = torch.matmul(adjacency * self.edge_importance, self.linear(hidden_states))
        return hidden_states + F.gelu(self.layer_norm(mixed))


class PartEncoder(GradientCheckpointingLayer):
    """Per-frame encoder of one part: joint embedding of (x, y, confidence), graph convolutions, joint readout."""

    def __init__(self, config: SkeletonEncoderConfig, num_joints: int, edges: list[tuple[int, int]]):
        super().__init__()
        self.joint_embedding = nn.Linear(config.input_channels, config.part_hidden_size)
        self.position_embedding = nn.Parameter(torch.zeros(num_joints, config.part_hidden_size))
        self.graph = (num_joints, edges)
        self.register_buffer("adjacency", normalized_adjacency(num_joints, edges))
        self.layers = nn.ModuleList(
            GraphConvLayer(num_joints, config.part_hidden_size) for _ in range(config.num_graph_layers)
        )
        self.readout = nn.Linear(num_joints * config.part_hidden_size, config.part_hidden_size)

    def forward(self, joints: torch.Tensor) -> torch.Tensor:  # (B, T, J, C) -> (B, T, H_part)
        hidden_states = self.joint_embedding(joints) + self.position_embedding
        for layer in self.layers:
            hidden_states = layer(hidden_states, self.adjacency)
        return F.gelu(self.readout(hidden_states.flatten(-2)))


class TemporalBlock(nn.Module):
    """Residual 1-D convolution over time, padding frames zeroed before mixing."""

    def __init__(self, config: SkeletonEncoderConfig, stride: int = 1):
        super().__init__()
        size, kernel = config.hidden_size, config.temporal_kernel_size
        self.conv = nn.Conv1d(size, size, kernel, stride=stride, padding=kernel // 2)
        self.layer_norm = nn.LayerNorm(size)
        self.dropout = nn.Dropout(config.dropout)
        self.stride = stride

    def forward(self, hidden_states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden_states = hidden_states * mask[..., None]
        mixed = self.conv(hidden_states.transpose(1, 2)).transpose(1, 2)
        if self.stride > 1:
            hidden_states, mask = hidden_states[:, :: self.stride], mask[:, :: self.stride]
        hidden_states = hidden_states + self.dropout(F.gelu(self.layer_norm(mixed)))
        return hidden_states * mask[..., None], mask


class TemporalStage(GradientCheckpointingLayer):
    """A stride-2 block followed by residual blocks: halves the frame rate."""

    def __init__(self, config: SkeletonEncoderConfig):
        super().__init__()
        self.blocks = nn.ModuleList(
            TemporalBlock(config, stride=2 if index == 0 else 1)
            for index in range(config.num_temporal_layers)
        )

    def forward(self, hidden_states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for block in self.blocks:
            hidden_states, mask = block(hidden_states, mask)
        return hidden_states, mask


class SkeletonEncoder(nn.Module):
    """The `"light"` skeleton tower: per-part graph layers, a fused video stream and per-part subunit streams over
    time (LayerNorm, GELU; 1.7M parameters). `architecture="cosign"` selects `modeling_cosign.CoSignSkeletonEncoder`."""

    def __init__(self, config: SkeletonEncoderConfig):
        super().__init__()
        self.config = config
        self.part_names = list(config.part_names)
        self.part_encoders = nn.ModuleDict()
        for part, size in config.parts.items():
            key = "hand" if part in ("left_hand", "right_hand") else part  # both hands share one encoder
            if key in self.part_encoders:
                continue
            graph_size, edges = PART_GRAPHS.get(part, (size, []))
            if graph_size != size:
                raise ValueError(
                    f"pose_config part {part!r} has {size} keypoints but its skeleton graph has {graph_size}; "
                    f"use {graph_size} or a part name without a built-in graph ({sorted(PART_GRAPHS)} have one)"
                )
            self.part_encoders[key] = PartEncoder(config, size, edges)
        fused_size = config.part_hidden_size * len(self.part_names)
        self.video_input = nn.Linear(fused_size, config.hidden_size)
        self.subunit_inputs = nn.ModuleDict(
            {part: nn.Linear(config.part_hidden_size, config.hidden_size) for part in config.subunit_parts}
        )
        self.half_stage = TemporalStage(config)
        self.quarter_stage = TemporalStage(config)

    def _part_inputs(self, pose_values: torch.Tensor) -> dict[str, torch.Tensor]:
        """Split canonical keypoints into parts; anchor hands/face streams on their body joint; mirror the left hand."""
        offsets, parts = 0, {}
        for part, size in self.config.parts.items():
            parts[part] = pose_values[:, :, offsets : offsets + size]
            offsets += size
        anchored = {}
        for part, joints in parts.items():
            xy, confidence = joints[..., :2], joints[..., 2:]
            present = (confidence > 0).to(xy.dtype)
            if part in self.config.part_anchors:
                anchor_part, anchor_joint = self.config.part_anchors[part]
                anchor = parts[anchor_part][:, :, anchor_joint : anchor_joint + 1]
                own_root = joints[:, :, :1]
                use_body = (anchor[..., 2:] > 0).to(xy.dtype)
                origin = use_body * anchor[..., :2] + (1 - use_body) * own_root[..., :2]
                xy = xy - origin
            if part == "left_hand":
                xy = xy * xy.new_tensor([-1.0, 1.0])
            anchored[part] = torch.cat([xy * present, confidence], dim=-1)
        return anchored

    def forward(
        self, pose_values: torch.Tensor, pose_mask: torch.Tensor, include_subunits: bool = True
    ) -> SkeletonEncoderOutput:
        """`include_subunits=False` skips the M per-part streams' temporal stages; the video outputs do not change,
        as every stream goes through the stages on its own."""
        batch = pose_values.shape[0]
        mask = pose_mask.bool()
        parts = self._part_inputs(pose_values)
        part_features = {
            part: self.part_encoders["hand" if part in ("left_hand", "right_hand") else part](joints)
            for part, joints in parts.items()
        }
        frame_features = torch.cat([part_features[part] for part in self.part_names], dim=-1)
        video_stream = self.video_input(frame_features)
        subunit_streams = (
            [self.subunit_inputs[part](part_features[part]) for part in self.config.subunit_parts]
            if include_subunits
            else []
        )
        streams = torch.cat([video_stream, *subunit_streams], dim=0)  # ((1 + M) B, T, H)
        stream_mask = mask.repeat(1 + len(subunit_streams), 1)
        half, half_mask = self.half_stage(streams, stream_mask)
        quarter, quarter_mask = self.quarter_stage(half, half_mask)
        half_bins, quarter_bins = self.config.pyramid_bins
        snippets = torch.cat(
            [pyramid_pool(half, half_mask, half_bins), pyramid_pool(quarter, quarter_mask, quarter_bins)],
            dim=1,
        )  # ((1 + M) B, T_s, H)
        subunits = None
        if subunit_streams:
            num_parts = len(subunit_streams)
            subunits = snippets[batch:].view(num_parts, batch, -1, snippets.shape[-1]).permute(1, 2, 0, 3)
            subunits = subunits.reshape(batch, -1, snippets.shape[-1])
        pooled = masked_mean(quarter[:batch], quarter_mask[:batch])
        return SkeletonEncoderOutput(
            pooled_output=pooled,
            snippets=snippets[:batch],
            subunits=subunits,
            half_scale=half[:batch],
            quarter_scale=quarter[:batch],
            half_mask=half_mask[:batch],
            quarter_mask=quarter_mask[:batch],
            frame_features=frame_features,
        )


def init_light_tower(tower: SkeletonEncoder) -> None:
    """LeCun-normal weights for the tower's small fan-in layers (0.02 would start it nearly constant), zero biases,
    unit edge importances, zero joint positions, the parts' normalised adjacency. Loaded tensors are left alone."""
    for layer in tower.modules():
        if isinstance(layer, (nn.Linear, nn.Conv1d)):
            init.normal_(layer.weight, std=layer.weight[0].numel() ** -0.5)
            if layer.bias is not None:
                init.zeros_(layer.bias)
        elif isinstance(layer, nn.LayerNorm):
            init.ones_(layer.weight)
            init.zeros_(layer.bias)
        elif isinstance(layer, GraphConvLayer):
            init.ones_(layer.edge_importance)
        elif isinstance(layer, PartEncoder):
            init.zeros_(layer.position_embedding)
            init.copy_(layer.adjacency, normalized_adjacency(*layer.graph))


__all__ = ["PART_GRAPHS", "SkeletonEncoder", "init_light_tower", "normalized_adjacency"]

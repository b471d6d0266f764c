"""The `architecture="cosign"` skeleton tower: CoSign-1s as published in Uni-Sign's pose branch.

Four part streams over COCO-WholeBody keypoints (body 0, 3-10; left hand 91-111; right hand 112-132; "face_all" =
jaw 23-39 every other point, inner lips 83-90, nose tip 53), each: Linear(3 -> 64), a spatial chain of three ST-GCN
blocks (64 -> 64 -> 128 -> 256, temporal kernel 1), then a temporal chain of three blocks at 256 (temporal kernel 5).
A block is a graph convolution over the "distance" partition of the part's skeleton (max hop 1, so K = 2 adjacency
matrices: self and neighbours, column-normalised), learnable per block, with BatchNorm and ReLU, a temporal
convolution with BatchNorm, and a residual (1x1 convolution + BatchNorm when the width changes). Both hands share one
stream's weights. Between the chains each hand adds the detached body feature of its wrist joint, face_all that of
the nose. A part's frame feature is the mean over its joints; the frame feature is the concatenation of the four
(4 x 256 = 1024), plus a learned `part_para` vector.

HALI's features on top are parameter-free, so the tower has exactly the parameters of Uni-Sign's pose encoder
(4,558,888; Uni-Sign's 1024 -> 768 `pose_proj` is replaced by HALI's `pose_projection`):

- video: the mean over valid frames of the frame features;
- snippets: the frame features averaged over pairs of frames (½ scale) and again (¼ scale), each pooled into
  `pyramid_bins` consecutive bins (2 + 4 = 6 snippets by default);
- subunits: the same pyramid per subunit part, on that part's 256 channels (the others zero), so the shared
  projection sees each part through its own block. Subunit parts: body, left_hand, right_hand, face_all, and two
  groups of face_all joints, mouth (the 8 inner-lip points) and face (jaw and nose tip). HALI's M = 2 is the hands,
  M = 3 body + hands (the paper's best), M = 5 body + hands + mouth + face (`SUBUNIT_PARTS_BY_M`).

Frames outside `pose_mask` are zeroed before every temporal convolution, so a padded sequence gets the features it
would get alone (in eval mode; BatchNorm's training statistics include padded frames).
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn
from transformers import initialization as init

from .configuration_hali import SkeletonEncoderConfig
from .modeling_skeleton_utils import SkeletonEncoderOutput, halve_frames, masked_mean, pyramid_pool

# Skeleton graphs of the streams: (number of joints, undirected edges), joints in the order of the input part.
_JAW = [(i, i + 1) for i in range(8)]  # 9 jaw points, every other one of COCO-WholeBody 23-39
_INNER_LIPS = [(9 + i, 9 + (i + 1) % 8) for i in range(8)]  # ring of the 8 inner-lip points
COSIGN_GRAPHS: dict[str, tuple[int, list[tuple[int, int]]]] = {
    # nose, ears (3, 4), shoulders (5, 6), elbows (7, 8), wrists (9, 10) of COCO-WholeBody
    "body": (9, [(0, 1), (0, 2), (0, 3), (0, 4), (3, 5), (5, 7), (4, 6), (6, 8)]),
    # wrist to the base of each finger, then along the finger
    "hand": (21, [(0 if j == 0 else f + j - 1, f + j) for f in (1, 5, 9, 13, 17) for j in range(4)]),
    # jaw chain, inner-lip ring, and the nose tip (joint 17) linked to every other point
    "face_all": (18, _JAW + _INNER_LIPS + [(17, i) for i in range(17)]),
}
STREAM_OF_PART = {"body": "body", "left_hand": "hand", "right_hand": "hand", "face_all": "face_all"}
SPATIAL_WIDTHS = (64, 128, 256)
TEMPORAL_WIDTHS = (256, 256, 256)
PART_WIDTH = SPATIAL_WIDTHS[-1]
# Subunit parts made of a subset of face_all's joints.
FACE_GROUPS: dict[str, list[int]] = {"mouth": list(range(9, 17)), "face": [*range(9), 17]}


def distance_partitions(num_joints: int, edges: list[tuple[int, int]]) -> torch.Tensor:
    """ST-GCN "distance" partitions with max hop 1: (2, V, V) = the self links and the neighbour links of the
    adjacency with self loops, each column divided by that joint's degree (self included)."""
    adjacency = torch.eye(num_joints)
    for a, b in edges:
        adjacency[a, b] = adjacency[b, a] = 1.0
    normalised = adjacency / adjacency.sum(0, keepdim=True)
    identity = torch.eye(num_joints)
    return torch.stack([normalised * identity, normalised * (1 - identity)])


class CoSignBlock(nn.Module):
    """ST-GCN block on (N, C, T, V): graph convolution (1x1 convolution to K x C_out, then each partition's learnable
    adjacency mixes the joints) -> BatchNorm -> ReLU -> [temporal convolution -> BatchNorm] -> + residual -> ReLU."""

    def __init__(
        self, in_size: int, out_size: int, graph: tuple[int, list[tuple[int, int]]], temporal_kernel: int
    ):
        super().__init__()
        self.graph = graph
        partitions = distance_partitions(*graph)
        self.num_partitions = partitions.shape[0]
        self.graph_conv = nn.Conv2d(in_size, out_size * self.num_partitions, kernel_size=1)
        self.adjacency = nn.Parameter(partitions)
        self.graph_norm = nn.BatchNorm2d(out_size)
        self.temporal_conv = self.temporal_norm = None
        if temporal_kernel > 1:
            self.temporal_conv = nn.Conv2d(
                out_size, out_size, (temporal_kernel, 1), padding=(temporal_kernel // 2, 0)
            )
            self.temporal_norm = nn.BatchNorm2d(out_size)
        self.residual_conv = self.residual_norm = None
        if in_size != out_size:
            self.residual_conv = nn.Conv2d(in_size, out_size, kernel_size=1)
            self.residual_norm = nn.BatchNorm2d(out_size)

    def _init_cosign_weights(self) -> None:
        init.copy_(self.adjacency, distance_partitions(*self.graph))

    def forward(self, hidden_states: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        residual = hidden_states
        if self.residual_conv is not None:
            residual = self.residual_norm(self.residual_conv(hidden_states))
        batch, _, frames, joints = hidden_states.shape
        # each partition's (N, C x T, V) block of the 1x1 convolution's output times its (V, V) adjacency, summed:
        # batched matmuls on strided views, so the K x C channels are never permuted into a copy
        partitions = self.graph_conv(hidden_states).view(batch, self.num_partitions, -1, joints).unbind(1)
        adjacency = self.adjacency.unsqueeze(1).expand(-1, batch, -1, -1)  # (K, N, V, V), a view
        mixed = torch.bmm(partitions[0], adjacency[0])
        for partition, matrix in zip(partitions[1:], adjacency[1:], strict=True):
            mixed = torch.baddbmm(mixed, partition, matrix)
        mixed = self.graph_norm(mixed.view(batch, -1, frames, joints))
        if self.temporal_conv is None:
            return F.relu(F.relu(mixed, inplace=True) + residual, inplace=True)
        # relu(x * mask) = relu(x) * mask for a 0/1 mask: the ReLU's output is the convolution's input, so autograd
        # keeps one tensor for both (as Uni-Sign's code, which has no mask)
        mixed = self.temporal_norm(self.temporal_conv(F.relu(mixed * frame_mask, inplace=True)))
        return F.relu(mixed + residual, inplace=True)


@contextlib.contextmanager
def _batch_norm_statistics_frozen(module: nn.Module, frozen: bool):
    """BatchNorm layers of `module` normalise with batch statistics but leave their running statistics as they
    are (momentum 0, the batch counter restored): the recomputation of a checkpointed chain in the backward must not
    update them a second time, and must save the tensors the first pass saved."""
    layers = [layer for layer in module.modules() if isinstance(layer, nn.BatchNorm2d)] if frozen else []
    states = [(layer.momentum, layer.num_batches_tracked.clone()) for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    try:
        yield
    finally:
        for layer, (momentum, count) in zip(layers, states, strict=True):
            layer.momentum = momentum
            layer.num_batches_tracked.copy_(count)


class CoSignChain(nn.Module):
    """ST-GCN blocks in sequence; with activation checkpointing (`HALIModel.activation_checkpointing_enable`) only
    the chain's input is kept for the backward, which recomputes the chain once, BatchNorm statistics untouched."""

    gradient_checkpointing = False

    def __init__(
        self,
        in_size: int,
        widths: tuple[int, ...],
        graph: tuple[int, list[tuple[int, int]]],
        temporal_kernel: int,
    ):
        super().__init__()
        sizes = (in_size, *widths)
        self.layers = nn.ModuleList(
            CoSignBlock(sizes[i], sizes[i + 1], graph, temporal_kernel) for i in range(len(widths))
        )

    def _run_layers(self, hidden_states: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            hidden_states = layer(hidden_states, frame_mask)
        return hidden_states

    def forward(self, hidden_states: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        if not (self.gradient_checkpointing and self.training):
            return self._run_layers(hidden_states, frame_mask)
        calls = []

        def run(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            calls.append(None)
            with _batch_norm_statistics_frozen(self, frozen=len(calls) > 1):
                return self._run_layers(hidden, mask)

        return self._gradient_checkpointing_func(run, hidden_states, frame_mask)


class CoSignSkeletonEncoder(nn.Module):
    """CoSign-1s / Uni-Sign pose encoder with parameter-free HALI video, snippet and subunit features.

    Input: `(batch, frames, 69, 3)` Uni-Sign-normalised keypoints (body 9, left hand 21, right hand 21, face_all 18;
    `HALIProcessor(pose_normalization="uni_sign")`).
    """

    def __init__(self, config: SkeletonEncoderConfig):
        super().__init__()
        self.config = config
        self.part_embeddings = nn.ModuleDict()
        self.spatial_chains = nn.ModuleDict()
        self.temporal_chains = nn.ModuleDict()
        for stream, graph in COSIGN_GRAPHS.items():
            self.part_embeddings[stream] = nn.Linear(config.input_channels, config.part_hidden_size)
            self.spatial_chains[stream] = CoSignChain(config.part_hidden_size, SPATIAL_WIDTHS, graph, 1)
            self.temporal_chains[stream] = CoSignChain(
                PART_WIDTH, TEMPORAL_WIDTHS, graph, config.temporal_kernel_size
            )
        self.part_para = nn.Parameter(torch.zeros(PART_WIDTH * len(config.part_names)))

    def _init_cosign_weights(self) -> None:
        init.zeros_(self.part_para)

    def joint_features(self, pose_values: torch.Tensor, pose_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per part, the temporal chain's output `(batch, 256, frames, joints)`."""
        frame_mask = pose_mask.to(pose_values.dtype)[:, None, :, None]  # always applied: no host sync
        parts = dict(
            zip(self.config.part_names, pose_values.split(self.config.part_sizes, dim=2), strict=True)
        )
        spatial = {}
        for part, joints in parts.items():
            stream = STREAM_OF_PART[part]
            embedded = self.part_embeddings[stream](joints).permute(0, 3, 1, 2).contiguous()  # (B, 64, T, V)
            spatial[part] = self.spatial_chains[stream](embedded, frame_mask)
        for part, (anchor_part, anchor_joint) in self.config.part_anchors.items():
            anchor = spatial[anchor_part][..., anchor_joint : anchor_joint + 1]
            spatial[part] = spatial[part] + anchor.detach()
        return {
            part: self.temporal_chains[STREAM_OF_PART[part]](hidden, frame_mask)
            for part, hidden in spatial.items()
        }

    def _pyramid(self, frames: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        half, half_mask = halve_frames(frames, mask)
        quarter, quarter_mask = halve_frames(half, half_mask)
        half_bins, quarter_bins = self.config.pyramid_bins
        snippets = torch.cat(
            [pyramid_pool(half, half_mask, half_bins), pyramid_pool(quarter, quarter_mask, quarter_bins)],
            dim=1,
        )
        return snippets, half, quarter, half_mask, quarter_mask

    def forward(
        self, pose_values: torch.Tensor, pose_mask: torch.Tensor, include_subunits: bool = True
    ) -> SkeletonEncoderOutput:
        mask = pose_mask.bool()
        joints = self.joint_features(pose_values, mask)
        part_features = {
            part: hidden.mean(-1).transpose(1, 2) for part, hidden in joints.items()
        }  # (B, T, 256)
        frame_features = torch.cat([part_features[part] for part in self.config.part_names], dim=-1)
        frame_embeds = frame_features + self.part_para
        snippets, half, quarter, half_mask, quarter_mask = self._pyramid(frame_embeds, mask)
        pooled = masked_mean(frame_embeds, mask)
        subunits = None
        if include_subunits:
            blocks = {part: index for index, part in enumerate(self.config.part_names)}
            for group, group_joints in FACE_GROUPS.items():
                part_features[group] = joints["face_all"][..., group_joints].mean(-1).transpose(1, 2)
                blocks[group] = blocks["face_all"]
            rows = []
            for part in self.config.subunit_parts:
                block = slice(blocks[part] * PART_WIDTH, (blocks[part] + 1) * PART_WIDTH)
                part_snippets = self._pyramid(part_features[part] + self.part_para[block], mask)[0]
                rows.append(F.pad(part_snippets, (block.start, frame_embeds.shape[-1] - block.stop)))
            subunits = torch.stack(rows, dim=2).flatten(1, 2)  # (B, T_s * M, 1024), snippet-major
        return SkeletonEncoderOutput(
            pooled_output=pooled,
            snippets=snippets,
            subunits=subunits,
            half_scale=half,
            quarter_scale=quarter,
            half_mask=half_mask,
            quarter_mask=quarter_mask,
            frame_features=frame_features,
        )


__all__ = ["CoSignBlock", "CoSignChain", "CoSignSkeletonEncoder", "distance_partitions"]

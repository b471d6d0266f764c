"""HALI model configuration."""

from __future__ import annotations

from transformers import BertConfig, PreTrainedConfig

# Canonical skeleton parts in input order and their keypoint counts. Mirrors `lexsign_hf.pose.CANONICAL_PARTS`
# (kept here so a saved model's code runs without the rest of the package). Lists, not a dict: JSON sorts keys.
DEFAULT_PART_NAMES: list[str] = ["body", "left_hand", "right_hand", "mouth", "face"]
DEFAULT_PART_SIZES: list[int] = [9, 21, 21, 8, 18]

# Anchor joint of each part stream, as (part, joint index): hands on the wrists, mouth and face on the nose.
DEFAULT_PART_ANCHORS: dict[str, list] = {
    "left_hand": ["body", 7],
    "right_hand": ["body", 8],
    "mouth": ["body", 0],
    "face": ["body", 0],
}

# Parts whose features form the subunits, by number of subunit parts M (paper: M = 3 is best).
SUBUNIT_PARTS_BY_M: dict[int, list[str]] = {
    2: ["left_hand", "right_hand"],
    3: ["body", "left_hand", "right_hand"],
    5: ["body", "left_hand", "right_hand", "mouth", "face"],
}

ARCHITECTURES = ("light", "cosign")
MIN_TEMPERATURE = 0.01  # the model clamps the logit scale 1/τ at 1 / MIN_TEMPERATURE = 100 (as CLIP)
DUPLICATE_NEGATIVES = ("exclude", "keep")
GLOBAL_LOSSES = ("infonce", "lle", "dvta", "pgfa")
# The `"cosign"` tower's input: Uni-Sign's four parts (body, both hands, "face_all" = jaw + inner lips + nose tip).
COSIGN_PART_NAMES: list[str] = ["body", "left_hand", "right_hand", "face_all"]
COSIGN_PART_SIZES: list[int] = [9, 21, 21, 18]
COSIGN_PART_ANCHORS: dict[str, list] = {
    "left_hand": ["body", 7],
    "right_hand": ["body", 8],
    "face_all": ["body", 0],
}
# Subunit parts of the cosign tower: the four parts, plus "mouth" (inner lips) and "face" (jaw, nose) of face_all.
COSIGN_SUBUNIT_PARTS = ("body", "left_hand", "right_hand", "face_all", "mouth", "face")


class SkeletonEncoderConfig(PreTrainedConfig):
    r"""
    Configuration of the skeleton tower of HALI.

    Args:
        architecture (`str`):
            `"light"`: a small per-part graph + temporal-convolution tower (LayerNorm, GELU) that trains on a CPU; the
            embedded demo uses it. `"cosign"`: the CoSign-1s pose encoder as published in Uni-Sign's pose branch
            (per-part ST-GCN with BatchNorm and learnable adjacency, 4.56M parameters; `modeling_cosign.py`), which
            loads Uni-Sign's pretrained checkpoints (`lexsign convert uni-sign`). For `"cosign"` the parts are fixed
            to Uni-Sign's (body 9, hands 21 + 21, face_all 18, fed by `HALIProcessor(pose_normalization="uni_sign")`),
            `hidden_size` is 1024 (4 parts x 256), `part_anchors` name what the processor subtracts, and
            `num_graph_layers`, `num_temporal_layers` and `dropout` are unused (Uni-Sign's fixed 3 + 3 blocks).
        part_names (`list[str]`): Canonical parts in input order (body, left_hand, right_hand, mouth, face).
        part_sizes (`list[int]`): Keypoints per part (default: body 9, hands 21 + 21, mouth 8, face 18).
        part_anchors (`dict[str, list]`):
            For each part whose coordinates are made relative to a joint, the `[part, joint]` anchor.
        input_channels (`int`): Channels per keypoint (x, y, confidence).
        part_hidden_size (`int`): Width of the per-part spatial graph convolutions.
        num_graph_layers (`int`): Spatial graph-convolution layers per part.
        hidden_size (`int`): Width of the temporal stream (default 256; 1024 for `"cosign"`).
        num_temporal_layers (`int`): Temporal convolution blocks per scale stage.
        temporal_kernel_size (`int`): Kernel size of the temporal convolutions (odd).
        pyramid_bins (`list[int]`): Snippet bins over the ½-scale and ¼-scale features (sum = T_s).
        subunit_parts (`list[str]`): Parts whose own streams form the subunits (M = len).
        dropout (`float`): Dropout in the temporal blocks.
    """

    model_type = "hali_skeleton"
    base_config_key = "pose_config"

    architecture: str = "light"
    part_names: list[str] | None = None
    part_sizes: list[int] | None = None
    part_anchors: dict[str, list] | None = None
    input_channels: int = 3
    part_hidden_size: int = 64
    num_graph_layers: int = 2
    hidden_size: int | None = None
    num_temporal_layers: int = 2
    temporal_kernel_size: int = 5
    pyramid_bins: list[int] | None = None
    subunit_parts: list[str] | None = None
    dropout: float = 0.1
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        cosign = self.architecture == "cosign"
        self.part_names = list(self.part_names or (COSIGN_PART_NAMES if cosign else DEFAULT_PART_NAMES))
        self.part_sizes = list(self.part_sizes or (COSIGN_PART_SIZES if cosign else DEFAULT_PART_SIZES))
        if self.part_anchors is None:
            self.part_anchors = COSIGN_PART_ANCHORS if cosign else DEFAULT_PART_ANCHORS
        self.part_anchors = dict(self.part_anchors)
        self.hidden_size = self.hidden_size or (4 * 256 if cosign else 256)
        self.pyramid_bins = list(self.pyramid_bins or [2, 4])
        self.subunit_parts = list(self.subunit_parts or SUBUNIT_PARTS_BY_M[3])
        super().__post_init__(**kwargs)
        self.validate_architecture()

    def validate_architecture(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {self.architecture!r}")
        if self.architecture == "cosign":
            self._validate_cosign()
        if len(self.part_names) != len(self.part_sizes):
            raise ValueError(
                f"part_names {self.part_names} and part_sizes {self.part_sizes} differ in length"
            )
        allowed = list(COSIGN_SUBUNIT_PARTS) if self.architecture == "cosign" else self.part_names
        unknown = [part for part in self.subunit_parts if part not in allowed]
        if unknown:
            raise ValueError(f"subunit_parts {unknown} are not among {allowed}")
        for part, (anchor_part, joint) in self.part_anchors.items():
            if part not in self.part_names or anchor_part not in self.part_names:
                raise ValueError(f"part_anchors[{part!r}] = {[anchor_part, joint]} names an unknown part")
            if not 0 <= joint < self.parts[anchor_part]:
                raise ValueError(f"part_anchors[{part!r}] joint {joint} is outside part {anchor_part!r}")
        if len(self.pyramid_bins) != 2 or min(self.pyramid_bins) < 1:
            raise ValueError(
                f"pyramid_bins must be two positive bin counts (½ and ¼ scale), got {self.pyramid_bins}"
            )
        if self.temporal_kernel_size % 2 != 1:
            raise ValueError(f"temporal_kernel_size must be odd, got {self.temporal_kernel_size}")

    def _validate_cosign(self) -> None:
        if self.part_names != COSIGN_PART_NAMES or self.part_sizes != COSIGN_PART_SIZES:
            raise ValueError(
                f"architecture='cosign' has Uni-Sign's fixed parts {COSIGN_PART_NAMES} of sizes {COSIGN_PART_SIZES}, "
                f"got part_names {self.part_names} and part_sizes {self.part_sizes}"
            )
        if self.hidden_size != 4 * 256 or self.input_channels != 3:
            raise ValueError(
                f"architecture='cosign' needs hidden_size 1024 and input_channels 3, got {self.hidden_size} and "
                f"{self.input_channels}"
            )

    @property
    def parts(self) -> dict[str, int]:
        """Keypoints per part, in input order."""
        return dict(zip(self.part_names, self.part_sizes, strict=True))

    @property
    def num_keypoints(self) -> int:
        return sum(self.part_sizes)

    @property
    def num_snippets(self) -> int:
        return sum(self.pyramid_bins)

    @property
    def num_subunits(self) -> int:
        return len(self.subunit_parts) * self.num_snippets


class HALIConfig(PreTrainedConfig):
    r"""
    Configuration of [`HALIModel`]: a skeleton tower and a BERT text tower aligned at video, snippet and subunit
    level with lexical descriptions split into fragments.

    Args:
        pose_config (`dict` or [`SkeletonEncoderConfig`]): Skeleton tower configuration.
        text_config (`dict` or [`BertConfig`]): Text tower configuration (a plain BERT).
        projection_dim (`int`): Dimension of the shared embedding space.
        temperature (`float`): Softmax temperature τ of all contrastive terms (paper: 0.03); at least 0.01, since
            the model clamps the logit scale 1/τ at 100 (a smaller τ would silently run at 0.01).
        learnable_temperature (`bool`): Whether τ is a trained parameter (its scale is clamped at 100 in use).
        duplicate_negatives (`str`): What the contrastive terms do with off-diagonal pairs of the same gloss when
            labels are given (always in training): `"exclude"` (default) removes them from the softmax denominators,
            so a second description of the same sign is never pushed away as a negative — with several sequences
            per gloss in a batch, Eq. 2 verbatim would penalise the correct match; `"keep"` is Eq. 2 verbatim
            (every other row is a negative, as without labels).
        global_loss (`str`): The video-level objective: `"infonce"` (L_Global, Eq. 2) or one of the baselines of
            Tables 1 and 11 (`"lle"`, `"dvta"`, `"pgfa"`, see `baseline_losses.py`).
        w_fg_snippet, w_fg_subunit, w_hc (`float`): Weights of L_FG^(s,f), L_FG^(u,f) and L_HC (paper: 1.0).
        max_fragments (`int`): Maximum number of description fragments kept per description.
        loss_chunk_size (`int`): Pose rows per chunk of the fine-grained similarity (bounds memory).
        inference_similarity (`str`): Zero-shot scoring: `"global"` (video vs description) or `"hali"`
            (mean of the global, snippet–fragment and subunit–fragment similarities).
    """

    model_type = "hali"
    # Scalars and nested outputs that Trainer.predict should not gather next to the logits.
    keys_to_ignore_at_inference = [
        "loss_global", "loss_fg_snippet", "loss_fg_subunit", "loss_hc", "loss_ce", "loss_hali",
        "logits_per_text", "pose_features", "text_features",
    ]  # fmt: skip
    sub_configs_defaults = {"pose_config": SkeletonEncoderConfig, "text_config": BertConfig}

    pose_config: dict | SkeletonEncoderConfig | None = None
    text_config: dict | BertConfig | None = None
    projection_dim: int = 256
    temperature: float = 0.03
    learnable_temperature: bool = False
    duplicate_negatives: str = "exclude"
    global_loss: str = "infonce"
    w_fg_snippet: float = 1.0
    w_fg_subunit: float = 1.0
    w_hc: float = 1.0
    max_fragments: int = 16
    loss_chunk_size: int = 64
    inference_similarity: str = "global"
    classifier_dropout: float = 0.1
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        self.validate_architecture()

    def validate_architecture(self) -> None:
        if not MIN_TEMPERATURE <= self.temperature < 1:
            raise ValueError(
                f"temperature must be in [{MIN_TEMPERATURE}, 1) (the logit scale 1/τ is clamped at "
                f"{1 / MIN_TEMPERATURE:g}), got {self.temperature}"
            )
        if self.duplicate_negatives not in DUPLICATE_NEGATIVES:
            raise ValueError(
                f"duplicate_negatives must be one of {DUPLICATE_NEGATIVES}, got {self.duplicate_negatives!r}"
            )
        if self.global_loss not in GLOBAL_LOSSES:
            raise ValueError(f"global_loss must be one of {GLOBAL_LOSSES}, got {self.global_loss!r}")
        if min(self.w_fg_snippet, self.w_fg_subunit, self.w_hc) < 0:
            raise ValueError("loss weights w_fg_snippet, w_fg_subunit and w_hc must be non-negative")
        if self.inference_similarity not in ("global", "hali"):
            raise ValueError(
                f"inference_similarity must be 'global' or 'hali', got {self.inference_similarity!r}"
            )
        if self.max_fragments < 1 or self.loss_chunk_size < 1:
            raise ValueError("max_fragments and loss_chunk_size must be positive")


__all__ = ["HALIConfig", "SkeletonEncoderConfig", "SUBUNIT_PARTS_BY_M"]

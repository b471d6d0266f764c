"""HALI: Hierarchical Action-Language Interaction between skeleton sequences and lexical descriptions."""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertModel, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import ModelOutput
from transformers.models.bert.modeling_bert import BertEmbeddings
from transformers.utils import logging

from .baseline_losses import GLOBAL_LOSS_FUNCTIONS
from .configuration_hali import MIN_TEMPERATURE, HALIConfig
from .losses import (
    duplicate_pair_mask,
    fine_grained_loss,
    hierarchical_consistency_loss,
    info_nce,
    token_wise_similarity,
)
from .modeling_cosign import CoSignSkeletonEncoder
from .modeling_light import SkeletonEncoder, init_light_tower
from .pipeline_files import custom_pipelines, write_pipeline_files

logger = logging.get_logger(__name__)


# Loss term of `HALIOutput` for each weight of `HALIConfig` (L_Global has weight 1).
WEIGHTED_TERMS = {"w_fg_snippet": "loss_fg_snippet", "w_fg_subunit": "loss_fg_subunit", "w_hc": "loss_hc"}


@dataclass
class HALIPoseFeatures(ModelOutput):
    r"""
    video_embeds (`torch.FloatTensor` of shape `(batch_size, projection_dim)`): video feature X^(v).
    snippet_embeds (`torch.FloatTensor` of shape `(batch_size, T_s, projection_dim)`): snippet features X^(s).
    subunit_embeds (`torch.FloatTensor` of shape `(batch_size, T_u, projection_dim)`): subunit features X^(u),
        snippet-major (the M subunits of snippet t are rows t*M .. t*M+M-1).
    pooled_output (`torch.FloatTensor` of shape `(batch_size, hidden_size)`): unprojected video feature.
    frame_features (`torch.FloatTensor` of shape `(batch_size, frames, width)`, with `output_frame_features=True`):
        the tower's per-frame features, unprojected (cosign: the 4 x 256 part features, before `part_para`).
    All embeddings are L2-normalised.
    """

    video_embeds: torch.FloatTensor | None = None
    snippet_embeds: torch.FloatTensor | None = None
    subunit_embeds: torch.FloatTensor | None = None
    pooled_output: torch.FloatTensor | None = None
    frame_features: torch.FloatTensor | None = None


@dataclass
class HALITextFeatures(ModelOutput):
    r"""
    description_embeds (`torch.FloatTensor` of shape `(batch_size, projection_dim)`): description feature Y^(d).
    fragment_embeds (`torch.FloatTensor` of shape `(batch_size, max_fragments, projection_dim)`): fragments Y^(f).
    fragment_mask (`torch.BoolTensor` of shape `(batch_size, max_fragments)`): True for real fragments.
    All embeddings are L2-normalised.
    """

    description_embeds: torch.FloatTensor | None = None
    fragment_embeds: torch.FloatTensor | None = None
    fragment_mask: torch.BoolTensor | None = None


@dataclass
class HALIOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `()`, returned when `return_loss=True`): L_HALI.
    loss_global, loss_fg_snippet, loss_fg_subunit, loss_hc (`torch.FloatTensor` of shape `()`): its terms; None
        for a term whose weight in the config is 0 (not computed).
    logits_per_pose (`torch.FloatTensor` of shape `(pose_batch_size, text_batch_size)`): scaled cosine similarity
        between video and description features.
    logits_per_text (`torch.FloatTensor` of shape `(text_batch_size, pose_batch_size)`): its transpose.
    pose_features ([`HALIPoseFeatures`]) and text_features ([`HALITextFeatures`]): the embeddings.
    """

    loss: torch.FloatTensor | None = None
    loss_global: torch.FloatTensor | None = None
    loss_fg_snippet: torch.FloatTensor | None = None
    loss_fg_subunit: torch.FloatTensor | None = None
    loss_hc: torch.FloatTensor | None = None
    logits_per_pose: torch.FloatTensor | None = None
    logits_per_text: torch.FloatTensor | None = None
    pose_features: HALIPoseFeatures | None = None
    text_features: HALITextFeatures | None = None


class PoolerFreeBertModel(BertModel):
    """`BertModel` without its pooler (HALI pools tokens itself); a checkpoint's pooler weights are dropped quietly."""

    _keys_to_ignore_on_load_unexpected = [r"pooler\."]

    def __init__(self, config):
        super().__init__(config, add_pooling_layer=False)


class HALIPreTrainedModel(PreTrainedModel):
    config: HALIConfig
    config_class = HALIConfig
    base_model_prefix = "hali"
    main_input_name = "pose_values"
    input_modalities = ("pose", "text")
    # activation checkpointing covers both towers: BERT layers, skeleton part encoders and temporal stages
    supports_gradient_checkpointing = True
    _no_split_modules = ["BertEmbeddings", "BertLayer", "PartEncoder", "TemporalStage", "CoSignChain"]

    def save_pretrained(self, save_directory, *args, push_to_hub: bool = False, **kwargs) -> None:
        """`PreTrainedModel.save_pretrained`, plus the pipeline (`config.custom_pipelines`, its code, the pose
        layout table, `handler.py`, `requirements.txt`): `pipeline("zero-shot-sign-classification",
        model=save_directory, trust_remote_code=True)` (ISLR models: also `"video-classification"`) then works
        once the processor is saved there too. With `push_to_hub`, the folder is then pushed as `push_to_hub`
        pushes it (the same files)."""
        self.config.custom_pipelines = custom_pipelines(isinstance(self, HALIForSignClassification))
        hub_keys = ("repo_id", "commit_message", "create_pr", "private")
        hub_kwargs = {key: kwargs.pop(key) for key in hub_keys if key in kwargs}
        super().save_pretrained(save_directory, *args, **kwargs)
        write_pipeline_files(save_directory)
        if push_to_hub:
            repo_id = hub_kwargs.pop("repo_id", os.path.basename(os.path.normpath(save_directory)))
            self.push_to_hub(repo_id, token=kwargs.get("token"), **hub_kwargs)

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, BertEmbeddings):
            init.copy_(module.position_ids, torch.arange(module.position_ids.shape[-1]).expand((1, -1)))
            init.zeros_(module.token_type_ids)
        elif isinstance(module, HALIModel):
            init.constant_(module.logit_scale, math.log(1.0 / self.config.temperature))
            # transformers only visits modules that own parameters, after their children: the skeleton tower is
            # initialised here, from the root, so every layer gets its init whatever the traversal does.
            if isinstance(module.pose_model, SkeletonEncoder):
                init_light_tower(module.pose_model)

        if hasattr(module, "_init_cosign_weights"):  # adjacency and part_para of the cosign tower
            module._init_cosign_weights()


def _validate_pose_inputs(
    pose_values: torch.Tensor, pose_mask: torch.Tensor | None, num_keypoints: int
) -> None:
    """Shape checks only: value checks (NaN, empty sequences) need a host sync and live in `HALIProcessor`."""
    if pose_values.ndim != 4 or pose_values.shape[2] != num_keypoints or pose_values.shape[3] < 3:
        raise ValueError(
            f"pose_values must have shape (batch, frames, {num_keypoints}, 3) in the canonical layout, "
            f"got {tuple(pose_values.shape)}"
        )
    if pose_mask is not None and pose_mask.shape != pose_values.shape[:2]:
        raise ValueError(
            f"pose_mask must have shape {tuple(pose_values.shape[:2])} (batch, frames), got {tuple(pose_mask.shape)}"
        )


class HALIModel(HALIPreTrainedModel):
    """Skeleton tower + BERT text tower projected to a shared space, trained with the HALI objective."""

    def __init__(self, config: HALIConfig):
        super().__init__(config)
        if config.pose_config.architecture == "cosign":
            self.pose_model = CoSignSkeletonEncoder(config.pose_config)
        else:
            self.pose_model = SkeletonEncoder(config.pose_config)
        self.text_model = BertModel._from_config(config.text_config, add_pooling_layer=False)
        self.pose_projection = nn.Linear(config.pose_config.hidden_size, config.projection_dim, bias=False)
        self.text_projection = nn.Linear(config.text_config.hidden_size, config.projection_dim, bias=False)
        logit_scale = torch.tensor(math.log(1.0 / config.temperature))
        if config.learnable_temperature:
            self.logit_scale = nn.Parameter(logit_scale)
        else:  # a buffer, not a frozen parameter: no loader can turn it trainable, DDP sees no grad-less parameter
            self.register_buffer("logit_scale", logit_scale)
        self.post_init()

    @classmethod
    def from_text_pretrained(
        cls, text_model_name_or_path: str, config: HALIConfig | None = None, **kwargs
    ) -> HALIModel:
        """Build a HALI model whose text tower is a pretrained BERT checkpoint (local folder or Hub id).

        Keyword arguments set `HALIConfig` fields, on a copy of `config` when one is given (never changed).
        """
        text_model = PoolerFreeBertModel.from_pretrained(text_model_name_or_path)
        if config is None:
            config = HALIConfig(**kwargs)
        else:
            config = copy.deepcopy(config)
            unknown = sorted(key for key in kwargs if not hasattr(config, key))
            if unknown:
                raise TypeError(f"from_text_pretrained: {unknown} are not HALIConfig fields")
            for key, value in kwargs.items():
                setattr(config, key, value)
            config.validate_architecture()
        config.text_config = text_model.config
        model = cls(config)
        model.text_model.load_state_dict(text_model.state_dict())
        return model

    def temperature_scale(self) -> torch.Tensor:
        """1/τ, clamped at 100 (a constant unless the temperature is learnable; the config refuses τ < 0.01)."""
        return self.logit_scale.exp().clamp(max=1 / MIN_TEMPERATURE)

    def get_pose_features(
        self,
        pose_values: torch.Tensor,
        pose_mask: torch.Tensor | None = None,
        include_subunits: bool = True,
        output_frame_features: bool = False,
    ) -> HALIPoseFeatures:
        """Projected, L2-normalised video, snippet and subunit features of canonical pose sequences.
        `output_frame_features=True` also returns the tower's unprojected per-frame features.

        `include_subunits=False` leaves `subunit_embeds` None and skips the per-part temporal streams: enough for
        `inference_similarity="global"`, and ~25 % less skeleton-tower time on a 2-core CPU (`benchmarks/`).
        """
        _validate_pose_inputs(pose_values, pose_mask, self.config.pose_config.num_keypoints)
        if pose_mask is None:
            pose_mask = torch.ones(pose_values.shape[:2], dtype=torch.long, device=pose_values.device)
        encoded = self.pose_model(pose_values[..., :3], pose_mask, include_subunits=include_subunits)
        subunits = encoded.subunits
        return HALIPoseFeatures(
            video_embeds=F.normalize(self.pose_projection(encoded.pooled_output), dim=-1),
            snippet_embeds=F.normalize(self.pose_projection(encoded.snippets), dim=-1),
            subunit_embeds=None if subunits is None else F.normalize(self.pose_projection(subunits), dim=-1),
            pooled_output=encoded.pooled_output,
            frame_features=encoded.frame_features if output_frame_features else None,
        )

    def get_text_features(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        fragment_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> HALITextFeatures:
        """Projected, L2-normalised description and fragment features from one BERT pass.

        `fragment_ids` (batch, seq_len) gives each token's fragment index (-1: not in any fragment); fragments from
        `config.max_fragments - 1` on are merged into the last one (`config.max_fragments` is the one limit: the
        processor does not cut). Without `fragment_ids` the whole description is one fragment. A row without any
        fragment token (rejected by `HALIProcessor`) gets an all-False `fragment_mask`.
        """
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        hidden = self.text_model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        token_weights = attention_mask[..., None].to(hidden.dtype)
        description = (hidden * token_weights).sum(1) / token_weights.sum(1).clamp(min=1.0)
        if fragment_ids is None:
            fragment_ids = torch.where(attention_mask.bool(), 0, -1)
        num_fragments = self.config.max_fragments
        in_fragment = fragment_ids >= 0
        one_hot = F.one_hot(fragment_ids.clamp(min=0, max=num_fragments - 1), num_fragments).to(hidden.dtype)
        one_hot = one_hot * in_fragment[..., None].to(hidden.dtype)  # (N, L, F)
        counts = one_hot.sum(1)  # (N, F)
        fragments = torch.einsum("nlf,nlh->nfh", one_hot, hidden) / counts[..., None].clamp(min=1.0)
        fragment_mask = counts > 0
        return HALITextFeatures(
            description_embeds=F.normalize(self.text_projection(description), dim=-1),
            fragment_embeds=F.normalize(self.text_projection(fragments), dim=-1) * fragment_mask[..., None],
            fragment_mask=fragment_mask,
        )

    def score(self, pose_features: HALIPoseFeatures, text_features: HALITextFeatures) -> torch.Tensor:
        """Zero-shot similarity (batch_poses, num_descriptions) per `config.inference_similarity`."""
        similarity = pose_features.video_embeds @ text_features.description_embeds.t()
        if self.config.inference_similarity == "hali":
            chunk = self.config.loss_chunk_size
            snippet, _ = token_wise_similarity(
                pose_features.snippet_embeds,
                text_features.fragment_embeds,
                text_features.fragment_mask,
                chunk,
            )
            subunit, _ = token_wise_similarity(
                pose_features.subunit_embeds,
                text_features.fragment_embeds,
                text_features.fragment_mask,
                chunk,
            )
            similarity = (similarity + snippet + subunit) / 3
        return similarity

    def hali_loss(
        self,
        pose_features: HALIPoseFeatures,
        text_features: HALITextFeatures,
        labels: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """L_HALI and its terms for B matched pose/description pairs (row i with row i); a term whose weight is 0
        is not computed (None), so ablations cost less."""
        batch = pose_features.video_embeds.shape[0]
        if text_features.description_embeds.shape[0] != batch:
            raise ValueError(
                f"HALI loss needs one description per pose sequence: got {batch} poses and "
                f"{text_features.description_embeds.shape[0]} descriptions"
            )
        if batch < 2:
            logger.warning_once("Contrastive HALI loss with batch size 1 has no negatives; its value is 0.")
        config, scale = self.config, self.temperature_scale()
        duplicates = (
            duplicate_pair_mask(labels, batch, pose_features.video_embeds.device)
            if config.duplicate_negatives == "exclude"
            else None
        )
        fragments, fragment_mask = text_features.fragment_embeds, text_features.fragment_mask
        logits = scale * pose_features.video_embeds @ text_features.description_embeds.t()
        if config.global_loss == "infonce":
            terms = {"loss_global": info_nce(logits, logits.t(), duplicates)}
        else:  # a baseline's video-level objective (Tables 1 and 11); it treats same-gloss rows its own way
            terms = {"loss_global": GLOBAL_LOSS_FUNCTIONS[config.global_loss](logits, labels)}
        terms["loss_fg_snippet"] = (
            fine_grained_loss(
                pose_features.snippet_embeds,
                fragments,
                fragment_mask,
                scale,
                duplicates,
                config.loss_chunk_size,
            )
            if config.w_fg_snippet > 0
            else None
        )
        terms["loss_fg_subunit"] = (
            fine_grained_loss(
                pose_features.subunit_embeds,
                fragments,
                fragment_mask,
                scale,
                duplicates,
                config.loss_chunk_size,
            )
            if config.w_fg_subunit > 0
            else None
        )
        terms["loss_hc"] = (
            hierarchical_consistency_loss(
                pose_features.snippet_embeds,
                pose_features.subunit_embeds,
                fragments,
                fragment_mask,
                scale,
                len(config.pose_config.subunit_parts),
            )
            if config.w_hc > 0
            else None
        )
        terms["loss"] = terms["loss_global"] + sum(
            getattr(config, weight) * terms[name]
            for weight, name in WEIGHTED_TERMS.items()
            if terms[name] is not None
        )
        return terms

    def forward(
        self,
        pose_values: torch.Tensor,
        input_ids: torch.Tensor,
        pose_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        fragment_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        return_loss: bool | None = None,
    ) -> HALIOutput:
        r"""
        pose_values (`(batch, frames, keypoints, 3)`): canonical (x, y, confidence) keypoints, normalised.
        pose_mask (`(batch, frames)`): 1 for real frames. fragment_ids (`(batch, seq_len)`): token → fragment.
        labels (`(batch,)`): gloss ids; pairs of the same gloss are not used as negatives of each other.
        return_loss: compute L_HALI (default: when training).
        """
        pose_features = self.get_pose_features(pose_values, pose_mask)
        text_features = self.get_text_features(input_ids, attention_mask, fragment_ids, token_type_ids)
        scale = self.temperature_scale()
        logits_per_pose = scale * pose_features.video_embeds @ text_features.description_embeds.t()
        terms = {}
        if return_loss if return_loss is not None else self.training:
            terms = self.hali_loss(pose_features, text_features, labels)
        return HALIOutput(
            **terms,
            logits_per_pose=logits_per_pose,
            logits_per_text=logits_per_pose.t(),
            pose_features=pose_features,
            text_features=text_features,
        )


@dataclass
class HALISignClassifierOutput(ModelOutput):
    r"""
    loss: cross-entropy (+ weighted L_HALI when descriptions are given); loss_ce, loss_hali: its terms;
    logits `(batch_size, num_labels)`.
    """

    loss: torch.FloatTensor | None = None
    loss_ce: torch.FloatTensor | None = None
    loss_hali: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    pose_features: HALIPoseFeatures | None = None


class HALIForSignClassification(HALIPreTrainedModel):
    """Isolated sign recognition: a classifier on the video feature, optionally trained with L_HALI alongside
    (the paper's "Baseline + L_HALI") when each row carries its class description."""

    def __init__(self, config: HALIConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.hali = HALIModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.pose_config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        pose_values: torch.Tensor,
        pose_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        fragment_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        alignment_weight: float = 1.0,
    ) -> HALISignClassifierOutput:
        r"""
        labels (`(batch,)`): class ids for the cross-entropy. input_ids/attention_mask/fragment_ids: the class
        description of each row; when given with labels, `alignment_weight * L_HALI` is added to the loss.
        """
        align = labels is not None and input_ids is not None
        # the subunit streams only serve L_HALI: skipped without descriptions (CE baseline, inference)
        pose_features = self.hali.get_pose_features(pose_values, pose_mask, include_subunits=align)
        logits = self.classifier(self.dropout(pose_features.pooled_output))
        loss = loss_ce = loss_hali = None
        if labels is not None:
            loss = loss_ce = F.cross_entropy(logits, labels)
            if align:
                text_features = self.hali.get_text_features(
                    input_ids, attention_mask, fragment_ids, token_type_ids
                )
                loss_hali = self.hali.hali_loss(pose_features, text_features, labels)["loss"]
                loss = loss_ce + alignment_weight * loss_hali
        return HALISignClassifierOutput(
            loss=loss, loss_ce=loss_ce, loss_hali=loss_hali, logits=logits, pose_features=pose_features
        )


__all__ = [
    "HALIForSignClassification",
    "HALIModel",
    "HALIOutput",
    "HALIPoseFeatures",
    "HALIPreTrainedModel",
    "HALISignClassifierOutput",
    "HALITextFeatures",
    "SkeletonEncoder",
]

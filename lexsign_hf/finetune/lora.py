"""PEFT LoRA fine-tuning of Qwen2.5-VL on LexSign video–description pairs (the paper's Table 12 recipe).

```python
from lexsign_hf.finetune import LoraFinetuneConfig, finetune_lora

result = finetune_lora(LoraFinetuneConfig(
    model="Qwen/Qwen2.5-VL-7B-Instruct", dataset="lexsign_asl/", videos_dir="videos/", output_dir="qwen-lora",
    description_files=["mcp.jsonl", "agp.jsonl"],   # default: the dataset's `descriptions` config
))                                                  # gloss set: asl1000 train glosses not in asl300
result.adapter_dir, result.merged_dir, result.metrics
```

Runs with `accelerate launch` on several GPUs unchanged (the `Trainer` handles the distribution); bf16 and
gradient checkpointing on GPU. Every clip is decoded over its span before training (`finetune.data.check_clip`):
broken ones are skipped, spans past a clip's end clamped, both counted in the card. An interrupted run resumes
from its last checkpoint in `output_dir/checkpoints` when rerun with the same settings; other settings (or
another set of clips or descriptions) are refused, naming what changed (`checkpoints/lexsign_run.json`).

The adapter folder holds the PEFT adapter, the processor, a model card and `lexsign_finetune.json` (base-model
fingerprint, gloss set, prompt version, clip counts), which `load_adapter` checks so an adapter trained for
another base model fails with a clear message instead of a shape error.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from lexsign_hf.agp.prompts import ExamplePool, describe_template
from lexsign_hf.card_templates import card_template_path
from lexsign_hf.mllm.video import FramePolicy

from .collator import VideoChatCollator
from .data import (
    DescriptionPairs,
    collect_examples,
    leakage_free_glosses,
    load_description_bank,
    load_index_rows,
)

# LoRA on the language model's attention and MLP projections; the vision tower stays frozen.
LANGUAGE_TARGET_MODULES = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
METADATA_FILE = "lexsign_finetune.json"
RUN_FILE = "lexsign_run.json"
# Settings that change neither the updates nor the data (a resumed run may change them).
_NOT_SETTINGS = (
    "output_dir",
    "logging_steps",
    "save_steps",
    "dataloader_num_workers",
    "merge",
    "base_model_id",
)
CARD_TEMPLATE = "qwen_vl_lora_adapter.md.jinja"
_FINGERPRINT_KEYS = (
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "vocab_size",
)


@dataclass
class LoraFinetuneConfig:
    """Everything one LoRA run needs (the CLI's `lexsign mllm finetune-lora` maps its flags onto this)."""

    model: str
    dataset: str
    videos_dir: str
    output_dir: str
    config: str = "asl1000"
    exclude_config: str | None = "asl300"
    split: str = "train"
    glosses: list[str] | None = None
    description_files: list[str] = field(default_factory=list)
    sources: list[str] | None = None
    language: str = "asl"
    prompt_template: str | None = None
    examples: str | None = None
    fps: float | None = 5.0
    max_frames: int | None = 16
    max_length: int | None = None
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: str | list[str] = LANGUAGE_TARGET_MODULES
    learning_rate: float = 1e-4
    num_train_epochs: float = 1.0
    max_steps: int = -1
    per_device_train_batch_size: int = 1
    gradient_accumulation_steps: int = 8
    warmup_steps: float = 0.03
    logging_steps: int = 10
    save_steps: int = 200
    gradient_checkpointing: bool = True
    bf16: bool | None = None
    dataloader_num_workers: int = 0
    seed: int = 0
    merge: bool = False
    base_model_id: str | None = None
    trim_spans: bool = True  # cut clips to WLASL frame_start..frame_end (off for pre-cut clips)


@dataclass
class FinetuneResult:
    adapter_dir: Path
    merged_dir: Path | None
    metrics: dict[str, Any]
    data_counts: dict[str, int]


def load_base_model(model_name_or_path: str, dtype: torch.dtype | str = "auto"):
    """`Qwen2_5_VLForConditionalGeneration` and its processor from a local folder or a Hub id."""
    from transformers import AutoConfig, AutoProcessor, Qwen2_5_VLForConditionalGeneration

    path = Path(model_name_or_path).expanduser()
    if (path.is_absolute() or path.exists()) and not (path / "config.json").is_file():
        raise FileNotFoundError(f"no Hugging Face checkpoint (config.json) at {path}")
    model_type = AutoConfig.from_pretrained(str(model_name_or_path)).model_type
    if model_type != "qwen2_5_vl":
        raise ValueError(
            f"{model_name_or_path} is a {model_type!r} checkpoint; LoRA fine-tuning expects Qwen2.5-VL"
        )
    if dtype == "auto":
        dtype = (
            torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
        )
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(str(model_name_or_path), dtype=dtype)
    processor = AutoProcessor.from_pretrained(str(model_name_or_path))
    return model, processor


def add_lora(
    model, r: int = 16, alpha: int = 32, dropout: float = 0.05, target_modules=LANGUAGE_TARGET_MODULES
):
    """Wrap `model` in a PEFT LoRA (`task_type=CAUSAL_LM`); only the adapter weights train."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=target_modules, task_type="CAUSAL_LM"
    )
    return get_peft_model(model, config)


def build_trainer(model, processor, train_dataset, config: LoraFinetuneConfig, callbacks=None):
    """The `Trainer` of the recipe for an already LoRA-wrapped `model` (checkpoints in `output_dir/checkpoints`).

    `train_dataset` yields `{"video", "span", "prompt", "text"}` examples (`DescriptionPairs` or a plain list);
    a dataset with an `epoch` attribute gets it set at every epoch's start. `callbacks`: extra
    `TrainerCallback`s.
    """
    from transformers import Trainer, TrainerCallback, TrainingArguments

    class _SetEpoch(TrainerCallback):
        def on_epoch_begin(self, args, state, control, **kwargs):
            train_dataset.epoch = math.floor((state.epoch or 0.0) + 1e-6)

    model.config.use_cache = False
    use_cuda = torch.cuda.is_available()
    bf16 = config.bf16 if config.bf16 is not None else use_cuda and torch.cuda.is_bf16_supported()
    collator = VideoChatCollator(
        processor, FramePolicy(fps=config.fps, max_frames=config.max_frames), config.max_length
    )
    arguments = TrainingArguments(
        output_dir=str(Path(config.output_dir) / "checkpoints"),
        per_device_train_batch_size=config.per_device_train_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        learning_rate=config.learning_rate,
        num_train_epochs=config.num_train_epochs,
        max_steps=config.max_steps,
        lr_scheduler_type="cosine",
        warmup_steps=config.warmup_steps,
        logging_steps=config.logging_steps,
        save_steps=config.save_steps,
        save_total_limit=2,
        bf16=bf16,
        **_checkpointing_arguments(config.gradient_checkpointing),
        remove_unused_columns=False,
        dataloader_num_workers=config.dataloader_num_workers,
        report_to="none",
        seed=config.seed,
        use_cpu=not use_cuda,
    )
    callbacks = [*(callbacks or []), *([_SetEpoch()] if hasattr(train_dataset, "epoch") else [])]
    return Trainer(
        model=model, args=arguments, train_dataset=train_dataset, data_collator=collator, callbacks=callbacks
    )


def finetune_lora(config: LoraFinetuneConfig, callbacks=None) -> FinetuneResult:
    """Train a LoRA adapter on video–description pairs, save it (+ card), optionally merge it.

    Resumes from the last checkpoint of an interrupted run with the same settings (`check_resume`).
    `callbacks`: extra `TrainerCallback`s for the `Trainer`."""
    from transformers import set_seed

    set_seed(config.seed)
    output_dir = Path(config.output_dir)
    glosses = config.glosses or leakage_free_glosses(
        config.dataset, config.config, config.exclude_config, config.split
    )
    bank = load_description_bank(config.dataset, config.description_files)
    rows = load_index_rows(config.dataset, config.config, config.split)
    examples, counts = collect_examples(
        rows, glosses, config.videos_dir, bank, config.sources, trim=config.trim_spans
    )
    template = describe_template(config.prompt_template)
    pool = ExamplePool.from_spec(config.examples, seed=config.seed)
    train_dataset = DescriptionPairs(
        examples, bank, template, pool, language=config.language, sources=config.sources, seed=config.seed
    )
    run = run_fingerprint(config, examples, bank, template.version, pool.sha256)
    resume_from = check_resume(output_dir / "checkpoints", run)

    model, processor = load_base_model(config.model)
    model = add_lora(model, config.lora_r, config.lora_alpha, config.lora_dropout, config.target_modules)
    trainer = build_trainer(model, processor, train_dataset, config, callbacks)
    if trainer.is_world_process_zero():
        _write_json(output_dir / "checkpoints" / RUN_FILE, run)
    train_output = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    metrics = {key: float(value) for key, value in train_output.metrics.items()}
    metrics["final_loss"] = _last_logged_loss(trainer.state.log_history)

    if not trainer.is_world_process_zero():
        return FinetuneResult(output_dir / "adapter", None, metrics, counts)
    metadata = {
        "base_model": config.base_model_id or str(config.model),
        "base_fingerprint": fingerprint(model.get_base_model().config),
        "dataset": str(config.dataset),
        "config": config.config,
        "exclude_config": config.exclude_config,
        "glosses": glosses,
        "prompt_version": template.version,
        "prompt_sha256": template.sha256,
        "examples": pool.origin,
        "examples_sha256": pool.sha256,
        "frame_policy": {"fps": config.fps, "max_frames": config.max_frames},
        "data_counts": counts,
        "resumed_from": resume_from.name if resume_from else None,
        "training": {key: value for key, value in asdict(config).items() if key not in ("glosses",)},
        "metrics": metrics,
    }
    adapter_dir = save_adapter(model, processor, output_dir / "adapter", metadata)
    merged_dir = merge_adapter(model, processor, output_dir / "merged") if config.merge else None
    _write_json(output_dir / "training_summary.json", {**metadata, "glosses": len(glosses)})
    return FinetuneResult(adapter_dir, merged_dir, metrics, counts)


def run_fingerprint(config: LoraFinetuneConfig, examples, bank, prompt_version: str, examples_sha256: str):
    """Everything that decides a run's updates: its settings, the clips (ids, spans) and the descriptions."""
    settings = {key: value for key, value in asdict(config).items() if key not in _NOT_SETTINGS}
    clips = [[video.video_id, video.gloss, list(video.span) if video.span else None] for video in examples]
    texts = [
        [gloss, record.source, record.text]
        for gloss in sorted({video.gloss for video in examples})
        for record in bank.records(gloss)
    ]
    return {
        "settings": {**settings, "prompt_version": prompt_version, "examples_sha256": examples_sha256},
        "clips": len(clips),
        "clips_sha256": _sha256(clips),
        "descriptions_sha256": _sha256(texts),
    }


def check_resume(checkpoints: Path, run: dict[str, Any]) -> Path | None:
    """The last checkpoint of an interrupted run to resume, or None for a fresh run; a `ValueError` naming each
    difference when the checkpoints were written by a run with other settings, clips or descriptions."""
    found = sorted(checkpoints.glob("checkpoint-*"), key=lambda path: int(path.name.rsplit("-", 1)[-1]))
    found = [path for path in found if (path / "trainer_state.json").is_file()]
    if not found:
        return None
    recorded_file = checkpoints / RUN_FILE
    if not recorded_file.is_file():
        raise ValueError(
            f"{checkpoints} holds checkpoints without {RUN_FILE} (written by another version or run); "
            "use another --out or delete the checkpoints"
        )
    recorded = json.loads(recorded_file.read_text(encoding="utf-8"))
    changes = [
        f"{key}: was {recorded['settings'].get(key)!r}, now {value!r}"
        for key, value in run["settings"].items()
        if recorded["settings"].get(key) != value
    ]
    for key, what in (("clips_sha256", "clips"), ("descriptions_sha256", "descriptions")):
        if recorded.get(key) != run[key]:
            detail = f" ({recorded.get('clips')} then, {run['clips']} now)" if what == "clips" else ""
            changes.append(f"{what} differ{detail}")
    if changes:
        raise ValueError(
            f"{checkpoints} was started with other settings ({'; '.join(changes)}); rerun with the same "
            "settings to resume it, or use another --out"
        )
    return found[-1]


def _sha256(content: Any) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _checkpointing_arguments(enabled: bool) -> dict[str, Any]:
    """Gradient checkpointing flags under their current `TrainingArguments` names (renamed in transformers 5.2x)."""
    from dataclasses import fields

    from transformers import TrainingArguments

    prefix = (
        "activation"
        if "activation_checkpointing" in {f.name for f in fields(TrainingArguments)}
        else "gradient"
    )
    return {f"{prefix}_checkpointing": enabled, f"{prefix}_checkpointing_kwargs": {"use_reentrant": False}}


def fingerprint(config) -> dict[str, Any]:
    """The base-model facts an adapter depends on: model type and text-model sizes."""
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    facts = {"model_type": config.model_type}
    facts.update({key: getattr(text_config, key, None) for key in _FINGERPRINT_KEYS})
    return facts


def save_adapter(model, processor, adapter_dir: str | Path, metadata: dict[str, Any]) -> Path:
    """Save the LoRA adapter, the processor, `lexsign_finetune.json` and the model card to `adapter_dir`."""
    adapter_dir = Path(adapter_dir)
    model.save_pretrained(adapter_dir)
    processor.save_pretrained(adapter_dir)
    _write_json(adapter_dir / METADATA_FILE, metadata)
    render_adapter_card(metadata).save(adapter_dir / "README.md")
    return adapter_dir


def merge_adapter(peft_model, processor, merged_dir: str | Path) -> Path:
    """Fold the LoRA weights into the base model (`merge_and_unload`) and save a plain checkpoint."""
    merged_dir = Path(merged_dir)
    merged = peft_model.merge_and_unload()
    merged.config.use_cache = True
    merged.save_pretrained(merged_dir)
    processor.save_pretrained(merged_dir)
    return merged_dir


def load_adapter(model, adapter_dir: str | Path, is_trainable: bool = False):
    """Attach a saved LoRA adapter to a base model (object, or path / Hub id) after checking it fits."""
    from peft import PeftModel

    if isinstance(model, (str, os.PathLike)):
        model, _ = load_base_model(str(model))
    check_adapter_compatible(model, adapter_dir)
    return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=is_trainable)


def check_adapter_compatible(model, adapter_dir: str | Path) -> None:
    """Raise `ValueError` when the adapter in `adapter_dir` was trained for a different base model.

    Checks the recorded base-model fingerprint (model type and sizes) and that every adapted module exists in
    `model` with the input/output sizes of the adapter's LoRA matrices. A different base *name* with matching
    shapes (e.g. a moved local copy) only warns.
    """
    from safetensors import safe_open

    adapter_dir = Path(adapter_dir)
    config_file = adapter_dir / "adapter_config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"no PEFT adapter (adapter_config.json) in {adapter_dir}")
    adapter_config = json.loads(config_file.read_text(encoding="utf-8"))
    recorded_base = adapter_config.get("base_model_name_or_path")
    given_base = getattr(model.config, "_name_or_path", None) or "the given model"
    metadata_file = adapter_dir / METADATA_FILE
    if metadata_file.is_file():
        recorded = json.loads(metadata_file.read_text(encoding="utf-8")).get("base_fingerprint") or {}
        actual = fingerprint(model.config)
        differing = {
            key: (recorded[key], actual.get(key)) for key in recorded if recorded[key] != actual.get(key)
        }
        if differing:
            details = ", ".join(f"{key}: adapter {a!r} vs model {b!r}" for key, (a, b) in differing.items())
            raise ValueError(
                f"adapter {adapter_dir} was trained for base model {recorded_base!r}, not for {given_base!r} ({details})"
            )
    weights = adapter_dir / "adapter_model.safetensors"
    if weights.is_file():
        with safe_open(str(weights), framework="pt") as handle:
            for key in handle.keys():
                match = re.fullmatch(r"(?:base_model\.model\.)?(.+)\.lora_([AB])(?:\.[^.]+)?\.weight", key)
                if match is None:
                    continue
                module_name, matrix = match.groups()
                shape = handle.get_slice(key).get_shape()
                _check_module(model, module_name, matrix, shape, adapter_dir, recorded_base, given_base)
    known_base = getattr(model.config, "_name_or_path", None)
    if recorded_base and known_base and Path(str(recorded_base)).name != Path(str(known_base)).name:
        warnings.warn(
            f"adapter {adapter_dir} records base model {recorded_base!r}; loading it on {given_base!r} "
            "(shapes match)",
            stacklevel=2,
        )


def _check_module(model, module_name, matrix, shape, adapter_dir, recorded_base, given_base) -> None:
    try:
        module = model.get_submodule(module_name)
    except AttributeError:
        raise ValueError(
            f"adapter {adapter_dir} (trained for base model {recorded_base!r}) adapts module {module_name!r}, "
            f"which {given_base!r} does not have"
        ) from None
    expected = module.in_features if matrix == "A" else module.out_features
    actual = shape[1] if matrix == "A" else shape[0]
    if expected != actual:
        raise ValueError(
            f"adapter {adapter_dir} was trained for base model {recorded_base!r}, not for {given_base!r}: module "
            f"{module_name!r} has {'input' if matrix == 'A' else 'output'} size {expected}, the adapter expects {actual}"
        )


def render_adapter_card(metadata: dict[str, Any]):
    """The adapter's model card, rendered from `model_cards/qwen_vl_lora_adapter.md.jinja`."""
    from huggingface_hub import ModelCard, ModelCardData

    base = metadata["base_model"]
    hub_base = base if re.fullmatch(r"[\w.-]+/[\w.-]+", base) and not Path(base).exists() else None
    card_data = ModelCardData(
        base_model=hub_base,
        library_name="peft",
        license="apache-2.0",
        pipeline_tag="video-text-to-text",
        tags=["lexsign", "sign-language", "lora", "qwen2.5-vl", "lexical-descriptions"],
    )
    training = metadata["training"]
    return ModelCard.from_template(
        card_data,
        template_path=str(card_template_path(CARD_TEMPLATE)),
        base_model=base,
        dataset=metadata["dataset"],
        config=metadata["config"],
        exclude_config=metadata["exclude_config"],
        num_glosses=len(metadata["glosses"]),
        data_counts=metadata["data_counts"],
        prompt_version=metadata["prompt_version"],
        frame_policy=metadata["frame_policy"],
        training=training,
        metrics=metadata["metrics"],
        resumed_from=metadata.get("resumed_from"),
    )


def _last_logged_loss(log_history: list[dict[str, Any]]) -> float | None:
    losses = [entry["loss"] for entry in log_history if "loss" in entry]
    return float(losses[-1]) if losses else None


def _write_json(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)

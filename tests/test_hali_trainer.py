"""Trainer-native training: a small HALIModel with the real MiniLM text tower learns a fixed toy batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from datasets import Dataset
from transformers import Trainer, TrainingArguments

from lexsign_hf import HALIConfig, HALIModel, HALIProcessor
from lexsign_hf.models.hali import HALIZeroShotClassifier
from lexsign_hf.train import build_optimizer, hali_parameter_groups

DESCRIPTIONS = [
    "A hand, palm facing in, at the chin; move forward twice.",
    "Flat hand at the chest, palm down; circle once.",
    "Both 5 hands in front of the body; wiggle the fingers.",
    "Index finger touches the temple; twist.",
    "S hand at the shoulder; move down.",
    "V hand at the eyes, palm in; move outward.",
    "Open hand at the forehead; tap twice.",
    "Bent hand at the cheek; brush forward.",
]


def toy_dataset(num_frames: int = 16) -> Dataset:
    """Eight distinct synthetic motions: each class moves the right wrist and hand along its own direction."""
    rows = []
    for label, text in enumerate(DESCRIPTIONS):
        pose = np.zeros((num_frames, 77, 3), dtype=np.float32)
        pose[..., 2] = 1.0
        pose[:, 3, :2], pose[:, 4, :2] = (-1.0, 0.0), (1.0, 0.0)  # shoulders
        angle = 2 * np.pi * label / len(DESCRIPTIONS)
        path = np.linspace(0, 1, num_frames)[:, None] * np.array([np.cos(angle), np.sin(angle)])
        pose[:, 8, :2] = path + 0.5  # right wrist
        pose[:, 30:51, :2] = path[:, None, :] + 0.5 + 0.05 * np.arange(21)[None, :, None] * (label % 3)
        rows.append({"pose": pose.tolist(), "text": text, "label": label})
    return Dataset.from_list(rows)


def make_collator(processor: HALIProcessor):
    def collate(rows: list[dict]) -> dict[str, torch.Tensor]:
        batch = processor(poses=[np.asarray(row["pose"], dtype=np.float32) for row in rows],
                          text=[row["text"] for row in rows])  # fmt: skip
        batch["labels"] = torch.tensor([row["label"] for row in rows])
        return dict(batch)

    return collate


def test_parameter_groups_cover_every_trainable_parameter(tiny_hali_config):
    model = HALIModel(tiny_hali_config)
    groups = hali_parameter_groups(model, pose_lr=1e-4, text_lr=1e-5, other_lr=1e-3)
    grouped = {id(p) for group in groups for p in group["params"]}
    assert grouped == {id(p) for p in model.parameters() if p.requires_grad}
    rates = {group["lr"] for group in groups}
    assert rates == {1e-4, 1e-5, 1e-3}


def test_trainer_loss_falls_with_real_minilm_tower(minilm_path, tmp_path):
    torch.manual_seed(0)
    config = HALIConfig(
        projection_dim=64,
        pose_config={"part_hidden_size": 16, "hidden_size": 64, "num_temporal_layers": 1, "dropout": 0.0},
    )
    model = HALIModel.from_text_pretrained(minilm_path, config=config)
    processor = HALIProcessor.from_text_pretrained(minilm_path, max_frames=16)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=40,
        per_device_train_batch_size=8,
        logging_steps=1,
        lr_scheduler_type="cosine",
        activation_checkpointing=True,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        remove_unused_columns=False,
        seed=0,
        disable_tqdm=True,
    )
    optimizer = build_optimizer(model, pose_lr=1e-3, text_lr=5e-5, other_lr=3e-3)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=toy_dataset(),
        data_collator=make_collator(processor),
        optimizers=(optimizer, None),
    )
    trainer.train()
    assert all(layer.gradient_checkpointing for layer in model.text_model.encoder.layer)  # BERT checkpointed
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 40 and all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:3]), losses

    classifier = HALIZeroShotClassifier(model, processor)
    classifier.set_vocabulary([f"class{i}" for i in range(8)], DESCRIPTIONS)
    poses = [np.asarray(row["pose"], dtype=np.float32) for row in toy_dataset()]
    ranked = classifier.classify(poses, top_k=3)
    correct = sum(result[0]["label"] == f"class{i}" for i, result in enumerate(ranked))
    assert correct >= 3, ranked  # chance is 1 of 8
    assert all(len(result) == 3 and result[0]["score"] >= result[1]["score"] for result in ranked)


def test_zero_shot_classifier_requires_vocabulary(tiny_hali_config, minilm_path):
    classifier = HALIZeroShotClassifier(
        HALIModel(tiny_hali_config), HALIProcessor.from_text_pretrained(minilm_path)
    )
    with pytest.raises(ValueError, match="set_vocabulary"):
        classifier.scores([np.ones((4, 77, 3), dtype=np.float32)])
    with pytest.raises(ValueError, match="2 labels but 1"):
        classifier.set_vocabulary(["a", "b"], ["x"])

"""HALIModel / HALIForSignClassification: shapes, masks, bad input, save/load and remote-code loading."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from lexsign_hf import HALIConfig, HALIForSignClassification, HALIModel, HALIProcessor

TEXTS = [
    "A hand, palm facing in, at the chin; move forward twice.",
    "Flat hand at the chest, palm down; circle once.",
    "Both 5 hands in front of the body; wiggle the fingers.",
    "Index finger touches the temple.",
]


def random_pose(rng: np.random.Generator, frames: int) -> np.ndarray:
    pose = rng.normal(size=(frames, 77, 3)).astype(np.float32)
    pose[..., 2] = 1.0
    return pose


@pytest.fixture
def processor(minilm_path):
    return HALIProcessor.from_text_pretrained(minilm_path, max_frames=40)


@pytest.fixture
def model(tiny_hali_config):
    torch.manual_seed(0)
    return HALIModel(tiny_hali_config).eval()


@pytest.fixture
def batch(processor):
    rng = np.random.default_rng(0)
    poses = [random_pose(rng, frames) for frames in (12, 40, 7, 25)]
    return processor(poses=poses, text=TEXTS)


def test_output_shapes_and_loss_terms(model, batch):
    output = model(**batch, return_loss=True)
    config = model.config
    assert output.logits_per_pose.shape == (4, 4)
    assert torch.equal(output.logits_per_text, output.logits_per_pose.t())
    assert output.pose_features.snippet_embeds.shape == (4, 6, config.projection_dim)
    assert output.pose_features.subunit_embeds.shape == (4, 18, config.projection_dim)
    assert output.text_features.fragment_embeds.shape == (4, config.max_fragments, config.projection_dim)
    assert output.text_features.fragment_mask.sum(-1).tolist() == [4, 3, 2, 1]
    expected = output.loss_global + output.loss_fg_snippet + output.loss_fg_subunit + output.loss_hc
    assert torch.allclose(output.loss, expected)
    assert torch.isfinite(output.loss)


def test_subunit_count_follows_number_of_parts(tiny_hali_config, batch):
    for parts, expected in (
        (["left_hand", "right_hand"], 12),
        (["body", "left_hand", "right_hand", "mouth", "face"], 30),
    ):
        tiny_hali_config.pose_config.subunit_parts = parts
        output = HALIModel(tiny_hali_config).eval()(**batch, return_loss=True)
        assert output.pose_features.subunit_embeds.shape[1] == expected
        assert torch.isfinite(output.loss)


def test_padding_does_not_change_features(model, processor):
    rng = np.random.default_rng(1)
    short, long = random_pose(rng, 9), random_pose(rng, 33)
    alone = processor(poses=[short])
    padded = processor(poses=[short, long])
    with torch.no_grad():
        single = model.get_pose_features(alone["pose_values"], alone["pose_mask"])
        batched = model.get_pose_features(padded["pose_values"], padded["pose_mask"])
    assert torch.allclose(single.video_embeds[0], batched.video_embeds[0], atol=1e-5)
    assert torch.allclose(single.subunit_embeds[0], batched.subunit_embeds[0], atol=1e-5)


def test_duplicate_glosses_are_not_negatives(model, batch):
    distinct = model(**batch, labels=torch.tensor([0, 1, 2, 3]), return_loss=True).loss_global
    duplicated = model(**batch, labels=torch.tensor([0, 1, 0, 3]), return_loss=True).loss_global
    assert not torch.isclose(distinct, duplicated)


def test_batch_of_one_gives_zero_contrastive_terms(model, processor):
    single = processor(poses=[random_pose(np.random.default_rng(2), 10)], text=TEXTS[:1])
    output = model(**single, return_loss=True)
    assert output.loss_global == 0 and output.loss_fg_snippet == 0 and output.loss_fg_subunit == 0
    assert torch.isfinite(output.loss_hc)


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda b: b.update(pose_values=b["pose_values"][:, :, :50]), "canonical layout"),
        (lambda b: b["pose_values"].__setitem__((0, 0, 0, 0), float("nan")), "NaN"),
        (lambda b: b["pose_mask"].__setitem__(1, 0), "no valid frame"),
        (lambda b: b["fragment_ids"].__setitem__(2, -1), "no fragment tokens"),
    ],
)
def test_bad_model_input_raises_clear_error(model, batch, corrupt, message):
    corrupt(batch)
    with pytest.raises(ValueError, match=message):
        model(**batch, return_loss=True)


def test_zero_shot_scoring_modes(model, batch):
    with torch.no_grad():
        pose = model.get_pose_features(batch["pose_values"], batch["pose_mask"])
        text = model.get_text_features(batch["input_ids"], batch["attention_mask"], batch["fragment_ids"])
        global_scores = model.score(pose, text)
        model.config.inference_similarity = "hali"
        hali_scores = model.score(pose, text)
    assert global_scores.shape == hali_scores.shape == (4, 4)
    assert torch.allclose(global_scores, pose.video_embeds @ text.description_embeds.t())
    assert not torch.allclose(global_scores, hali_scores)


def test_video_only_pose_features_match_the_full_pass(model, batch):
    with torch.no_grad():
        full = model.get_pose_features(batch["pose_values"], batch["pose_mask"])
        video_only = model.get_pose_features(batch["pose_values"], batch["pose_mask"], include_subunits=False)
    assert video_only.subunit_embeds is None
    assert torch.allclose(video_only.video_embeds, full.video_embeds, atol=1e-6)
    assert torch.allclose(video_only.snippet_embeds, full.snippet_embeds, atol=1e-6)


def test_save_and_load_give_identical_outputs(model, processor, batch, tmp_path):
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    reloaded = HALIModel.from_pretrained(tmp_path).eval()
    reloaded_processor = HALIProcessor.from_pretrained(tmp_path)
    assert reloaded_processor.max_frames == 40
    assert reloaded_processor(text=TEXTS)["fragment_ids"].tolist() == batch["fragment_ids"].tolist()
    with torch.no_grad():
        before = model(**batch, return_loss=True)
        after = reloaded(**batch, return_loss=True)
    assert torch.allclose(before.logits_per_pose, after.logits_per_pose, atol=1e-6)
    assert torch.allclose(before.loss, after.loss, atol=1e-6)


def test_trust_remote_code_load_in_fresh_process(model, processor, batch, tmp_path):
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    torch.save({k: v for k, v in batch.items()}, tmp_path / "batch.pt")
    with torch.no_grad():
        expected = model(**batch).logits_per_pose
    torch.save(expected, tmp_path / "expected.pt")
    script = f"""
import sys, torch
from transformers import AutoModel, AutoProcessor
model = AutoModel.from_pretrained({str(tmp_path)!r}, trust_remote_code=True).eval()
processor = AutoProcessor.from_pretrained({str(tmp_path)!r}, trust_remote_code=True)
assert not any(name.startswith("lexsign_hf") for name in sys.modules), "lexsign_hf was imported"
batch = torch.load({str(tmp_path / "batch.pt")!r})
with torch.no_grad():
    logits = model(**batch).logits_per_pose
assert torch.allclose(logits, torch.load({str(tmp_path / "expected.pt")!r}), atol=1e-5)
print(type(model).__name__, type(processor).__name__)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "HALIModel HALIProcessor" in result.stdout


def test_sign_classifier_with_and_without_alignment(tiny_hali_config, batch):
    tiny_hali_config.id2label = {i: f"gloss{i}" for i in range(4)}
    classifier = HALIForSignClassification(tiny_hali_config)
    labels = torch.tensor([0, 1, 2, 3])
    plain = classifier(pose_values=batch["pose_values"], pose_mask=batch["pose_mask"], labels=labels)
    assert plain.logits.shape == (4, 4) and plain.loss_hali is None
    aligned = classifier(**batch, labels=labels)
    assert aligned.loss_hali is not None
    assert torch.allclose(aligned.loss, aligned.loss_ce + aligned.loss_hali)
    aligned.loss.backward()
    assert classifier.classifier.weight.grad is not None


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="temperature"):
        HALIConfig(temperature=2.0)
    with pytest.raises(ValueError, match="subunit_parts"):
        HALIConfig(pose_config={"subunit_parts": ["tail"]})
    with pytest.raises(ValueError, match="inference_similarity"):
        HALIConfig(inference_similarity="cosine")


def test_zero_weight_terms_are_skipped(tiny_hali_config, batch):
    tiny_hali_config.w_fg_snippet = tiny_hali_config.w_fg_subunit = tiny_hali_config.w_hc = 0.0
    output = HALIModel(tiny_hali_config).eval()(**batch, return_loss=True)
    assert output.loss_fg_snippet == output.loss_fg_subunit == output.loss_hc == 0
    assert torch.equal(output.loss, output.loss_global)

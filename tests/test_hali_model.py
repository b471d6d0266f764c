"""HALIModel / HALIForSignClassification: shapes, masks, bad input, save/load and remote-code loading."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

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
        (lambda b: b.update(pose_mask=b["pose_mask"][:, :5]), "pose_mask must have shape"),
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


def test_zero_shot_classifier_scores_equal_model_score(model, processor, batch):
    """The classifier's cached fragment matrix gives `HALIModel.score`'s values (a description without fragments
    included: -inf in both), for both similarities, on a vocabulary with 1..L_f real fragments per row."""
    from lexsign_hf.models.hali import HALIZeroShotClassifier
    from lexsign_hf.models.hali.modeling_hali import HALITextFeatures

    generator = torch.Generator().manual_seed(0)
    size, num_fragments, dim = 50, model.config.max_fragments, model.config.projection_dim
    counts = torch.randint(1, num_fragments + 1, (size,), generator=generator)
    counts[3] = 0
    mask = torch.arange(num_fragments)[None] < counts[:, None]
    unit = lambda *shape: F.normalize(torch.randn(*shape, generator=generator), dim=-1)  # noqa: E731
    text = HALITextFeatures(
        description_embeds=unit(size, dim),
        fragment_embeds=unit(size, num_fragments, dim) * mask[..., None],
        fragment_mask=mask,
    )
    classifier = HALIZeroShotClassifier(model, processor)
    classifier.text_features = text
    with torch.no_grad():
        pose = model.get_pose_features(batch["pose_values"], batch["pose_mask"])
    original = model.config.inference_similarity
    try:
        for similarity in ("global", "hali"):
            model.config.inference_similarity = similarity
            scores = classifier.score(pose)
            torch.testing.assert_close(scores, model.score(pose, text), atol=1e-6, rtol=0)
    finally:
        model.config.inference_similarity = original
    assert torch.isinf(scores[:, 3]).all() and torch.isfinite(scores[:, 4:]).all()


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
    assert plain.pose_features.subunit_embeds is None  # no description: the subunit streams are skipped
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
    assert output.loss_fg_snippet is None and output.loss_fg_subunit is None and output.loss_hc is None
    assert torch.equal(output.loss, output.loss_global)
    tiny_hali_config.w_hc = 0.5
    output = HALIModel(tiny_hali_config).eval()(**batch, return_loss=True)
    assert output.loss_fg_snippet is None and output.loss_hc is not None
    assert torch.allclose(output.loss, output.loss_global + 0.5 * output.loss_hc)


def test_unknown_keyword_arguments_raise_type_error(model, batch):
    with pytest.raises(TypeError, match="retrun_loss"):
        model(**batch, retrun_loss=True)
    with pytest.raises(TypeError, match="pose_mas"):
        model.get_pose_features(batch["pose_values"], pose_mas=batch["pose_mask"])
    with pytest.raises(TypeError, match="fragment_id"):
        model.get_text_features(batch["input_ids"], fragment_id=batch["fragment_ids"])
    with pytest.raises(TypeError, match="label"):
        HALIForSignClassification(model.config)(pose_values=batch["pose_values"], label=torch.zeros(4))


def test_text_features_take_a_tokenizer_output(model, processor):
    encoded = processor.tokenizer(TEXTS, padding=True, return_tensors="pt")
    assert "token_type_ids" in encoded
    features = model.get_text_features(**encoded)
    plain = model.get_text_features(encoded["input_ids"], encoded["attention_mask"])
    assert torch.allclose(features.description_embeds, plain.description_embeds)


def test_model_config_alone_bounds_fragments(model, processor):
    text = "one, two, three, four, five"
    ids = processor(text=[text])["fragment_ids"]
    assert ids.max().item() == 4  # the processor does not cut
    model.config.max_fragments = 3
    merged = model.get_text_features(processor(text=[text])["input_ids"], fragment_ids=ids)
    assert merged.fragment_mask.tolist() == [[True, True, True]]
    capped = HALIProcessor(processor.tokenizer, max_fragments=3)(text=[text])["fragment_ids"]
    reference = model.get_text_features(processor(text=[text])["input_ids"], fragment_ids=capped)
    assert torch.allclose(
        merged.fragment_embeds, reference.fragment_embeds
    )  # later fragments merge into the last


def test_part_size_must_match_its_skeleton_graph(tiny_hali_config):
    tiny_hali_config.pose_config.part_sizes = [9, 21, 21, 8, 17]
    tiny_hali_config.pose_config.part_names = ["body", "left_hand", "right_hand", "mouth", "face"]
    with pytest.raises(ValueError, match="part 'face' has 17 keypoints but its skeleton graph has 18"):
        HALIModel(tiny_hali_config)


def test_from_text_pretrained_applies_kwargs_and_keeps_the_callers_config(tiny_bert):
    config = HALIConfig(projection_dim=16, pose_config={"hidden_size": 16, "part_hidden_size": 8})
    model = HALIModel.from_text_pretrained(tiny_bert, config=config, temperature=0.05, w_hc=0.0)
    assert (model.config.temperature, model.config.w_hc, model.config.projection_dim) == (0.05, 0.0, 16)
    assert (config.temperature, config.w_hc) == (0.03, 1.0) and config.text_config.hidden_size != 32
    with pytest.raises(TypeError, match="temprature"):
        HALIModel.from_text_pretrained(tiny_bert, config=config, temprature=0.05)


def test_skeleton_tower_initialisation_reaches_every_layer(tiny_hali_config):
    """transformers visits only modules owning parameters; the tower's LeCun-normal init must still reach the
    temporal convolutions and the graph layers (std 1/sqrt(fan_in), not the 0.02 of the text tower)."""
    tiny_hali_config.pose_config.hidden_size = 64
    tiny_hali_config.pose_config.part_hidden_size = 48
    torch.manual_seed(
        0
    )  # the smallest layers have 144 weights: an unseeded std check fails for ~0.75 % of seeds
    for model in (HALIModel(tiny_hali_config), HALIForSignClassification(tiny_hali_config).hali):
        tower = model.pose_model
        layers = {
            name: module
            for name, module in tower.named_modules()
            if isinstance(module, (torch.nn.Conv1d, torch.nn.Linear))
        }
        assert any(".conv" in name for name in layers) and any(".layers." in name for name in layers)
        for name, layer in layers.items():
            expected = layer.weight[0].numel() ** -0.5
            assert layer.weight.std().item() == pytest.approx(expected, rel=0.2), name
            assert layer.bias is None or not layer.bias.any(), name
        graph = tower.part_encoders["hand"].layers[0]
        assert torch.equal(graph.edge_importance, torch.ones_like(graph.edge_importance))


@pytest.mark.parametrize("learnable", [False, True])
def test_temperature_trainability_survives_save_and_load(tiny_hali_config, tmp_path, learnable):
    tiny_hali_config.temperature, tiny_hali_config.learnable_temperature = 0.05, learnable
    HALIModel(tiny_hali_config).save_pretrained(tmp_path)
    loaded = HALIModel.from_pretrained(tmp_path)
    names = {name for name, parameter in loaded.named_parameters() if parameter.requires_grad}
    assert ("logit_scale" in names) == learnable
    assert all(parameter.requires_grad for parameter in loaded.parameters())  # no frozen-but-listed parameter
    assert loaded.temperature_scale().item() == pytest.approx(20.0)


def test_gradient_checkpointing_covers_both_towers(model, batch):
    model.train()
    torch.manual_seed(0)
    reference = model(**batch, return_loss=True).loss
    reference.backward()
    expected = {name: parameter.grad.clone() for name, parameter in model.named_parameters()}
    model.zero_grad()
    model.activation_checkpointing_enable()
    checkpointed = [
        name for name, module in model.named_modules() if getattr(module, "gradient_checkpointing", False)
    ]
    assert any(name.startswith("pose_model.part_encoders") for name in checkpointed)
    assert any(name.startswith("pose_model.half_stage") for name in checkpointed)
    assert any(name.startswith("text_model.encoder") for name in checkpointed)
    torch.manual_seed(0)
    loss = model(**batch, return_loss=True).loss
    loss.backward()
    assert torch.allclose(loss, reference)
    for name, parameter in model.named_parameters():
        assert torch.allclose(parameter.grad, expected[name], atol=1e-6), name


@pytest.mark.slow
def test_torch_compile_matches_eager(tiny_hali_config, batch):
    """No host sync or data-dependent Python branch in the forward pass: the whole model compiles as one graph
    (fullgraph=True; the aot_eager backend traces forward and backward like inductor, without its C++ build,
    which takes minutes on a 2-core CI machine) and gives the eager loss and gradients."""
    torch.manual_seed(0)
    eager = HALIModel(
        tiny_hali_config
    ).eval()  # no dropout: both runs are deterministic; the loss still trains
    compiled_model = HALIModel(tiny_hali_config).eval()
    compiled_model.load_state_dict(eager.state_dict())
    compiled = torch.compile(compiled_model, backend="aot_eager", fullgraph=True)
    labels = torch.tensor([0, 1, 2, 3])
    reference = eager(**batch, labels=labels, return_loss=True)
    reference.loss.backward()
    output = compiled(**batch, labels=labels, return_loss=True)
    output.loss.backward()
    assert torch.allclose(output.loss, reference.loss, atol=1e-5)
    assert torch.allclose(output.logits_per_pose, reference.logits_per_pose, atol=1e-4)
    for (name, parameter), (_, expected) in zip(
        compiled_model.named_parameters(), eager.named_parameters(), strict=True
    ):
        if expected.grad is not None:
            assert torch.allclose(parameter.grad, expected.grad, atol=1e-4), name

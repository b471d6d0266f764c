"""LoRA fine-tuning of a tiny random Qwen2.5-VL on generated clips, through the real processor, on CPU."""

from __future__ import annotations

import json

import datasets
import pytest
import torch

from lexsign_hf.agp.prompts import ExamplePool, describe_template
from lexsign_hf.cli import main
from lexsign_hf.data.hub_layout import write_dataset_folder
from lexsign_hf.finetune import (
    IGNORE_INDEX,
    DescriptionPairs,
    VideoChatCollator,
    check_adapter_compatible,
    collect_examples,
    leakage_free_glosses,
    load_adapter,
    load_base_model,
    load_description_bank,
    load_index_rows,
)
from lexsign_hf.mllm import ChatRequest
from lexsign_hf.mllm.testing import build_tiny_qwen2_5_vl, cached_tiny_checkpoint, write_test_clips
from lexsign_hf.mllm.transformers_backend import TransformersBackend
from lexsign_hf.mllm.video import FramePolicy, read_video

DESCRIPTIONS = {
    "book": "Both open hands, palms together; open them sideways like a book.",
    "drink": "C hand in front of the mouth; tilt it toward the mouth.",
    "mother": "5 hand, palm facing left, thumb at the chin; tap twice.",
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("lora")
    model = build_tiny_qwen2_5_vl(root / "tiny-qwen2.5-vl")
    write_test_clips(root / "videos", ["v_book", "v_drink", "v_mother"], num_frames=12, size=64)
    features = datasets.Features({"gloss": datasets.Value("string"), "video_id": datasets.Value("string")})
    asl1000 = [{"gloss": gloss, "video_id": f"v_{gloss}"} for gloss in DESCRIPTIONS] + [
        {"gloss": "drink", "video_id": "v_missing"}
    ]
    asl300 = [{"gloss": "mother", "video_id": "v_mother"}]
    write_dataset_folder(
        root / "dataset", {"asl1000": {"train": asl1000}, "asl300": {"train": asl300}}, features, "# t"
    )
    with open(root / "mcp.jsonl", "w", encoding="utf-8") as handle:
        for gloss, text in DESCRIPTIONS.items():
            record = {
                "gloss": gloss,
                "source": "mcp",
                "text": text,
                "book": "Test Dictionary",
                "page": 3,
                "position": 1,
            }
            handle.write(json.dumps(record) + "\n")
    return root, model


def _pairs(root):
    bank = load_description_bank(files=[root / "mcp.jsonl"])
    glosses = leakage_free_glosses(root / "dataset", "asl1000", "asl300")
    examples, counts = collect_examples(
        load_index_rows(root / "dataset", "asl1000"), glosses, root / "videos", bank
    )
    pool = ExamplePool.from_spec("builtin")
    return DescriptionPairs(examples, bank, describe_template(), pool), counts


def test_leakage_free_gloss_set_and_skipped_videos(workspace):
    root, _ = workspace
    assert leakage_free_glosses(root / "dataset", "asl1000", "asl300") == ["book", "drink"]
    pairs, counts = _pairs(root)
    assert counts == {
        "rows": 4, "outside_gloss_set": 1, "no_description": 0, "missing_video": 1, "examples": 2, "glosses": 2
    }  # fmt: skip
    assert [example.video_id for example in pairs.examples] == ["v_book", "v_drink"]
    with pytest.raises(ValueError, match="no training pair"):
        collect_examples(load_index_rows(root / "dataset", "asl1000"), ["book"], root / "dataset", pairs.bank)


def test_labels_cover_only_the_assistant_answer(workspace):
    root, model_path = workspace
    model, processor = load_base_model(str(model_path))
    pairs, _ = _pairs(root)
    collator = VideoChatCollator(processor, FramePolicy(fps=None, max_frames=8))
    examples = [pairs[0], pairs[1]]
    batch = collator(examples)

    assert batch["input_ids"].shape == batch["labels"].shape == batch["mm_token_type_ids"].shape
    assert batch["video_grid_thw"].shape == (2, 3) and batch["second_per_grid_ts"].shape == (2,)
    video_token = model.config.video_token_id
    assert ((batch["input_ids"] == video_token) == (batch["mm_token_type_ids"] == 2)).all()
    policy = FramePolicy(fps=None, max_frames=8)
    for row, example in enumerate(examples):
        # The prompt encoded on its own, exactly as the model sees it at generation time.
        user = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": example["prompt"]}]}]
        prompt = processor.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
        clip = read_video(example["video"], policy)
        metadata = {"total_num_frames": len(clip.frames), "fps": clip.fps}
        prompt_ids = processor(
            text=[prompt],
            videos=[clip.frames],
            video_metadata=[metadata],
            do_sample_frames=False,
            return_tensors="pt",
        )["input_ids"][0]
        length = len(prompt_ids)
        labels = batch["labels"][row]
        assert (batch["input_ids"][row, :length] == prompt_ids).all()
        assert (labels[:length] == IGNORE_INDEX).all()
        answer_end = int(batch["attention_mask"][row].sum())
        assert (labels[length:answer_end] != IGNORE_INDEX).all() and (
            labels[answer_end:] == IGNORE_INDEX
        ).all()
        assert (labels[length:answer_end] == batch["input_ids"][row, length:answer_end]).all()
        assert processor.tokenizer.decode(labels[length:answer_end]) == example["text"] + "<|im_end|>"

    # The model's loss is the cross-entropy over the answer tokens only.
    with torch.no_grad():
        output = model(**batch)
    logits, labels = output.logits[:, :-1].float(), batch["labels"][:, 1:]
    mask = labels != IGNORE_INDEX
    expected = torch.nn.functional.cross_entropy(logits[mask], labels[mask])
    assert torch.allclose(model(**batch).loss, expected, atol=1e-5)
    everything = torch.nn.functional.cross_entropy(
        logits[batch["attention_mask"][:, 1:] == 1],
        batch["input_ids"][:, 1:][batch["attention_mask"][:, 1:] == 1],
    )
    assert not torch.allclose(everything, expected)


def test_finetune_saves_reloads_merges_and_generates(workspace):
    root, model_path = workspace
    out = root / "run"
    code = main(
        [
            "mllm", "finetune-lora", "--model", str(model_path), "--dataset", str(root / "dataset"),
            "--videos", str(root / "videos"), "--descriptions", str(root / "mcp.jsonl"), "--out", str(out),
            "--max-steps", "3", "--grad-accum", "1", "--lr", "0.02", "--lora-r", "4", "--lora-alpha", "8",
            "--logging-steps", "1", "--max-frames", "8", "--merge",
        ]
    )  # fmt: skip
    assert code == 0
    adapter, merged = out / "adapter", out / "merged"
    for name in ("adapter_config.json", "adapter_model.safetensors", "lexsign_finetune.json", "README.md"):
        assert (adapter / name).is_file(), name
    metadata = json.loads((adapter / "lexsign_finetune.json").read_text())
    assert metadata["glosses"] == ["book", "drink"] and metadata["data_counts"]["examples"] == 2
    assert metadata["prompt_version"].startswith("agp-describe@")
    card = (adapter / "README.md").read_text()
    assert "library_name: peft" in card and "LoRA rank / alpha / dropout | 4 / 8 / 0.05" in card

    base, processor = load_base_model(str(model_path))
    reference = load_base_model(str(model_path))[0]
    tuned = load_adapter(base, adapter)
    merged_model = load_base_model(str(merged))[0]
    batch = VideoChatCollator(processor, FramePolicy(fps=None, max_frames=8))([_pairs(root)[0][0]])
    with torch.no_grad():
        tuned_logits = tuned(**batch).logits
        merged_logits = merged_model(**batch).logits
        base_logits = reference(**batch).logits
    assert torch.allclose(tuned_logits, merged_logits, atol=1e-4)
    assert not torch.allclose(tuned_logits, base_logits, atol=1e-4)  # training changed the model

    backend = TransformersBackend(merged, batch_size=2, device="cpu")
    generations = backend.generate(
        [
            ChatRequest(
                prompt="Describe the sign.", video=str(root / "videos" / "v_book.mp4"), max_new_tokens=6
            )
        ]
    )
    assert generations[0].ok and generations[0].usage["completion_tokens"] > 0


def test_adapter_for_another_base_model_is_refused(workspace, tmp_path):
    root, model_path = workspace
    adapter = root / "run" / "adapter"
    if not adapter.is_dir():
        pytest.skip("needs the adapter of test_finetune_saves_reloads_merges_and_generates")
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    config = Qwen2_5_VLConfig.from_pretrained(model_path)
    config.text_config.num_hidden_layers = 1
    with pytest.raises(ValueError, match="was trained for base model .*num_hidden_layers"):
        check_adapter_compatible(Qwen2_5_VLForConditionalGeneration(config), adapter)

    # Without the fingerprint file the LoRA matrix shapes still give it away.
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (bare / name).write_bytes((adapter / name).read_bytes())
    config = Qwen2_5_VLConfig.from_pretrained(model_path)
    config.text_config.intermediate_size = 96
    with pytest.raises(ValueError, match="mlp.down_proj.* input size 96, the adapter expects 128"):
        load_adapter(Qwen2_5_VLForConditionalGeneration(config), bare)
    with pytest.raises(ValueError, match="is a 'qwen2' checkpoint; LoRA fine-tuning expects Qwen2.5-VL"):
        load_base_model(str(cached_tiny_checkpoint("causal_lm")))

"""TransformersBackend / TransformersTextBackend on tiny, randomly initialised checkpoints (real processors)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lexsign_hf.mllm import (
    ChatRequest,
    FramePolicy,
    TransformersBackend,
    TransformersTextBackend,
    build_backend,
)
from lexsign_hf.mllm.testing import cached_tiny_checkpoint, write_test_clips


@pytest.fixture(scope="session")
def tiny_qwen():
    return cached_tiny_checkpoint("qwen2_5_vl")


@pytest.fixture(scope="session")
def tiny_lm():
    return cached_tiny_checkpoint("causal_lm")


@pytest.fixture(scope="module")
def backend(tiny_qwen):
    return TransformersBackend(tiny_qwen, batch_size=3, device="cpu")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return write_test_clips(tmp_path_factory.mktemp("clips"), ["c0", "c1", "c2"], num_frames=20)


def test_checkpoint_is_a_real_qwen2_5_vl_folder(tiny_qwen):
    config = json.loads((tiny_qwen / "config.json").read_text())
    assert config["model_type"] == "qwen2_5_vl"
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_qwen)
    assert type(processor).__name__ == "Qwen2_5_VLProcessor"
    assert type(processor.video_processor).__name__ == "Qwen2VLVideoProcessor"
    tokens = processor.tokenizer.convert_tokens_to_ids(
        ["<|im_start|>", "<|im_end|>", "<|video_pad|>", "<|image_pad|>"]
    )
    assert len(set(tokens)) == 4 and processor.tokenizer.unk_token_id not in tokens


def test_video_requests_go_through_the_processor(backend, clips):
    requests = [
        ChatRequest(
            prompt="Which option? A, B, C or D.", video=str(path), request_id=f"v{i}", max_new_tokens=4
        )
        for i, path in enumerate(clips)
    ]
    generations = backend.generate(requests)
    assert [g.request_id for g in generations] == ["v0", "v1", "v2"]
    assert all(g.ok for g in generations)
    # 20 frames at 25 fps -> 4 frames at 5 fps -> 2 temporal patches x (56/28)^2 merged tokens = 8 video tokens
    text_only = backend.generate([ChatRequest(prompt="Which option? A, B, C or D.", max_new_tokens=4)])[0]
    assert all(g.usage["prompt_tokens"] - text_only.usage["prompt_tokens"] == 8 + 2 for g in generations)
    assert all(1 <= g.usage["completion_tokens"] <= 4 for g in generations)
    assert backend.usage["requests"] == 4 and backend.usage["errors"] == 0


def test_batched_generation_matches_one_by_one(backend, clips):
    requests = [
        ChatRequest(prompt="short", video=str(clips[0]), request_id="a", max_new_tokens=5),
        ChatRequest(
            prompt="a much longer prompt about handshapes and movement", request_id="b", max_new_tokens=5
        ),
        ChatRequest(
            prompt="frames",
            video=list(np.zeros((4, 56, 56, 3), np.uint8)),
            video_fps=5,
            request_id="c",
            max_new_tokens=5,
        ),
    ]
    batched = [g.text for g in backend.generate(requests)]
    single = [backend.generate([request])[0].text for request in requests]
    assert batched == single


def test_images_system_prompt_and_sampling(backend):
    image = np.full((56, 56, 3), 128, np.uint8)
    generation = backend.generate(
        [
            ChatRequest(
                prompt="Describe.",
                images=[image],
                system="You are a lexicographer.",
                temperature=0.7,
                max_new_tokens=3,
            )
        ]
    )[0]
    assert generation.ok and generation.usage["prompt_tokens"] > 4


def test_missing_video_is_a_per_request_error(backend, clips, tmp_path):
    generations = backend.generate(
        [
            ChatRequest(prompt="x", video=tmp_path / "absent.mp4", request_id="missing"),
            ChatRequest(prompt="x", video=str(clips[1]), request_id="fine", max_new_tokens=2),
        ]
    )
    assert not generations[0].ok and "absent.mp4" in generations[0].error and generations[0].text == ""
    assert generations[1].ok


def test_temporal_perturbation_changes_the_frames_seen(tiny_qwen, clips):
    plain = TransformersBackend(tiny_qwen, device="cpu", frame_policy=FramePolicy(fps=None, max_frames=None))
    clip = plain.load_video(ChatRequest(prompt="", video=str(clips[0]), request_id="q"))
    plain.frame_policy = FramePolicy(fps=None, max_frames=None, temporal_perturbation=0.2, seed=1)
    perturbed = plain.load_video(ChatRequest(prompt="", video=str(clips[0]), request_id="q"))
    assert clip.indices == list(range(20)) and perturbed.indices != clip.indices


def test_factory_and_bad_checkpoint(tiny_qwen, tmp_path):
    backend = build_backend(
        f"transformers:{tiny_qwen}", batch_size=2, device="cpu", timeout=5, rate_limit_per_min=None
    )
    assert isinstance(backend, TransformersBackend) and backend.batch_size == 2
    with pytest.raises(FileNotFoundError, match="config.json"):
        TransformersBackend(tmp_path / "nothing-here")
    with pytest.raises(ValueError, match="dtype"):
        TransformersBackend(tiny_qwen, dtype="int3")


def test_text_backend(tiny_lm):
    backend = build_backend(f"text:{tiny_lm}", device="cpu")
    assert isinstance(backend, TransformersTextBackend)
    requests = [
        ChatRequest(
            prompt="Summarise: A hand at the chin.", system="Be brief.", max_new_tokens=6, request_id="s"
        ),
        ChatRequest(
            prompt="Another, longer request to summarise these descriptions.",
            max_new_tokens=6,
            request_id="t",
        ),
        ChatRequest(prompt="with video", video=np.zeros((2, 8, 8, 3), np.uint8), request_id="v"),
    ]
    generations = backend.generate(requests)
    assert generations[0].ok and generations[1].ok and generations[0].usage["completion_tokens"] >= 1
    assert not generations[2].ok and "text-only" in generations[2].error
    batched = [g.text for g in generations[:2]]
    assert batched == [backend.generate([r])[0].text for r in requests[:2]]

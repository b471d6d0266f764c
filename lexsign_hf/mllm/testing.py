"""Tiny, randomly initialised checkpoints and video clips for tests (no download needed).

`build_tiny_qwen2_5_vl(path)` saves a real `Qwen2_5_VLForConditionalGeneration` (2 text layers, 2 vision
blocks), a byte-level BPE tokenizer trained locally with Qwen's special tokens, the real
`Qwen2VLImageProcessor` / `Qwen2VLVideoProcessor` and a `Qwen2_5_VLProcessor` with Qwen's chat template, so
`AutoProcessor` / `AutoModelForImageTextToText.from_pretrained(path)` load it like any checkpoint.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# Qwen2-VL / Qwen2.5-VL chat template (as shipped with the public checkpoints).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: "
    "{% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_CORPUS = (
    "A person in the middle of the video performs a sign in American Sign Language. "
    "Which option describes how the sign is performed? Which gloss does the person sign? "
    "Answer with the letter only: A, B, C or D. The answer is B. "
    "A hand, B hand, C hand, F hand, 5 hand, open hand, flat hand, bent hand, index finger, thumb, palm facing in, "
    "palm facing out, palm down, palm up, at the chin, at the forehead, in front of the chest, neutral space, "
    "move forward twice, circular movement, straight movement, repeated, contact, both hands, dominant hand. "
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?()'\"-/"
)


def train_tiny_tokenizer(vocab_size: int = 512):
    """A byte-level BPE `Qwen2Tokenizer` trained on a small sign-description corpus, with Qwen's specials."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    bpe.train_from_iterator([_CORPUS] * 4, trainer=trainer)
    state = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in state["merges"]]
    tokenizer = Qwen2Tokenizer(vocab=state["vocab"], merges=merges, errors="replace")
    tokenizer.add_special_tokens({"additional_special_tokens": list(SPECIAL_TOKENS[1:])})
    tokenizer.eos_token, tokenizer.pad_token = "<|im_end|>", "<|endoftext|>"
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_qwen2_5_vl(path: str | Path, seed: int = 0) -> Path:
    """Save a randomly initialised tiny Qwen2.5-VL checkpoint (model + tokenizer + processor) to `path`."""
    import torch
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    path = Path(path)
    tokenizer = train_tiny_tokenizer()
    token_id = tokenizer.convert_tokens_to_ids
    size = {"shortest_edge": 56 * 56, "longest_edge": 112 * 112}
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(size=size),
        video_processor=Qwen2VLVideoProcessor(size=size),
        tokenizer=tokenizer,
        chat_template=CHAT_TEMPLATE,
    )
    hidden = 64
    config = Qwen2_5_VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": hidden,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]},
            "bos_token_id": token_id("<|endoftext|>"),
            "eos_token_id": token_id("<|im_end|>"),
            "pad_token_id": token_id("<|endoftext|>"),
        },
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "out_hidden_size": hidden,
            "fullatt_block_indexes": [1],
        },
        image_token_id=token_id("<|image_pad|>"),
        video_token_id=token_id("<|video_pad|>"),
        vision_start_token_id=token_id("<|vision_start|>"),
        vision_end_token_id=token_id("<|vision_end|>"),
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = token_id("<|im_end|>")
    model.generation_config.pad_token_id = token_id("<|endoftext|>")
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def build_tiny_causal_lm(path: str | Path, seed: int = 0) -> Path:
    """Save a randomly initialised tiny Qwen2 causal LM with the tiny tokenizer and a chat template."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    path = Path(path)
    tokenizer = train_tiny_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config).eval()
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@functools.cache
def cached_tiny_checkpoint(kind: str = "qwen2_5_vl") -> Path:
    """A tiny checkpoint built once per process in a temporary folder (removed at exit); `kind`:
    `"qwen2_5_vl"` or `"causal_lm"`. Treat it as read-only: other tests share it."""
    builders = {"qwen2_5_vl": build_tiny_qwen2_5_vl, "causal_lm": build_tiny_causal_lm}
    if kind not in builders:
        raise ValueError(f"kind must be one of {sorted(builders)}, got {kind!r}")
    folder = Path(tempfile.mkdtemp(prefix=f"lexsign-tiny-{kind}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return builders[kind](folder / kind)


def write_test_clips(
    folder: str | Path,
    names: list[str],
    num_frames: int = 12,
    size: int = 64,
    fps: float = 25.0,
    seed: int = 0,
) -> list[Path]:
    """Write one small synthetic mp4 per name (a moving bright square on a noisy background)."""
    from .video import write_video

    folder = Path(folder)
    rng = np.random.default_rng(seed)
    paths = []
    for k, name in enumerate(names):
        frames = rng.integers(0, 60, size=(num_frames, size, size, 3), dtype=np.uint8)
        for t in range(num_frames):
            x = (4 + 3 * t + 5 * k) % (size - 16)
            frames[t, size // 3 : size // 3 + 16, x : x + 16] = (230, 200, 40)
        paths.append(write_video(folder / f"{name}.mp4", frames, fps=fps))
    return paths


class ChatCompletionsStub:
    """A local OpenAI-compatible `POST /v1/chat/completions` endpoint on 127.0.0.1 for tests.

    `respond(body) -> (status, text)` or `(status, text, finish_reason)` decides each answer (finish_reason
    "stop" by default); request bodies are kept in `bodies`. Use as a context manager; `url` is the `base_url`
    to give `OpenAIBackend`.
    """

    def __init__(self, respond):
        self.respond = respond
        self.bodies: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.bodies.append(body)
                status, text, *finish = stub.respond(body)
                message = {"role": "assistant", "content": text}
                payload = {
                    "choices": [{"message": message, "finish_reason": finish[0] if finish else "stop"}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": len(text.split())},
                }
                data = json.dumps(payload if status == 200 else {"error": {"message": text}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ChatCompletionsStub:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

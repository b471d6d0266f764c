"""Local Hugging Face checkpoints: image/video-text-to-text models and text-only causal LMs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .base import ChatRequest, Generation, MLLMBackend
from .video import FramePolicy, VideoClip


def resolve_dtype(dtype: str, device: str):
    """`"auto"` → bfloat16 (or float16) on CUDA, float32 elsewhere; otherwise a torch dtype name."""
    import torch

    if dtype == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if dtype not in ("bfloat16", "float16", "float32"):
        raise ValueError(f"dtype must be 'auto', 'bfloat16', 'float16' or 'float32', got {dtype!r}")
    return getattr(torch, dtype)


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _check_checkpoint(model_name_or_path: str | Path) -> str:
    path = Path(model_name_or_path).expanduser()
    looks_local = path.is_absolute() or str(model_name_or_path).startswith((".", "~")) or path.exists()
    if looks_local and not (path / "config.json").is_file():
        raise FileNotFoundError(f"no Hugging Face checkpoint (config.json) at {path}")
    return str(path) if looks_local else str(model_name_or_path)


def _messages(request: ChatRequest, num_videos: int, num_images: int) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [{"type": "video"}] * num_videos + [{"type": "image"}] * num_images
    content.append({"type": "text", "text": request.prompt})
    messages = (
        [{"role": "system", "content": [{"type": "text", "text": request.system}]}] if request.system else []
    )
    return messages + [{"role": "user", "content": content}]


def _batches(requests: Sequence[ChatRequest], batch_size: int) -> list[list[int]]:
    """Indices grouped by decoding settings (max_new_tokens, temperature), `batch_size` at a time."""
    groups: dict[tuple[int, float], list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault((request.max_new_tokens, request.temperature), []).append(index)
    return [ids[i : i + batch_size] for ids in groups.values() for i in range(0, len(ids), batch_size)]


class _LocalGenerationMixin:
    """Batched, left-padded `model.generate` shared by the multimodal and text-only backends."""

    model: Any
    tokenizer: Any
    batch_size: int

    def _run(self, requests: Sequence[ChatRequest], encode, progress: bool) -> list[Generation]:
        import torch

        results: list[Generation | None] = [None] * len(requests)
        batches = _batches(requests, self.batch_size)
        for batch in tqdm(batches, desc=f"{self.name}", disable=not progress, unit="batch"):
            start = time.perf_counter()
            inputs, kept = encode([requests[i] for i in batch], results, batch)
            if not kept:
                continue
            first = requests[kept[0]]
            do_sample = first.temperature > 0
            sampling = (
                {"do_sample": True, "temperature": first.temperature} if do_sample else {"do_sample": False}
            )
            inputs = inputs.to(self.model.device)
            with torch.inference_mode():
                output = self.model.generate(
                    **inputs,
                    max_new_tokens=first.max_new_tokens,
                    pad_token_id=self.tokenizer.pad_token_id,
                    **sampling,
                )
            new_tokens = output[:, inputs["input_ids"].shape[1] :].cpu()
            texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
            latency = (time.perf_counter() - start) / len(kept)
            prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
            for row, index in enumerate(kept):
                results[index] = Generation(
                    text=texts[row].strip(),
                    request_id=requests[index].request_id,
                    usage={
                        "prompt_tokens": int(prompt_tokens[row]),
                        "completion_tokens": self._count(new_tokens[row]),
                    },
                    latency_s=latency,
                )
        self._account(results)
        return results

    def _count(self, tokens) -> int:
        stops = {self.tokenizer.pad_token_id, *np.atleast_1d(self.model.generation_config.eos_token_id or [])}
        for position, token in enumerate(tokens.tolist()):
            if token in stops:
                return position + (token != self.tokenizer.pad_token_id)
        return len(tokens)


class TransformersBackend(_LocalGenerationMixin, MLLMBackend):
    """Any local `AutoModelForImageTextToText` checkpoint, fed through its own processor and chat template.

    Videos are decoded with PyAV under `frame_policy` and handed to the processor as frames with their
    metadata (`do_sample_frames=False`, the sampled rate in `video_metadata`), so the processor never
    re-samples and Qwen2.5-VL's temporal positions use the true frame rate.
    """

    def __init__(
        self,
        model_name_or_path: str | Path,
        dtype: str = "auto",
        device: str | None = None,
        batch_size: int = 4,
        frame_policy: FramePolicy | None = None,
        attn_implementation: str | None = None,
    ):
        from transformers import AutoModelForImageTextToText, AutoProcessor

        super().__init__(frame_policy or FramePolicy.open_model())
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        checkpoint = _check_checkpoint(model_name_or_path)
        self.device = device or _default_device()
        self.batch_size = batch_size
        self.name = f"transformers:{Path(checkpoint).name}"
        self.processor = AutoProcessor.from_pretrained(checkpoint)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        extra = {"attn_implementation": attn_implementation} if attn_implementation else {}
        self.model = AutoModelForImageTextToText.from_pretrained(
            checkpoint, dtype=resolve_dtype(dtype, self.device), **extra
        )
        self.model.to(self.device).eval()

    def generate(self, requests: Sequence[ChatRequest], progress: bool = False) -> list[Generation]:
        return self._run(requests, self._encode, progress)

    def _encode(self, batch: list[ChatRequest], results: list, indices: list[int]):
        texts, videos, metadata, images, kept = [], [], [], [], []
        for request, index in zip(batch, indices, strict=True):
            try:
                clip = self.load_video(request)
                request_images = [_to_image(image) for image in request.images or []]
            except (OSError, ValueError) as error:
                results[index] = Generation(text="", request_id=request.request_id, error=str(error))
                continue
            if clip is not None:
                videos.append(clip.frames)
                metadata.append(_metadata(clip))
            images.extend(request_images)
            messages = _messages(request, int(clip is not None), len(request_images))
            texts.append(
                self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            )
            kept.append(index)
        if not kept:
            return None, []
        video_kwargs = (
            {"videos": videos, "video_metadata": metadata, "do_sample_frames": False} if videos else {}
        )
        if videos and getattr(self.processor.video_processor, "cap_pixels_per_frame", False) is None:
            video_kwargs["cap_pixels_per_frame"] = (
                True  # Qwen2-VL family: the reference (qwen-vl-utils) pixel cap
            )
        inputs = self.processor(
            text=texts, images=images or None, padding=True, return_tensors="pt", **video_kwargs
        )
        inputs.pop("video_metadata", None)
        dtype = self.model.dtype
        for key in ("pixel_values", "pixel_values_videos"):
            if key in inputs:
                inputs[key] = inputs[key].to(dtype)
        return inputs, kept


class TransformersTextBackend(_LocalGenerationMixin, MLLMBackend):
    """A local text-only `AutoModelForCausalLM` (chat template when the tokenizer has one)."""

    def __init__(
        self,
        model_name_or_path: str | Path,
        dtype: str = "auto",
        device: str | None = None,
        batch_size: int = 8,
    ):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        checkpoint = _check_checkpoint(model_name_or_path)
        self.device = device or _default_device()
        self.batch_size = batch_size
        self.name = f"text:{Path(checkpoint).name}"
        self.tokenizer = AutoTokenizer.from_pretrained(checkpoint, padding_side="left")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=resolve_dtype(dtype, self.device))
        self.model.to(self.device).eval()

    def generate(self, requests: Sequence[ChatRequest], progress: bool = False) -> list[Generation]:
        return self._run(requests, self._encode, progress)

    def _encode(self, batch: list[ChatRequest], results: list, indices: list[int]):
        texts, kept = [], []
        for request, index in zip(batch, indices, strict=True):
            if request.video is not None or request.images:
                error = f"{self.name} is a text-only model: request {request.request_id!r} has video/images"
                results[index] = Generation(text="", request_id=request.request_id, error=error)
                continue
            if self.tokenizer.chat_template:
                messages = [{"role": "system", "content": request.system}] if request.system else []
                messages.append({"role": "user", "content": request.prompt})
                texts.append(
                    self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
                )
            else:
                texts.append(f"{request.system}\n\n{request.prompt}" if request.system else request.prompt)
            kept.append(index)
        if not kept:
            return None, []
        return self.tokenizer(texts, padding=True, return_tensors="pt", add_special_tokens=False), kept


def _metadata(clip: VideoClip) -> dict[str, Any]:
    count = len(clip.frames)
    return {"total_num_frames": count, "fps": clip.fps, "frames_indices": list(range(count))}


def _to_image(image):
    from PIL import Image

    if isinstance(image, (str, Path)):
        if not Path(image).is_file():
            raise FileNotFoundError(f"image file not found: {image}")
        return Image.open(image).convert("RGB")
    if isinstance(image, np.ndarray):
        return Image.fromarray(image.astype(np.uint8)).convert("RGB")
    return image.convert("RGB")

"""Multimodal LLM backends shared by LexSign-Bench, the AGP description pipeline and LoRA fine-tuning.

One small, stable API: build a backend, send it `ChatRequest`s, get `Generation`s back in the same order.

```python
from lexsign_hf.mllm import ChatRequest, FramePolicy, build_backend

backend = build_backend("transformers:/models/Qwen2.5-VL-7B-Instruct", batch_size=4)   # local HF checkpoint
backend = build_backend("openai:gpt-4o@https://api.openai.com/v1")                     # any OpenAI-compatible endpoint
backend = build_backend("text:/models/Qwen2.5-7B-Instruct")                            # text-only causal LM
backend = build_backend("random")                                                       # random-letter baseline

generations = backend.generate([
    ChatRequest(prompt="Which option ...? Answer with the letter only.", video="clip.mp4", request_id="q1"),
    ChatRequest(prompt="Summarise ...", system="You are a lexicographer.", max_new_tokens=96, request_id="s1"),
])
generations[0].text, generations[0].usage, generations[0].error   # error is None on success
```

Public names (everything else is internal):

- `ChatRequest(prompt, video=None, video_fps=None, video_span=None, images=None, system=None,
  max_new_tokens=16, temperature=0.0, request_id="")`: one single-turn chat. `video` is a file path (decoded by
  the backend with its `frame_policy`) or already-sampled frames (`(T, H, W, 3)` uint8 array or list of
  `(H, W, 3)` arrays, with `video_fps` their rate); `video_span=(first, last)` keeps 1-based frames
  `first..last` of the file (`last=-1`: to the end; WLASL's `frame_start`/`frame_end`). `images` is a list of
  image paths / PIL images / `(H, W, 3)` arrays. `temperature=0` means greedy.
- `Generation(text, request_id="", usage={"prompt_tokens": int, "completion_tokens": int}, latency_s=0.0,
  error=None)`; `.ok` is `error is None`. A per-request failure (unreadable video, endpoint still failing after
  retries, video sent to a text-only model) comes back as a `Generation` with `error` set and `text=""`;
  configuration errors (bad checkpoint path, bad spec, missing API key) raise `ValueError` /
  `FileNotFoundError` at construction.
- `MLLMBackend`: base class. `generate(requests: Sequence[ChatRequest], progress: bool = False)
  -> list[Generation]` (same order, one per request); attributes `name: str` (recorded in results),
  `frame_policy: FramePolicy` (may be reassigned, e.g. for the temporal-perturbation control),
  `usage: dict` (cumulative `requests`, `errors`, `prompt_tokens`, `completion_tokens`);
  `load_video(request) -> VideoClip | None` (the frames the model sees); `close()`; usable as a context manager.
- `TransformersBackend(model_name_or_path, dtype="auto", device=None, batch_size=4, frame_policy=None,
  attn_implementation=None)`: any local `AutoModelForImageTextToText` checkpoint (Qwen2.5-VL, LLaVA-OneVision,
  InternVL-HF, ...) through its own `AutoProcessor` and chat template; batched, left-padded generation; frames
  handed over with `video_metadata` and `do_sample_frames=False` (no re-sampling, no `fps` passed twice);
  `dtype="auto"`: bf16 (fp16 without bf16 support) on CUDA, fp32 on CPU; default policy
  `FramePolicy.open_model()`; text-only requests work too (blind control). Attributes `model`, `processor`.
- `TransformersTextBackend(model_name_or_path, dtype="auto", device=None, batch_size=8)`: a local
  `AutoModelForCausalLM` (e.g. the LLM that summarises per-video descriptions; chat template when the tokenizer
  has one); requests with video/images fail per request.
- `OpenAIBackend(model, base_url="https://api.openai.com/v1", api_key_env="OPENAI_API_KEY", timeout=60.0,
  max_retries=5, rate_limit_per_min=None, max_workers=4, frame_policy=None, image_max_side=512,
  jpeg_quality=85, max_tokens_field="max_tokens", backoff_base=1.0, backoff_max=60.0)`: `POST
  {base_url}/chat/completions` with httpx; frames (default policy `FramePolicy.closed_model()`) and images as
  base64 JPEG `image_url` parts before the text; exponential backoff on 408/409/429/5xx, timeouts and connection
  errors, honouring `Retry-After`; no key needed for a loopback `base_url` (local vLLM); use
  `max_tokens_field="max_completion_tokens"` for endpoints that want it. `payload(request)` gives the JSON body.
- `RandomBackend(choices="ABCD", seed=0)`: answers a uniformly random choice, deterministic per
  `(seed, request_id)`; a real chance-level baseline for controls.
- `build_backend(spec: str, **kwargs) -> MLLMBackend`: `transformers:PATH`, `text:PATH`,
  `openai:MODEL[@BASE_URL]`, `random[:SEED]` (`SPEC_HELP` describes them); keyword arguments the chosen backend
  does not take, or set to None, are dropped, so CLIs may pass one common set.
- Video (`lexsign_hf.mllm.video`, re-exported here): `FramePolicy(fps=5.0, max_frames=16, central=True,
  temporal_perturbation=0.0, seed=0)` (frozen) with `FramePolicy.open_model()` (central 16 frames at 5 fps) and
  `FramePolicy.closed_model()` (whole video at 10 fps); `read_video(path, policy=None, span=None, key=None)
  -> VideoClip(frames (T, H, W, 3) uint8, fps of the sampled frames, indices into the file)` (default policy:
  every frame; `FileNotFoundError` for a missing file, `ValueError` for an undecodable one);
  `perturb_temporal(frames, p, rng)`; `write_video(path, frames, fps=25.0) -> Path` (H.264 mp4, atomic).
- Test helpers (`lexsign_hf.mllm.testing`, for any area's tests; not imported here):
  `build_tiny_qwen2_5_vl(path, seed=0) -> Path` (randomly initialised Qwen2.5-VL, 2 text layers / 2 vision
  blocks, byte-level BPE tokenizer trained locally with Qwen's special tokens, real `Qwen2VLImageProcessor` /
  `Qwen2VLVideoProcessor` / `Qwen2_5_VLProcessor` with Qwen's chat template, saved like a checkpoint, about a
  second after imports), `build_tiny_causal_lm(path, seed=0) -> Path` (tiny Qwen2 causal LM with that
  tokenizer), `cached_tiny_checkpoint(kind="qwen2_5_vl" | "causal_lm") -> Path` (built once per process in a
  temporary folder, shared: treat as read-only), `write_test_clips(folder, names, num_frames=12, size=64,
  fps=25.0, seed=0) -> list[Path]` (one small synthetic mp4 per name).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ChatRequest": "base",
    "Generation": "base",
    "MLLMBackend": "base",
    "SPEC_HELP": "factory",
    "build_backend": "factory",
    "OpenAIBackend": "openai_backend",
    "RandomBackend": "random_backend",
    "TransformersBackend": "transformers_backend",
    "TransformersTextBackend": "transformers_backend",
    "FramePolicy": "video",
    "VideoClip": "video",
    "perturb_temporal": "video",
    "read_video": "video",
    "write_video": "video",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

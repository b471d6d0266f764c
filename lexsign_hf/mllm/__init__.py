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
- `Generation(text, request_id, usage={"prompt_tokens", "completion_tokens"}, latency_s, error=None)`;
  `.ok` is `error is None`. A per-request failure (unreadable video, endpoint still failing after retries) is
  returned as a `Generation` with `error` set and `text=""`; configuration errors (bad checkpoint path, bad
  spec, missing API key) raise `ValueError` / `FileNotFoundError` at construction.
- `MLLMBackend`: base class. `generate(requests: Sequence[ChatRequest], progress: bool = False)
  -> list[Generation]`; attributes `name: str` (recorded in results), `frame_policy: FramePolicy`
  (may be reassigned, e.g. for the temporal-perturbation control), `usage: dict` (cumulative tokens,
  requests, errors); `close()`.
- `TransformersBackend(model_name_or_path, dtype="auto", device=None, batch_size=4,
  frame_policy=FramePolicy.open_model(), attn_implementation=None)`: any local `AutoModelForImageTextToText`
  checkpoint (Qwen2.5-VL, LLaVA-OneVision, InternVL-HF, ...) through its own `AutoProcessor` and chat
  template; batched, left-padded generation; text-only requests work too (blind control).
- `TransformersTextBackend(model_name_or_path, dtype="auto", device=None, batch_size=8)`: a local
  `AutoModelForCausalLM` (e.g. the LLM that summarises per-video descriptions); rejects video/images.
- `OpenAIBackend(model, base_url="https://api.openai.com/v1", api_key_env="OPENAI_API_KEY", timeout=60.0,
  max_retries=5, rate_limit_per_min=None, max_workers=4, frame_policy=FramePolicy.closed_model(),
  image_max_side=512)`: `/chat/completions` over HTTP (httpx); video frames sent as base64 JPEG `image_url`
  parts; exponential backoff on 429 / 5xx / timeouts honouring `Retry-After`.
- `RandomBackend(choices="ABCD", seed=0)`: answers a uniformly random choice, deterministic per
  `(seed, request_id)`; a real chance-level baseline for controls.
- `build_backend(spec: str, **kwargs) -> MLLMBackend`: `transformers:PATH`, `text:PATH`,
  `openai:MODEL[@BASE_URL]`, `random[:SEED]`; keyword arguments a backend does not take (or set to None)
  are dropped, so CLIs may pass one common set.
- Video (`lexsign_hf.mllm.video`): `FramePolicy(fps=5.0, max_frames=16, central=True,
  temporal_perturbation=0.0, seed=0)` with `FramePolicy.open_model()` (5 fps, central 16 frames) and
  `FramePolicy.closed_model()` (10 fps, whole video); `read_video(path, policy=None, span=None) -> VideoClip`
  (`frames (T, H, W, 3) uint8`, `fps` of the sampled frames, `indices` into the file);
  `perturb_temporal(frames, p, rng)`; `write_video(path, frames, fps)` (H.264 mp4 via PyAV).
- Test helpers (`lexsign_hf.mllm.testing`, for any area's tests): `build_tiny_qwen2_5_vl(path) -> Path`
  (randomly initialised Qwen2.5-VL + locally trained tokenizer + real Qwen2.5-VL processor, saved like a
  checkpoint, a few seconds), `build_tiny_causal_lm(path) -> Path` (tiny Qwen2 causal LM sharing that
  tokenizer), `write_test_clips(folder, names, num_frames=12, size=64, fps=25) -> list[Path]`.
"""

from .base import ChatRequest, Generation, MLLMBackend
from .factory import SPEC_HELP, build_backend
from .openai_backend import OpenAIBackend
from .random_backend import RandomBackend
from .transformers_backend import TransformersBackend, TransformersTextBackend
from .video import FramePolicy, VideoClip, perturb_temporal, read_video, write_video

__all__ = [
    "SPEC_HELP",
    "ChatRequest",
    "FramePolicy",
    "Generation",
    "MLLMBackend",
    "OpenAIBackend",
    "RandomBackend",
    "TransformersBackend",
    "TransformersTextBackend",
    "VideoClip",
    "build_backend",
    "perturb_temporal",
    "read_video",
    "write_video",
]

"""OpenAI-compatible `/chat/completions` endpoints (OpenAI, vLLM, DashScope, Gemini's compatible API)."""

from __future__ import annotations

import base64
import io
import os
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np
from tqdm.auto import tqdm

from .base import ChatRequest, Generation, MLLMBackend
from .video import FramePolicy

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class OpenAIBackend(MLLMBackend):
    """Chat completions over HTTP; video frames go as base64 JPEG `image_url` parts before the text.

    The API key is read from the environment variable `api_key_env` (not needed for a loopback server such
    as a local vLLM). 429, 5xx, timeouts and connection errors are retried `max_retries` times with
    exponential backoff (or the server's `Retry-After`); `rate_limit_per_min` spaces request starts.
    """

    def __init__(
        self,
        model: str,
        base_url: str = "https://api.openai.com/v1",
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 5,
        rate_limit_per_min: float | None = None,
        max_workers: int = 4,
        frame_policy: FramePolicy | None = None,
        image_max_side: int | None = 512,
        jpeg_quality: int = 85,
        max_tokens_field: str = "max_tokens",
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
    ):
        super().__init__(frame_policy or FramePolicy.closed_model())
        if not model:
            raise ValueError("OpenAIBackend needs a model name, e.g. 'openai:gpt-4o'")
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(
                f"base_url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {base_url!r}"
            )
        api_key = os.environ.get(api_key_env)
        if not api_key and parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"no API key: set the environment variable {api_key_env} for {base_url}")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.name = f"openai:{model}"
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.max_retries = max_retries
        self.max_workers = max(1, max_workers)
        self.image_max_side = image_max_side
        self.jpeg_quality = jpeg_quality
        self.max_tokens_field = max_tokens_field
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._interval = 60.0 / rate_limit_per_min if rate_limit_per_min else 0.0
        self._next_start = 0.0
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=timeout, headers=headers)

    def generate(self, requests: Sequence[ChatRequest], progress: bool = False) -> list[Generation]:
        with ThreadPoolExecutor(self.max_workers) as pool:
            results = list(
                tqdm(
                    pool.map(self._complete, requests),
                    total=len(requests),
                    desc=self.name,
                    disable=not progress,
                )
            )
        self._account(results)
        return results

    def close(self) -> None:
        self._client.close()

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for one request (frames decoded under `self.frame_policy`)."""
        content: list[dict[str, Any]] = []
        clip = self.load_video(request)
        frames = list(clip.frames) if clip is not None else []
        for image in [*frames, *(request.images or [])]:
            content.append({"type": "image_url", "image_url": {"url": self._data_url(image)}})
        content.append({"type": "text", "text": request.prompt})
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages.append({"role": "user", "content": content})
        return {
            "model": self.model,
            "messages": messages,
            self.max_tokens_field: request.max_new_tokens,
            "temperature": request.temperature,
        }

    def _complete(self, request: ChatRequest) -> Generation:
        start = time.perf_counter()
        try:
            body = self.payload(request)
        except (OSError, ValueError) as error:
            return Generation(text="", request_id=request.request_id, error=str(error))
        error = "no attempt made"
        for attempt in range(self.max_retries + 1):
            self._wait_turn()
            retry_after = None
            try:
                response = self._client.post(self.url, json=body)
            except httpx.TimeoutException as exc:
                error = f"timeout: {exc}"
            except httpx.TransportError as exc:
                error = f"connection error: {exc}"
            else:
                if response.status_code == 200:
                    return self._parse(response, request, time.perf_counter() - start)
                error = f"HTTP {response.status_code}: {response.text[:300]}"
                if response.status_code not in RETRY_STATUS:
                    break
                retry_after = _retry_after(response.headers.get("Retry-After"))
            if attempt < self.max_retries:
                delay = retry_after if retry_after is not None else self.backoff_base * 2**attempt
                time.sleep(min(delay * (1.0 + 0.1 * random.random()), self.backoff_max))
        return Generation(
            text="", request_id=request.request_id, latency_s=time.perf_counter() - start, error=error
        )

    def _parse(self, response: httpx.Response, request: ChatRequest, latency: float) -> Generation:
        try:
            data = response.json()
            content = data["choices"][0]["message"]["content"] or ""
            finish_reason = data["choices"][0].get("finish_reason")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return Generation(
                text="",
                request_id=request.request_id,
                latency_s=latency,
                error=f"malformed response: {exc!r}",
            )
        if isinstance(content, list):  # content parts
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        usage = data.get("usage") or {}
        return Generation(
            text=str(content).strip(),
            request_id=request.request_id,
            usage={
                "prompt_tokens": int(usage.get("prompt_tokens") or 0),
                "completion_tokens": int(usage.get("completion_tokens") or 0),
            },
            latency_s=latency,
            finish_reason=str(finish_reason) if finish_reason else None,
        )

    def _wait_turn(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
        time.sleep(max(0.0, start - now))

    def _data_url(self, image) -> str:
        from PIL import Image

        if isinstance(image, np.ndarray):
            image = Image.fromarray(image.astype(np.uint8))
        elif not isinstance(image, Image.Image):
            image = Image.open(image)
        image = image.convert("RGB")
        if self.image_max_side and max(image.size) > self.image_max_side:
            image.thumbnail((self.image_max_side, self.image_max_side))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=self.jpeg_quality)
        return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None

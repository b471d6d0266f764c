"""OpenAIBackend against a local HTTP server speaking the chat-completions protocol; RandomBackend; factory."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from lexsign_hf.mllm import ChatRequest, FramePolicy, OpenAIBackend, RandomBackend, build_backend
from lexsign_hf.mllm.testing import write_test_clips


class ChatServer(ThreadingHTTPServer):
    """Answers POST /v1/chat/completions; `script` lists per-call behaviours ("429", "500", "slow", "ok")."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.script: list[str] = []
        self.bodies: list[dict] = []
        self.headers_seen: list[dict] = []
        self.lock = threading.Lock()
        self.release = threading.Event()  # "slow" replies wait for it (set at teardown)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        server: ChatServer = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with server.lock:
            server.bodies.append(body)
            server.headers_seen.append(dict(self.headers))
            behaviour = server.script.pop(0) if server.script else "ok"
        if self.path != "/v1/chat/completions":
            return self._send(404, {"error": {"message": "not found"}})
        if behaviour == "429":
            return self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"})
        if behaviour == "500":
            return self._send(500, {"error": {"message": "server error"}})
        if behaviour == "400":
            return self._send(400, {"error": {"message": "bad request"}})
        if behaviour == "slow":
            server.release.wait(30)  # never answers within the client's timeout
        images = sum(part["type"] == "image_url" for part in body["messages"][-1]["content"])
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": f"The answer is B. ({images} frames)"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100 + images, "completion_tokens": 7, "total_tokens": 107 + images},
        }
        self._send(200, reply)

    def _send(self, status, payload, headers=None):
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


@pytest.fixture
def server():
    server = ChatServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _backend(server, **kwargs) -> OpenAIBackend:
    options = {"timeout": 5.0, "max_retries": 2, "backoff_base": 0.01, "max_workers": 2, **kwargs}
    return OpenAIBackend("test-model", base_url=server.base_url, **options)


def test_video_frames_sent_as_base64_jpeg_with_usage(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sk-local")
    clip = write_test_clips(tmp_path, ["clip"], num_frames=25, size=64)[0]
    backend = _backend(server, api_key_env="TEST_KEY")  # closed-model policy: whole video at 10 fps
    generation = backend.generate(
        [
            ChatRequest(
                prompt="Which gloss?", video=clip, system="Be exact.", max_new_tokens=8, request_id="q1"
            )
        ]
    )[0]
    assert (
        generation.ok and generation.text == "The answer is B. (10 frames)" and generation.request_id == "q1"
    )
    assert generation.usage == {"prompt_tokens": 110, "completion_tokens": 7}
    body = server.bodies[0]
    assert body["model"] == "test-model" and body["max_tokens"] == 8 and body["temperature"] == 0.0
    assert body["messages"][0] == {"role": "system", "content": "Be exact."}
    parts = body["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["image_url"] * 10 + ["text"] and parts[-1]["text"] == "Which gloss?"
    url = parts[0]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert image.format == "JPEG" and image.size == (64, 64)
    assert server.headers_seen[0]["Authorization"] == "Bearer sk-local"
    assert backend.usage["prompt_tokens"] == 110 and backend.usage["requests"] == 1


def test_429_then_success_is_retried(server):
    server.script = ["429", "500", "ok"]
    generation = _backend(server).generate([ChatRequest(prompt="hi")])[0]
    assert generation.ok and len(server.bodies) == 3


def test_timeout_is_retried_then_reported(server):
    server.script = ["slow", "ok"]
    backend = _backend(server, timeout=2.0)  # a prompt reply takes milliseconds even on a loaded machine
    assert backend.generate([ChatRequest(prompt="hi")])[0].ok and len(server.bodies) == 2
    server.script = ["slow"] * 3
    failed = backend.generate([ChatRequest(prompt="hi", request_id="late")])[0]
    assert not failed.ok and "timeout" in failed.error and failed.request_id == "late" and failed.text == ""
    assert backend.usage["errors"] == 1


def test_retry_after_header_parsing():
    from email.utils import formatdate

    from lexsign_hf.mllm.openai_backend import _retry_after

    assert _retry_after("3") == 3.0 and _retry_after("0.5") == 0.5 and _retry_after(None) is None
    assert 50 <= _retry_after(formatdate(time.time() + 60, usegmt=True)) <= 61
    assert _retry_after("soon") is None


def test_client_errors_are_not_retried(server):
    server.script = ["400"]
    generation = _backend(server).generate([ChatRequest(prompt="hi")])[0]
    assert not generation.ok and "HTTP 400" in generation.error and len(server.bodies) == 1


def test_many_requests_keep_their_order_under_concurrency(server):
    requests = [
        ChatRequest(prompt=f"q{i}", request_id=str(i), images=[np.zeros((8, 8, 3), np.uint8)])
        for i in range(12)
    ]
    generations = _backend(server, max_workers=4, rate_limit_per_min=6000).generate(requests)
    assert [g.request_id for g in generations] == [str(i) for i in range(12)]
    assert all(g.ok and "(1 frames)" in g.text for g in generations)


def test_configuration_errors(monkeypatch):
    monkeypatch.delenv("MISSING_KEY", raising=False)
    with pytest.raises(ValueError, match="MISSING_KEY"):
        OpenAIBackend("gpt-4o", base_url="https://api.example.com/v1", api_key_env="MISSING_KEY")
    with pytest.raises(ValueError, match="base_url"):
        OpenAIBackend("gpt-4o", base_url="not a url")
    with pytest.raises(ValueError, match="unknown backend spec"):
        build_backend("vllm:thing")


def test_factory_parses_openai_spec(server):
    backend = build_backend(
        f"openai:qwen-vl-max@{server.base_url}", max_retries=1, batch_size=8, frame_policy=None
    )
    assert isinstance(backend, OpenAIBackend) and backend.model == "qwen-vl-max" and backend.max_retries == 1
    assert backend.frame_policy == FramePolicy.closed_model()


def test_random_backend_is_uniform_and_deterministic():
    backend = build_backend("random:7")
    assert isinstance(backend, RandomBackend)
    requests = [ChatRequest(prompt="x", request_id=f"q{i}") for i in range(2000)]
    answers = [g.text for g in backend.generate(requests)]
    assert answers == [g.text for g in RandomBackend(seed=7).generate(requests)]
    counts = np.array([answers.count(letter) for letter in "ABCD"])
    assert np.all(np.abs(counts / 2000 - 0.25) < 0.04)
    assert answers != [g.text for g in RandomBackend(seed=8).generate(requests)]

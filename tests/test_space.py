"""The Gradio Space (`spaces/lexsign-zero-shot/app.py`) in a real headless Chromium driven by Playwright, with a
tiny randomly initialised HALI saved to a temporary folder."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import sys
from pathlib import Path

import pytest
import torch
from tiny import TINY_HALI

from lexsign_hf import HALIConfig, HALIModel, HALIProcessor

APP = Path(__file__).resolve().parents[1] / "spaces" / "lexsign-zero-shot" / "app.py"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def space(tmp_path, monkeypatch, minilm_path):
    """The app module, loaded like the Space runs it, with `LEXSIGN_MODEL` pointing at a tiny saved HALI."""
    torch.manual_seed(0)
    HALIModel(HALIConfig(**TINY_HALI)).save_pretrained(tmp_path / "model")
    HALIProcessor.from_text_pretrained(minilm_path, max_frames=32).save_pretrained(tmp_path / "model")
    monkeypatch.setenv("LEXSIGN_MODEL", str(tmp_path / "model"))
    monkeypatch.setenv("LEXSIGN_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("LEXSIGN_NUM_SAMPLES", "3")
    spec = importlib.util.spec_from_file_location("lexsign_space_app", APP)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_candidates_are_parsed_with_clear_errors(space):
    labels, descriptions = space.parse_candidates("HELLO: Flat hand at the forehead; move out.\n\nTHANKS\n")
    assert labels == ["HELLO", "THANKS"] and descriptions == [
        "Flat hand at the forehead; move out.",
        "THANKS",
    ]
    with pytest.raises(ValueError, match="at least two candidates"):
        space.parse_candidates("HELLO: one")
    with pytest.raises(ValueError, match="candidates:2: expected 'GLOSS: description'"):
        space.parse_candidates("HELLO: x\n: no gloss")
    with pytest.raises(ValueError, match="at least two candidates"):
        space.parse_candidates("HELLO: one\nHELLO: two")  # one gloss, two descriptions
    assert space.parse_candidates(
        '{"gloss": "A", "text": "Fist."}\n{"gloss": "B", "text": "Flat hand."}'
    ) == (
        ["A", "B"],
        ["Fist.", "Flat hand."],
    )
    assert space.fragment_labels("A hand, at the chin; tap twice. Then stop.", 2) == [
        "A hand",
        "at the chin / tap twice / Then stop",
    ]


@pytest.mark.skipif(CHROMIUM is None, reason="needs the system chromium (apt-get install chromium)")
def test_space_classifies_a_synthetic_and_an_uploaded_sign(space, shared_data, tmp_path):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    import gradio as gr

    app = space.main()
    theme = gr.themes.Default(font=["ui-sans-serif", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    _, url, _ = app.launch(
        server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True, ssr_mode=False,
        allowed_paths=[str(space.WORK_DIR)], theme=theme,
    )  # fmt: skip
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url)
            candidates = page.locator("#candidates textarea")
            candidates.wait_for(timeout=60_000)
            assert candidates.input_value().count("\n") == 2  # one line per bundled synthetic sign

            page.locator("#classify").click()
            page.locator("#status").get_by_text("Best match").wait_for(timeout=60_000)
            status = page.locator("#status").inner_text()
            assert "SIGN_0000.pose" in status and "coco_wholebody_133" in status
            assert page.locator("#animation img").get_attribute("src").endswith(".gif")
            assert page.locator("#heatmap img").get_attribute("src").endswith(".png")
            ranking = page.locator("#ranking").inner_text()
            assert all(f"SIGN_000{i}" in ranking for i in range(3))
            page.screenshot(path=str(tmp_path / "space.png"), full_page=True)

            real = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs" / "kinder.pose"
            page.locator("#upload input[type=file]").set_input_files(str(real))
            page.locator("#upload").get_by_text("kinder").first.wait_for(
                timeout=30_000
            )  # gradio splits name and suffix
            candidates.fill(
                "PIZZA: P hand in front of the mouth; draw a Z.\nKIND: Flat hand low, palm down; pat twice."
            )
            page.locator("#classify").click()
            page.locator("#status").get_by_text("kinder.pose").wait_for(timeout=60_000)
            assert "holistic_reduced_178" in page.locator("#status").inner_text()
            ranking = page.locator("#ranking").inner_text()
            assert "PIZZA" in ranking and "KIND" in ranking

            candidates.fill("PIZZA: only one")
            page.locator("#classify").click()
            page.locator("#status").get_by_text("give at least two candidates").wait_for(timeout=30_000)
            assert page.locator("#ranking").inner_text().count("KIND") == 0  # the failed input cleared it
            browser.close()
    finally:
        app.close()
    assert sorted(path.suffix for path in (space.WORK_DIR / "samples").iterdir()) == [".pose"] * 3


def write_y4m(video: Path, target: Path) -> Path:
    """The frames of `video` as a Y4M file (what Chromium's fake camera plays, looping)."""
    import av

    with av.open(str(video)) as container, target.open("wb") as out:
        stream = container.streams.video[0]
        rate = stream.average_rate
        out.write(
            f"YUV4MPEG2 W{stream.width} H{stream.height} F{rate.numerator}:{rate.denominator} Ip A1:1 C420jpeg\n".encode()
        )
        for frame in container.decode(stream):
            out.write(b"FRAME\n" + frame.reformat(format="yuv420p").to_ndarray().tobytes())
    return target


def test_model_that_does_not_load_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("LEXSIGN_MODEL", str(tmp_path / "missing-model"))
    monkeypatch.setenv("LEXSIGN_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("LEXSIGN_NUM_SAMPLES", "2")
    spec = importlib.util.spec_from_file_location("lexsign_space_app_missing", APP)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    classifier, error = module.load_classifier(module.MODEL)
    assert classifier is None and "\n" not in error and "missing-model: no such folder" in error
    app = module.build_app(None, [], tmp_path / "work", error)
    assert app is not None


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs the system chromium (apt-get install chromium)")
def test_space_ranks_an_uploaded_video_and_the_webcam(space, tmp_path):
    """Upload a real signing video, then sign into Chromium's fake camera (fed a .y4m of the same video): both
    give ranked glosses; the upload's ranking is the pipeline's for that file; a broken video clears the
    results and says why in one line."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    pytest.importorskip("mediapipe")
    import gradio as gr
    from video_clip import cut_clip

    from lexsign_hf.hub import load_zero_shot_pipeline

    clip = cut_clip(tmp_path / "sign.mp4", frames=10)
    camera = write_y4m(clip, tmp_path / "sign.y4m")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    labels = (
        "MOTHER: 5 hand, thumb touches the chin; tap twice.\nHELP: A hand on the flat palm; both move up."
    )
    expected = load_zero_shot_pipeline(space.MODEL)(str(clip), labels=labels)

    app = space.main()
    _, url, _ = app.launch(
        server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True, ssr_mode=False,
        allowed_paths=[str(space.WORK_DIR)], theme=gr.themes.Default(font=["sans-serif"], font_mono=["monospace"]),
    )  # fmt: skip
    camera_args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *camera_args]
            )
            context = browser.new_context(viewport={"width": 1280, "height": 1100})
            context.grant_permissions(["camera", "microphone"])
            page = context.new_page()
            page.goto(url)
            page.locator("#candidates textarea").wait_for(timeout=60_000)
            page.locator("#candidates textarea").fill(labels)

            page.locator("#video button[aria-label='Upload file']").click()
            page.locator("#video input[type=file]").set_input_files(str(clip))
            page.locator("#video video").wait_for(timeout=30_000)
            page.locator("#classify").click()
            page.locator("#status").get_by_text("Best match").wait_for(timeout=120_000)
            status = page.locator("#status").inner_text()
            assert "mediapipe_holistic_576" in status and "540×720" in status
            best = expected[0]["label"]
            assert f"Best match {best}" in status.replace("*", "")
            ranking = page.locator("#ranking").inner_text()
            assert "MOTHER" in ranking and "HELP" in ranking
            assert page.locator("#animation img").get_attribute("src").endswith(".gif")
            assert page.locator("#heatmap img").get_attribute("src").endswith(".png")

            page.locator("#video button[aria-label='Clear']").first.click()
            page.locator("#video input[type=file]").set_input_files(str(broken))
            page.locator("#video video").wait_for(timeout=30_000)
            page.locator("#classify").click()
            page.locator("#status").get_by_text("cannot be decoded as a video").wait_for(timeout=60_000)
            assert "MOTHER" not in page.locator("#ranking").inner_text()  # the previous result is cleared

            page.locator("#video button[aria-label='Clear']").first.click()
            page.locator("#video button[aria-label='Capture from camera']").click()
            page.locator("#video").get_by_text("Click to Access Webcam").click()
            page.locator("#video button[aria-label='start recording']").click()
            page.locator("#video [title='stop recording']").wait_for(timeout=10_000)
            page.wait_for_timeout(2000)
            page.locator("#video button.capture-button").click()  # its title turns to 'stop recording'
            page.locator("#video video[src]").first.wait_for(timeout=30_000)
            page.locator("#classify").click()
            page.locator("#status").get_by_text("Best match").wait_for(timeout=120_000)
            status = page.locator("#status").inner_text()
            assert "mediapipe_holistic_576" in status and "540×720" in status
            ranking = page.locator("#ranking").inner_text()
            assert "MOTHER" in ranking and "HELP" in ranking
            page.screenshot(path=str(tmp_path / "space-webcam.png"), full_page=True)
            browser.close()
    finally:
        app.close()

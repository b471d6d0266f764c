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
    with pytest.raises(ValueError, match="candidates line 2: expected 'GLOSS: description'"):
        space.parse_candidates("HELLO: x\n: no gloss")
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

            real = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs" / "pizza.pose"
            page.locator("#upload input[type=file]").set_input_files(str(real))
            page.locator("#upload").get_by_text("pizza.pose").wait_for(timeout=30_000)
            candidates.fill(
                "PIZZA: P hand in front of the mouth; draw a Z.\nKIND: Flat hand low, palm down; pat twice."
            )
            page.locator("#classify").click()
            page.locator("#status").get_by_text("pizza.pose").wait_for(timeout=60_000)
            assert "holistic_reduced_178" in page.locator("#status").inner_text()
            ranking = page.locator("#ranking").inner_text()
            assert "PIZZA" in ranking and "KIND" in ranking

            candidates.fill("PIZZA: only one")
            page.locator("#classify").click()
            page.get_by_text("give at least two candidates").first.wait_for(timeout=30_000)
            browser.close()
    finally:
        app.close()
    assert sorted(path.suffix for path in (space.WORK_DIR / "samples").iterdir()) == [".pose"] * 3

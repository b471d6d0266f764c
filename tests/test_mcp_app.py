"""The MCP annotation app in a real headless Chromium (system package) driven by Playwright."""

from __future__ import annotations

import io
import json
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lexsign_hf.data.descriptions import read_description_file
from lexsign_hf.mcp.app import SignMedia, build_app, launch

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
BOOK = "Test Handbook of Signs"
RETRIEVALS = [
    {
        "gloss": "pizza",
        "status": "found",
        "candidates": [
            {
                "book": BOOK,
                "headword": "PIZZA",
                "text": "P hand in front of the mouth; draw a Z in the air.",
                "page": 2,
                "line": 4,
                "end_page": 2,
                "end_line": 5,
                "method": "exact",
                "score": 100.0,
            },
            {
                "book": BOOK,
                "headword": "PIE",
                "text": "Open hand cuts across the other open palm twice.",
                "page": 2,
                "line": 6,
                "end_page": 2,
                "end_line": 6,
                "method": "fuzzy",
                "score": 86.0,
            },
        ],
    },  # fmt: skip
    {"gloss": "zebra", "status": "no_candidates", "candidates": []},
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def media_folder(tmp_path) -> Path:
    """The real `pizza.pose` (DSGS lexicon sample) when ../shared/data is there, else a generated pizza.mp4."""
    real = (
        Path(__file__).resolve().parents[2]
        / "shared"
        / "data"
        / "pose-samples"
        / "spoken-to-signed-dummy-lexicon-dsgs"
    )
    if (real / "pizza.pose").is_file():
        return real
    from lexsign_hf.mllm.testing import write_test_clips

    write_test_clips(tmp_path / "media", ["pizza"])
    return tmp_path / "media"


def _scanned_retrievals(tmp_path: Path) -> list[dict]:
    """RETRIEVALS with the PIZZA entry OCR-ed from a page image: a black block where its lines are printed."""
    from PIL import Image

    page = Image.new("L", (600, 800), 255)
    page.paste(0, (100, 300, 500, 360))
    page.save(tmp_path / "page2.png")
    retrievals = json.loads(json.dumps(RETRIEVALS))
    pizza = retrievals[0]["candidates"][0]
    pizza.update(image=str(tmp_path / "page2.png"), bbox=[100, 300, 500, 360], min_confidence=55.0)
    return retrievals


@pytest.mark.skipif(CHROMIUM is None, reason="needs the system chromium (apt-get install chromium)")
def test_annotator_chooses_edits_and_saves_a_candidate(tmp_path, media_folder):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    out = tmp_path / "mcp.jsonl"
    media = SignMedia([media_folder], cache_dir=tmp_path / "cache", max_frames=24)
    retrievals = _scanned_retrievals(tmp_path)
    app, url = launch(build_app(retrievals, out, media, annotator="tester"), port=_free_port(), block=False)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(url)
            page.get_by_text("2 candidate(s)").wait_for(timeout=60_000)
            page.locator("#media-note").get_by_text("pizza.").wait_for()
            if media_folder.name != "media":  # the skeleton animation rendered from the real pose file
                assert page.locator("#sign-animation img").get_attribute("src").endswith(".gif")

            assert not page.locator("#scan-crop").is_visible()  # no candidate chosen yet
            page.locator("#candidates").get_by_text(
                "PIZZA (exact, p. 2, l. 4) ⚠ low OCR confidence (55)"
            ).click()
            description = page.locator("#description textarea")
            page.wait_for_function(
                "el => el.value.startsWith('P hand in front')",
                arg=description.element_handle(),
                timeout=30_000,
            )
            # The scan of the chosen entry's lines is shown beside its text, as served by the app.
            crop = page.locator("#scan-crop img")
            crop.wait_for(timeout=30_000)
            served = page.request.get(crop.get_attribute("src"))
            assert served.ok
            pixels = np.asarray(Image.open(io.BytesIO(served.body())).convert("L"))
            assert pixels.shape == (60 + 2 * 12, 400 + 2 * 12)  # the box and the crop margin
            assert pixels[12:-12, 12:-12].max() < 20 and pixels[:6].min() > 235  # print inside, paper around
            description.fill("P hand in front of the mouth; draw a Z in the air, then move forward.")
            page.locator("#save").click()
            page.locator("#status").get_by_text(
                "Saved pizza (edited) from Test Handbook of Signs, p. 2, l. 4"
            ).wait_for()
            page.locator("#progress").get_by_text("1 of 2 glosses annotated").wait_for()
            page.screenshot(path=str(tmp_path / "mcp_app.png"))

            page.locator("#next").click()
            page.get_by_text("No candidates").wait_for()
            page.locator("#scan-crop").wait_for(state="hidden")
            page.locator("#save").click()
            page.locator("#status").get_by_text("Not saved: choose a candidate first").wait_for()
            browser.close()
    finally:
        app.close()

    records = read_description_file(out, source="mcp")
    assert len(records) == 1
    record = json.loads(out.read_text().splitlines()[0])
    assert record["gloss"] == "pizza" and record["source"] == "mcp" and record["language"] == "asl"
    assert record["text"] == "P hand in front of the mouth; draw a Z in the air, then move forward."
    assert record["fragments"] == ["P hand in front of the mouth", "draw a Z in the air", "then move forward"]
    provenance = record["provenance"]
    assert (provenance["book"], provenance["page"], provenance["position"], provenance["end_line"]) == (
        BOOK,
        2,
        4,
        5,
    )
    assert provenance["edited"] is True and provenance["annotator"] == "tester"
    assert provenance["dictionary_text"] == "P hand in front of the mouth; draw a Z in the air."
    assert provenance["media"].startswith("pizza.")

"""MCP OCR: rendered and degraded dictionary pages through Tesseract, printed page numbers, retrieval, correction.

Pages are drawn with PIL from known entries, so the expected text, page number, line and box of every entry are
known without the OCR engine; the English page's character error rate is printed with the test output.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from lexsign_hf.cli import main
from lexsign_hf.mcp.app import candidate_crop, candidate_label
from lexsign_hf.mcp.correct import correct_book
from lexsign_hf.mcp.entries import parse_entries
from lexsign_hf.mcp.ocr import (
    OcrLine,
    RecognizedLine,
    TesseractEngine,
    character_error_rate,
    detect_page_number,
    ingest,
    read_lines,
)
from lexsign_hf.mcp.retrieve import CandidateIndex
from lexsign_hf.mllm import OpenAIBackend
from lexsign_hf.mllm.testing import ChatCompletionsStub

ENGLISH = {
    "header": "112  BOOK - DRINK",
    "lines": [
        "BOOK (n.) Both open hands, palms pressed together in front",
        "of the chest, open sideways like the covers of a book.",
        "BREAD (n.) The side of the right hand slices twice down",
        "the back of the left hand, as if cutting a loaf.",
        "CAT (n.) F hands at the corners of the mouth pull outward",
        "twice, showing the whiskers.",
        "DOCTOR (n.) The fingertips of the right M hand tap the",
        "inside of the left wrist, where the pulse is taken.",
        "DRINK (v.) C hand at the mouth tips up toward the face,",
        "as if drinking from a glass.",
    ],
}
UNNUMBERED = {"lines": ["EAT (v.) Flat O hand taps the lips twice.", "FISH (n.) Flat hand wiggles forward."]}
CHINESE = {
    "lines": [
        "书：双手掌心相对合拢，然后向两侧打开，",
        "如翻开书本。",
        "喝：一手拇指和食指成半圆形，放在嘴边，",
        "向上倾斜，如喝水状。",
        "猫：双手拇指和食指捏合，在嘴边向两侧拉，",
        "表示猫的胡须。",
        "医生：右手食指和中指搭在左手腕上，",
        "表示把脉。",
    ],
    "footer": "第45页",
}
CJK_FONTS = [  # Debian fonts-noto-cjk, fonts-wqy-zenhei, fonts-wqy-microhei
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
]


def _engine(languages: str) -> TesseractEngine:
    try:
        return TesseractEngine(languages)
    except RuntimeError as error:
        pytest.skip(f"no OCR engine: {error}")


def render_page(spec: dict, font: ImageFont.FreeTypeFont, width: int = 1400) -> tuple[Image.Image, list]:
    """A white page with the spec's header, lines and footer; returns it and `[(text, box)]` top to bottom."""
    size = font.size
    rows = ([spec["header"]] if "header" in spec else []) + spec["lines"]
    step = int(size * 1.6)
    height = 220 + step * (len(rows) + 3)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    printed, y = [], 110
    for number, text in enumerate(rows):
        draw.text((110, y), text, font=font, fill=0)
        printed.append((text, draw.textbbox((110, y), text, font=font)))
        y += step * (2 if number == 0 and "header" in spec else 1)
    if "footer" in spec:
        x = (width - draw.textlength(spec["footer"], font=font)) / 2
        draw.text((x, height - 110), spec["footer"], font=font, fill=0)
        printed.append((spec["footer"], draw.textbbox((x, height - 110), spec["footer"], font=font)))
    return page, printed


def scan(page: Image.Image, seed: int = 0) -> Image.Image:
    """What a scanner makes of a page: a slight skew, blur, sensor noise and JPEG compression (deterministic)."""
    page = page.rotate(0.4, resample=Image.BICUBIC, fillcolor=255).filter(ImageFilter.GaussianBlur(0.8))
    noisy = np.asarray(page, dtype=np.float32) + np.random.default_rng(seed).normal(0, 16, page.size[::-1])
    buffer = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=60)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def _overlap(box: tuple, other: tuple) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    width = min(box[2], other[2]) - max(box[0], other[0])
    height = min(box[3], other[3]) - max(box[1], other[1])
    if width <= 0 or height <= 0:
        return 0.0
    areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in (box, other)]
    return width * height / (sum(areas) - width * height)


def _union(*boxes: tuple) -> tuple:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


@pytest.fixture(scope="module")
def english_book(tmp_path_factory):
    """A two-page image-only PDF (printed page 112, then a page without a number) ingested by the CLI."""
    _engine("eng")
    import matplotlib.font_manager

    folder = tmp_path_factory.mktemp("english")
    font = ImageFont.truetype(matplotlib.font_manager.findfont("DejaVu Serif"), 30)
    numbered, printed = render_page(ENGLISH, font)
    unnumbered, _ = render_page(UNNUMBERED, font)
    scan(numbered).save(
        folder / "scan.pdf", save_all=True, append_images=[scan(unnumbered, 1)], resolution=300
    )
    assert (
        main(
            ["mcp", "ingest", str(folder / "scan.pdf"), "--out", str(folder / "book.jsonl"), "--book", "ASL"]
        )
        == 0
    )
    return folder, printed


def test_scanned_english_pdf_pages_numbers_and_character_error_rate(english_book, capsys):
    folder, printed = english_book
    lines = read_lines(folder / "book.jsonl")
    first = [line for line in lines if line.source_page == 1]
    second = [line for line in lines if line.source_page == 2]
    assert {(line.page, line.page_source) for line in first} == {(112, "printed")}
    assert {(line.page, line.page_source) for line in second} == {(2, "index")}  # no number printed: flagged
    assert [line.role for line in first] == ["header"] + [None] * (len(first) - 1)
    assert all(Path(line.image).is_file() and 0 <= line.confidence <= 100 for line in lines)
    assert len(first) == len(printed)
    for line, (_, box) in zip(first, printed, strict=True):
        assert _overlap(line.bbox, box) > 0.6, (line.text, line.bbox, box)

    reference = "\n".join(text for text, _ in printed)
    cer = character_error_rate(reference, "\n".join(line.text for line in first))
    with capsys.disabled():
        print(f"\n[OCR] Tesseract {TesseractEngine('eng').version}, English scanned page: CER {cer:.4f} "
              f"over {len(reference)} characters")  # fmt: skip
    assert cer < 0.05


def test_retrieve_finds_english_entries_with_printed_page_and_line(english_book, capsys):
    folder, printed = english_book
    out = folder / "candidates.jsonl"
    args = [
        "mcp",
        "retrieve",
        str(folder / "book.jsonl"),
        "--gloss",
        "book",
        "doctor",
        "drink",
        "eat",
        "zebra",
    ]
    assert main([*args, "--out", str(out)]) == 0
    results = {row["gloss"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert results["zebra"]["status"] == "no_candidates"
    headers = {text.split(" (")[0]: number for number, (text, _) in enumerate(printed, start=1)}
    for gloss in ("book", "doctor", "drink"):
        best = results[gloss]["candidates"][0]
        assert (best["headword"], best["method"]) == (gloss.upper(), "exact")
        assert (best["page"], best["page_source"], best["line"]) == (112, "printed", headers[gloss.upper()])
        start = headers[gloss.upper()] - 1
        assert _overlap(best["bbox"], _union(printed[start][1], printed[start + 1][1])) > 0.6
    eat = results["eat"]["candidates"][0]
    assert (eat["headword"], eat["page"], eat["page_source"], eat["line"]) == ("EAT", 2, "index", 1)
    assert "page index, no printed number" in candidate_label(eat)
    # The app's crop of the chosen entry is the page image inside the entry's box.
    crop = candidate_crop(results["doctor"]["candidates"][0], folder / "crops", margin=0)
    left, top, right, bottom = results["doctor"]["candidates"][0]["bbox"]
    page = Image.open(results["doctor"]["candidates"][0]["image"])
    assert np.array_equal(np.asarray(Image.open(crop)), np.asarray(page.crop((left, top, right, bottom))))


def test_scanned_chinese_page_is_read_and_retrieved(tmp_path):
    font_path = next(((path, index) for path, index in CJK_FONTS if Path(path).is_file()), None)
    if font_path is None:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk or fonts-wqy-zenhei)")
    _engine("chi_sim")
    page, printed = render_page(CHINESE, ImageFont.truetype(font_path[0], 34, index=font_path[1]))
    scan(page).save(tmp_path / "page.png")
    book = tmp_path / "zh.jsonl"
    assert (
        main(["mcp", "ingest", str(tmp_path / "page.png"), "--out", str(book), "--languages", "chi_sim"]) == 0
    )
    lines = read_lines(book)
    assert {(line.page, line.page_source) for line in lines} == {(45, "printed")}
    assert lines[-1].role == "footer"
    cer = character_error_rate("\n".join(text for text, _ in printed), "\n".join(line.text for line in lines))
    print(f"Chinese scanned page: CER {cer:.4f}")
    out = tmp_path / "candidates.jsonl"
    assert main(["mcp", "retrieve", str(book), "--gloss", "书", "医生", "--out", str(out)]) == 0
    results = {row["gloss"]: row["candidates"][0] for row in map(json.loads, out.read_text().splitlines())}
    assert (results["书"]["headword"], results["书"]["page"], results["书"]["line"]) == ("书", 45, 1)
    assert (results["医生"]["headword"], results["医生"]["page"], results["医生"]["line"]) == ("医生", 45, 7)
    assert results["医生"]["text"].startswith("右手") and results["医生"]["text"].endswith("把脉。")


class _ScriptedEngine:
    """Returns fixed lines per page image (looked up by its size) and counts its calls; fails when told."""

    def __init__(
        self, pages: dict[tuple[int, int], list[RecognizedLine]], fail_on: tuple[int, int] | None = None
    ):
        self.pages, self.fail_on, self.calls, self.margin_calls = pages, fail_on, 0, 0

    def recognize(self, image: Image.Image, block: bool = False) -> list[RecognizedLine]:
        if block:  # a margin strip read again for a missed page number: these pages have none
            self.margin_calls += 1
            return []
        self.calls += 1
        if image.size == self.fail_on:
            raise RuntimeError("scanner unplugged")
        return self.pages[image.size]


def test_ingest_resumes_per_page(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    pages = {
        (100, 200): [RecognizedLine("12", (40, 5, 60, 15), 90.0), RecognizedLine("BOOK Open hands.", (5, 40, 95, 50), 88.0)],
        (101, 200): [RecognizedLine("DRINK C hand.", (5, 40, 95, 50), 41.5), RecognizedLine("- 13 -", (40, 185, 60, 195), 90.0)],
    }  # fmt: skip
    for number, size in enumerate(pages, start=1):
        Image.new("L", size, 255).save(folder / f"page{number}.png")
    out = tmp_path / "book.jsonl"
    with pytest.raises(RuntimeError, match="unplugged"):
        ingest(folder, out, engine=_ScriptedEngine(pages, fail_on=(101, 200)), progress=False)
    assert not out.exists() and (tmp_path / "book.jsonl.partial").is_file()
    engine = _ScriptedEngine(pages)
    lines = ingest(folder, out, engine=engine, progress=False)
    assert engine.calls == 1  # only the unfinished page
    assert [(line.page, line.line, line.role, line.text) for line in lines] == [
        (12, 1, "header", "12"),
        (12, 2, None, "BOOK Open hands."),
        (13, 1, None, "DRINK C hand."),
        (13, 2, "footer", "- 13 -"),
    ]
    assert (
        read_lines(out) == lines and json.loads(out.read_text().splitlines()[0])["image"] == "pages/page1.png"
    )
    assert not (tmp_path / "book.jsonl.partial").exists()

    # The correction step sees the low-confidence line marked; the app flags its candidate.
    def echo(body):
        prompt = body["messages"][-1]["content"][-1]["text"]
        return 200, "\n".join(line for line in prompt.splitlines() if line[:1].isdigit())

    with ChatCompletionsStub(echo) as server:
        backend = OpenAIBackend("stub-llm", base_url=server.url, max_retries=0)
        report = correct_book(out, tmp_path / "corrected.jsonl", backend, progress=False)
        prompts = [body["messages"][-1]["content"][-1]["text"] for body in server.bodies]
    # The backend sends the pages' requests concurrently: find each page's prompt by its number, not its order.
    page12, page13 = (next(p for p in prompts if f"OCR text of page {n} " in p) for n in (12, 13))
    assert "1?: DRINK C hand." in page13 and "2: BOOK Open hands." in page12 and "?:" not in page12
    assert report.lines["low_confidence"] == 1 and report.lines["unchanged"] == 4
    entry = CandidateIndex(parse_entries(lines)).search("drink")
    assert "low OCR confidence (42)" in candidate_label(entry.candidates[0].to_dict())


def test_detect_page_number():
    def page(*texts, boxes=None):
        return [
            OcrLine("b", 0, n, text, bbox=boxes[n - 1] if boxes else None) for n, text in enumerate(texts, 1)
        ]

    assert detect_page_number(page("Page 7", "BOOK Open hands."))[:2] == (7, "header")
    assert detect_page_number(page("BOOK Open hands.", "第12页"))[:2] == (12, "footer")
    assert detect_page_number(page("SIGNS FOR HOME  34", "BOOK Open hands."))[:2] == (34, "header")
    assert detect_page_number(page("BOOK Open hands.", "CAT F hands.")) is None
    # Boxes: the folio and the running head beside it form the header row; a number mid-page is no folio.
    boxed = page(
        "BOOK - CAT",
        "210",
        "BOOK Open hands.",
        boxes=[(500, 10, 900, 40), (100, 12, 160, 38), (100, 80, 900, 110)],
    )
    assert detect_page_number(boxed, height=1000) == (210, "header", [0, 1])
    mid = page(
        "BOOK Open hands.",
        "5",
        "CAT F hands.",
        boxes=[(100, 10, 900, 40), (100, 500, 130, 530), (100, 560, 900, 590)],
    )
    assert detect_page_number(mid, height=1000) is None
    assert character_error_rate("kitten", "sitting") == pytest.approx(3 / 6)


def test_pdf_keeps_its_text_layer_and_ocrs_only_image_pages(tmp_path):
    import matplotlib
    import matplotlib.font_manager

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pypdf import PdfWriter

    figure = plt.figure(figsize=(6, 4))
    for row, text in enumerate(["Page 7", "BREAD The side of the hand slices the other."]):
        figure.text(0.05, 0.9 - 0.1 * row, text)
    figure.savefig(tmp_path / "text.pdf")
    plt.close(figure)
    font = ImageFont.truetype(matplotlib.font_manager.findfont("DejaVu Serif"), 30)
    scan(render_page(UNNUMBERED, font)[0]).save(tmp_path / "scan.pdf", resolution=300)
    writer = PdfWriter()
    for part in ("text.pdf", "scan.pdf"):
        writer.append(str(tmp_path / part))
    writer.write(tmp_path / "mixed.pdf")

    engine = _engine("eng")
    lines = ingest(tmp_path / "mixed.pdf", tmp_path / "book.jsonl", engine=engine, progress=False)
    text_layer = [line for line in lines if line.source_page == 1]
    assert [(line.page, line.page_source, line.role, line.text) for line in text_layer] == [
        (7, "printed", "header", "Page 7"),
        (7, "printed", None, "BREAD The side of the hand slices the other."),
    ]
    assert all(line.confidence is None and line.image is None for line in text_layer)
    scanned = [line for line in lines if line.source_page == 2]
    reference = "\n".join(UNNUMBERED["lines"])
    assert character_error_rate(reference, "\n".join(line.text for line in scanned)) < 0.05
    assert all(line.confidence is not None and Path(line.image).name == "p0002.png" for line in scanned)
    assert {(line.page, line.page_source) for line in scanned} == {(2, "index")}


def test_multipage_tiff_and_unreadable_image(tmp_path):
    frames = [Image.new("L", (100 + index, 200), 255) for index in range(2)]
    frames[0].save(tmp_path / "book.tiff", save_all=True, append_images=frames[1:])
    pages = {
        (100, 200): [RecognizedLine("p. 3", (40, 185, 60, 195), 90.0), RecognizedLine("CAT F hands.", (5, 40, 95, 50), 80.0)],
        (101, 200): [RecognizedLine("EAT Flat O.", (5, 40, 95, 50), 80.0)],
    }  # fmt: skip
    lines = ingest(
        tmp_path / "book.tiff", tmp_path / "out" / "book.jsonl", engine=_ScriptedEngine(pages), progress=False
    )
    assert [(line.page, line.page_source, line.source_page, line.text) for line in lines] == [
        (3, "printed", 1, "p. 3"),
        (3, "printed", 1, "CAT F hands."),
        (2, "index", 2, "EAT Flat O."),
    ]
    assert [Path(line.image).relative_to(tmp_path).as_posix() for line in lines] == [
        "out/book.pages/p0001.png", "out/book.pages/p0001.png", "out/book.pages/p0002.png"
    ]  # fmt: skip
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    with pytest.raises(ValueError, match="broken.png: not a readable page image"):
        ingest(tmp_path / "broken.png", tmp_path / "broken.jsonl", progress=False)

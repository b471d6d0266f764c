"""MCP margins and the correction guard: running heads never become entries, page numbers the OCR engine missed
are read again from the margin, and an LLM correction that merges or duplicates lines is rejected.

Most cases run on OCR word boxes (no Tesseract needed); the scanned page also runs through Tesseract when it is
installed (Tesseract 5.3 reads the running head of that page but not the page number right-aligned beside it)."""

from __future__ import annotations

import matplotlib.font_manager
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from lexsign_hf.mcp.correct import correct_book, merge_correction
from lexsign_hf.mcp.entries import _headword, parse_entries
from lexsign_hf.mcp.margins import classify_margins, is_guide_words
from lexsign_hf.mcp.ocr import (
    OcrLine,
    RecognizedLine,
    TesseractEngine,
    ingest,
    ingest_text,
    read_lines,
    write_lines,
)
from lexsign_hf.mcp.retrieve import CandidateIndex
from lexsign_hf.mllm import OpenAIBackend
from lexsign_hf.mllm.testing import ChatCompletionsStub

HEAD = "EAT — HOUSE"
ENTRIES = [
    "EAT (v.) Flat O hand taps the lips twice.",
    "FISH (n.) Flat hand wiggles forward like a fish",
    "swimming through the water.",
    "HOUSE (n.) Flat hands outline a roof and the walls.",
]


def _boxed(texts_and_boxes, page=113, source_page=1) -> list[OcrLine]:
    return [
        OcrLine("ASL", page, number, text, source_page=source_page, bbox=box, confidence=90.0)
        for number, (text, box) in enumerate(texts_and_boxes, start=1)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EAT — HOUSE", True),
        ("EAT—HOUSE", True),
        ("112  BOOK - DRINK", True),
        ("THANK YOU – WATER 45", True),
        ("eat - house", True),
        ("EAT (v.) Flat O hand taps the lips twice.", False),
        ("EAT — Flat O hand taps the lips.", False),
        ("BOOK", False),
        ("T-SHIRT", False),
        ("cat - F hands at the mouth", False),
        ("the hand toward the mouth.", False),
    ],
)
def test_guide_words(text, expected):
    assert is_guide_words(text) is expected


def test_a_running_head_never_becomes_an_entry(tmp_path):
    assert _headword(HEAD, "caps") == ("EAT", "HOUSE")  # what the entry parser alone would make of it
    # The page as OCR word boxes, the page number right-aligned beside the head missed by the engine.
    lines = _boxed([(HEAD, (112, 116, 338, 138))] + [(text, (112, 211 + 48 * k, 800, 240 + 48 * k))
                                                      for k, text in enumerate(ENTRIES)])  # fmt: skip
    entries = parse_entries(lines)
    assert [(entry.headword, entry.line) for entry in entries] == [("EAT", 2), ("FISH", 3), ("HOUSE", 5)]
    first = CandidateIndex(entries).search("eat").candidates[0].entry
    assert first.text == "Flat O hand taps the lips twice." and first.line == 2
    assert classify_margins(lines)[0].role == "header" and lines[0].role is None  # inputs are left alone

    # A text dump: the first line of a page is its header row, the last its footer row; a title repeated on
    # every page is a running foot, a repeated line that ends a sentence is text.
    dump = "\n".join(
        [
            "--- page 1 ---", "eat - house", "eat: Flat O hand taps the lips twice.", "fish: Flat hand wiggles",
            "forward.", "American Sign Language Dictionary",
            "--- page 2 ---", "house: Flat hands outline a roof.", "forward.",
            "American Sign Language Dictionary 2",
        ]
    )  # fmt: skip
    roles = {(line.page, line.text): line.role for line in classify_margins(_dump(dump, tmp_path))}
    assert roles[(1, "eat - house")] == "header"
    assert roles[(1, "American Sign Language Dictionary")] == "footer"
    assert roles[(2, "American Sign Language Dictionary 2")] == "footer"
    assert roles[(2, "forward.")] is None and roles[(2, "house: Flat hands outline a roof.")] is None
    # One word at the top of two pages may be two headwords (HOUSE 1, HOUSE 2): three pages make a running head.
    tops = [_boxed([(head, (112, 116, 338, 138)), ("Flat hands outline a roof.", (112, 211, 800, 240))], source_page=n)
            for n, head in enumerate(["HOUSE 1", "HOUSE 2", "ANIMALS", "ANIMALS", "ANIMALS"], start=1)]  # fmt: skip
    heads = {(line.source_page, line.text): line.role for line in classify_margins(sum(tops, []))}
    assert [heads[(n, text)] for n, text in [(1, "HOUSE 1"), (2, "HOUSE 2"), (3, "ANIMALS")]] == [
        None,
        None,
        "header",
    ]
    entries = parse_entries(_dump(dump, tmp_path))
    assert [(e.headword, e.text) for e in entries] == [
        ("eat", "Flat O hand taps the lips twice."),
        ("fish", "Flat hand wiggles forward."),
        ("house", "Flat hands outline a roof. forward."),
    ]


def _dump(text: str, folder) -> list[OcrLine]:
    (folder / "dump.txt").write_text(text, encoding="utf-8")
    return ingest_text(folder / "dump.txt", book="ASL")


def _page() -> tuple[Image.Image, list[tuple[str, tuple[int, int, int, int]]]]:
    """A white page: the running head at the left, page number 113 at the right margin, then four lines."""
    font = ImageFont.truetype(matplotlib.font_manager.findfont("DejaVu Serif"), 30)
    page = Image.new("L", (1400, 700), 255)
    draw = ImageDraw.Draw(page)
    printed = []
    number_x = 1400 - 110 - draw.textlength("113", font=font)
    for text, (x, y) in [(HEAD, (110, 110)), ("113", (number_x, 110))] + [
        (text, (110, 210 + 48 * k)) for k, text in enumerate(ENTRIES)
    ]:
        draw.text((x, y), text, font=font, fill=0)
        printed.append((text, tuple(int(v) for v in draw.textbbox((x, y), text, font=font))))
    return page, printed


class _PrintedEngine:
    """Stands in for Tesseract, reading ink: a whole page comes back without the right-aligned page number (what
    Tesseract 5.3 does with this page); a margin strip read as a block gives the printed line whose size matches
    the ink found in the strip (within 8 px: glyph boxes include side bearings), boxed where that ink is."""

    def __init__(self, printed):
        self.printed, self.strips = printed, []

    def recognize(self, image, block=False):
        if not block:
            return [RecognizedLine(text, box, 91.0) for text, box in self.printed if text != "113"]
        self.strips.append(image.size)
        ink = np.argwhere(np.asarray(image) < 128)
        if not len(ink):
            return []
        (y0, x0), (y1, x1) = ink.min(0), ink.max(0) + 1
        return [
            RecognizedLine(text, (int(x0), int(y0), int(x1), int(y1)), 88.0)
            for text, box in self.printed
            if abs(box[2] - box[0] - (x1 - x0)) <= 8 and abs(box[3] - box[1] - (y1 - y0)) <= 8
        ]


def _folder(tmp_path, page):
    folder = tmp_path / "pages"
    folder.mkdir()
    page.save(folder / "p1.png")
    return folder


def test_a_missed_right_aligned_page_number_is_read_from_the_margin(tmp_path):
    page, printed = _page()
    engine = _PrintedEngine(printed)
    lines = ingest(
        _folder(tmp_path, page), tmp_path / "book.jsonl", book="ASL", engine=engine, progress=False
    )
    number = next(line for line in lines if line.text == "113")
    assert number.line == 1 and number.role == "header" and engine.strips
    assert all(abs(a - b) <= 8 for a, b in zip(number.bbox, dict(printed)["113"], strict=True))
    assert {line.page for line in lines} == {113} and {line.page_source for line in lines} == {"printed"}
    assert [line.role for line in lines] == ["header", "header", None, None, None, None]
    assert [entry.headword for entry in parse_entries(lines)] == ["EAT", "FISH", "HOUSE"]


def test_the_same_page_through_tesseract(tmp_path):
    try:
        engine = TesseractEngine("eng")
    except RuntimeError as error:
        pytest.skip(f"no OCR engine: {error}")
    page, _ = _page()
    lines = ingest(
        _folder(tmp_path, page), tmp_path / "book.jsonl", book="ASL", engine=engine, progress=False
    )
    assert {line.page for line in lines} == {113} and lines[0].role == "header"
    entries = parse_entries(lines)
    assert [entry.headword for entry in entries] == ["EAT", "FISH", "HOUSE"]
    assert CandidateIndex(entries).search("eat").candidates[0].entry.text.startswith("Flat O hand")


DRINK = [
    OcrLine("ASL", 4, 1, "DRINK C hand in front of the rnouth, palm facing sideways; tilt"),
    OcrLine("ASL", 4, 2, "the hand toward the mouth."),
    OcrLine("ASL", 4, 3, "EAT Flat O hand taps the lips twice."),
    OcrLine("ASL", 4, 4, "FISH Flat hand wiggles forward."),
]


@pytest.mark.parametrize(
    ("answer", "kept", "reason"),
    [
        (  # line 2 merged into line 1 and repeated: the old guard passed it (similarity 82 >= 60)
            "1: DRINK C hand in front of the mouth, palm facing sideways; tilt the hand toward the mouth.\n"
            "2: the hand toward the mouth.\n3: EAT Flat O hand taps the lips twice.\n4: FISH Flat hand wiggles forward.",
            {1: "merged"},
            "merged the next or previous line",
        ),
        (  # merged, and the emptied line dropped
            "1: DRINK C hand in front of the mouth, palm facing sideways; tilt the hand toward the mouth.\n"
            "3: EAT Flat O hand taps the lips twice.\n4: FISH Flat hand wiggles forward.",
            {1: "merged", 2: "missing"},
            "merged the next or previous line",
        ),
        (  # a phrase written twice
            "1: DRINK C hand in front of the mouth, in front of the mouth, palm facing sideways; tilt\n"
            "2: the hand toward the mouth.\n3: EAT Flat O hand taps the lips twice.\n4: FISH Flat hand wiggles forward.",
            {1: "added_text"},
            "added text",
        ),
        (  # line 4's text copied onto line 3: far from line 3's own text
            "1: DRINK C hand in front of the mouth, palm facing sideways; tilt\n2: the hand toward the mouth.\n"
            "3: FISH Flat hand wiggles forward.\n4: FISH Flat hand wiggles forward.",
            {3: "dissimilar"},
            "rewrote",
        ),
    ],
)
def test_a_correction_that_merges_or_duplicates_lines_is_rejected(answer, kept, reason):
    merged, counts, warnings = merge_correction(DRINK, answer)
    assert [line.line for line in merged] == [1, 2, 3, 4]  # every line stays, in place
    for line in merged:
        original = DRINK[line.line - 1]
        if line.line in kept:
            assert line.text == original.text and line.ocr_text is None
        elif line.line == 1:
            assert line.text == DRINK[0].text.replace("rnouth", "mouth") and line.ocr_text == DRINK[0].text
    assert {key: value for key, value in counts.items() if key.startswith("kept_")} == {
        f"kept_{why}": list(kept.values()).count(why) for why in set(kept.values())
    }
    assert any(reason in warning for warning in warnings)
    assert " ".join(line.text for line in merged).count("the hand toward the mouth") == 1


def test_duplicate_lines_and_the_guard_end_to_end(tmp_path):
    twins = [
        OcrLine("ASL", 4, 1, "BOOK Both hands open; tap twlce."),
        OcrLine("ASL", 4, 2, "BOOK Both hands open; tap tw1ce."),
    ]
    merged, counts, _ = merge_correction(
        twins, "1: BOOK Both hands open; tap twice.\n2: BOOK Both hands open; tap twice."
    )
    assert counts["kept_duplicate"] == 2 and [line.text for line in merged] == [line.text for line in twins]
    same = [
        OcrLine("ASL", 4, 1, "twice."),
        OcrLine("ASL", 4, 2, "twice."),
    ]  # identical print is not a duplicate
    assert merge_correction(same, "1: twice.\n2: twice.")[1]["unchanged"] == 2

    write_lines(DRINK, tmp_path / "book.jsonl")
    answer = (
        "1: DRINK C hand in front of the mouth, palm facing sideways; tilt the hand toward the mouth.\n"
        "2: the hand toward the mouth.\n3: EAT Flat O hand taps the lips twice.\n4: FISH Flat hand wiggles forward."
    )
    with ChatCompletionsStub(lambda body: (200, answer)) as server:
        backend = OpenAIBackend("stub-llm", base_url=server.url, max_retries=0)
        report = correct_book(tmp_path / "book.jsonl", tmp_path / "corrected.jsonl", backend, progress=False)
    assert report.lines["kept_merged"] == 1 and report.lines["unchanged"] == 3
    drink = next(e for e in parse_entries(read_lines(tmp_path / "corrected.jsonl")) if e.headword == "DRINK")
    assert (
        drink.text == "C hand in front of the rnouth, palm facing sideways; tilt the hand toward the mouth."
    )

"""MCP: OCR ingest (text and PDF), page-wise LLM correction, entry parsing, candidate retrieval, saved choices."""

from __future__ import annotations

import json

import pytest

from lexsign_hf.cli import main
from lexsign_hf.data.descriptions import DescriptionBank, read_description_file
from lexsign_hf.mcp.annotations import save_choice
from lexsign_hf.mcp.correct import correct_book, merge_correction
from lexsign_hf.mcp.entries import parse_entries
from lexsign_hf.mcp.ocr import ingest, ingest_text, read_lines
from lexsign_hf.mcp.retrieve import CandidateIndex
from lexsign_hf.mllm import OpenAIBackend, TransformersTextBackend
from lexsign_hf.mllm.testing import ChatCompletionsStub, build_tiny_causal_lm

# A made-up two-page dictionary with OCR damage ("M0THER", "rnouth") and a running header.
OCR_TEXT = """--- page 1 ---
SIGN DICTIONARY
1
BOOK (n.) Both open hands, palms pressed together in front
of the chest; open them sideways like a book.
DRINK C hand in front of the rnouth, palm facing sideways; tilt
the hand toward the mouth.
--- page 2 ---
2
M0THER 5 hand, palm facing left, thumb tip at the chin; tap
twice.
THANK YOU Open hand, fingertips at the chin; move forward and
down, ending palm up.
READ V hand, palm down, above the open palm of the other hand, like
the page of a book; move it down twice.
"""
BOOK = "Test Handbook of Signs"


@pytest.fixture
def book(tmp_path):
    source = tmp_path / "handbook.txt"
    source.write_text(OCR_TEXT, encoding="utf-8")
    ingest(source, tmp_path / "book.jsonl", book=BOOK)
    return tmp_path / "book.jsonl"


def test_ingest_keeps_page_and_line_positions(book, tmp_path):
    lines = read_lines(book)
    assert {
        (line.page, line.line, line.text) for line in lines if line.text.startswith(("M0THER", "DRINK"))
    } == {
        (1, 5, "DRINK C hand in front of the rnouth, palm facing sideways; tilt"),
        (2, 2, "M0THER 5 hand, palm facing left, thumb tip at the chin; tap"),
    }
    assert all(line.book == BOOK for line in lines)
    # Form feeds separate pages too.
    (tmp_path / "ff.txt").write_text("BOOK Both hands.\n\nmore\fDRINK C hand.", encoding="utf-8")
    assert [(x.page, x.line) for x in ingest_text(tmp_path / "ff.txt")] == [(1, 1), (1, 3), (2, 1)]
    with pytest.raises(ValueError, match="no text found"):
        (tmp_path / "empty.txt").write_text("\n \n", encoding="utf-8")
        ingest_text(tmp_path / "empty.txt")


def test_ingest_pdf_text_layer(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(tmp_path / "dict.pdf") as pdf:
        for page in (
            ["BOOK Both open hands, palms together;", "open them sideways."],
            ["DRINK C hand at the mouth."],
        ):
            figure = plt.figure(figsize=(6, 4))
            for row, text in enumerate(page):
                figure.text(0.05, 0.9 - 0.08 * row, text)
            pdf.savefig(figure)
            plt.close(figure)
    assert main(["mcp", "ingest", str(tmp_path / "dict.pdf"), "--out", str(tmp_path / "pdf.jsonl")]) == 0
    lines = read_lines(tmp_path / "pdf.jsonl")
    assert [(line.book, line.page, line.line, line.text) for line in lines] == [
        ("dict", 1, 1, "BOOK Both open hands, palms together;"),
        ("dict", 1, 2, "open them sideways."),
        ("dict", 2, 1, "DRINK C hand at the mouth."),
    ]
    # No page number printed: the PDF page index, flagged as such; a text layer has no OCR confidence.
    assert all(line.page_source == "index" and line.confidence is None for line in lines)


def test_parse_entries_and_retrieve_candidates(book):
    entries = parse_entries(read_lines(book))
    assert [(e.headword, e.page, e.line, e.end_page, e.end_line) for e in entries] == [
        ("BOOK", 1, 3, 1, 4),
        ("DRINK", 1, 5, 1, 6),
        ("M0THER", 2, 2, 2, 3),
        ("THANK YOU", 2, 4, 2, 5),
        ("READ", 2, 6, 2, 7),
    ]
    assert (
        entries[0].text
        == "Both open hands, palms pressed together in front of the chest; open them sideways like a book."
    )
    index = CandidateIndex(entries)
    found = index.search("book")
    assert [(c.entry.headword, c.method) for c in found.candidates] == [("BOOK", "exact"), ("READ", "bm25")]
    assert [(c.entry.headword, c.method) for c in index.search("mother").candidates][0] == ("M0THER", "fuzzy")
    assert index.search("thank_you").candidates[0].entry.headword == "THANK YOU"
    assert index.search("drink_2").candidates[0].method == "exact"
    missing = index.search("zebra")
    assert missing.status == "no_candidates" and missing.to_dict() == {
        "gloss": "zebra",
        "status": "no_candidates",
        "candidates": [],
    }


def test_retrieve_cli_writes_candidates(book, tmp_path, capsys):
    out = tmp_path / "candidates.jsonl"
    assert main(["mcp", "retrieve", str(book), "--gloss", "book", "zebra", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["status"] for row in rows] == ["found", "no_candidates"]
    assert rows[0]["candidates"][0] | {"score": 0} == {
        "book": BOOK, "headword": "BOOK", "text": rows[0]["candidates"][0]["text"], "page": 1, "line": 3,
        "end_page": 1, "end_line": 4, "method": "exact", "score": 0,
    }  # fmt: skip
    assert "1 with candidates, 1 without" in capsys.readouterr().out


def _fixing_answer(body: dict) -> tuple[int, str]:
    """Correct the OCR errors, drop the last line of page 2 (a truncated answer) and rewrite one line wholesale."""
    prompt = body["messages"][-1]["content"][-1]["text"]
    numbered = [line for line in prompt.splitlines() if line[:1].isdigit() and ": " in line]
    answer = []
    for line in numbered:
        number, text = line.split(": ", 1)
        text = text.replace("M0THER", "MOTHER").replace("rnouth", "mouth")
        if text.startswith("of the chest"):
            text = "Completely different words here that share nothing at all."
        answer.append(f"{number}: {text}")
    if "page 2" in prompt:
        answer = answer[:-1]
    return 200, "\n".join(answer)


def test_correction_keeps_positions_and_original_when_lines_are_dropped(book, tmp_path):
    with ChatCompletionsStub(_fixing_answer) as server:
        backend = OpenAIBackend("stub-llm", base_url=server.url, max_retries=0)
        report = correct_book(book, tmp_path / "corrected.jsonl", backend, progress=False)
    corrected = {(line.page, line.line): line for line in read_lines(tmp_path / "corrected.jsonl")}
    original = {(line.page, line.line): line for line in read_lines(book)}
    assert corrected.keys() == original.keys()  # nothing lost, nothing moved
    assert corrected[(2, 2)].text.startswith("MOTHER 5 hand") and corrected[(2, 2)].ocr_text.startswith(
        "M0THER"
    )
    assert corrected[(1, 5)].text == "DRINK C hand in front of the mouth, palm facing sideways; tilt"
    assert corrected[(1, 4)].text == original[(1, 4)].text  # rewritten beyond recognition: kept
    assert corrected[(2, 7)].text == original[(2, 7)].text  # dropped by the answer: kept
    assert (
        report.lines["corrected"] == 2
        and report.lines["kept_missing"] == 1
        and report.lines["kept_dissimilar"] == 1
    )
    assert any("p. 2 l. 7: the correction dropped this line" in warning for warning in report.warnings)
    assert not (tmp_path / "corrected.jsonl.partial").exists()


def test_correction_resumes_after_a_failed_page(book, tmp_path):
    calls = {"page 2": 0}

    def flaky(body):
        prompt = body["messages"][-1]["content"][-1]["text"]
        if "page 2" in prompt:
            calls["page 2"] += 1
            if calls["page 2"] == 1:
                return 503, "overloaded"
        return _fixing_answer(body)

    out = tmp_path / "corrected.jsonl"
    with ChatCompletionsStub(flaky) as server:
        backend = OpenAIBackend("stub-llm", base_url=server.url, max_retries=0)
        first = correct_book(book, out, backend, progress=False)
        assert first.pages_failed == [2] and first.pages_done == 1 and not out.exists()
        assert (tmp_path / "corrected.jsonl.partial").is_file()
        second = correct_book(book, out, backend, progress=False)
        assert second.pages_skipped == 1 and second.pages_done == 1 and not second.pages_failed
        assert len(server.bodies) == 3  # page 1 once, page 2 twice
        third = correct_book(book, out, backend, progress=False)
        assert third.pages_done == 0 and third.pages_skipped == 2 and len(server.bodies) == 3
    assert {(line.page, line.line): line.text for line in read_lines(out)}[(2, 2)].startswith("MOTHER")


def test_correction_with_a_local_text_model_never_loses_lines(book, tmp_path):
    model = build_tiny_causal_lm(tmp_path / "tiny-lm")
    backend = TransformersTextBackend(model, device="cpu", batch_size=2)
    report = correct_book(book, tmp_path / "corrected.jsonl", backend, max_new_tokens=8, progress=False)
    # A random model answers nonsense: every line keeps its OCR text, with a warning each.
    assert read_lines(tmp_path / "corrected.jsonl") == read_lines(book)
    assert sum(report.lines.values()) == len(read_lines(book)) == len(report.warnings)


def test_merge_ignores_invented_line_numbers(book):
    chunk = [line for line in read_lines(book) if line.page == 1]
    merged, counts, warnings = merge_correction(
        chunk, "\n".join(f"{x.line}: {x.text}" for x in chunk) + "\n99: extra"
    )
    assert (
        merged == chunk
        and counts["unchanged"] == len(chunk)
        and "invented line number(s) [99]" in warnings[0]
    )


def test_saved_choice_is_an_mcp_record_with_provenance(book, tmp_path):
    candidate = CandidateIndex(parse_entries(read_lines(book))).search("book").candidates[0].to_dict()
    out = tmp_path / "mcp.jsonl"
    save_choice(out, "book", candidate["text"], candidate, annotator="tester", media="book.pose")
    record = save_choice(out, "book", candidate["text"] + " Edited.", candidate, annotator="tester")
    records = read_description_file(out, source="mcp")
    assert len(records) == 1 and records[0] == record  # re-saving replaces the earlier choice
    assert record.provenance | {"saved_at": None} == {
        "book": BOOK, "page": 1, "position": 3, "end_page": 1, "end_line": 4, "headword": "BOOK",
        "method": "exact", "edited": True, "dictionary_text": candidate["text"], "annotator": "tester",
        "saved_at": None,
    }  # fmt: skip
    assert record.fragments[0] == "Both open hands"
    assert DescriptionBank.from_files([out]).sources_for("book") == ["mcp"]
    with pytest.raises(ValueError, match="empty description"):
        save_choice(out, "book", "  ", candidate)

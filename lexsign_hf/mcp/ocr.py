"""A dictionary's OCR text as numbered lines: ingest plain text or a PDF's text layer, keep page/line positions.

The ingested book is a JSONL file, one object per non-empty line::

    {"book": "Signing Dictionary", "page": 12, "line": 3, "text": "BOOK Both open hands, palms together ..."}

`page` is 1-based (form feeds or "--- page N ---" markers in text files, PDF pages in a PDF), `line` is the
1-based line number inside the page as it appears in the source, blank lines counted, so every later stage
(correction, entry parsing, retrieval, the annotation app) can cite the exact position in the book.
An OCR-corrected line keeps its position and stores the text before correction as `ocr_text`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

# "--- page 12 ---", "=== Page 12 ===", "[page 12]", "<page 12>" on a line of their own.
PAGE_MARKER = re.compile(
    r"^\s*(?:[-=]{2,}\s*)?[\[<]?\s*page\s+(\d+)\s*[\]>]?(?:\s*[-=]{2,})?\s*$", re.IGNORECASE
)


@dataclass
class OcrLine:
    """One non-empty line of a book's OCR text at its position (`ocr_text`: text before LLM correction)."""

    book: str
    page: int
    line: int
    text: str
    ocr_text: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        if data["ocr_text"] is None:
            del data["ocr_text"]
        return data


def split_pages_text(text: str) -> list[tuple[int, list[str]]]:
    """Pages of a plain-text OCR dump: split on form feeds, or on "--- page N ---" marker lines (numbered as
    marked). Text before the first marker is page 1 unless the first marker says otherwise."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if any(PAGE_MARKER.match(line) for line in lines):
        pages: list[tuple[int, list[str]]] = []
        current: list[str] = []
        number = 1
        for line in lines:
            marker = PAGE_MARKER.match(line)
            if marker:
                if any(item.strip() for item in current):
                    pages.append((number, current))
                number, current = int(marker.group(1)), []
            else:
                current.append(line)
        if any(item.strip() for item in current):
            pages.append((number, current))
        return pages
    return [(index + 1, page.split("\n")) for index, page in enumerate("\n".join(lines).split("\f"))]


def ingest_text(path: str | Path, book: str | None = None) -> list[OcrLine]:
    """Read a plain-text OCR dump (UTF-8, or Latin-1 as a fallback) into positioned lines."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"OCR text file not found: {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return _lines(split_pages_text(text), book or path.stem, path)


def ingest_pdf(path: str | Path, book: str | None = None) -> list[OcrLine]:
    """Read the text layer of a (scanned and OCR-ed, or born-digital) PDF, one page per PDF page."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"PDF file not found: {path}")
    try:
        reader = PdfReader(str(path))
        pages = [
            (index + 1, (page.extract_text() or "").split("\n")) for index, page in enumerate(reader.pages)
        ]
    except (PdfReadError, OSError, ValueError) as error:
        raise ValueError(f"{path}: cannot read the PDF's text layer ({error})") from None
    return _lines(pages, book or path.stem, path)


def ingest(path: str | Path, book: str | None = None) -> list[OcrLine]:
    """`ingest_pdf` for `.pdf` files, `ingest_text` otherwise."""
    return ingest_pdf(path, book) if Path(path).suffix.lower() == ".pdf" else ingest_text(path, book)


def write_lines(lines: Iterable[OcrLine], path: str | Path) -> Path:
    """Write lines as JSONL through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line.to_dict(), ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def read_lines(path: str | Path) -> list[OcrLine]:
    """Read a book JSONL written by `write_lines` (errors name the file and line)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"OCR book file not found: {path} (create it with `lexsign mcp ingest`)")
    lines = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                lines.append(
                    OcrLine(
                        book=str(data["book"]),
                        page=int(data["page"]),
                        line=int(data["line"]),
                        text=str(data["text"]),
                        ocr_text=data.get("ocr_text"),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise ValueError(
                    f"{path}:{number}: expected a JSON object with book, page, line, text ({error})"
                ) from None
    return lines


def pages(lines: Iterable[OcrLine]) -> dict[int, list[OcrLine]]:
    """Lines grouped by page, pages and lines in order."""
    grouped: dict[int, list[OcrLine]] = {}
    for line in sorted(lines, key=lambda item: (item.page, item.line)):
        grouped.setdefault(line.page, []).append(line)
    return grouped


def _lines(pages_: list[tuple[int, list[str]]], book: str, path: Path) -> list[OcrLine]:
    lines = [
        OcrLine(book=book, page=page, line=number, text=" ".join(text.split()))
        for page, page_lines in pages_
        for number, text in enumerate(page_lines, start=1)
        if text.strip()
    ]
    if not lines:
        raise ValueError(f"{path}: no text found (an image-only PDF needs OCR first, e.g. with ocrmypdf)")
    return lines

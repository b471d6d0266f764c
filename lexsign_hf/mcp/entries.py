"""Heuristic parsing of dictionary entries (headword + entry text) from positioned OCR lines.

Two common print layouts are recognised:

- ``caps``: the headword in capitals opens the entry, alone on its line or followed by the text
  (``BOOK (n.) Both open hands ...``); a capitalised word of one letter ("A hand ...") is never a headword;
- ``colon``: a short lower/mixed-case headword followed by a colon or dash (``book: Both open hands ...``),
  or one to six CJK characters followed by a colon (``书：双手掌心相对 ...``).

`style="auto"` picks the layout that opens more entries. Header and footer lines (page numbers, running heads
such as "EAT — HOUSE") are classified first (`margins.classify_margins`) and dropped with any line OCR already
marked (`role`), so a running head never opens an entry. Lines before the first headword of a page continue
the previous page's entry; words hyphenated across lines are joined, CJK lines are joined without a space.
Every entry keeps the page/line where it starts and ends; an OCR-ed entry also keeps its page image, the box around its lines on its first page
and the lowest OCR confidence among its lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .margins import classify_margins
from .ocr import OcrLine

_CAPS_HEADWORD = re.compile(
    r"^(?P<head>[A-Z][A-Z0-9'’\-]+(?![a-z])(?:(?:\s|,\s?|/)[A-Z][A-Z0-9'’\-]+(?![a-z]))*)"
    r"(?:\s*\((?P<label>[^)]{1,24})\))?(?:\s*[:.—–]\s*|\s+|$)(?P<rest>.*)$"
)
_COLON_HEADWORD = re.compile(
    r"^(?P<head>[A-Za-z][A-Za-z'’\-]*(?:\s[A-Za-z'’\-]+){0,2})(?:\s*\((?P<label>[^)]{1,24})\))?\s*[:—–]\s+(?P<rest>\S.*)$"
    r"|^(?P<cjk_head>[\u3400-\u9fff]{1,6})\s*[:：]\s*(?P<cjk_rest>\S.*)$"
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
_PAGE_NUMBER = re.compile(r"^\s*[-–—]?\s*\d{1,4}\s*[-–—]?\s*$")


@dataclass
class DictionaryEntry:
    """One entry of a book: headword, text and its position (first and last line)."""

    book: str
    headword: str
    text: str
    page: int
    line: int
    end_page: int
    end_line: int
    page_source: str | None = None
    image: str | None = None
    bbox: tuple[int, int, int, int] | None = None
    min_confidence: float | None = None

    @property
    def entry_id(self) -> str:
        return f"{self.book}:p{self.page}:l{self.line}"

    def to_dict(self) -> dict:
        data = {
            "book": self.book,
            "headword": self.headword,
            "text": self.text,
            "page": self.page,
            "line": self.line,
            "end_page": self.end_page,
            "end_line": self.end_line,
            "page_source": self.page_source,
            "image": self.image,
            "bbox": list(self.bbox) if self.bbox else None,
            "min_confidence": self.min_confidence,
        }
        return {key: value for key, value in data.items() if value is not None}

    def add_line(self, line: OcrLine) -> None:
        """Extend the entry's position, box (on its first page) and lowest confidence by `line`."""
        self.end_page, self.end_line = line.page, line.line
        if line.confidence is not None:
            lowest = self.min_confidence if self.min_confidence is not None else 100.0
            self.min_confidence = min(lowest, line.confidence)
        if line.bbox is not None and line.image == self.image and line.page == self.page:
            box = self.bbox or line.bbox
            self.bbox = (
                min(box[0], line.bbox[0]),
                min(box[1], line.bbox[1]),
                max(box[2], line.bbox[2]),
                max(box[3], line.bbox[3]),
            )


def _headword(line: str, style: str) -> tuple[str, str] | None:
    if style == "caps":
        match = _CAPS_HEADWORD.match(line)
        if match is None or sum(char.isalpha() for char in match.group("head")) < 2:
            return None
        return match.group("head").strip(" ,/"), match.group("rest").strip()
    match = _COLON_HEADWORD.match(line)
    if match is None:
        return None
    if match.group("cjk_head"):
        return match.group("cjk_head"), match.group("cjk_rest").strip()
    return match.group("head").strip(), match.group("rest").strip()


def parse_entries(lines: Sequence[OcrLine], style: str = "auto") -> list[DictionaryEntry]:
    """Split positioned lines into `DictionaryEntry`s (see the module docstring for the layouts)."""
    if style not in ("auto", "caps", "colon"):
        raise ValueError(f"entry style must be 'auto', 'caps' or 'colon', got {style!r}")
    ordered = sorted(classify_margins(lines), key=lambda item: (item.book, _source_page(item), item.line))
    ordered = [line for line in ordered if line.role is None and not _PAGE_NUMBER.match(line.text)]
    if style == "auto":
        counts = {
            name: sum(_headword(line.text, name) is not None for line in ordered)
            for name in ("caps", "colon")
        }
        style = max(counts, key=counts.get)
    entries: list[DictionaryEntry] = []
    parts: list[str] = []
    for line in ordered:
        opened = _headword(line.text, style)
        if opened is not None:
            _close(entries, parts)
            headword, rest = opened
            entry = DictionaryEntry(
                line.book,
                headword,
                "",
                line.page,
                line.line,
                line.page,
                line.line,
                line.page_source,
                line.image,
            )
            entry.add_line(line)
            entries.append(entry)
            parts = [rest] if rest else []
        elif entries and entries[-1].book == line.book:
            parts.append(line.text)
            entries[-1].add_line(line)
    _close(entries, parts)
    return [entry for entry in entries if entry.text]


def _source_page(line: OcrLine) -> int:
    return line.source_page if line.source_page is not None else line.page


def _close(entries: list[DictionaryEntry], parts: list[str]) -> None:
    if not entries or entries[-1].text:
        return
    text = ""
    for part in parts:
        if text.endswith("-") and part[:1].islower():
            text = text[:-1] + part  # hyphenated across lines
        elif text and (_CJK.match(text[-1]) or _CJK.match(part[0])):
            text += part
        else:
            text = f"{text} {part}".strip()
    entries[-1].text = text

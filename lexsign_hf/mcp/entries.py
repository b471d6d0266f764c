"""Heuristic parsing of dictionary entries (headword + entry text) from positioned OCR lines.

Two common print layouts are recognised:

- ``caps``: the headword in capitals opens the entry, alone on its line or followed by the text
  (``BOOK (n.) Both open hands ...``); a capitalised word of one letter ("A hand ...") is never a headword;
- ``colon``: a short lower/mixed-case headword followed by a colon or dash (``book: Both open hands ...``).

`style="auto"` picks the layout that opens more entries. Lines before the first headword of a page continue
the previous page's entry; bare page numbers are dropped; words hyphenated across lines are joined. Every entry
keeps the page/line where it starts and ends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .ocr import OcrLine

_CAPS_HEADWORD = re.compile(
    r"^(?P<head>[A-Z][A-Z0-9'’\-]+(?![a-z])(?:(?:\s|,\s?|/)[A-Z][A-Z0-9'’\-]+(?![a-z]))*)"
    r"(?:\s*\((?P<label>[^)]{1,24})\))?(?:\s*[:.—–]\s*|\s+|$)(?P<rest>.*)$"
)
_COLON_HEADWORD = re.compile(
    r"^(?P<head>[A-Za-z][A-Za-z'’\-]*(?:\s[A-Za-z'’\-]+){0,2})(?:\s*\((?P<label>[^)]{1,24})\))?\s*[:—–]\s+(?P<rest>\S.*)$"
)
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

    @property
    def entry_id(self) -> str:
        return f"{self.book}:p{self.page}:l{self.line}"

    def to_dict(self) -> dict:
        return {
            "book": self.book,
            "headword": self.headword,
            "text": self.text,
            "page": self.page,
            "line": self.line,
            "end_page": self.end_page,
            "end_line": self.end_line,
        }


def _headword(line: str, style: str) -> tuple[str, str] | None:
    if style == "caps":
        match = _CAPS_HEADWORD.match(line)
        if match is None or sum(char.isalpha() for char in match.group("head")) < 2:
            return None
        return match.group("head").strip(" ,/"), match.group("rest").strip()
    match = _COLON_HEADWORD.match(line)
    return (match.group("head").strip(), match.group("rest").strip()) if match else None


def parse_entries(lines: Sequence[OcrLine], style: str = "auto") -> list[DictionaryEntry]:
    """Split positioned lines into `DictionaryEntry`s (see the module docstring for the layouts)."""
    if style not in ("auto", "caps", "colon"):
        raise ValueError(f"entry style must be 'auto', 'caps' or 'colon', got {style!r}")
    ordered = [line for line in sorted(lines, key=lambda item: (item.book, item.page, item.line))]
    ordered = [line for line in ordered if not _PAGE_NUMBER.match(line.text)]
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
            entries.append(
                DictionaryEntry(line.book, headword, "", line.page, line.line, line.page, line.line)
            )
            parts = [rest] if rest else []
        elif entries and entries[-1].book == line.book:
            parts.append(line.text)
            entries[-1].end_page, entries[-1].end_line = line.page, line.line
    _close(entries, parts)
    return [entry for entry in entries if entry.text]


def _close(entries: list[DictionaryEntry], parts: list[str]) -> None:
    if not entries or entries[-1].text:
        return
    text = ""
    for part in parts:
        if text.endswith("-") and part[:1].islower():
            text = text[:-1] + part  # hyphenated across lines
        else:
            text = f"{text} {part}".strip()
    entries[-1].text = text

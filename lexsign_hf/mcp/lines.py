"""One OCR'd line of a dictionary page (`OcrLine`) and lines grouped by page (`pages`): what the OCR, margin and
entry modules share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass
class OcrLine:
    """One non-empty line of a book at its position (see the module docstring for the fields)."""

    book: str
    page: int
    line: int
    text: str
    ocr_text: str | None = None
    source_page: int | None = None
    page_source: str | None = None
    role: str | None = None
    confidence: float | None = None
    bbox: tuple[int, int, int, int] | None = None
    image: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        if data["bbox"] is not None:
            data["bbox"] = list(data["bbox"])
        return {key: value for key, value in data.items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict) -> OcrLine:
        """The line from `to_dict`'s output (raises KeyError/TypeError/ValueError on a malformed one)."""
        bbox = data.get("bbox")
        return cls(
            book=str(data["book"]),
            page=int(data["page"]),
            line=int(data["line"]),
            text=str(data["text"]),
            ocr_text=data.get("ocr_text"),
            source_page=data.get("source_page"),
            page_source=data.get("page_source"),
            role=data.get("role"),
            confidence=data.get("confidence"),
            bbox=tuple(int(value) for value in bbox) if bbox is not None else None,
            image=data.get("image"),
        )


def pages(lines: Iterable[OcrLine]) -> dict[int, list[OcrLine]]:
    """Lines grouped by page (the source page index where known, so two pages printed with the same number
    stay apart), pages and lines in order."""
    grouped: dict[int, list[OcrLine]] = {}
    for line in sorted(lines, key=lambda item: (_page_key(item), item.line)):
        grouped.setdefault(_page_key(line), []).append(line)
    return grouped


def _page_key(line: OcrLine) -> int:
    return line.source_page if line.source_page is not None else line.page

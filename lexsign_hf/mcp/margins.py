"""Header and footer lines of dictionary pages: printed page numbers (folios) and running heads.

A page's header row is its top-most line and the lines beside it (vertically overlapping), its footer row the
bottom-most; without boxes (a text dump, a PDF text layer) the first and the last line. A margin row is
classified before any entry is parsed (`classify_margins`), so that a running head never opens an entry:

- a row holding a folio: a bare number ("12", "- 12 -", "Page 12", "第12页"); at ingest also a running head
  that starts or ends with one ("SIGNS FOR HOME  34", `detect_page_number`);
- a row whose line is a pair of guide words ("EAT — HOUSE", "eat - house"), with or without a folio;
- a row whose text (digits aside) recurs in the margin rows of two or more pages of the book (three for a single
  word) and does not end like a sentence ("SIGN LANGUAGE DICTIONARY" on every page).

Classified lines get ``role="header"`` or ``"footer"``; `ocr.ingest` looks again for a folio the OCR engine
missed (a right-aligned number beside a running head) in the empty part of the margin rows
(`margin_regions`).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence

from .lines import OcrLine, pages

# A printed page number alone in a header/footer ("12", "- 12 -", "Page 12", "p. 12", "第12页"), or at either
# end of a running head ("12  BOOK - DRINK", "BOOK - DRINK  13").
FOLIO = re.compile(
    r"^[\s\-–—~·.]*(?:(?:page|p\.)\s*)?(\d{1,4})[\s\-–—~·.]*$|^第\s*(\d{1,4})\s*页$", re.IGNORECASE
)
_FOLIO_IN_HEAD = re.compile(r"^(\d{1,4})\s+\D.*$|^.*\D\s+(\d{1,4})$")
_CAPS_WORDS = r"[A-Z][A-Z0-9'’.]*(?:[ -][A-Z][A-Z0-9'’.]*){0,3}"
_GUIDE_WORDS = re.compile(
    rf"^(?:\d{{1,4}}\s+)?(?:{_CAPS_WORDS}\s*(?:\s-\s|[–—~]+)\s*{_CAPS_WORDS}"
    r"|[^\W\d_][\w'’]*\s+[-–—]\s+[^\W\d_][\w'’]*)(?:\s+\d{1,4})?$"
)
_SENTENCE_END = re.compile(r"[.,;:!?)]$")
MARGIN_ZONE = 0.2  # header and footer rows lie in the top and bottom fifth of a page of known height


def margin_rows(lines: Sequence[OcrLine], height: int | None = None) -> list[tuple[str, list[int]]]:
    """`[(role, indices of the row's lines)]` for the header and footer rows of one page's lines."""
    if not lines:
        return []
    if not all(line.bbox is not None for line in lines):
        last = len(lines) - 1
        return [("header", [0])] + ([("footer", [last])] if last else [])
    rows = []
    for role in ("header", "footer"):
        if role == "header":
            edge = min(range(len(lines)), key=lambda i: lines[i].bbox[1])
        else:
            edge = max(range(len(lines)), key=lambda i: lines[i].bbox[3])
        top, bottom = lines[edge].bbox[1], lines[edge].bbox[3]
        if height and (
            bottom > height * MARGIN_ZONE if role == "header" else top < height * (1 - MARGIN_ZONE)
        ):
            continue
        row = [i for i, line in enumerate(lines) if line.bbox[1] < bottom and line.bbox[3] > top]
        if role == "footer" and rows and rows[0][1] == row:
            continue  # a single row is the header
        rows.append((role, row))
    return rows


def folio_number(text: str) -> int | None:
    """The page number a header/footer text carries, or None."""
    match = FOLIO.match(text.strip()) or _FOLIO_IN_HEAD.match(text.strip())
    if match is None:
        return None
    number = int(next(group for group in match.groups() if group))
    return number if number > 0 else None


def detect_page_number(lines: list[OcrLine], height: int | None = None) -> tuple[int, str, list[int]] | None:
    """`(printed number, "header"|"footer", indices of that row's lines)` for a page's lines, or None.

    A row counts when one of its lines is a bare page number or a running head that starts or ends with one.
    `height` (the page's height in pixels) keeps the rows to the top and bottom fifth of the page.
    """
    for role, indices in margin_rows(lines, height):
        for index in indices:
            number = folio_number(lines[index].text)
            if number is not None:
                return number, role, indices
    return None


def is_guide_words(text: str) -> bool:
    """Whether `text` is a running head of guide words ("EAT — HOUSE", "12 BOOK - DRINK", "eat - house")."""
    return bool(_GUIDE_WORDS.match(" ".join(text.split())))


def classify_margins(
    lines: Sequence[OcrLine], heights: dict[int, int] | None = None, min_pages: int = 2
) -> list[OcrLine]:
    """`lines` with the header/footer rows of every page marked (`role`), see the module docstring.

    Lines that already have a role keep it; `heights` maps a page key (`lines.pages`) to its height in pixels.
    A text must recur on `min_pages` pages to count as a running head without a folio or guide words."""
    by_page = pages(lines)
    rows = {key: margin_rows(page, (heights or {}).get(key)) for key, page in by_page.items()}
    recurring = Counter(
        text
        for key, page_rows in rows.items()
        for text in {_margin_key(by_page[key][i].text) for _, row in page_rows for i in row}
        if text
    )
    marked = []
    for key, page in by_page.items():
        roles: dict[int, str] = {}
        for role, row in rows[key]:
            if any(page[i].role for i in row):
                continue
            texts = [page[i].text for i in row]
            if any(
                FOLIO.match(text.strip())
                or is_guide_words(text)
                or _recurs(_margin_key(text), text, recurring, min_pages)
                for text in texts
            ):
                roles.update({i: role for i in row})
        marked.extend(
            dataclasses.replace(line, role=roles[i]) if i in roles else line for i, line in enumerate(page)
        )
    return marked


def margin_regions(
    lines: Sequence[OcrLine], width: int, height: int
) -> list[tuple[str, tuple[int, int, int, int]]]:
    """`[(role, box)]`: the empty parts of a page's margins where a missed folio may be (left and right of the
    header/footer row, or the whole margin band above the first / below the last line when it has no row)."""
    boxed = [line for line in lines if line.bbox is not None]
    regions = []
    rows = {role: row for role, row in margin_rows(boxed, height)}
    for role in ("header", "footer"):
        if role in rows:
            box = tuple(zip(*(boxed[i].bbox for i in rows[role]), strict=True))
            x0, y0, x1, y1 = min(box[0]), min(box[1]), max(box[2]), max(box[3])
            pad = max(4, y1 - y0)
            top, bottom = max(0, y0 - pad), min(height, y1 + pad)
            for left, right in ((0, x0 - pad), (x1 + pad, width)):
                if right - left >= 2 * pad:
                    regions.append((role, (left, top, right, bottom)))
        elif boxed:
            edge = int(height * MARGIN_ZONE)
            if role == "header":
                bottom = min(edge, min(line.bbox[1] for line in boxed))
                if bottom > 8:
                    regions.append((role, (0, 0, width, bottom)))
            else:
                top = max(height - edge, max(line.bbox[3] for line in boxed))
                if height - top > 8:
                    regions.append((role, (0, top, width, height)))
    return regions


def _recurs(key: str, text: str, recurring: Counter, min_pages: int) -> bool:
    """A running head by repetition: on `min_pages` pages (one more for a single word, which could be a headword
    at the top of two pages), not ending like a sentence."""
    pages_needed = min_pages + (len(key.split()) < 2)
    return bool(key) and recurring[key] >= pages_needed and not _SENTENCE_END.search(text.strip())


def _margin_key(text: str) -> str:
    """A margin text with its digits removed, for spotting running heads that recur from page to page."""
    key = " ".join(re.sub(r"\d+", " ", text).casefold().split())
    return key if sum(char.isalpha() for char in key) >= 3 else ""

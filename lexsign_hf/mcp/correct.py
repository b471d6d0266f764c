"""LLM correction of OCR errors, page by page, keeping every line's page/line position.

Each page (in chunks of at most `max_lines` lines) is sent to a text backend with its lines numbered by their
position; the answer must give the same numbers back. Lines the OCR engine read with a confidence below
`low_confidence` are marked with a ``?`` after their number and the prompt asks for extra care with them; the
report counts how many of them the correction changed. A line the answer drops, leaves empty or rewrites beyond
recognition keeps its OCR text (counted and warned about), so correction never loses or moves text; so does a
line that takes in the text of the line before or after it (``kept_merged``), grows by more than a correction
can explain (``kept_added_text``: over 15 % more non-space characters, e.g. a phrase written twice), or carries
the same text as another line of the answer (``kept_duplicate``), so correction never duplicates text. Pages
are appended to `<out>.partial` as they finish, so an interrupted run resumes where it stopped; a page whose
request failed (endpoint down after the backend's retries) is not recorded and is retried on the next run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz
from tqdm.auto import tqdm

from lexsign_hf.mllm import ChatRequest, MLLMBackend

from .lines import OcrLine, pages
from .ocr import LOW_CONFIDENCE, read_lines, write_lines

logger = logging.getLogger(__name__)

CORRECTION_PROMPT = """\
You are proofreading the OCR text of page {page} of a sign language dictionary ("{book}").
Fix OCR errors only: misread letters or digits, words broken by hyphenation or stray spaces, stray symbols.
Do not rephrase, translate, add or remove content, and do not merge or split lines.
{low_confidence_note}Return every line, in the same order, as "<number>: <corrected text>", one per line, and nothing else.

{lines}"""

_ANSWER_LINE = re.compile(r"^\s*(?:L|line\s*)?(\d+)\s*\??\s*[:.)|\]]\s?(.*)$", re.IGNORECASE)


@dataclass
class CorrectionReport:
    """What a correction run did (`warnings` name page and line of every line kept as OCR text)."""

    pages_done: int = 0
    pages_skipped: int = 0
    pages_failed: list[int] = field(default_factory=list)
    lines: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(f"{key}: {value}" for key, value in sorted(self.lines.items()))
        failed = f", failed pages {self.pages_failed} (rerun to retry)" if self.pages_failed else ""
        return (
            f"{self.pages_done} page(s) corrected, {self.pages_skipped} already done{failed}; lines: {counts}"
        )


def parse_numbered_answer(answer: str) -> dict[int, str]:
    """`{line number: text}` from an answer of "<number>: <text>" lines (other lines are ignored)."""
    numbered: dict[int, str] = {}
    for raw in answer.splitlines():
        match = _ANSWER_LINE.match(raw)
        if match:
            numbered.setdefault(int(match.group(1)), " ".join(match.group(2).split()))
    return numbered


def is_low_confidence(line: OcrLine, threshold: float = LOW_CONFIDENCE) -> bool:
    """Whether the OCR engine read `line` with a confidence below `threshold` (never for text-layer lines)."""
    return line.confidence is not None and line.confidence < threshold


def merge_correction(
    chunk: list[OcrLine], answer: str, min_similarity: float = 60.0, low_confidence: float = LOW_CONFIDENCE
) -> tuple[list[OcrLine], Counter, list[str]]:
    """Apply one answer to its lines: corrected where the answer has a plausible line, OCR text otherwise.

    The counts include ``low_confidence`` (lines below the threshold) and ``low_confidence_corrected``."""
    numbered = parse_numbered_answer(answer)
    counts: Counter = Counter()
    warnings = []
    merged = []
    texts = Counter(text.casefold() for number, text in numbered.items() if text)
    for position, line in enumerate(chunk):
        corrected = numbered.get(line.line, "")
        where = f"{line.book} p. {line.page} l. {line.line}"
        neighbours = [chunk[i] for i in (position - 1, position + 1) if 0 <= i < len(chunk)]
        rejected = _reject(line, corrected, neighbours, texts, min_similarity)
        if rejected:
            counts[f"kept_{rejected}"] += 1
            warnings.append(
                f"{where}: {_REJECTIONS[rejected].format(corrected=corrected)}; kept the OCR text"
            )
            merged.append(line)
        elif corrected == line.text:
            counts["unchanged"] += 1
            merged.append(line)
        else:
            counts["corrected"] += 1
            if is_low_confidence(line, low_confidence):
                counts["low_confidence_corrected"] += 1
            merged.append(dataclasses.replace(line, text=corrected, ocr_text=line.ocr_text or line.text))
        if is_low_confidence(line, low_confidence):
            counts["low_confidence"] += 1
    extra = sorted(set(numbered) - {line.line for line in chunk})
    if extra:
        warnings.append(
            f"{chunk[0].book} p. {chunk[0].page}: the correction invented line number(s) {extra}; ignored"
        )
    return merged, counts, warnings


_REJECTIONS = {
    "missing": "the correction dropped this line",
    "dissimilar": "the correction rewrote this line ({corrected!r})",
    "merged": "the correction merged the next or previous line into this one ({corrected!r})",
    "added_text": "the correction added text to this line ({corrected!r})",
    "duplicate": "the correction gave this line the same text as another one ({corrected!r})",
}


def _reject(
    line: OcrLine, corrected: str, neighbours: list[OcrLine], texts: Counter, min_similarity: float
) -> str | None:
    """Why a corrected line cannot replace its OCR text (a key of `_REJECTIONS`), or None when it can."""
    if not corrected:
        return "missing"
    if fuzz.ratio(corrected, line.text) < min_similarity:
        return "dissimilar"
    grown = _letters(corrected) - _letters(line.text)
    for neighbour in neighbours:
        size = _letters(neighbour.text)
        if (
            size >= 4
            and grown >= size / 2
            and fuzz.partial_ratio(neighbour.text, corrected) >= 90
            and fuzz.partial_ratio(neighbour.text, line.text) < 90
        ):
            return "merged"
    if grown > 3 + 0.15 * _letters(line.text):
        return "added_text"
    if corrected != line.text and texts[corrected.casefold()] > 1:
        return "duplicate"
    return None


def _letters(text: str) -> int:
    return sum(not char.isspace() for char in text)


def correct_book(
    book_path: str | Path,
    out_path: str | Path,
    backend: MLLMBackend,
    max_lines: int = 40,
    max_new_tokens: int | None = None,
    batch_pages: int = 8,
    progress: bool = True,
    low_confidence: float = LOW_CONFIDENCE,
) -> CorrectionReport:
    """Correct every page of the book JSONL at `book_path` with `backend`; write the corrected book to `out_path`.

    Lines with an OCR confidence below `low_confidence` are marked in the prompt (see the module docstring)."""
    out_path = Path(out_path)
    partial = out_path.with_name(out_path.name + ".partial")
    by_page = pages(read_lines(book_path))
    done = _read_partial(partial)
    if out_path.is_file() and not done:
        done = pages(read_lines(out_path))
    report = CorrectionReport(pages_skipped=len(set(done) & set(by_page)))
    todo = [page for page in by_page if page not in done]
    bar = tqdm(total=len(todo), desc="OCR correction", unit="page", disable=not progress)
    for start in range(0, len(todo), batch_pages):
        batch = todo[start : start + batch_pages]
        requests, owners = [], []
        for page in batch:
            for chunk_start in range(0, len(by_page[page]), max_lines):
                chunk = by_page[page][chunk_start : chunk_start + max_lines]
                requests.append(_request(chunk, max_new_tokens, low_confidence))
                owners.append((page, chunk))
        generations = backend.generate(requests)
        results: dict[int, list[OcrLine]] = {page: [] for page in batch}
        failed: set[int] = set()
        for (page, chunk), generation in zip(owners, generations, strict=True):
            if not generation.ok:
                failed.add(page)
                report.warnings.append(f"page {page}: correction request failed ({generation.error})")
                continue
            merged, counts, warnings = merge_correction(chunk, generation.text, low_confidence=low_confidence)
            results[page].extend(merged)
            report.lines.update(counts)
            report.warnings.extend(warnings)
        with partial.open("a", encoding="utf-8") as handle:
            for page in batch:
                if page in failed:
                    report.pages_failed.append(page)
                    continue
                record = {"page": page, "lines": [line.to_dict() for line in results[page]]}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                done[page] = results[page]
                report.pages_done += 1
            handle.flush()
            os.fsync(handle.fileno())
        bar.update(len(batch))
    bar.close()
    for warning in report.warnings:
        logger.warning(warning)
    if not report.pages_failed:
        write_lines([line for page in sorted(done) if page in by_page for line in done[page]], out_path)
        partial.unlink(missing_ok=True)
    return report


def _request(chunk: list[OcrLine], max_new_tokens: int | None, low_confidence: float) -> ChatRequest:
    numbered = "\n".join(
        f"{line.line}{'?' if is_low_confidence(line, low_confidence) else ''}: {line.text}" for line in chunk
    )
    budget = max_new_tokens or max(64, 2 * sum(len(line.text) + 6 for line in chunk) // 3)
    marked = any(is_low_confidence(line, low_confidence) for line in chunk)
    note = 'Lines numbered "<number>?:" were read with low OCR confidence: check them most carefully.\n'
    prompt = CORRECTION_PROMPT.format(
        page=chunk[0].page, book=chunk[0].book, lines=numbered, low_confidence_note=note if marked else ""
    )
    return ChatRequest(
        prompt=prompt, max_new_tokens=budget, request_id=f"{chunk[0].book}:p{chunk[0].page}:l{chunk[0].line}"
    )


def _read_partial(path: Path) -> dict[int, list[OcrLine]]:
    """Pages already corrected by an interrupted run (a truncated last record is ignored and redone)."""
    done: dict[int, list[OcrLine]] = {}
    if not path.is_file():
        return done
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            try:
                record = json.loads(raw)
                done[int(record["page"])] = [OcrLine.from_dict(line) for line in record["lines"]]
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
    return done

"""A dictionary as positioned lines: OCR scanned pages, or read a text dump or a PDF's text layer.

The ingested book is a JSONL file, one object per non-empty line::

    {"book": "Signing Dictionary", "page": 112, "line": 3, "text": "BOOK Both open hands ...",
     "source_page": 5, "page_source": "printed", "confidence": 91.4, "bbox": [110, 301, 1290, 338],
     "image": "dict.pages/p0005.png"}

`page` is the page number printed in the book when the page's header or footer carries one
(`page_source="printed"`), otherwise the 1-based page index in the source (`page_source="index"`: the PDF page
or the image's position); `source_page` is always that index. `line` is the 1-based line number inside the page
in reading order. Lines read by the OCR engine also carry its `confidence` (0-100, the mean over the line's
words), their `bbox` (x0, y0, x1, y1 in pixels of `image`, the page image the engine read; a relative `image`
is relative to the JSONL file's folder). The line that carries the printed page number, and the lines beside
it in the same header/footer row, are marked `role="header"` or `"footer"` and are not dictionary text.

Text dumps split pages on form feeds or "--- page N ---" markers (`page` as marked, blank lines counted in
`line`). An OCR-corrected line keeps its position and stores the text before correction as `ocr_text`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tqdm.auto import tqdm

from .lines import OcrLine
from .margins import FOLIO, classify_margins, detect_page_number, margin_regions

if TYPE_CHECKING:
    from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
# OCR confidence (0-100) below which a line is marked for the correction step and flagged in the app.
LOW_CONFIDENCE = 70.0

# "--- page 12 ---", "=== Page 12 ===", "[page 12]", "<page 12>" on a line of their own.
PAGE_MARKER = re.compile(
    r"^\s*(?:[-=]{2,}\s*)?[\[<]?\s*page\s+(\d+)\s*[\]>]?(?:\s*[-=]{2,})?\s*$", re.IGNORECASE
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@dataclass
class RecognizedLine:
    """A text line as an OCR engine read it: text, box (x0, y0, x1, y1 in pixels), confidence 0-100."""

    text: str
    bbox: tuple[int, int, int, int]
    confidence: float


class OcrEngine(Protocol):
    """What `ingest` needs of an OCR engine: a page image in, its text lines in reading order out.

    `block=True`: the image is a strip cut from a page's margin, to be read as one uniform block of text."""

    def recognize(self, image: Image.Image, block: bool = False) -> list[RecognizedLine]: ...


class TesseractEngine:
    """Tesseract (Debian `tesseract-ocr` + language data) through `pytesseract`, one page image at a time.

    `languages` is Tesseract's language string, e.g. ``"eng"``, ``"chi_sim"`` or ``"eng+chi_sim"``.
    """

    def __init__(self, languages: str = "eng", page_segmentation: int = 3):
        try:
            import pytesseract
        except ImportError:
            raise RuntimeError(
                "OCR needs pytesseract (pip install 'lexsign_hf[mcp]') and the tesseract-ocr program"
            ) from None
        try:
            available = set(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, OSError):
            raise RuntimeError(
                "OCR needs the tesseract program (apt-get install tesseract-ocr tesseract-ocr-eng "
                "tesseract-ocr-chi-sim, or `make ocr`)"
            ) from None
        missing = [code for code in languages.split("+") if code not in available]
        if missing:
            raise RuntimeError(
                f"Tesseract has no language data for {missing} (installed: {sorted(available)}); "
                f"install e.g. tesseract-ocr-{missing[0].replace('_', '-')}"
            )
        self.pytesseract = pytesseract
        self.version = str(pytesseract.get_tesseract_version())
        self.languages = languages
        self.config = f"--psm {page_segmentation}"

    def recognize(self, image: Image.Image, block: bool = False) -> list[RecognizedLine]:
        """The page's text lines in Tesseract's reading order (words joined by spaces, except next to CJK text);
        `block=True` reads a margin strip as one block (``--psm 6``: page segmentation misses lone numbers)."""
        data = self.pytesseract.image_to_data(
            image,
            lang=self.languages,
            config="--psm 6" if block else self.config,
            output_type=self.pytesseract.Output.DICT,
        )
        grouped: dict[tuple[int, int, int], list[int]] = {}
        for index, word in enumerate(data["text"]):
            if data["level"][index] == 5 and word.strip():
                key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
                grouped.setdefault(key, []).append(index)
        lines = []
        for indices in grouped.values():
            text = ""
            for index in indices:
                word = data["text"][index].strip()
                joined = text and (_CJK.match(text[-1]) or _CJK.match(word[0]))
                text = f"{text}{word}" if joined or not text else f"{text} {word}"
            left = min(data["left"][i] for i in indices)
            top = min(data["top"][i] for i in indices)
            right = max(data["left"][i] + data["width"][i] for i in indices)
            bottom = max(data["top"][i] + data["height"][i] for i in indices)
            confidences = [float(data["conf"][i]) for i in indices if float(data["conf"][i]) >= 0]
            confidence = sum(confidences) / len(confidences) if confidences else 0.0
            lines.append(RecognizedLine(text, (left, top, right, bottom), round(confidence, 1)))
        return lines


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
    lines = [
        OcrLine(book=book or path.stem, page=page, line=number, text=" ".join(text.split()))
        for page, page_lines in split_pages_text(text)
        for number, text in enumerate(page_lines, start=1)
        if text.strip()
    ]
    if not lines:
        raise ValueError(f"{path}: no text found")
    return lines


def ingest(
    source: str | Path,
    out: str | Path,
    book: str | None = None,
    languages: str = "eng",
    dpi: int = 300,
    engine: OcrEngine | None = None,
    progress: bool = True,
) -> list[OcrLine]:
    """Ingest a dictionary into the book JSONL `out` and return its lines.

    `source` is a text dump (`.txt`, see `ingest_text`), a PDF (a page with a text layer keeps it, an
    image-only page is rendered at `dpi` and OCR-ed), an image (PNG/JPEG/TIFF, every frame of a TIFF a page) or
    a folder of page images (in natural order of their names). Pages are OCR-ed with `engine` (default:
    `TesseractEngine(languages)`) and appended to `<out>.partial` as they finish, so an interrupted run resumes
    at the first unfinished page (of the same source). Rendered PDF pages and TIFF frames are saved under `<out stem>.pages/`.
    """
    source, out = Path(source), Path(out)
    if not source.exists():
        raise FileNotFoundError(f"dictionary source not found: {source}")
    book = book or source.stem
    if source.is_file() and source.suffix.lower() not in (".pdf", *IMAGE_SUFFIXES):
        lines = ingest_text(source, book)
        write_lines(lines, out)
        return lines
    pages_dir = out.with_name(f"{out.stem}.pages")
    partial = out.with_name(out.name + ".partial")
    done = _read_partial(partial, source)
    page_list = list(_source_pages(source, pages_dir, dpi))
    bar = tqdm(total=len(page_list), desc=f"Ingesting {source.name}", unit="page", disable=not progress)
    bar.update(sum(index in done for index, _ in page_list))
    for index, load in page_list:
        if index in done:
            continue
        text_layer, image, image_path = load()
        if text_layer is not None:
            lines = [
                OcrLine(book, index, number, " ".join(text.split()), source_page=index)
                for number, text in enumerate(text_layer, start=1)
                if text.strip()
            ]
            height = None
        else:
            engine = engine or TesseractEngine(languages)
            lines = [
                OcrLine(book, index, number, recognized.text, source_page=index, confidence=recognized.confidence,
                        bbox=recognized.bbox, image=str(Path(image_path).resolve()))
                for number, recognized in enumerate(engine.recognize(image), start=1)
            ]  # fmt: skip
            height = image.height
            if detect_page_number(lines, height) is None:
                lines = _recover_folio(lines, image, engine)
        _number_page(lines, index, height)
        out.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("a", encoding="utf-8") as handle:
            record = {
                "source": str(source.resolve()),
                "index": index,
                "lines": [line.to_dict() for line in lines],
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        done[index] = lines
        bar.update(1)
    bar.close()
    lines = [line for index in sorted(done) for line in done[index]]
    if not lines:
        raise ValueError(f"{source}: no text found on {len(page_list)} page(s)")
    write_lines(lines, out)
    partial.unlink(missing_ok=True)
    return lines


def _number_page(lines: list[OcrLine], index: int, height: int | None) -> None:
    """Set every line's `page` to the printed page number (or `index`, flagged), mark the folio row and the
    running heads (`margins.classify_margins`)."""
    found = detect_page_number(lines, height)
    for line in lines:
        line.page, line.page_source = (found[0], "printed") if found else (index, "index")
    if found:
        for position in found[2]:
            lines[position].role = found[1]
    for line, classified in zip(lines, classify_margins(lines, {index: height}), strict=True):
        line.role = classified.role


def _recover_folio(lines: list[OcrLine], image: Image.Image, engine: OcrEngine) -> list[OcrLine]:
    """`lines` plus a page number the engine missed in the page's margins (`margins.margin_regions`, read
    again as blocks): first (header) or last (footer) line, the page's lines renumbered."""
    if not lines:
        return lines
    for role, (x0, y0, x1, y1) in margin_regions(lines, image.width, image.height):
        for found in engine.recognize(image.crop((x0, y0, x1, y1)), block=True):
            if not FOLIO.match(found.text.strip()):
                continue
            left, top, right, bottom = found.bbox
            box = (left + x0, top + y0, right + x0, bottom + y0)
            template = lines[0]
            recovered = OcrLine(template.book, template.page, 0, found.text.strip(), source_page=template.source_page,
                                confidence=found.confidence, bbox=box, image=template.image)  # fmt: skip
            ordered = [recovered, *lines] if role == "header" else [*lines, recovered]
            for number, line in enumerate(ordered, start=1):
                line.line = number
            return ordered
    return lines


def _source_pages(source: Path, pages_dir: Path, dpi: int) -> Iterator[tuple[int, Callable]]:
    """`(1-based index, load)` per page; `load()` gives `(text layer lines or None, image, image path)`."""
    if source.is_dir():
        files = sorted(
            (path for path in source.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda path: [
                int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)
            ],
        )
        if not files:
            raise ValueError(f"{source}: no page image ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        for index, path in enumerate(files, start=1):
            yield index, lambda path=path: (None, _open_image(path), path)
    elif source.suffix.lower() == ".pdf":
        yield from _pdf_pages(source, pages_dir, dpi)
    else:
        from PIL import Image, ImageSequence, UnidentifiedImageError

        try:
            with Image.open(source) as image:
                frames = getattr(image, "n_frames", 1)
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"{source}: not a readable page image ({error})") from None
        if frames == 1:
            yield 1, lambda: (None, _open_image(source), source)
            return
        for index in range(1, frames + 1):

            def load(index=index):
                with Image.open(source) as image:
                    frame = ImageSequence.Iterator(image)[index - 1].convert("L")
                pages_dir.mkdir(parents=True, exist_ok=True)
                path = pages_dir / f"p{index:04d}.png"
                frame.save(path)
                return None, frame, path

            yield index, load


def _pdf_pages(source: Path, pages_dir: Path, dpi: int) -> Iterator[tuple[int, Callable]]:
    import pypdfium2
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(source))
        count = len(reader.pages)
    except (PdfReadError, OSError, ValueError) as error:
        raise ValueError(f"{source}: cannot read the PDF ({error})") from None
    for index in range(1, count + 1):

        def load(index=index):
            text = reader.pages[index - 1].extract_text() or ""
            if text.strip():
                return text.split("\n"), None, None
            document = pypdfium2.PdfDocument(str(source))
            try:
                image = document[index - 1].render(scale=dpi / 72).to_pil().convert("L")
            finally:
                document.close()
            pages_dir.mkdir(parents=True, exist_ok=True)
            path = pages_dir / f"p{index:04d}.png"
            image.save(path)
            return None, image, path

        yield index, load


def _open_image(path: Path) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("L")
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path}: not a readable page image ({error})") from None


def _read_partial(path: Path, source: Path) -> dict[int, list[OcrLine]]:
    """Pages of `source` finished by an interrupted run (a truncated last record is ignored and redone)."""
    done: dict[int, list[OcrLine]] = {}
    if not path.is_file():
        return done
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            try:
                record = json.loads(raw)
                if record["source"] == str(source.resolve()):
                    done[int(record["index"])] = [OcrLine.from_dict(line) for line in record["lines"]]
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
    return done


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance between the texts over the reference's length (0 is perfect; can exceed 1)."""
    from rapidfuzz.distance import Levenshtein

    if not reference:
        raise ValueError("character error rate needs a non-empty reference text")
    return Levenshtein.distance(reference, hypothesis) / len(reference)


def write_lines(lines: Iterable[OcrLine], path: str | Path) -> Path:
    """Write lines as JSONL through a temporary file and a rename (page images relative to its folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for line in lines:
            data = line.to_dict()
            if line.image is not None:
                data["image"] = os.path.relpath(Path(line.image).resolve(), path.parent.resolve())
            handle.write(json.dumps(data, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def read_lines(path: str | Path) -> list[OcrLine]:
    """Read a book JSONL written by `write_lines` (page images as absolute paths; errors name file and line)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"OCR book file not found: {path} (create it with `lexsign mcp ingest`)")
    lines = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = OcrLine.from_dict(json.loads(raw))
                if line.image is not None:
                    line.image = str((path.parent / line.image).resolve())
                lines.append(line)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise ValueError(
                    f"{path}:{number}: expected a JSON object with book, page, line, text ({error})"
                ) from None
    return lines

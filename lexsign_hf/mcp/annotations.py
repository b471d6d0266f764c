"""The annotators' choices, saved as `mcp` description records with their provenance.

Each save writes a `lexsign_hf.data.descriptions.DescriptionRecord`::

    {"gloss": "book", "language": "asl", "source": "mcp", "text": "...", "fragments": [...],
     "provenance": {"book": "...", "page": 12, "position": 3, "end_page": 12, "end_line": 5, "headword": "BOOK",
                    "method": "exact", "edited": false, "dictionary_text": "...", "media": "book.pose",
                    "annotator": "...", "saved_at": "2025-...Z"}}

to a JSONL file that `lexsign data build --descriptions` and `DescriptionBank` read directly. Saving the
same gloss from the same book again replaces the earlier choice (the file is rewritten through a temporary
file and a rename, so it is never half-written).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

from lexsign_hf.data.descriptions import DescriptionRecord, read_description_file, write_description_jsonl

_LOCK = threading.Lock()


def save_choice(
    path: str | Path,
    gloss: str,
    text: str,
    candidate: dict[str, Any],
    language: str = "asl",
    annotator: str | None = None,
    media: str | None = None,
) -> DescriptionRecord:
    """Save `text` (the chosen candidate's text, possibly edited) for `gloss` with the candidate's position.

    `candidate` is a retrieval candidate (`book`, `page`, `line`, `end_page`, `end_line`, `headword`, `text`,
    `method`). Raises `ValueError` for an empty text or a candidate without its position.
    """
    missing = [key for key in ("book", "page", "line") if candidate.get(key) in (None, "")]
    if missing:
        raise ValueError(f"candidate for gloss {gloss!r} lacks provenance field(s) {missing}")
    text = " ".join((text or "").split())
    if not text:
        raise ValueError(f"empty description for gloss {gloss!r}: choose a candidate or type a description")
    provenance = {
        "book": candidate["book"],
        "page": int(candidate["page"]),
        "position": int(candidate["line"]),
        "end_page": int(candidate.get("end_page", candidate["page"])),
        "end_line": int(candidate.get("end_line", candidate["line"])),
        "headword": candidate.get("headword"),
        "method": candidate.get("method"),
        "edited": text != " ".join(str(candidate.get("text", "")).split()),
        "dictionary_text": candidate.get("text"),
        "media": media,
        "annotator": annotator,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    record = DescriptionRecord(
        gloss=gloss,
        language=language,
        source="mcp",
        text=text,
        provenance={key: value for key, value in provenance.items() if value is not None},
    )
    path = Path(path)
    with _LOCK:
        records = read_description_file(path, source="mcp") if path.is_file() else []
        records = [
            other
            for other in records
            if not (other.gloss == gloss and other.provenance.get("book") == record.provenance["book"])
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        write_description_jsonl([*records, record], path)
    return record


def annotated_glosses(path: str | Path) -> set[str]:
    """Glosses that already have a saved choice in `path`."""
    path = Path(path)
    return {record.gloss for record in read_description_file(path, source="mcp")} if path.is_file() else set()

"""MCP: manually curated descriptions from dictionaries (`lexsign mcp ingest|correct|retrieve|app`).

A dictionary is OCR-ed (scanned PDFs, page images) or read (text layer, text dump) into lines with their printed
page, line, box and OCR confidence (`ocr`), optionally corrected page-wise by an LLM
(`correct`), split into entries (`entries`), searched per gloss (`retrieve`), and an annotator picks the entry
that matches the sign in a Gradio app (`app`); choices are saved as `mcp` description records (`annotations`).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "OcrLine": "lines",
    "ingest": "ocr",
    "OcrEngine": "ocr",
    "RecognizedLine": "ocr",
    "TesseractEngine": "ocr",
    "character_error_rate": "ocr",
    "classify_margins": "margins",
    "detect_page_number": "margins",
    "ingest_text": "ocr",
    "read_lines": "ocr",
    "write_lines": "ocr",
    "CorrectionReport": "correct",
    "correct_book": "correct",
    "DictionaryEntry": "entries",
    "parse_entries": "entries",
    "BM25": "retrieve",
    "Candidate": "retrieve",
    "CandidateIndex": "retrieve",
    "Retrieval": "retrieve",
    "save_choice": "annotations",
    "SignMedia": "app",
    "build_app": "app",
    "read_retrievals": "app",
    "render_canonical_gif": "render",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)

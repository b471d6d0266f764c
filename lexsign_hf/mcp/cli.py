"""`lexsign mcp ingest|correct|retrieve|app`: curate dictionary descriptions (the MCP pipeline)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cli_options import add_alias


def register(subparsers) -> None:
    group = subparsers.add_parser(
        "mcp", help="curate descriptions from dictionaries (OCR → candidates → annotator)"
    )
    commands = group.add_subparsers(dest="mcp_command", metavar="COMMAND", required=True)

    ingest = commands.add_parser(
        "ingest", help="OCR a scanned dictionary (PDF, page images) or read its text (text layer, .txt)"
    )
    ingest.add_argument(
        "source",
        type=Path,
        help="PDF, image (PNG/JPEG/TIFF), folder of page images, or OCR text (pages split by form feeds)",
    )
    ingest.add_argument("--out", type=Path, required=True, help="book JSONL (one positioned line per row)")
    ingest.add_argument("--book", help="book name recorded as provenance (default: the file name)")
    ingest.add_argument(
        "--languages", default="eng", help="Tesseract languages, e.g. eng, chi_sim, eng+chi_sim (default eng)"
    )
    ingest.add_argument("--dpi", type=int, default=300, help="resolution scanned PDF pages are OCR-ed at")
    ingest.set_defaults(func=run_ingest)

    correct = commands.add_parser("correct", help="fix OCR errors page by page with an LLM (positions kept)")
    correct.add_argument("book", type=Path, help="book JSONL from `lexsign mcp ingest`")
    correct.add_argument("--out", type=Path, required=True, help="corrected book JSONL")
    correct.add_argument(
        "--backend", required=True, help="text backend: text:PATH or openai:MODEL[@BASE_URL]"
    )
    add_alias(correct, "--backend", "--model")
    correct.add_argument("--max-lines", type=int, default=40, help="lines per request (default 40)")
    correct.add_argument(
        "--max-new-tokens", type=int, help="answer budget per request (default: from the text)"
    )
    correct.add_argument(
        "--low-confidence",
        type=float,
        default=70.0,
        help="OCR confidence (0-100) below which a line is marked",
    )
    correct.add_argument("--batch-size", type=int, help="requests per local batch")
    correct.add_argument("--device", help="device for a local model")
    correct.set_defaults(func=run_correct)

    retrieve = commands.add_parser("retrieve", help="candidate entries per gloss (exact, fuzzy, BM25)")
    retrieve.add_argument("book", type=Path, nargs="+", help="book JSONL file(s) (corrected or not)")
    retrieve.add_argument("--out", type=Path, required=True, help="candidates JSONL for `lexsign mcp app`")
    glosses = retrieve.add_mutually_exclusive_group(required=True)
    glosses.add_argument("--gloss", nargs="+", help="glosses to look up")
    glosses.add_argument("--glosses", type=Path, help="text file, one gloss per line")
    glosses.add_argument("--dataset", help="LexSign dataset folder: every gloss of --config")
    retrieve.add_argument("--config", default="asl1000", help="config for --dataset (default asl1000)")
    retrieve.add_argument("--top-k", type=int, default=5)
    retrieve.add_argument("--style", choices=("auto", "caps", "colon"), default="auto", help="entry layout")
    retrieve.add_argument("--fuzzy-threshold", type=float, default=80.0, help="0-100 (default 80)")
    retrieve.set_defaults(func=run_retrieve)

    app = commands.add_parser("app", help="annotation app: watch the sign, choose/edit a candidate, save")
    app.add_argument("--candidates", type=Path, required=True, help="JSONL from `lexsign mcp retrieve`")
    app.add_argument("--out", type=Path, required=True, help="mcp description JSONL the choices are saved to")
    app.add_argument(
        "--media", type=Path, nargs="*", default=[], help="folders of <gloss|video_id>.pose / .mp4"
    )
    app.add_argument("--dataset", help="LexSign dataset folder mapping glosses to video ids (with --config)")
    app.add_argument("--config", default="asl1000")
    app.add_argument("--language", default="asl")
    app.add_argument("--annotator", help="name recorded with every saved choice")
    app.add_argument("--host", default="127.0.0.1")
    app.add_argument("--port", type=int, default=7860)
    app.set_defaults(func=run_app)


def run_ingest(args: argparse.Namespace) -> int:
    from .lines import pages
    from .ocr import ingest

    lines = ingest(args.source, args.out, args.book, languages=args.languages, dpi=args.dpi)
    by_page = pages(lines)
    printed = sum(page[0].page_source == "printed" for page in by_page.values())
    read = [line.confidence for line in lines if line.confidence is not None]
    ocr = f", OCR confidence {sum(read) / len(read):.1f} on average" if read else ""
    print(
        f"{args.out}: {len(lines)} lines on {len(by_page)} pages of '{lines[0].book}' "
        f"({printed} with a printed page number{ocr})"
    )
    return 0


def run_correct(args: argparse.Namespace) -> int:
    from lexsign_hf.mllm import build_backend

    from .correct import correct_book

    if not args.backend.startswith(("text:", "openai:")):
        raise ValueError(
            f"--backend must be a text backend (text:PATH or openai:MODEL[@URL]), got {args.backend!r}"
        )
    with build_backend(args.backend, batch_size=args.batch_size, device=args.device) as backend:
        report = correct_book(
            args.book,
            args.out,
            backend,
            args.max_lines,
            args.max_new_tokens,
            low_confidence=args.low_confidence,
        )
    print(report.summary())
    if report.warnings:
        print(f"{len(report.warnings)} warning(s), e.g.: " + "; ".join(report.warnings[:3]))
    return 1 if report.pages_failed else 0


def run_retrieve(args: argparse.Namespace) -> int:
    from .entries import parse_entries
    from .ocr import read_lines
    from .retrieve import CandidateIndex

    if args.gloss:
        glosses = args.gloss
    elif args.glosses:
        if not args.glosses.is_file():
            raise FileNotFoundError(f"--glosses file not found: {args.glosses}")
        glosses = [
            line.strip() for line in args.glosses.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    else:
        glosses = sorted(_gloss_videos(args.dataset, args.config))
    if not glosses:
        raise ValueError("no gloss to look up")
    entries = [entry for book in args.book for entry in parse_entries(read_lines(book), style=args.style)]
    index = CandidateIndex(entries, fuzzy_threshold=args.fuzzy_threshold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    found = 0
    with tmp.open("w", encoding="utf-8") as handle:
        for gloss in dict.fromkeys(glosses):
            retrieval = index.search(gloss, top_k=args.top_k)
            found += retrieval.status == "found"
            handle.write(json.dumps(retrieval.to_dict(), ensure_ascii=False) + "\n")
    tmp.replace(args.out)
    total = len(dict.fromkeys(glosses))
    print(
        f"{args.out}: {total} glosses over {len(entries)} entries: {found} with candidates, {total - found} without"
    )
    return 0


def run_app(args: argparse.Namespace) -> int:
    from .app import SignMedia, build_app, launch, read_retrievals

    gloss_videos = _gloss_videos(args.dataset, args.config) if args.dataset else None
    media = SignMedia(args.media, gloss_videos)
    app = build_app(read_retrievals(args.candidates), args.out, media, args.language, args.annotator)
    print(f"MCP annotation app on http://{args.host}:{args.port} (Ctrl+C to stop); saving to {args.out}")
    launch(app, args.host, args.port, block=True)
    return 0


def _gloss_videos(dataset: str, config: str) -> dict[str, list[str]]:
    """gloss → video ids over every split of a LexSign config."""
    import datasets

    try:
        splits = datasets.load_dataset(str(dataset), config, columns=["gloss", "video_id"])
    except (FileNotFoundError, ValueError) as error:
        raise ValueError(f"cannot read glosses from {dataset} config {config!r}: {error}") from None
    mapping: dict[str, list[str]] = {}
    for split in splits.values():
        for row in split:
            mapping.setdefault(row["gloss"], []).append(str(row["video_id"]))
    return mapping

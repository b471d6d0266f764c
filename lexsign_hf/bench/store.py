"""A results folder and the bench it belongs to: question hashes, the bench fingerprint and the answer key.

Every cached answer carries the content hash of its question (video, options, answer, level) and the bench
fingerprint (a hash over all question hashes). ``bench_key.json`` holds the fingerprint and, per question, its
hash, answer, level, iconicity type and gloss: a folder belongs to one bench, and correctness is always
recomputed from that key, never read from a cached record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ANSWERS_FILE = "answers.jsonl"
RUN_FILE = "run.json"
KEY_FILE = "bench_key.json"
RECORD_FIELDS = {"key", "variant", "control", "question_id", "question_hash", "prediction"}


def question_hash(question: dict[str, Any]) -> str:
    """Content hash of one question: its video, level, options (in order) and answer."""
    content = [str(question["video_id"]), question["level"], list(question["options"]), question["answer"]]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def bench_fingerprint(questions: Iterable[dict[str, Any]]) -> str:
    """Hash over the (question id, question hash) pairs of a whole bench, independent of row order."""
    pairs = sorted(f"{question['question_id']}:{question_hash(question)}" for question in questions)
    return hashlib.sha256("\n".join(pairs).encode("utf-8")).hexdigest()[:16]


def bench_key(questions: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The answer key of a bench: its fingerprint and per question id what correctness is computed from."""
    questions = list(questions)
    return {
        "fingerprint": bench_fingerprint(questions),
        "questions": {
            str(q["question_id"]): {
                "hash": question_hash(q),
                "answer": q["answer"],
                "level": q["level"],
                "iconicity_type": q["iconicity_type"],
                "gloss": q["gloss"],
            }
            for q in questions
        },
    }


def bind_folder(out_dir: Path, key: dict[str, Any]) -> None:
    """Tie `out_dir` to the bench of `key`: write its answer key, or refuse (one line, both fingerprints) when
    the folder already holds answers of another bench."""
    path = out_dir / KEY_FILE
    if path.is_file():
        try:
            held = json.loads(path.read_text(encoding="utf-8"))["fingerprint"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: corrupted bench key ({error}); move the folder away") from None
        if held != key["fingerprint"]:
            raise ValueError(
                f"{out_dir} holds answers of bench {held}, not of this bench {key['fingerprint']}: "
                "use another --out folder"
            )
        return
    if (out_dir / ANSWERS_FILE).is_file():
        logger.warning(
            "%s has answers but no %s: answers whose question hash differs from bench %s are asked again",
            out_dir,
            KEY_FILE,
            key["fingerprint"],
        )
    write_json_atomic(path, key)


def read_key(folder: str | Path) -> dict[str, Any]:
    """The answer key of a results folder (raises naming the file when there is none)."""
    path = Path(folder) / KEY_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: this results folder predates bench binding; run `lexsign bench run` into it "
            "again to bind it (answers of other questions are asked again)"
        )
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(key.get("questions"), dict) or not isinstance(key.get("fingerprint"), str):
            raise ValueError("expected 'fingerprint' and 'questions'")
    except (json.JSONDecodeError, ValueError, AttributeError) as error:
        raise ValueError(f"{path}: not a bench key ({error})") from None
    return key


def is_current(record: dict[str, Any], key: dict[str, Any]) -> bool:
    """Whether a cached record answers a question of `key`'s bench as it is now (same content hash)."""
    question = key["questions"].get(str(record.get("question_id")))
    return question is not None and record.get("question_hash") == question["hash"]


def score_records(records: Iterable[dict[str, Any]], key: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The records that answer a question of `key`'s bench as it is now, each with `correct`, `answer`,
    `level`, `iconicity_type` and `gloss` taken from the key; and the number of stale records left out."""
    scored, stale = [], 0
    for record in records:
        if not is_current(record, key):
            stale += 1
            continue
        question = key["questions"][str(record["question_id"])]
        scored.append(
            {
                **record,
                **{name: question[name] for name in ("answer", "level", "iconicity_type", "gloss")},
                "correct": record["prediction"] is not None and record["prediction"] == question["answer"],
            }
        )
    return scored, stale


def read_answers(path: str | Path) -> tuple[dict[str, dict[str, Any]], int]:
    """Records of an ``answers.jsonl`` by key (the last one wins) and the number of unreadable lines."""
    path = Path(path)
    records: dict[str, dict[str, Any]] = {}
    corrupt = 0
    if not path.is_file():
        return records, corrupt
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or not RECORD_FIELDS <= record.keys():
                    raise ValueError("missing fields")
            except ValueError:  # includes json.JSONDecodeError
                corrupt += 1
                logger.warning(
                    "%s:%d: unreadable cache line skipped; its question will be asked again", path, number
                )
                continue
            records[record["key"]] = record
    return records, corrupt


def append_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """Append `records` and fsync; a partial last line left by an interrupted write is closed first."""
    if not records:
        return
    with path.open("ab") as handle:
        if handle.tell() > 0:
            with path.open("rb") as reader:
                reader.seek(-1, os.SEEK_END)
                if reader.read(1) != b"\n":
                    handle.write(b"\n")
        handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def write_json_atomic(path: Path, content: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)

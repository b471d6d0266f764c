"""Results belong to their bench: a folder filled from bench A never serves bench B's questions (issue 23.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lexsign_hf.bench.report import summarize_folder
from lexsign_hf.bench.runner import load_bench
from lexsign_hf.bench.store import KEY_FILE, bench_fingerprint, question_hash, read_answers
from lexsign_hf.cli import main
from lexsign_hf.mllm.testing import ChatCompletionsStub

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WLASL = DATA / "wlasl" / "WLASL_v0.3.json"
ASL_LEX = DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
pytestmark = pytest.mark.skipif(
    not (WLASL.is_file() and ASL_LEX.is_file()), reason="../shared/data not available"
)


def _build(out: Path, seed: int) -> Path:
    args = ["bench", "build", "--wlasl", str(WLASL), "--asl-lex", str(ASL_LEX), "--out", str(out)]
    assert main(args + ["--per-type", "2", "--seed", str(seed)]) == 0
    return out


@pytest.fixture(scope="module")
def benches(tmp_path_factory):
    root = tmp_path_factory.mktemp("benches")
    return _build(root / "a", 0), _build(root / "b", 1)


def _run(stub: ChatCompletionsStub, bench: Path, out: Path) -> int:
    args = ["bench", "run", "--bench", str(bench), "--backend", f"openai:stub@{stub.url}", "--out", str(out)]
    return main(args + ["--control", "blind", "--prompt-variant", "original", "--max-retries", "0"])


def test_question_hash_and_fingerprint_follow_content():
    question = {
        "question_id": "1-gloss",
        "video_id": "1",
        "level": "gloss",
        "options": list("wxyz"),
        "answer": "A",
    }
    assert question_hash(question) == question_hash(dict(question))
    for change in ({"options": list("xwyz")}, {"answer": "B"}, {"level": "subunit"}, {"video_id": "2"}):
        assert question_hash({**question, **change}) != question_hash(question), change
    other = {**question, "question_id": "2-gloss", "video_id": "2"}
    assert bench_fingerprint([question, other]) == bench_fingerprint([other, question])
    assert bench_fingerprint([question, other]) != bench_fingerprint([question, {**other, "answer": "C"}])


def test_folder_of_bench_a_refuses_bench_b(benches, tmp_path, capsys):
    bench_a, bench_b = benches
    rows_a, rows_b = load_bench(bench_a).to_list(), load_bench(bench_b).to_list()
    fingerprint_a, fingerprint_b = bench_fingerprint(rows_a), bench_fingerprint(rows_b)
    assert fingerprint_a != fingerprint_b
    out = tmp_path / "out"
    with ChatCompletionsStub(lambda body: (200, "The answer is B.")) as stub:
        assert _run(stub, bench_a, out) == 0
        assert len(stub.bodies) == len(rows_a)
        capsys.readouterr()
        assert _run(stub, bench_b, out) == 1
        assert len(stub.bodies) == len(rows_a)  # nothing asked, nothing served
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and fingerprint_a in errors[0] and fingerprint_b in errors[0]
    records, _ = read_answers(out / "answers.jsonl")
    assert {r["bench_fingerprint"] for r in records.values()} == {fingerprint_a}
    assert all("correct" not in r for r in records.values())


def test_unbound_folder_reasks_changed_questions_and_recomputes_correctness(benches, tmp_path):
    bench_a, bench_b = benches
    rows_a, rows_b = load_bench(bench_a).to_list(), load_bench(bench_b).to_list()
    out = tmp_path / "out"
    with ChatCompletionsStub(lambda body: (200, "B")) as stub:
        assert _run(stub, bench_a, out) == 0
        # a folder from before bench binding: no answer key, records claim to be right
        (out / KEY_FILE).unlink()
        answers = out / "answers.jsonl"
        lines = [json.loads(line) for line in answers.read_text().splitlines()]
        answers.write_text("".join(json.dumps({**r, "correct": True}) + "\n" for r in lines))
        asked_before = len(stub.bodies)
        assert _run(stub, bench_b, out) == 0
        hashes_a = {r["question_id"]: question_hash(r) for r in rows_a}
        unchanged = sum(hashes_a.get(r["question_id"]) == question_hash(r) for r in rows_b)
        assert len(stub.bodies) - asked_before == len(rows_b) - unchanged > 0
    summary = summarize_folder(out)
    assert summary["bench_fingerprint"] == bench_fingerprint(rows_b)
    result = summary["results"]["original|blind"]
    expected = sum(r["answer"] == "B" for r in rows_b)
    assert result["answered"] == len(rows_b) and result["correct"] == expected
    # bench A's answers to questions bench B lacks stay on disk and are left out of the report
    ids_b = {r["question_id"] for r in rows_b}
    assert summary["stale_answers"] == sum(r["question_id"] not in ids_b for r in rows_a) > 0


def test_report_against_the_bench_itself(benches, tmp_path, capsys):
    bench_a, bench_b = benches
    rows_a = load_bench(bench_a).to_list()
    out = tmp_path / "out"
    with ChatCompletionsStub(lambda body: (200, "Answer: C")) as stub:
        assert _run(stub, bench_a, out) == 0
    # a forged answer key (every answer C) fools a report that trusts the folder, never one given the bench
    key = json.loads((out / KEY_FILE).read_text())
    for question in key["questions"].values():
        question["answer"] = "C"
    (out / KEY_FILE).write_text(json.dumps(key))
    right = sum(r["answer"] == "C" for r in rows_a)
    assert main(["bench", "report", str(out), "--out", str(tmp_path / "r"), "--bench", str(bench_a)]) == 0
    result = json.loads((tmp_path / "r" / "report.json").read_text())["runs"][0]["results"]["original|blind"]
    assert result["correct"] == right < len(rows_a)
    capsys.readouterr()
    assert main(["bench", "report", str(out), "--out", str(tmp_path / "r2"), "--bench", str(bench_b)]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and bench_fingerprint(rows_a) in errors[0]

"""LexSign-Bench builder on the real WLASL index and ASL-LEX 2.0 (../shared/data)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from lexsign_hf.bench.builder import ICONICITY_TYPES, LETTERS, build_bench, build_questions, load_wlasl_index
from lexsign_hf.bench.distractors import load_confusion
from lexsign_hf.data.phonology import load_asl_lex

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WLASL = DATA / "wlasl" / "WLASL_v0.3.json"
ASL_LEX = DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
pytestmark = pytest.mark.skipif(
    not (WLASL.is_file() and ASL_LEX.is_file()), reason="../shared/data not available"
)


@pytest.fixture(scope="module")
def sources():
    return load_wlasl_index(WLASL), load_asl_lex(ASL_LEX)


@pytest.fixture(scope="module")
def built(sources, tmp_path_factory):
    import datasets

    out, summary = build_bench(WLASL, ASL_LEX, tmp_path_factory.mktemp("bench") / "lexsign-bench")
    bench = datasets.load_dataset(str(out), "bench", split="test")
    assert bench.features["options"].length == 4
    return out, summary, bench.to_list()


def test_glosses_per_type_and_shortfall(built, sources):
    out, summary, bench = built
    # Among WLASL glosses matched to ASL-LEX, only 65 are of type "Both": all taken, the shortfall recorded.
    assert summary.selected == {"Arbitrary": 75, "Perceptual": 75, "Pantomimic": 75, "Both": 65}
    assert summary.shortfall == {"Both": 10}
    per_type = {
        kind: len({r["gloss"] for r in bench if r["iconicity_type"] == kind}) for kind in ICONICITY_TYPES
    }
    assert per_type == summary.selected
    card = (out / "README.md").read_text()
    assert "Shortfall" in card and '"Both" match ASL-LEX (10 fewer than asked)' in card
    info = json.loads((out / "data" / "bench" / "bench_info.json").read_text())
    assert info["shortfall"] == {"Both": 10} and info["seed"] == 0


def test_videos_of_the_selected_glosses_twice_balanced_per_quartet(built, sources):
    _, summary, bench = built
    wlasl, _ = sources
    selected = {gloss for glosses in summary.glosses.values() for gloss in glosses}
    available = {i["video_id"] for entry in wlasl if entry["gloss"] in selected for i in entry["instances"]}
    videos = {r["video_id"] for r in bench}
    assert videos <= available and summary.num_videos == len(videos)
    assert len(available) - len(videos) == sum(summary.videos_left_out.values()) < 0.05 * len(available)
    assert len(bench) == 2 * len(videos) == summary.num_questions
    # within a quartet no gloss has more than 1.15 x the videos of the one with the fewest
    per_gloss = Counter(r["gloss"] for r in bench if r["level"] == "gloss")
    quartets = {frozenset(r["option_glosses"]) for r in bench if r["level"] == "gloss"}
    for quartet in quartets:
        counts = [
            per_gloss[g]
            for g in quartet
            if g in per_gloss
            and frozenset(next(r["option_glosses"] for r in bench if r["gloss"] == g)) == quartet
        ]
        assert max(counts) <= int(1.15 * min(counts) + 1e-9), (quartet, counts)
    assert Counter(r["level"] for r in bench) == {"subunit": len(videos), "gloss": len(videos)}
    assert len({r["question_id"] for r in bench}) == len(bench)


def test_answer_letters_are_balanced(built):
    _, _, bench = built
    counts = Counter(r["answer"] for r in bench)
    assert set(counts) == set(LETTERS) and max(counts.values()) - min(counts.values()) <= 1
    for level in ("subunit", "gloss"):
        level_counts = Counter(r["answer"] for r in bench if r["level"] == level)
        assert max(level_counts.values()) - min(level_counts.values()) <= 2
    for kind in ICONICITY_TYPES:
        share = Counter(r["answer"] for r in bench if r["iconicity_type"] == kind)
        total = sum(share.values())
        assert all(abs(share[letter] / total - 0.25) < 0.02 for letter in LETTERS)


def test_exactly_one_correct_option(built, sources):
    _, _, bench = built
    for row in bench:
        position = LETTERS.index(row["answer"])
        assert len(row["options"]) == 4 and len(set(row["options"])) == 4
        assert row["option_glosses"][position] == row["gloss"]
        assert row["option_glosses"].count(row["gloss"]) == 1
        if row["level"] == "gloss":
            assert row["options"] == row["option_glosses"]
        else:
            assert all(len(option.split()) >= 4 for option in row["options"])  # descriptions, not names
    subunit = next(r for r in bench if r["level"] == "subunit")
    gloss = next(r for r in bench if r["level"] == "gloss" and r["video_id"] == subunit["video_id"])
    assert set(subunit["option_glosses"]) == set(gloss["option_glosses"])  # same distractor glosses per video


def test_hard_distractors_from_confusion_file(built, sources, tmp_path):
    wlasl, entries = sources
    _, summary, _ = built
    target, first, second = summary.glosses["Perceptual"][:3]
    lines = f"gloss,predicted,count\n{target},{first},9\n{second},{target},4\n{target},{target},50\n"
    (tmp_path / "confusion.csv").write_text(lines)
    confusion = load_confusion(tmp_path / "confusion.csv")
    assert confusion == {target: {first: 9.0}, second: {target: 4.0}}
    rows, summary = build_questions(wlasl, entries, per_type=75, confusion=confusion)
    questions = [r for r in rows if r["gloss"] == target]
    # the confused glosses join the target's quartet, and are asked with it as a distractor in turn
    assert questions and all({first, second} <= set(r["option_glosses"]) for r in questions)
    assert questions[0]["distractors"] == "hard:confusion+phonology"
    assert all(target in r["option_glosses"] for r in rows if r["gloss"] in (first, second))
    assert summary.distractor_sources["phonology"] > 0
    (tmp_path / "confusion.json").write_text(
        json.dumps({"classes": [target, "chair"], "matrix": [[5, 2], [0, 1]]})
    )
    assert load_confusion(tmp_path / "confusion.json") == {target: {"chair": 2.0}}


def test_quartets_share_option_sets(built):
    _, summary, bench = built
    option_sets = {}
    for row in bench:
        if row["level"] == "gloss":
            option_sets.setdefault(row["gloss"], set()).add(frozenset(row["option_glosses"]))
    assert all(len(sets) == 1 for sets in option_sets.values())  # one option set per gloss
    by_set = Counter(next(iter(sets)) for sets in option_sets.values())
    # 75 glosses of a type are topped up with 1 gloss of another type, the 65 "Both" glosses with 3: the 6
    # top-ups each sit in a quartet with 3 asked glosses, every other quartet is asked 4 times
    assert sorted(Counter(by_set.values()).items()) == [(3, 6), (4, 68)]
    kinds = {g: kind for kind, glosses in summary.glosses.items() for g in glosses}
    for option_set, count in by_set.items():
        if count == 4:
            assert len({kinds[g] for g in option_set}) == 1  # quartets stay within an iconicity type
    # each gloss is the answer of one item and a distractor of three (bar the quartets with a top-up)
    as_distractor = Counter(g for gloss, sets in option_sets.items() for g in next(iter(sets)) if g != gloss)
    assert sum(count == 3 for count in as_distractor.values()) >= 0.9 * len(option_sets)


def test_blind_and_prior_audit_under_28_percent(built):
    from lexsign_hf.bench.audit import CHOOSERS, PRIOR_CHOOSERS

    out, summary, bench = built
    audit = json.loads((out / "data" / "bench" / "audit.json").read_text())
    assert set(audit["choosers"]) == set(CHOOSERS) | set(PRIOR_CHOOSERS)
    assert audit["num_items"] == {"subunit": 290, "gloss": 290}
    assert audit["num_option_sets"] == {"subunit": 74, "gloss": 74}  # 68 quartets + 6 topped up
    assert audit["above_threshold"] == [] and max(audit["max_accuracy"].values()) < 0.28
    for name, entry in audit["choosers"].items():
        for level in ("subunit", "gloss"):
            assert entry[level]["questions"] < 0.28 and entry[level]["items"] < 0.28, (name, level)
            assert max(entry[level]["per_type"].values()) < 0.28, (name, level)  # per iconicity type too
    assert summary.audit_max_accuracy == audit["max_accuracy"]
    card = (out / "README.md").read_text()
    assert "## Blind audit" in card and "| most central (tf-idf cosine) | tf-idf |" in card
    assert "| most WLASL videos | prior |" in card and "| most frequent sign (ASL-LEX) | prior |" in card
    assert "No chooser reaches 28 %" in card
    assert (
        "Options are shared within quartets" in card and "few-shot examples or a dev/validation split" in card
    )
    # `lexsign bench audit` of the built folder reads the priors from bench_info.json: the same audit again
    from lexsign_hf.cli import main

    assert main(["bench", "audit", str(out)]) == 0
    assert json.loads((out / "data" / "bench" / "audit.json").read_text()) == audit


def test_priors_come_from_the_real_data_and_unbalanced_quartets_leak(sources):
    """The issue's measurement: without the balance, picking the gloss with most WLASL videos beats 28 %."""
    from lexsign_hf.bench.audit import audit_questions
    from lexsign_hf.bench.builder import load_sign_frequency

    wlasl, entries = sources
    frequency = load_sign_frequency(ASL_LEX)
    assert frequency["book"] == pytest.approx(6.0, abs=1.0) and len(frequency) > 2000
    rows, summary = build_questions(wlasl, entries, frequency=frequency, balance_slack=None)
    videos = {entry["gloss"]: len(entry["instances"]) for entry in wlasl}
    assert all(summary.priors[g]["wlasl_videos"] == videos[g] for g in summary.priors)
    assert sum(p["frequency"] is not None for p in summary.priors.values()) > 0.9 * len(summary.priors)
    assert sum(summary.videos_left_out.values()) == 0
    audit = audit_questions(rows, 0, summary.priors)
    leaky = audit.choosers["most WLASL videos"]
    assert max(leaky["gloss"]["questions"], *leaky["gloss"]["per_type"].values()) >= 0.28
    assert any(name.startswith("most WLASL videos") for name in audit.above_threshold)


def test_random_distractors_and_seed(sources):
    wlasl, entries = sources
    rows, summary = build_questions(wlasl, entries, per_type=3, distractors="random", seed=1)
    again, _ = build_questions(wlasl, entries, per_type=3, distractors="random", seed=1)
    other, _ = build_questions(wlasl, entries, per_type=3, distractors="random", seed=2)
    assert rows == again and rows != other
    assert all(r["distractors"] == "random:random" for r in rows)
    # random distractors differ from video to video of the same gloss
    per_gloss = {}
    for row in rows:
        if row["level"] == "gloss":
            per_gloss.setdefault(row["gloss"], set()).add(frozenset(row["option_glosses"]))
    assert any(len(sets) > 1 for sets in per_gloss.values())


def test_bad_inputs(tmp_path):
    (tmp_path / "bad.json").write_text('{"not": "wlasl"}')
    with pytest.raises(ValueError, match="WLASL index"):
        load_wlasl_index(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError):
        load_wlasl_index(tmp_path / "absent.json")
    (tmp_path / "c.json").write_text('{"classes": ["a", "b"], "matrix": [[1, 2]]}')
    with pytest.raises(ValueError, match="2 x 2"):
        load_confusion(tmp_path / "c.json")
    (tmp_path / "c.csv").write_text("gloss,predicted,count\na,b,-1\n")
    with pytest.raises(ValueError, match="non-negative"):
        load_confusion(tmp_path / "c.csv")


def test_agp_file_gives_summarised_options_in_one_style(sources, tmp_path):
    from lexsign_hf.bench.builder import read_option_texts
    from lexsign_hf.data.descriptions import DescriptionRecord, write_description_jsonl

    wlasl, entries = sources
    _, plain = build_questions(wlasl, entries, per_type=6)
    glosses = sorted(g for names in plain.glosses.values() for g in names) + ["book", "chair", "drink", "go"]
    records = []
    for i, gloss in enumerate(dict.fromkeys(glosses)):
        records.append(
            DescriptionRecord(
                gloss=gloss,
                language="asl",
                source="agp",
                text=f"Per-video text {i} about {gloss}.",
                provenance={"kind": "video", "video_id": f"v{i}"},
            )
        )
        records.append(
            DescriptionRecord(
                gloss=gloss,
                language="asl",
                source="agp",
                text=f"Summary {i}: both hands move near the chest.",
                provenance={"kind": "summary", "instances": 3},
            )
        )
    records.append(
        DescriptionRecord(
            gloss="book",
            language="asl",
            source="mcp",
            text="Open flat hands like a book.",
            provenance={"book": "dict", "page": 1, "position": 1},
        )
    )
    path = write_description_jsonl(records, tmp_path / "agp.jsonl")
    texts, source = read_option_texts(path)
    assert source == "agp" and all(text.startswith("Summary") for text in texts.values())
    with pytest.raises(ValueError, match="no 'phon' description"):
        read_option_texts(path, "phon")
    rows, summary = build_questions(wlasl, entries, per_type=6, texts=texts)
    subunit = [r for r in rows if r["level"] == "subunit"]
    assert subunit and all(o.startswith("Summary") for r in subunit for o in r["options"])
    assert {r["gloss"] for r in rows} <= set(texts) and summary.without_description > 0

"""The blind audit: text-only choosers find leaks that are planted, sit at chance where there are none."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from lexsign_hf.bench.audit import CHOOSERS, PRIOR_CHOOSERS, _tfidf, audit_questions, warn_if_leaky

TYPES = ("Arbitrary", "Perceptual", "Pantomimic", "Both")


def _rows(option_sets, answers, glosses=None):
    return [
        {
            "question_id": f"q{i}-gloss",
            "level": "gloss",
            "gloss": glosses[i] if glosses else options[answer],
            "iconicity_type": TYPES[i % 4],
            "options": list(options),
            "answer": "ABCD"[answer],
        }
        for i, (options, answer) in enumerate(zip(option_sets, answers, strict=True))
    ]


def test_planted_length_leak_is_found(caplog):
    rng = np.random.default_rng(0)
    option_sets, answers = [], []
    for i in range(200):
        options = [f"w{i}x{j}" + "y" * int(rng.integers(0, 5)) for j in range(4)]
        answer = int(rng.integers(4))
        options[answer] = f"w{i}x{answer}" + "y" * 8  # the answer is always the longest
        option_sets.append(options)
        answers.append(answer)
    result = audit_questions(_rows(option_sets, answers))
    assert result.choosers["longest (characters)"]["gloss"]["questions"] == 1.0
    assert result.choosers["shortest (characters)"]["gloss"]["questions"] == 0.0
    assert "longest (characters) (gloss)" in result.above_threshold
    assert result.num_items == {"gloss": 200} and result.worst["gloss"] == "longest (characters)"
    with caplog.at_level(logging.WARNING):
        warn_if_leaky(result)
    assert "BLIND AUDIT FAILED" in caplog.text


def test_shared_option_sets_sit_at_chance():
    # quartets: four questions share one option set, each member the answer once -> any rule is right once
    option_sets, answers, glosses = [], [], []
    rng = np.random.default_rng(1)
    for q in range(50):
        members = [f"gloss{q}-{'a' * int(rng.integers(1, 9))}{m}" for m in range(4)]
        for m in range(4):
            order = list(rng.permutation(4))
            option_sets.append([members[k] for k in order])
            answers.append(order.index(m))
            glosses.append(members[m])
    rows = _rows(option_sets, answers, glosses)
    for i, row in enumerate(rows):
        row["iconicity_type"] = TYPES[(i // 4) % 4]  # a quartet stays within one type, as in the build
        row["option_glosses"] = list(row["options"])
    result = audit_questions(
        rows, priors={g: {"frequency": len(g), "wlasl_videos": -len(g)} for g in glosses}
    )
    assert result.num_items == {"gloss": 200} and result.num_option_sets == {"gloss": 50}
    assert set(result.choosers) == set(CHOOSERS) | set(PRIOR_CHOOSERS)
    for name, entry in result.choosers.items():
        if entry["family"] != "position":  # set functions: exactly one right per quartet, in every type
            assert entry["gloss"]["items"] == pytest.approx(0.25), name
            assert entry["gloss"]["per_type"] == pytest.approx(dict.fromkeys(TYPES, 0.25)), name
    assert not [name for name in result.above_threshold if not name.startswith("always")]


def test_tfidf_matches_scikit_learn():
    sklearn = pytest.importorskip("sklearn.feature_extraction.text")
    options = [["open hand at chin", "fist at chest", "open hand moves", "two fists tap"]]
    vectors, _ = _tfidf(options)
    reference = sklearn.TfidfVectorizer(token_pattern=r"[a-z0-9]+").fit(sorted(set(options[0])))
    expected = reference.transform(options[0]).toarray()
    ours = np.stack(vectors[0])
    np.testing.assert_allclose(ours @ ours.T, expected @ expected.T, atol=1e-12)


def test_bad_rows():
    with pytest.raises(ValueError, match="4 options"):
        audit_questions(_rows([["a", "b", "c"]], [0]))


def test_cli_audit(tmp_path):
    from lexsign_hf.bench.builder import BENCH_FEATURES
    from lexsign_hf.cli import main
    from lexsign_hf.data.hub_layout import write_dataset_folder

    rows = []
    for i in range(8):
        options = [f"opt{i}-{j}" for j in range(4)]
        rows.append(
            {
                "question_id": f"v{i}-gloss",
                "video_id": f"v{i}",
                "gloss": options[i % 4],
                "iconicity_type": TYPES[i % 4],
                "level": "gloss",
                "options": options,
                "answer": "ABCD"[i % 4],
                "distractors": "random:random",
                "option_glosses": options,
                "asl_lex_entry": "",
                "signer_id": 0,
                "wlasl_split": "test",
                "frame_start": 1,
                "frame_end": -1,
                "url": "",
            }
        )
    from huggingface_hub import DatasetCard

    def write(rows):
        return write_dataset_folder(
            tmp_path / "bench",
            {"bench": {"test": rows}},
            BENCH_FEATURES,
            DatasetCard("---\n---\n"),
            default_config="bench",
        )

    out = write(rows)
    code = main(["bench", "audit", str(out)])
    audit = json.loads((out / "data" / "bench" / "audit.json").read_text())
    assert code == (1 if audit["above_threshold"] else 0)
    assert audit["choosers"]["always A"]["gloss"]["questions"] == 0.25
    # rebuilt into the same folder (every answer now A): the audit reads the new rows, not a cached copy
    write([{**row, "gloss": row["options"][0], "answer": "A"} for row in rows])
    assert main(["bench", "audit", str(out)]) == 1
    audit = json.loads((out / "data" / "bench" / "audit.json").read_text())
    assert (
        audit["choosers"]["always A"]["gloss"]["questions"] == 1.0
        and "always A (gloss)" in audit["above_threshold"]
    )


def test_prior_choosers_find_a_planted_frequency_leak():
    # the answer is always the gloss with the highest (outside) frequency: only the prior family can see it
    rng = np.random.default_rng(2)
    option_sets, answers, priors = [], [], {}
    for q in range(120):
        glosses = [f"g{q}x{j}" for j in range(4)]
        answer = int(rng.integers(4))
        for j, gloss in enumerate(glosses):
            priors[gloss] = {
                "frequency": 7.0 if j == answer else float(rng.uniform(1, 6)),
                "wlasl_videos": None,
            }
        option_sets.append(glosses)
        answers.append(answer)
    rows = _rows(option_sets, answers)
    for row in rows:
        row["option_glosses"] = list(row["options"])
    result = audit_questions(rows, priors=priors)
    assert result.choosers["most frequent sign (ASL-LEX)"]["gloss"]["questions"] == 1.0
    assert result.choosers["least frequent sign (ASL-LEX)"]["gloss"]["questions"] == 0.0
    assert result.choosers["most WLASL videos"]["gloss"]["questions"] == pytest.approx(
        0.25, abs=0.1
    )  # all missing
    assert "most frequent sign (ASL-LEX) (gloss)" in result.above_threshold
    assert "most frequent sign (ASL-LEX) (gloss, Arbitrary)" in result.above_threshold
    assert "most questions per gloss" in result.choosers and "longest gloss" in result.choosers
    without = audit_questions([{k: v for k, v in row.items() if k != "option_glosses"} for row in rows])
    assert not any(entry["family"] == "prior" for entry in without.choosers.values())

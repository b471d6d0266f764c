"""Confusions from the package's own models feed the bench builder's hard distractors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lexsign_hf.bench.builder import build_questions, load_wlasl_index
from lexsign_hf.bench.distractors import load_confusion
from lexsign_hf.cli import main
from lexsign_hf.data.phonology import load_asl_lex
from lexsign_hf.synth import SynthConfig, build_synth_dataset
from lexsign_hf.train.confusions import confusion_counts, keep_top, write_confusions

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WLASL = DATA / "wlasl" / "WLASL_v0.3.json"
ASL_LEX = DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
TINY_SYNTH = SynthConfig(
    num_seen=6, num_validation=3, num_test=4, train_instances=3, eval_instances=2, test_seen_instances=1,
    num_signers=4, max_frames=16,
)  # fmt: skip


def test_confusion_counts_by_hand(tmp_path):
    scores = np.array([[0.9, 0.5, 0.7, 0.1], [0.2, 0.8, 0.9, 0.0], [0.3, 0.4, 0.1, 0.2]])
    labels = np.array([0, 1, 2])
    counts = confusion_counts(scores, labels, 4, k=1)
    # sample 0 (class 0): best wrong class 2; sample 1: 2 (a real error); sample 2: 1
    assert counts.tolist() == [[0, 0, 1, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    assert confusion_counts(scores, labels, 4, k=2)[0].tolist() == [0, 1, 1, 0]
    assert keep_top(np.array([[5, 3, 4], [1, 9, 0], [2, 2, 2]]), 1).tolist() == [
        [0, 0, 4],
        [1, 0, 0],
        [2, 0, 0],
    ]
    classes = ["a", "b", "c", "d"]
    for name in ("c.json", "c.csv"):
        write_confusions(tmp_path / name, classes, counts, per_class=2)
        assert load_confusion(tmp_path / name) == {"a": {"c": 1.0}, "b": {"c": 1.0}, "c": {"b": 1.0}}
    with pytest.raises(ValueError, match=r"\(samples, 4\)"):
        confusion_counts(scores[:, :3], labels, 4)
    with pytest.raises(ValueError, match=".json or .csv"):
        write_confusions(tmp_path / "c.txt", classes, counts)


@pytest.mark.slow
@pytest.mark.skipif(not (WLASL.is_file() and ASL_LEX.is_file()), reason="../shared/data not available")
def test_tiny_zsslr_model_confusions_build_a_bench(tiny_bert, tmp_path):
    synth = build_synth_dataset(tmp_path / "synth", TINY_SYNTH, progress=False)
    out = tmp_path / "run"
    assert main(
        ["train", "--dataset", str(synth), "--config", "synth", "--out", str(out), "--steps", "2",
         "--batch-size", "4", "--max-frames", "16", "--pose-hidden-size", "16", "--projection-dim", "16",
         "--text-model", tiny_bert, "--no-progress"]
    ) == 0  # fmt: skip
    confusions = tmp_path / "confusions.json"
    args = ["evaluate", "--model", str(out / "model"), "--dataset", str(synth), "--config", "synth"]
    assert main([*args, "--confusions", str(confusions), "--confusion-top-k", "2"]) == 0
    written = json.loads(confusions.read_text())
    assert written["source"] == "zsslr" and written["samples"] == 4 * 2 + 6 * 1  # test + test_seen samples
    assert len(written["classes"]) == 6 + 4  # seen + unseen test classes
    matrix = np.array(written["matrix"])
    assert (np.diag(matrix) == 0).all() and ((matrix > 0).sum(axis=1) <= 2 * 2).all()
    pairs = load_confusion(confusions)
    assert pairs and all(g in written["classes"] for g in pairs)

    # A model trained on bench glosses: the synth classes stand in for the first glosses of one iconicity type
    wlasl, entries = load_wlasl_index(WLASL), load_asl_lex(ASL_LEX)
    _, plain = build_questions(wlasl, entries, per_type=12)
    glosses = plain.glosses["Pantomimic"][: len(written["classes"])]
    rename = dict(zip(written["classes"], glosses, strict=True))
    confusion = {rename[g]: {rename[h]: w for h, w in row.items()} for g, row in pairs.items()}
    rows, summary = build_questions(wlasl, entries, per_type=12, confusion=confusion)
    assert (
        summary.distractor_sources.get("confusion", 0)
        + summary.distractor_sources.get("confusion+phonology", 0)
        > 0
    )

    def confused_within(questions):
        options = {r["gloss"]: set(r["option_glosses"]) for r in questions if r["level"] == "gloss"}
        return sum(
            w for g, row in confusion.items() for h, w in row.items() if g in options and h in options[g]
        )

    assert confused_within(rows) > confused_within(build_questions(wlasl, entries, per_type=12)[0])

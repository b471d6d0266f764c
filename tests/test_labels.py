"""One labels format for predict, the pipeline, the handler and the Space: JSON lines, CSV or `GLOSS:
description` lines, several descriptions of one gloss averaged; one output schema (`label`, `score`)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from tiny import TINY_HALI

from lexsign_hf import HALIConfig, HALIModel, HALIProcessor, HALIZeroShotClassifier
from lexsign_hf.hub import zero_shot_pipeline
from lexsign_hf.models.hali.labels_hali import label_pooling, parse_labels, read_labels
from lexsign_hf.train.predict import rank_glosses

PAIRS = [
    ("MOTHER", "5 hand, thumb touches the chin; tap twice."),
    ("HELP", "A hand on the flat palm, both move up."),
    ("HELP", "Fist on the open palm; lift both."),
]


def test_three_formats_read_alike(tmp_path):
    jsonl = "".join(json.dumps({"gloss": g, "text": t}) + "\n" for g, t in PAIRS)
    csv_text = "gloss,text\n" + "".join(f'{g},"{t}"\n' for g, t in PAIRS)
    lines = "".join(f"{g}: {t}\n" for g, t in PAIRS)
    expected = ([g for g, _ in PAIRS], [t for _, t in PAIRS])
    for name, text in {"labels.jsonl": jsonl, "labels.csv": csv_text, "labels.txt": lines}.items():
        assert parse_labels(text) == expected, name  # detected from the first line
        (tmp_path / name).write_text(text)
        assert read_labels(tmp_path / name) == expected, name
    assert parse_labels("label,description\nA,Flat hand.\n") == (["A"], ["Flat hand."])
    assert parse_labels("A\nB: Fist.\n") == (["A", "B"], ["A", "Fist."])


@pytest.mark.parametrize(
    ("text", "format", "message"),
    [
        ("", None, "labels: no labels"),
        ('{"gloss": "A"}\n', None, "labels:1: field 'text' must be a non-empty string"),
        ("not json\n", "jsonl", "labels:1: not valid JSON"),
        (
            "gloss,notes\nA,x\n",
            None,
            "labels: CSV header ['gloss', 'notes'] needs a 'gloss' and a 'text' column",
        ),
        ("gloss,text\nA,\n", None, "labels:2: field 'text'"),
        (": no gloss\n", None, "labels:1: expected 'GLOSS: description'"),
        ("A: x\n", "yaml", "labels: unknown labels format 'yaml'"),
    ],
)
def test_bad_labels_name_the_line(text, format, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_labels(text, format=format)


def test_pooling_averages_descriptions():
    names, pooling = label_pooling(["A", "B", "B", "C"])
    assert names == ["A", "B", "C"]
    scores = np.array([[1.0, 2.0, 4.0, 0.5]], dtype=np.float32)
    np.testing.assert_allclose(scores @ pooling, [[1.0, 3.0, 0.5]])


def test_predict_and_pipeline_agree_on_repeated_glosses(minilm_path):
    torch.manual_seed(0)
    model = HALIModel(HALIConfig(**TINY_HALI)).eval()
    processor = HALIProcessor.from_text_pretrained(minilm_path, max_frames=16)
    pose = np.random.default_rng(0).normal(size=(12, 77, 3)).astype(np.float32)
    pose[..., 2] = 1.0
    glosses, texts = [g for g, _ in PAIRS], [t for _, t in PAIRS]
    classifier = HALIZeroShotClassifier(model, processor)
    classifier.set_vocabulary(glosses, texts)
    predicted = rank_glosses(classifier, [pose], glosses, top_k=5)[0]
    piped = zero_shot_pipeline(model, processor)(pose, candidate_labels=glosses, descriptions=texts)
    assert [p["label"] for p in predicted] == [p["label"] for p in piped] and len(piped) == 2
    assert [p["score"] for p in predicted] == pytest.approx([p["score"] for p in piped], abs=1e-5)
    assert set(piped[0]) == {"label", "score"} and set(predicted[0]) == {"label", "score"}
    with pytest.raises(ValueError, match="duplicate labels \\['HELP'\\] without descriptions"):
        zero_shot_pipeline(model, processor)(pose, candidate_labels=glosses)

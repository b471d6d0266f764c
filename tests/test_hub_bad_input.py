"""Binary or truncated files given as --results / --labels / --descriptions: a one-line error naming the file."""

from __future__ import annotations

import pytest

from lexsign_hf.data.descriptions import read_description_file
from lexsign_hf.hub.cards import read_results
from lexsign_hf.train.predict import read_label_file

BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x80\x81"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv"])
def test_binary_description_file(tmp_path, suffix):
    path = tmp_path / f"descriptions{suffix}"
    path.write_bytes(BINARY)
    with pytest.raises(ValueError, match="not a UTF-8 text file") as error:
        read_description_file(path, source="mcp")
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_binary_and_truncated_labels_file(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_bytes(BINARY)
    with pytest.raises(ValueError, match="not a UTF-8 text file") as error:
        read_label_file(path)
    assert str(path) in str(error.value)
    path.write_text('{"gloss": "HELLO", "text": "Flat hand at the fore')
    with pytest.raises(ValueError, match=r"labels.jsonl:1: not valid JSON"):
        read_label_file(path)


def test_truncated_results_file_names_the_file(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"hali": {"zsl": {"top1": 31.2')
    with pytest.raises(ValueError, match="not valid JSON, truncated or corrupt") as error:
        read_results(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)

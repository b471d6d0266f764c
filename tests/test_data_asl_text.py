"""The ASL-Text protocol config: the real 170/30/50 split, fill-in files, and a build from filled files."""

from __future__ import annotations

import csv
import json

import datasets
import pytest

from lexsign_hf.cli import main
from lexsign_hf.data.asl_text import read_asl_text_splits, write_asl_text_template


@pytest.fixture(scope="module")
def splits_path(shared_data):
    return shared_data / "asl-text" / "asltext_class_splits.json"


def test_real_split(splits_path):
    partition = read_asl_text_splits(splits_path)
    assert len(partition.seen["asltext"]) == 170
    assert len(partition.unseen_validation) == 30 and len(partition.unseen_test) == 50
    assert "INCLUDE_OR_INVOLVE" in partition.seen["asltext"] and "GENERATION" in partition.unseen_test


def test_split_file_errors(tmp_path):
    path = tmp_path / "splits.json"
    path.write_text(json.dumps({"train": ["A", "B"], "val": ["B"], "test": ["C"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="'train' has 2 glosses, expected 170"):
        read_asl_text_splits(path)
    with pytest.raises(ValueError, match="gloss 'B' is in 'train' and 'val'"):
        read_asl_text_splits(path, expected_sizes=None)
    path.write_text(json.dumps({"train": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="expected an object with keys"):
        read_asl_text_splits(path)


def test_template_fill_and_build(tmp_path, splits_path, capsys):
    files = write_asl_text_template(tmp_path / "template", splits_path)
    with files["glosses"].open(encoding="utf-8") as handle:
        glosses = list(csv.DictReader(handle))
    assert len(glosses) == 250 and {row["split"] for row in glosses} == {"train", "val", "test"}
    with files["descriptions"].open(encoding="utf-8") as handle:
        template_rows = list(csv.DictReader(handle))
    assert [row["gloss"] for row in template_rows] == [row["gloss"] for row in glosses]
    assert all(row["text"] == "" for row in template_rows)

    # the user fills in three descriptions (one per split) and four videos
    picked = {
        split: next(row["gloss"] for row in glosses if row["split"] == split)
        for split in ("train", "val", "test")
    }
    with files["descriptions"].open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["gloss", "text", "source", "book", "page", "position"])
        for gloss in picked.values():
            writer.writerow(
                [gloss, "Flat hand, palm in; move forward twice.", "mcp", "My Dictionary", "1", "1"]
            )
    with files["videos"].open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(
            [
                ["v1", picked["train"], "s1"],
                ["v2", picked["train"], "s2"],
                ["v3", picked["val"], "s1"],
                ["v4", picked["test"], "s3"],
            ]
        )

    out = tmp_path / "out"
    argv = ["data", "asltext-build", "--splits", str(splits_path), "--videos", str(files["videos"])]
    assert main([*argv, "--descriptions", str(files["descriptions"]), "--out", str(out)]) == 0
    assert "247 glosses have no description" in capsys.readouterr().out
    loaded = datasets.load_dataset(str(out), "asltext")
    assert {split: data.num_rows for split, data in loaded.items()} == {
        "train": 2,
        "validation": 1,
        "test": 1,
    }
    names = loaded["train"].features["label"].names
    assert len(names) == 250 and names.index(picked["val"]) == 170 and names.index(picked["test"]) == 200
    descriptions = datasets.load_dataset(str(out), "descriptions", split="train")
    assert sorted(descriptions["gloss"]) == sorted(picked.values())
    assert "ASL-Text" in (out / "README.md").read_text(encoding="utf-8")


def test_unknown_gloss_in_video_index(tmp_path, splits_path, capsys):
    videos = tmp_path / "videos.csv"
    videos.write_text("video_id,gloss,signer_id\nv1,NOT-A-GLOSS,s1\n", encoding="utf-8")
    assert (
        main(
            [
                "data",
                "asltext-build",
                "--splits",
                str(splits_path),
                "--videos",
                str(videos),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 1
    )
    assert (
        "videos.csv:2: gloss 'NOT-A-GLOSS' is not one of the ASL-Text protocol's glosses"
        in capsys.readouterr().err
    )

"""`lexsign data build --index my.csv --poses DIR`: a researcher's own pose files and gloss list become LexSign
configs (ISLR always, ZSSLR with descriptions) that the training loader and `with_poses` read."""

from __future__ import annotations

import json
import shutil

import datasets
import numpy as np
import pytest

from lexsign_hf import pose as pose_lib
from lexsign_hf.cli import main
from lexsign_hf.data import with_poses
from lexsign_hf.train.zsslr import load_zsslr_data

ROWS = [  # video_id, shared pose file, gloss, split, description
    ("k1", "kinder", "KINDER", "train", "Flat hand, palm down, in front of the body; move down in steps."),
    ("k2", "kleine", "KINDER", "test", "The flat hand pats downward at waist height."),
    ("e1", "essen", "ESSEN", "train", "Flat O hand, fingertips at the mouth; tap the lips twice."),
    ("e2", "kinder", "ESSEN", "val", "Flat O hand at the mouth."),
    ("l1", "kleine", "KLEIN", "train", "Both flat hands, palms facing; move toward each other."),
    ("l2", "essen", "KLEIN", "train", "Flat hands close together, palms facing."),
]


@pytest.fixture(scope="module")
def own_data(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    (folder / "poses").mkdir()
    source = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs"
    lines = ["video_id,gloss,split,description"]
    for video_id, sign, gloss, split, description in ROWS:
        shutil.copyfile(source / f"{sign}.pose", folder / "poses" / f"{video_id}.pose")
        lines.append(f'{video_id},{gloss},{split},"{description}"')
    (folder / "index.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_index_build_with_given_descriptions(own_data, capsys):
    out = own_data / "out"
    command = ["data", "build", "--index", str(own_data / "index.csv"), "--poses", str(own_data / "poses")]
    assert main([*command, "--out", str(out)]) == 0
    islr = with_poses(datasets.load_dataset(str(out), "wlasl3", split="train"), out)
    assert sorted(islr["video_id"]) == ["e1", "k1", "l1", "l2"]
    row = islr.with_format("numpy")[0]
    np.testing.assert_array_equal(
        row["pose"], pose_lib.read_pose(own_data / "poses" / f"{row['video_id']}.pose").data
    )

    data = load_zsslr_data(out, "own")  # the training loader: seen / unseen classes, descriptions bank
    assert sorted(data.classes) == ["ESSEN", "KINDER", "KLEIN"]
    assert len(data.seen) == len(data.unseen_validation) == len(data.unseen_test) == 1
    texts = {record.text for record in data.description_bank.records()}
    assert {description for *_, description in ROWS} == texts
    report = json.loads((out / "build_report.json").read_text())
    assert report["poses"]["files"] == 6

    assert main([*command, "--out", str(own_data / "islr"), "--index-descriptions", "none"]) == 0
    assert (
        not (own_data / "islr" / "data" / "own").exists() and (own_data / "islr" / "data" / "wlasl3").is_dir()
    )


def test_index_errors_are_one_line(own_data, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    for text, message in (
        ("name,gloss\nx,A\n", "needs a 'gloss' and a 'video_id' (or 'file') column"),
        ("video_id,gloss,split\nx,A,holdout\n", "bad.csv:2: field 'split' is 'holdout'"),
        ("video_id,gloss\nx,A\n", "--index-descriptions given needs a 'description' column"),
    ):
        bad.write_text(text)
        extra = ["--index-descriptions", "given"] if "given" in message else []
        command = [
            "data",
            "build",
            "--index",
            str(bad),
            "--poses",
            str(own_data / "poses"),
            "--out",
            str(tmp_path / "o"),
        ]
        assert main([*command, *extra]) == 1
        assert message in capsys.readouterr().err
    assert main(["data", "build", "--index", str(bad), "--out", str(tmp_path / "o")]) == 1
    assert "give --poses DIR" in capsys.readouterr().err

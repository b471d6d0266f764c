"""`data build --asl-lex --poses` → `lexsign train`: classes without descriptions, a corrupt pose file, trimming."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from lexsign_hf.cli import main
from lexsign_hf.data.build import build_lexsign
from lexsign_hf.data.pose_store import instance_span, load_video_config
from lexsign_hf.data.splits import ZSSLRSpec
from lexsign_hf.pose import read_pose

DESCRIBED = ("mother", "father", "water", "thank you", "drink", "book")  # in ASL-LEX 2.0
UNDESCRIBED = ("kleine", "kinder")  # Swiss German glosses: no ASL-LEX entry
SPEC = ZSSLRSpec(seen_sizes={"mini4": 4}, num_validation=2, num_test=2)
SAMPLES = ("kleine", "kinder", "essen", "pizza")


@pytest.fixture
def asl_lex(shared_data):
    return shared_data / "asl-lex" / "asllex2_signdata-11-5-20.csv"


@pytest.fixture
def built(tmp_path, shared_data):
    """A WLASL-style index of 8 glosses x 2 videos, real poses for each, plus one corrupt pose file."""
    samples = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs"
    poses = tmp_path / "poses"
    poses.mkdir()
    entries = []
    for number, gloss in enumerate(DESCRIBED + UNDESCRIBED):
        instances = []
        for split in ("train", "test"):
            video_id = f"{number:02d}{split[:2]}"
            shutil.copy(samples / f"{SAMPLES[len(entries) % 4]}.pose", poses / f"{video_id}.pose")
            instances.append({"video_id": video_id, "split": split, "signer_id": 1, "fps": 25,
                              "frame_start": 1, "frame_end": -1})  # fmt: skip
        entries.append({"gloss": gloss, "instances": instances})
    entries[0]["instances"].append(
        {
            "video_id": "corrupt",
            "split": "train",
            "signer_id": 2,
            "fps": 25,
            "frame_start": 1,
            "frame_end": -1,
        }
    )
    (poses / "corrupt.pose").write_bytes((samples / "pizza.pose").read_bytes()[:1000])  # truncated
    index = tmp_path / "WLASL_v0.3.json"
    index.write_text(json.dumps(entries), encoding="utf-8")
    return index, poses


def test_build_with_asl_lex_and_poses_then_train(tmp_path, built, asl_lex, tiny_bert, capsys):
    index, poses = built
    out = tmp_path / "lexsign"
    report = build_lexsign(
        out, wlasl=index, asl_lex=asl_lex, poses=poses, asl_spec=SPEC, islr_sizes=(8,), progress=False
    )
    # the corrupt file is reported, with the reason, and its video left out; the build goes on
    assert list(report.poses["unreadable"]) == [str(poses / "corrupt.pose")]
    assert "not a readable .pose file" in report.poses["unreadable"][str(poses / "corrupt.pose")]
    assert "corrupt.pose" in report.summary() and "corrupt.pose" in (out / "README.md").read_text()
    assert sum(report.configs["wlasl8"].values()) == 16
    classes = json.loads((out / "data" / "mini4" / "classes.json").read_text())
    groups = ("seen", "unseen_validation", "unseen_test")
    assert {gloss for group in groups for gloss in classes[group]} == set(DESCRIBED + UNDESCRIBED)

    # train refuses undescribed classes unless told to drop them; then metrics.json says how many it dropped
    command = ["train", "--dataset", str(out), "--config", "mini4", "--steps", "1", "--batch-size", "2",
               "--max-frames", "16", "--pose-hidden-size", "16", "--projection-dim", "16",
               "--text-model", tiny_bert, "--no-progress"]  # fmt: skip
    assert main([*command, "--out", str(tmp_path / "refused")]) == 1
    assert "no description" in capsys.readouterr().err
    assert main([*command, "--out", str(tmp_path / "model"), "--drop-undescribed"]) == 0
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    dropped = metrics["config"]["dropped_undescribed"]
    assert dropped["classes"] == 2 and sorted(dropped["examples"]) == sorted(UNDESCRIBED)
    assert dropped["videos"] == 4 and dropped["kept_classes"] == 6
    # evaluate: the same refusal and the same drop, recorded in its JSON
    evaluate = [
        "evaluate",
        "--model",
        str(tmp_path / "model" / "model"),
        "--dataset",
        str(out),
        "--config",
        "mini4",
    ]
    capsys.readouterr()
    assert main(evaluate) == 1 and "no description" in capsys.readouterr().err
    assert main([*evaluate, "--drop-undescribed", "--out", str(tmp_path / "eval.json")]) == 0
    evaluated = json.loads((tmp_path / "eval.json").read_text())
    described_test = [gloss for gloss in classes["unseen_test"] if gloss not in UNDESCRIBED]
    assert evaluated["dropped_undescribed"] == dropped
    assert evaluated["chance_top1"] == pytest.approx(100 / len(described_test))

    # the build can drop them itself, with the same counts, in the card and classes.json
    rebuilt = tmp_path / "rebuilt"
    report = build_lexsign(
        rebuilt, wlasl=index, asl_lex=asl_lex, poses=poses, asl_spec=SPEC, islr_sizes=(8,),
        drop_undescribed=True, progress=False,
    )  # fmt: skip
    assert report.undescribed["mini4"] == {"classes": 2, "videos": 4, "kept_classes": 6}
    classes = json.loads((rebuilt / "data" / "mini4" / "classes.json").read_text())
    assert sorted(classes["dropped_undescribed"]) == sorted(UNDESCRIBED)
    assert "2 classes without any description were dropped" in (rebuilt / "README.md").read_text()
    capsys.readouterr()
    assert main([*command[:2], str(rebuilt), *command[3:], "--out", str(tmp_path / "model2")]) == 0
    assert (
        json.loads((tmp_path / "model2" / "metrics.json").read_text())["config"]["dropped_undescribed"]
        is None
    )


def test_whole_video_poses_are_cut_to_the_instance(tmp_path, shared_data):
    sample = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs" / "essen.pose"  # 73 frames
    poses = tmp_path / "poses"
    poses.mkdir()
    spans = {"whole": (1, -1), "cut": (11, 30), "from": (5, -1), "clip": (100, 172)}  # clip: shorter than 172
    for video_id in spans:
        shutil.copy(sample, poses / f"{video_id}.pose")
    instances = [{"video_id": video_id, "split": "train", "signer_id": 1, "fps": 25, "frame_start": start,
                  "frame_end": end} for video_id, (start, end) in spans.items()]  # fmt: skip
    index = tmp_path / "WLASL_v0.3.json"
    index.write_text(json.dumps([{"gloss": "essen", "instances": instances}]), encoding="utf-8")
    full = read_pose(sample).data
    for trim, expected in (
        (True, {"whole": full, "cut": full[10:30], "from": full[4:], "clip": full}),
        (False, dict.fromkeys(spans, full)),
    ):
        out = tmp_path / f"out-{trim}"
        report = build_lexsign(
            out, wlasl=index, poses=poses, asl_spec=None, islr_sizes=(1,), trim=trim, progress=False
        )
        assert report.poses["trimmed"] == ({"asl_poses": 2} if trim else {})
        rows = load_video_config(out, "wlasl1", split="train").with_format("numpy")
        for row in rows:
            np.testing.assert_array_equal(row["pose"], expected[row["video_id"]])


def test_instance_span_rule():
    assert instance_span(100, 11, 30) == slice(10, 30)
    assert instance_span(100, 1, -1) is None and instance_span(100, 1, 100) is None  # the whole pose
    assert instance_span(20, 11, 30) is None  # shorter than frame_end: already the clip
    assert instance_span(100, 0, 30) is None and instance_span(100, None, None) is None
    assert instance_span(100, 101, -1) is None  # would be empty

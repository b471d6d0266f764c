"""One validation for readers, build and training: bad poses are listed and skipped, never stored, never fatal."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys

import numpy as np
import pytest
from pose_corpus import (
    all_zero_pose,
    declared_frames_pose,
    empty_keypoints_npy,
    float64_overflow_npy,
    huge_coordinate_pose,
    huge_npy_header,
    mmpose_without_keypoints,
    openpose_null_person,
    scaled_confidence_pose,
)

from lexsign_hf import pose as pose_lib
from lexsign_hf.data import pose_store
from lexsign_hf.data.build import build_lexsign
from lexsign_hf.data.collator import HALIDataCollator
from lexsign_hf.data.splits import ZSSLRSpec
from lexsign_hf.pose.validate import MAX_POSE_VALUES, PoseValidationError, check_pose, parse_frame_size

GOOD = ("kleine", "kinder", "essen")  # real MediaPipe poses (reduced holistic 178)
MINI_SPEC = ZSSLRSpec(seen_sizes={"mini2": 2}, num_validation=1, num_test=1)


@pytest.fixture(scope="module")
def lexicon(shared_data):
    return shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs"


def _pose(frames=4, keypoints=133, value=10.0, confidence=0.9):
    array = np.full((frames, keypoints, 3), value, dtype=np.float64)
    array[..., 2] = confidence
    return array


@pytest.mark.parametrize(
    ("array", "kwargs", "message"),
    [
        (_pose(value=1e300), {}, "infinite values after the float32 cast"),
        (_pose(confidence=7.5), {}, r"'confidence' ranges over \[7.5, 7.5\]; expected values in \[0, 1\]"),
        (_pose(confidence=-0.5), {}, "expected values in"),
        (_pose(confidence=0.0), {}, "no person found"),
        (_pose(value=1e38), {}, "expected at most 100000 pixels"),
        (_pose(value=2000.0), {"frame_size": (320, 240)}, "within 4 frames of the 320x240 frame"),
        (_pose(value=9.0), {"frame_size": (1.0, 1.0)}, "frame-normalised"),
        (_pose()[..., :2], {}, r"expected \(frames > 0, keypoints, 3\)"),
        (_pose(frames=0), {}, r"expected \(frames > 0"),
        (_pose(keypoints=77), {"layout": "coco_wholebody_133"}, "needs 133"),
        (np.array([[["a", "b", "c"]]]), {}, "expected real numbers"),
    ],
)
def test_check_pose_rejects_with_one_line(array, kwargs, message):
    with pytest.raises(PoseValidationError, match=message) as error:
        check_pose(array, source="clip.npy", **kwargs)
    assert str(error.value).startswith("clip.npy: ") and "\n" not in str(error.value)


def test_check_pose_accepts_real_and_edge_poses(lexicon):
    sequence = pose_lib.read_pose(lexicon / "essen.pose")
    assert check_pose(sequence.data, sequence.layout, sequence.frame_size).dtype == np.float32
    one = np.zeros((3, 133, 3))
    one[1, 5] = (0.5, 0.5, 1.0)  # a single confident keypoint is enough
    assert check_pose(one, "coco_wholebody_133", (1.0, 1.0)).shape == (3, 133, 3)


def test_frame_size_argument():
    assert parse_frame_size("320x240") == (320.0, 240.0)
    for bad in ("320", "0x240", "axb", "320x240x3"):
        with pytest.raises(ValueError, match="expected"):
            parse_frame_size(bad)


def _bad_folder(folder, lexicon):
    """One file of each kind that used to reach the store, stop the build or allocate gigabytes."""
    source = lexicon / "essen.pose"
    bad = {
        "zeros": all_zero_pose(source, folder / "zeros.pose"),
        "overflow": float64_overflow_npy(source, folder / "overflow.npy"),
        "noperson": openpose_null_person(folder / "noperson.json"),
        "nokeypoints": mmpose_without_keypoints(folder / "nokeypoints.json"),
        "nopoints": empty_keypoints_npy(folder / "nopoints.npy"),
        "frames": declared_frames_pose(source, folder / "frames.pose", 2**32 - 1, people=0),
        "longer": declared_frames_pose(source, folder / "longer.pose", 100_000),
        "hugeheader": huge_npy_header(folder / "hugeheader.npy"),
        "confidence": scaled_confidence_pose(source, folder / "confidence.pose", 7.5),
        "coordinates": huge_coordinate_pose(source, folder / "coordinates.pose"),
    }
    for sign in GOOD:
        shutil.copy(lexicon / f"{sign}.pose", folder / f"{sign}.pose")
    (folder / "extract_report.json").write_text(json.dumps({"videos": 3}), encoding="utf-8")
    (folder / "notes.txt").write_text("not a pose", encoding="utf-8")
    return bad


REASONS = {
    "zeros": "no person found",
    "overflow": "infinite values after the float32 cast",
    "noperson": "people",
    "nokeypoints": "keypoints",
    "nopoints": "keypoints",
    "frames": "frames",
    "longer": "body declares 100000 frames",
    "hugeheader": "only 64 are stored",
    "confidence": "'confidence' ranges over",
    "coordinates": "'keypoints' has coordinates",
}


def test_build_lists_and_skips_every_bad_file_and_training_batches_run(tmp_path, lexicon, minilm_path):
    from lexsign_hf.models.hali import HALIProcessor

    folder = tmp_path / "poses"
    folder.mkdir()
    bad = _bad_folder(folder, lexicon)
    videos = [*GOOD, *bad]
    index = tmp_path / "index.json"
    index.write_text(
        json.dumps(
            [
                {
                    "gloss": f"g{i}",
                    "instances": [{"video_id": video, "split": "train", "signer_id": 1, "fps": 25}],
                }
                for i, video in enumerate(videos)
            ]
        ),
        encoding="utf-8",
    )
    report = build_lexsign(
        tmp_path / "out", wlasl=index, poses=folder, asl_spec=None, islr_sizes=(len(videos),), progress=False
    )
    unreadable = report.poses["unreadable"]
    assert sorted(unreadable) == sorted(str(path) for path in bad.values())
    for video, reason in REASONS.items():
        message = unreadable[str(bad[video])]
        assert message.startswith(str(bad[video])) and reason in message, (video, message)
    assert report.poses["ignored_files"] == 2  # extract_report.json and notes.txt: skipped, counted
    assert "ignored 2 non-pose file(s)" in report.summary()

    rows = list(pose_store.load_video_config(tmp_path / "out", f"wlasl{len(videos)}", split="train"))
    assert sorted(row["video_id"] for row in rows) == sorted(GOOD)
    assert {row["pose_file"] for row in rows} == {f"{sign}.pose" for sign in GOOD}
    collator = HALIDataCollator(HALIProcessor.from_text_pretrained(minilm_path, max_frames=8))
    batch = collator([{**row, "description": "Flat hand; tap twice."} for row in rows])
    assert batch["pose_values"].shape[0] == len(GOOD) and np.isfinite(batch["pose_values"].numpy()).all()

    broken = {**rows[0], "pose": np.zeros_like(np.asarray(rows[0]["pose"])), "description": "x"}
    with pytest.raises(
        ValueError, match=rf"video '{rows[0]['video_id']}' \({rows[0]['pose_file']}\).*no person"
    ):
        collator([broken])


def test_reader_failures_of_any_kind_are_caught_per_file(tmp_path, lexicon, monkeypatch):
    files = {"good": lexicon / "kinder.pose", "odd": lexicon / "kleine.pose"}
    real = pose_lib.read_pose

    def flaky(path, *args, **kwargs):
        if "kleine" in str(path):
            raise MemoryError("simulated")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pose_lib, "read_pose", flaky)
    cache = pose_store.PoseCache(files, tmp_path / "cache")
    cache.prepare(progress=False)
    assert "good" in cache and cache.unreadable == {"odd": f"{files['odd']}: MemoryError: simulated"}


def test_uni_sign_split_folders_and_reports_are_found(tmp_path, lexicon):
    for split in ("train", "dev", "test"):
        (tmp_path / split).mkdir()
    shutil.copy(lexicon / "kinder.pose", tmp_path / "train" / "00335.pose")
    shutil.copy(lexicon / "essen.pose", tmp_path / "dev" / "00336.pose")
    (tmp_path / "extract_report.json").write_text("{}", encoding="utf-8")
    ignored = []
    found = pose_store.find_pose_files(tmp_path, ignored)
    assert found == {"00335": tmp_path / "train" / "00335.pose", "00336": tmp_path / "dev" / "00336.pose"}
    assert ignored == [tmp_path / "extract_report.json"]


def test_tiny_files_declaring_huge_sizes_fail_before_allocating(tmp_path, lexicon):
    """In a child process capped at 1 GiB of address space beyond what it has: no MemoryError, one line."""
    files = [
        declared_frames_pose(lexicon / "essen.pose", tmp_path / "million.pose", 1_000_000),
        huge_npy_header(tmp_path / "huge.npy"),
    ]
    code = """
import sys
from lexsign_hf.pose import read_pose
for path in sys.argv[1:]:
    try:
        read_pose(path)
        print("accepted", path)
    except ValueError as error:
        print("refused", error)
"""
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30)),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("refused") for line in lines), lines
    assert "declares 1000000 frames" in lines[0] and "only 64 are stored" in lines[1]
    assert MAX_POSE_VALUES == 2**26


def test_missing_split_is_one_line(tmp_path, lexicon):
    folder = tmp_path / "poses"
    folder.mkdir()
    for sign in GOOD:
        shutil.copy(lexicon / f"{sign}.pose", folder / f"{sign}.pose")
    index = tmp_path / "index.json"
    splits = {"kleine": "train", "kinder": "val", "essen": "test"}
    index.write_text(
        json.dumps(
            [
                {"gloss": sign, "instances": [{"video_id": sign, "split": split, "signer_id": 1, "fps": 25}]}
                for sign, split in splits.items()
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    build_lexsign(out, wlasl=index, poses=folder, asl_spec=None, islr_sizes=(3,), progress=False)
    for shard in (out / "data" / "wlasl3").glob("test-*.parquet"):
        shard.unlink()
    with pytest.raises(ValueError) as error:
        pose_store.load_video_config(out, "wlasl3")
    message = str(error.value)
    assert "\n" not in message and str(out) in message and "test" in message, message


def test_loading_more_configs_does_not_copy_the_poses(tmp_path, lexicon, monkeypatch):
    """Each split is an in-memory indices mapping into the memory-mapped pose store: loading three configs (and
    `with_poses`) adds less than 0.3x the store to the `datasets` cache."""
    import datasets

    folder = tmp_path / "poses"
    folder.mkdir()
    for sign in GOOD:
        shutil.copy(lexicon / f"{sign}.pose", folder / f"{sign}.pose")
    index = tmp_path / "index.json"
    index.write_text(
        json.dumps(
            [
                {
                    "gloss": sign,
                    "instances": [{"video_id": sign, "split": "train", "signer_id": 1, "fps": 25}],
                }
                for sign in GOOD
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    build_lexsign(out, wlasl=index, poses=folder, asl_spec=None, islr_sizes=(1, 2, 3), progress=False)
    cache = tmp_path / "cache"
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)

    def cache_bytes():
        return sum(path.stat().st_size for path in cache.rglob("*") if path.is_file())

    store = sum(path.stat().st_size for path in (out / "data" / "asl_poses").rglob("*") if path.is_file())
    pose_bytes = 0
    for config in ("wlasl3", "wlasl2", "wlasl1"):
        rows = pose_store.load_video_config(out, config, split="train")
        for row in rows:
            expected = pose_lib.read_pose(folder / f"{row['video_id']}.pose").data
            np.testing.assert_array_equal(np.asarray(row["pose"], dtype=np.float32), expected)
            pose_bytes += expected.nbytes
    assert store > pose_bytes / 6  # the store holds the poses (once)
    assert cache_bytes() < 0.3 * store  # three configs loaded: their metadata only, no pose copied
    with_poses = __import__("lexsign_hf.data", fromlist=["with_poses"]).with_poses
    joined = with_poses(datasets.load_dataset(str(out), "wlasl2", split="train"), out)
    assert joined.cache_files == rows.cache_files and cache_bytes() < 0.3 * store
    kept = joined.filter(lambda label: label == 0, input_columns="label", keep_in_memory=True)
    written = list((out / "data").rglob("cache-*"))  # nothing written into the dataset folder
    assert len(kept) == 1 and not written


@pytest.mark.slow
def test_lexsign_train_runs_on_a_folder_with_every_bad_kind(tmp_path, lexicon, shared_data, tiny_bert):
    """The issue's "done when": one file of each bad kind in the poses folder, the build lists them, and
    `lexsign train` on the result runs."""
    from lexsign_hf.cli import main

    folder = tmp_path / "poses"
    folder.mkdir()
    bad = _bad_folder(folder, lexicon)
    glosses = ("mother", "father", "water", "thank you", "drink", "book")  # in ASL-LEX 2.0: all described
    entries = []
    for number, gloss in enumerate(glosses):
        instances = []
        for split in ("train", "test"):
            video_id = f"{number:02d}{split[:2]}"
            shutil.copy(
                lexicon / f"{GOOD[(2 * number + len(instances)) % 3]}.pose", folder / f"{video_id}.pose"
            )
            instances.append({"video_id": video_id, "split": split, "signer_id": 1, "fps": 25})
        entries.append({"gloss": gloss, "instances": instances})
    entries[0]["instances"] += [
        {"video_id": video, "split": "train", "signer_id": 2, "fps": 25} for video in (*bad, *GOOD)
    ]
    index = tmp_path / "WLASL_v0.3.json"
    index.write_text(json.dumps(entries), encoding="utf-8")
    out = tmp_path / "lexsign"
    asl_lex = shared_data / "asl-lex" / "asllex2_signdata-11-5-20.csv"
    spec = ZSSLRSpec(seen_sizes={"mini2": 2}, num_validation=2, num_test=2)
    report = build_lexsign(
        out, wlasl=index, asl_lex=asl_lex, poses=folder, asl_spec=spec, islr_sizes=(6,), progress=False
    )
    assert sorted(report.poses["unreadable"]) == sorted(str(path) for path in bad.values())
    command = ["train", "--dataset", str(out), "--config", "mini2", "--steps", "1", "--batch-size", "2",
               "--max-frames", "16", "--pose-hidden-size", "16", "--projection-dim", "16",
               "--text-model", tiny_bert, "--no-progress", "--out", str(tmp_path / "model")]  # fmt: skip
    assert main(command) == 0
    assert (tmp_path / "model" / "metrics.json").is_file()

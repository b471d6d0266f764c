"""Datasets built from real .pose files: storage, loading, resumption, bad input and the collator."""

from __future__ import annotations

import json

import datasets
import numpy as np
import pytest
import torch

from lexsign_hf import pose as pose_lib
from lexsign_hf.data import pose_store
from lexsign_hf.data.build import build_lexsign
from lexsign_hf.data.collator import HALIDataCollator
from lexsign_hf.data.descriptions import DescriptionBank, DescriptionRecord
from lexsign_hf.data.splits import ZSSLRSpec

SIGNS = (
    "kleine",
    "kinder",
    "essen",
    "pizza",
)  # Swiss German signs, real MediaPipe poses (reduced holistic 178)
MINI_SPEC = ZSSLRSpec(seen_sizes={"mini2": 2}, num_validation=1, num_test=1)


@pytest.fixture(scope="module")
def pose_dir(shared_data):
    return shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs"


def _write_index(path, video_ids_per_gloss):
    entries = [
        {
            "gloss": gloss,
            "instances": [
                {
                    "video_id": video_id,
                    "split": split,
                    "signer_id": 7,
                    "fps": 25,
                    "frame_start": 1,
                    "frame_end": -1,
                }
                for video_id, split in videos
            ],
        }
        for gloss, videos in video_ids_per_gloss.items()
    ]
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


@pytest.fixture
def mini_index(tmp_path):
    return _write_index(tmp_path / "mini.json", {sign: [(sign, "train")] for sign in SIGNS})


def _build(out, index, poses, **kwargs):
    return build_lexsign(
        out, wlasl=index, poses=poses, asl_spec=MINI_SPEC, islr_sizes=(4,), progress=False, **kwargs
    )


def test_poses_are_stored_and_load_with_load_dataset(tmp_path, mini_index, pose_dir):
    report = _build(tmp_path / "out", mini_index, pose_dir)
    assert report.poses["files"] == 4 and report.poses["read"] == 4
    assert report.poses["layouts"] == {"holistic_reduced_178": 4}
    assert not (tmp_path / "out" / ".lexsign_build").exists()  # cache removed after a successful build

    # each pose is stored once, in the store data/asl_poses (save_to_disk, not a README config); the video configs
    # name it and hold no keypoints
    store = datasets.load_from_disk(str(tmp_path / "out" / "data" / "asl_poses"))
    assert "asl_poses" not in datasets.get_dataset_config_names(str(tmp_path / "out"))
    assert store.features["pose"] == datasets.Array3D(shape=(None, 178, 3), dtype="float32")
    assert sorted(store["video_id"]) == sorted(SIGNS) and report.configs["asl_poses"] == {"train": 4}
    assert "pose" not in datasets.load_dataset(str(tmp_path / "out"), "wlasl4", split="train").column_names
    classes = json.loads((tmp_path / "out" / "data" / "wlasl4" / "classes.json").read_text())
    assert classes["poses_config"] == "asl_poses"

    islr = pose_store.load_video_config(tmp_path / "out", "wlasl4", split="train")
    assert islr.features["pose"] == datasets.Array3D(shape=(None, 178, 3), dtype="float32")
    assert sorted(islr["video_id"]) == sorted(SIGNS)
    for row in islr.with_format("numpy"):
        expected = pose_lib.read_pose(pose_dir / f"{row['video_id']}.pose")
        np.testing.assert_array_equal(row["pose"], expected.data)
        assert row["layout"] == expected.layout and row["fps"] == pytest.approx(expected.fps)

    streamed = next(iter(store.to_iterable_dataset()))
    expected = pose_lib.read_pose(pose_dir / f"{streamed['video_id']}.pose").data
    np.testing.assert_array_equal(np.asarray(streamed["pose"], dtype=np.float32), expected)
    validation = pose_store.load_video_config(tmp_path / "out", "mini2", split="validation")
    expected = pose_lib.read_pose(pose_dir / f"{validation[0]['video_id']}.pose").data
    np.testing.assert_array_equal(np.asarray(validation[0]["pose"], dtype=np.float32), expected)


def test_pose_file_for_unknown_video_is_an_error(tmp_path, pose_dir):
    videos = {sign: [(sign, "train")] for sign in SIGNS}
    videos["pizza"] = [("pizza_2", "train")]
    index = _write_index(tmp_path / "mini.json", videos)
    with pytest.raises(
        ValueError,
        match=r"1 pose file\(s\) in .* video_id that is not in the index .*mini\.json.*pizza\.pose",
    ):
        _build(tmp_path / "out", index, pose_dir)


def test_videos_without_pose_are_left_out_and_counted(tmp_path, pose_dir):
    videos = {sign: [(sign, "train")] for sign in SIGNS}
    videos["kinder"].append(("kinder_no_pose", "test"))
    report = _build(tmp_path / "out", _write_index(tmp_path / "mini.json", videos), pose_dir)
    assert report.poses["videos_without_pose"]["wlasl4"] == 1
    assert sum(report.configs["wlasl4"].values()) == 4


def test_interrupted_build_resumes_from_the_pose_cache(tmp_path, mini_index, pose_dir, monkeypatch):
    real_read_pose = pose_lib.read_pose
    calls = []

    def failing_read_pose(path, *args, **kwargs):
        calls.append(path.stem)
        if path.stem == "kleine":
            raise KeyboardInterrupt
        return real_read_pose(path, *args, **kwargs)

    monkeypatch.setattr(pose_store.pose_lib, "read_pose", failing_read_pose)
    with pytest.raises(KeyboardInterrupt):
        _build(tmp_path / "out", mini_index, pose_dir, pose_chunk_size=1)
    assert calls == ["essen", "kinder", "kleine"]  # sorted video ids, one chunk each
    assert not (tmp_path / "out" / "README.md").exists()
    assert not list((tmp_path / "out").rglob("*.parquet")) and not (tmp_path / "out/data/asl_poses").exists()

    monkeypatch.setattr(pose_store.pose_lib, "read_pose", real_read_pose)
    report = _build(tmp_path / "out", mini_index, pose_dir, pose_chunk_size=1)
    assert report.poses["read"] == 2  # essen and kinder came from the cache
    _build(tmp_path / "clean", mini_index, pose_dir)
    shards = sorted((tmp_path / "clean" / "data").rglob("*.parquet"))
    shards += sorted((tmp_path / "clean" / "data" / "asl_poses").glob("data-*.arrow"))
    assert len(shards) == 5  # mini2: train, validation, test (no test_seen videos); wlasl4: train; the store
    for shard in shards:
        resumed = tmp_path / "out" / shard.relative_to(tmp_path / "clean")
        assert resumed.read_bytes() == shard.read_bytes()


def test_mixed_layouts_use_nested_lists(tmp_path, shared_data):
    samples = shared_data / "pose-samples" / "pose-format-tests"
    poses = tmp_path / "poses"
    poses.mkdir()
    names = {
        "a": "hand_estimation_0ff215ef4f1f111e217e2cefee0adc77",
        "b": "hand_estimation_6fb01565da31c5500d1ef2cd2906b06b",
    }
    for video_id, name in names.items():
        (poses / f"{video_id}.pose").symlink_to(samples / f"{name}.pose")
    index = _write_index(tmp_path / "mini.json", {"x": [("a", "train")], "y": [("b", "test")]})
    report = build_lexsign(
        tmp_path / "out", wlasl=index, poses=poses, asl_spec=None, islr_sizes=(2,), progress=False
    )
    rows = pose_store.load_video_config(tmp_path / "out", "wlasl2")
    shapes = sorted(np.asarray(row["pose"]).shape[1] for split in rows.values() for row in split)
    assert shapes == [576, 586] and report.poses["layouts"] == {
        "mediapipe_holistic_576": 1,
        "mediapipe_holistic_586": 1,
    }


def _bank():
    texts = {
        "kleine": "Flat hand, palm down, at chest height; move down a little.",
        "kinder": "Flat hand, palm down; pat the air twice at waist height.",
        "essen": "Flat O hand, fingertips at the mouth; tap twice.",
        "pizza": "Bent V hand near the mouth; circle once.",
    }
    return DescriptionBank(DescriptionRecord(gloss, "dsgs", "agp", text) for gloss, text in texts.items())


def test_collator_feeds_a_hali_forward_pass(tmp_path, mini_index, pose_dir, minilm_path, tiny_hali_config):
    from lexsign_hf.models.hali import HALIModel, HALIProcessor

    _build(tmp_path / "out", mini_index, pose_dir)
    rows = list(pose_store.load_video_config(tmp_path / "out", "wlasl4", split="train"))
    processor = HALIProcessor.from_text_pretrained(minilm_path, max_frames=16)
    collator = HALIDataCollator(processor, description_bank=_bank(), max_frames=32, seed=0)
    batch = collator(rows)
    assert batch["pose_values"].shape[:3] == (4, 16, 77)
    assert batch["labels"].dtype == torch.long and batch["labels"].tolist() == [row["label"] for row in rows]
    assert batch["input_ids"].shape[0] == 4 and (batch["fragment_ids"].max(dim=1).values >= 1).all()

    torch.manual_seed(0)
    model = HALIModel(tiny_hali_config).eval()
    with torch.no_grad():
        output = model(**batch, return_loss=True)
    assert output.logits_per_pose.shape == (4, 4)
    assert torch.isfinite(output.loss)

    data_loader = torch.utils.data.DataLoader(rows, batch_size=2, collate_fn=collator)
    assert [tuple(b["labels"].shape) for b in data_loader] == [(2,), (2,)]


def test_collator_errors(tmp_path, mini_index, pose_dir, minilm_path):
    from lexsign_hf.models.hali import HALIProcessor

    _build(tmp_path / "out", mini_index, pose_dir)
    rows = list(pose_store.load_video_config(tmp_path / "out", "wlasl4", split="train"))
    processor = HALIProcessor.from_text_pretrained(minilm_path, max_frames=16)
    with pytest.raises(ValueError, match=r"gloss '\w+' has no description"):
        HALIDataCollator(processor)(rows[:1])
    with_text = [{**rows[0], "description": "Flat hand; tap twice."}]
    assert HALIDataCollator(processor)(with_text)["input_ids"].shape[0] == 1
    with pytest.raises(ValueError, match="has no pose"):
        HALIDataCollator(processor, description_bank=_bank())(
            [{k: v for k, v in rows[0].items() if k != "pose"}]
        )


def test_unreadable_pose_files_are_listed_and_remembered(tmp_path, pose_dir):
    from pose_format import Pose
    from pose_format.numpy import NumPyPoseBody

    source = Pose.read((pose_dir / "essen.pose").read_bytes())
    empty = Pose(source.header, NumPyPoseBody(25.0, source.body.data[:0], source.body.confidence[:0]))
    with (tmp_path / "empty.pose").open("wb") as file:
        empty.write(file)
    (tmp_path / "cut.pose").write_bytes((pose_dir / "essen.pose").read_bytes()[:5000])
    files = {"good": pose_dir / "essen.pose", "empty": tmp_path / "empty.pose", "cut": tmp_path / "cut.pose"}
    cache = pose_store.PoseCache(files, tmp_path / "cache", chunk_size=2)
    assert cache.prepare(progress=False) == 3
    assert sorted(cache.unreadable) == ["cut", "empty"]
    assert "'frames' is 0" in cache.unreadable["empty"] and "cut.pose" in cache.unreadable["cut"]
    assert "good" in cache and "cut" not in cache and cache.num_frames("good") == 73
    resumed = pose_store.PoseCache(files, tmp_path / "cache", chunk_size=2)
    assert resumed.prepare(progress=False) == 0  # nothing read again; the reasons come from the manifests
    assert resumed.unreadable == cache.unreadable
    assert resumed["good"].frame_size == (640.0, 480.0)  # the .pose header's video frame

    # a cache written by an older schema (its manifests name another format) is read again, not misread
    for manifest in (tmp_path / "cache").glob("chunk-*.json"):
        record = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**record, "format": record["format"] - 1}))
    stale = pose_store.PoseCache(files, tmp_path / "cache", chunk_size=2)
    assert stale.prepare(progress=False) == 3 and stale["good"].frame_size == (640.0, 480.0)


def test_a_folder_with_the_earlier_parquet_pose_config_still_loads(tmp_path, mini_index, pose_dir):
    """Folders built before the store was a `save_to_disk` folder hold the poses as the parquet config
    ``asl_poses``; `load_video_config` and `with_poses` still join them."""
    from lexsign_hf.data import with_poses
    from lexsign_hf.data.hub_layout import write_dataset_folder

    out = tmp_path / "out"
    _build(out, mini_index, pose_dir)
    store = datasets.load_from_disk(str(out / "data" / "asl_poses"))
    wlasl4 = datasets.load_dataset(str(out), "wlasl4", split="train")
    earlier = tmp_path / "earlier"
    classes = json.loads((out / "data" / "wlasl4" / "classes.json").read_text())
    write_dataset_folder(
        earlier,
        {"wlasl4": {"train": wlasl4}, "asl_poses": {"train": store}},
        {"wlasl4": wlasl4.features, "asl_poses": store.features},
        "# earlier LexSign build",
        config_files={"wlasl4": {"classes.json": classes}},
    )
    for folder in (out, earlier):
        joined = pose_store.load_video_config(folder, "wlasl4", split="train")
        rows = with_poses(datasets.load_dataset(str(folder), "wlasl4", split="train"), folder)
        for row, other in zip(joined.with_format("numpy"), rows.with_format("numpy"), strict=True):
            expected = pose_lib.read_pose(pose_dir / f"{row['video_id']}.pose").data
            np.testing.assert_array_equal(row["pose"], expected)
            np.testing.assert_array_equal(other["pose"], expected)


def test_missing_or_corrupt_pose_store_is_one_line(tmp_path, mini_index, pose_dir):
    import shutil

    out = tmp_path / "out"
    _build(out, mini_index, pose_dir)
    for shard in (out / "data" / "asl_poses").glob("data-*.arrow"):
        shard.write_bytes(shard.read_bytes()[:100])
    with pytest.raises(ValueError) as error:
        pose_store.load_video_config(out, "wlasl4", split="train")
    assert "\n" not in str(error.value) and "asl_poses" in str(error.value) and "rebuild" in str(error.value)
    shutil.rmtree(out / "data" / "asl_poses")
    with pytest.raises(ValueError, match=r"pose store data/asl_poses/ is missing") as error:
        pose_store.load_video_config(out, "wlasl4", split="train")
    assert "\n" not in str(error.value)

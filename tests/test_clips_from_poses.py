"""AGP and LoRA data from skeletons: `.pose` files rendered (cached), one trimming rule, broken clips counted."""

from __future__ import annotations

import shutil

from lexsign_hf.agp.videos import match_videos
from lexsign_hf.mllm.testing import write_test_clips
from lexsign_hf.mllm.video import read_video


def test_match_videos_renders_poses_and_counts_broken_ones(shared_data, tmp_path):
    videos = tmp_path / "videos"
    write_test_clips(videos, ["rgb"], num_frames=6)
    shutil.copy(
        shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs" / "kinder.pose",
        videos / "p1.pose",
    )
    (videos / "p2.pose").write_bytes(b"broken")
    rows = [
        {"gloss": "a", "video_id": "rgb", "frame_start": 2, "frame_end": 5},
        {"gloss": "b", "video_id": "p1", "frame_start": 1, "frame_end": -1},
        {"gloss": "c", "video_id": "p2"},
        {"gloss": "d", "video_id": "absent"},
    ]
    found, counts = match_videos(rows, videos, render_dir=tmp_path / "rendered")
    assert [v.video_id for v in found] == ["rgb", "p1"]
    assert counts["unreadable_pose"] == 1 and counts["missing_video"] == 1 and counts["rendered_pose"] == 1
    assert found[0].span == (2, 5) and found[1].span is None
    assert found[1].path.parent == tmp_path / "rendered" and found[1].path.suffix == ".mp4"
    assert len(read_video(found[1].path).frames) == 45  # kinder.pose: 45 frames, rendered at its own rate
    untrimmed, _ = match_videos(rows[:1], videos, trim=False)
    assert untrimmed[0].span is None


def test_lora_examples_skip_undecodable_clips(tmp_path):
    from lexsign_hf.data.descriptions import DescriptionBank, DescriptionRecord
    from lexsign_hf.finetune.data import collect_examples

    videos = tmp_path / "videos"
    write_test_clips(videos, ["good"], num_frames=4)
    (videos / "bad.mp4").write_bytes(b"\x00" * 32)
    bank = DescriptionBank(
        [DescriptionRecord(gloss="book", language="asl", source="mcp", text="Flat hands open like a book.")]
    )
    rows = [{"gloss": "book", "video_id": "good"}, {"gloss": "book", "video_id": "bad"}]
    examples, counts = collect_examples(rows, ["book"], videos, bank)
    assert [e.video_id for e in examples] == ["good"] and counts["undecodable_video"] == 1

"""`lexsign pose extract`: MediaPipe holistic through pose-format, on a real signing video and on bad videos."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from lexsign_hf.cli import main
from lexsign_hf.pose import CANONICAL_SLICES, read_pose
from lexsign_hf.pose.extract import MEDIAPIPE_MISSING, extract_poses, find_videos

av = pytest.importorskip("av")


def write_video(path, frames: int, color: int = 128, size: int = 64) -> None:
    """An MPEG-4 video of `frames` plain frames (no person in it); with 0 frames, a video stream without any."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        container.start_encoding()
        for _ in range(frames):
            image = np.full((size, size, 3), color, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())


def test_real_signing_video(shared_data, tmp_path, capsys):
    pytest.importorskip("mediapipe")
    video = shared_data / "videos" / "pose-format-test_video.mp4"
    assert main(["pose", "extract", str(video), "--out", str(tmp_path)]) == 0
    pose_path = tmp_path / "pose-format-test_video.pose"
    sequence = read_pose(pose_path)
    assert (sequence.layout, sequence.num_frames) == ("mediapipe_holistic_576", 58)
    assert sequence.fps == pytest.approx(29.92, abs=0.01)
    canonical = sequence.canonical()
    hands = canonical[:, CANONICAL_SLICES["left_hand"].start : CANONICAL_SLICES["right_hand"].stop, 2]
    hand_frames = int((hands > 0).any(axis=1).sum())
    assert 0 < hand_frames < 58  # the signing hand is found in some frames (it enters and leaves the picture)
    assert (canonical[:, 3:5, 2] > 0).all()  # both shoulders in every frame
    report = json.loads((tmp_path / "extract_report.json").read_text())
    assert report["written"] == 1 and report["videos"][0]["hand_frames"] == hand_frames
    # resumable: a second run leaves the finished file alone
    mtime = pose_path.stat().st_mtime_ns
    capsys.readouterr()
    assert main(["pose", "extract", str(video), "--out", str(tmp_path)]) == 0
    assert "0 written, 1 already done, 0 failed" in capsys.readouterr().out
    assert pose_path.stat().st_mtime_ns == mtime


def test_bad_videos_are_reported_and_skipped(tmp_path, capsys):
    pytest.importorskip("mediapipe")
    videos = tmp_path / "videos"
    (videos / "sub").mkdir(parents=True)
    (videos / "garbage.mp4").write_bytes(b"\x00not a video" * 64)
    write_video(videos / "empty.avi", frames=0)
    write_video(videos / "sub" / "nobody.avi", frames=4)
    (videos / "notes.txt").write_text("not a video suffix: ignored")
    out = tmp_path / "poses"
    assert main(["pose", "extract", str(videos), "--out", str(out), "--workers", "2"]) == 1
    errors = capsys.readouterr().err
    report = json.loads((out / "extract_report.json").read_text())
    reasons = {item["video"].rsplit("/", 1)[1]: item["error"] for item in report["videos"]}
    assert report["failed"] == 3 and report["written"] == 0
    assert "cannot be decoded" in reasons["garbage.mp4"] and "garbage.mp4" in errors
    assert "no frames" in reasons["empty.avi"]
    assert "no person detected" in reasons["nobody.avi"]
    assert not list(out.rglob("*.pose")) and not list(out.rglob("*.tmp"))


def test_inputs_and_targets(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.mp4").write_bytes(b"")
    (tmp_path / "x.mp4").write_bytes(b"")
    pairs = find_videos([tmp_path / "a"], tmp_path / "out")
    assert pairs == [(tmp_path / "a" / "x.mp4", tmp_path / "out" / "x.pose")]
    with pytest.raises(ValueError, match="would both be written to"):
        find_videos([tmp_path / "a", tmp_path / "x.mp4"], tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        find_videos([tmp_path / "missing.mp4"], tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no video files"):
        find_videos([tmp_path / "empty"], tmp_path / "out")


def test_missing_mediapipe_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # `import mediapipe` now raises ImportError
    with pytest.raises(ImportError, match=r"lexsign_hf\[pose\]"):
        extract_poses([tmp_path], tmp_path / "out")
    assert main(["pose", "extract", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert MEDIAPIPE_MISSING in capsys.readouterr().err


def _short_real_video(source, path, frames: int) -> None:
    """The first `frames` frames of a real signing video, re-encoded (a person in every frame)."""
    with av.open(str(source)) as reader, av.open(str(path), "w") as writer:
        stream = writer.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 270, 360, "yuv420p"
        for index, frame in enumerate(reader.decode(video=0)):
            if index == frames:
                break
            image = frame.to_ndarray(format="rgb24")[::2, ::2]
            writer.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")))
        writer.mux(stream.encode())


@pytest.mark.slow
def test_ctrl_c_stops_every_worker_and_a_rerun_resumes(shared_data, tmp_path):
    """SIGINT to the command's process group (what a terminal's Ctrl-C sends) while 2 workers run."""
    import os
    import signal
    import subprocess
    import time

    pytest.importorskip("mediapipe")
    videos = tmp_path / "videos"
    videos.mkdir()
    for index in range(6):
        _short_real_video(shared_data / "videos" / "pose-format-test_video.mp4", videos / f"v{index}.mp4", 30)
    out = tmp_path / "poses"
    command = [sys.executable, "-m", "lexsign_hf.cli", "pose", "extract", str(videos), "--out", str(out)]
    process = subprocess.Popen(
        [*command, "--workers", "2"], start_new_session=True, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not list(out.glob("*.pose")) and time.monotonic() < deadline:  # workers are busy: one video is done
        time.sleep(0.1)
    assert list(out.glob("*.pose")), "no video finished within 120 s"
    os.killpg(process.pid, signal.SIGINT)
    interrupted = time.monotonic()
    _, stderr = process.communicate(timeout=30)
    stopped = time.monotonic() - interrupted
    assert process.returncode == 130 and "interrupted" in stderr, stderr
    for _ in range(50):  # every process of the group is gone (the workers, multiprocessing's helpers)
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("processes of the interrupted extraction are still running")
    done = sorted(path.name for path in out.glob("*.pose"))
    assert len(done) < 6, f"every video finished before the interrupt took effect ({stopped:.1f} s)"
    assert not list(out.glob(".*.tmp")), "unfinished temporary files were left behind"
    report = json.loads((out / "extract_report.json").read_text())
    assert report["interrupted"] and report["written"] <= len(
        done
    )  # a file may land as its worker is stopped
    print(f"stopped {stopped:.2f} s after SIGINT with {len(done)}/6 videos done")

    rerun = subprocess.run([*command, "--workers", "2"], capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{6 - len(done)} written, {len(done)} already done, 0 failed" in rerun.stdout
    assert not json.loads((out / "extract_report.json").read_text())["interrupted"]

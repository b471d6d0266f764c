"""Video decoding, frame policies and temporal perturbation (lexsign_hf.mllm.video)."""

from __future__ import annotations

import numpy as np
import pytest

from lexsign_hf.mllm.video import FramePolicy, perturb_temporal, read_video, write_video


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory):
    """100 grey frames at 25 fps whose brightness encodes the frame index (survives H.264 compression)."""
    frames = np.zeros((100, 32, 48, 3), dtype=np.uint8)
    frames[:] = (np.arange(100) * 2 + 20)[:, None, None, None]
    return write_video(tmp_path_factory.mktemp("video") / "clip.mp4", frames, fps=25)


def _assert_frames(frames: np.ndarray, indices: list[int]) -> None:
    """The decoded frames are the source frames `indices` (brightness within one index step)."""
    estimated = (frames.reshape(len(frames), -1).mean(axis=1) - 20) / 2
    np.testing.assert_allclose(estimated, indices, atol=1.0)


def test_decode_all_frames(clip_path):
    clip = read_video(clip_path)
    assert clip.frames.shape == (100, 32, 48, 3) and clip.frames.dtype == np.uint8
    assert clip.fps == pytest.approx(25.0)
    assert clip.indices == list(range(100))
    _assert_frames(clip.frames[::10], list(range(0, 100, 10)))


def test_open_model_policy_takes_central_16_frames_at_5_fps(clip_path):
    clip = read_video(clip_path, FramePolicy.open_model())
    # 4 s at 5 fps = 20 samples (every 5th frame), the central 16 of them are samples 2..17.
    assert clip.indices == list(range(10, 90, 5))
    assert clip.fps == pytest.approx(5.0)
    _assert_frames(clip.frames, clip.indices)


def test_closed_model_policy_takes_whole_video_at_10_fps(clip_path):
    clip = read_video(clip_path, FramePolicy.closed_model())
    assert len(clip.frames) == 40 and clip.indices[0] == 0 and clip.indices[-1] >= 95
    assert np.all(np.diff(clip.indices) >= 2) and np.all(np.diff(clip.indices) <= 3)


def test_uniform_policy_and_span(clip_path):
    spread = read_video(clip_path, FramePolicy(fps=None, max_frames=5, central=False))
    assert spread.indices == [0, 25, 50, 74, 99]
    span = read_video(clip_path, FramePolicy(fps=None, max_frames=None), span=(11, 20))
    assert span.indices == list(range(10, 20))


def test_temporal_perturbation_is_seeded_and_changes_frames(clip_path):
    policy = FramePolicy(fps=None, max_frames=None, temporal_perturbation=0.2, seed=3)
    first, again = read_video(clip_path, policy), read_video(clip_path, policy)
    assert first.indices == again.indices
    assert first.indices != list(range(100))
    counts = np.bincount(first.indices, minlength=100)
    dropped, repeated = int((counts == 0).sum()), int((counts == 2).sum())
    assert 3 <= dropped <= 20 and 3 <= repeated <= 20  # p = 0.2 split between drop and repeat
    assert sorted(set(first.indices)) == [i for i in range(100) if counts[i]]  # order kept


def test_perturb_temporal_keeps_at_least_one_frame():
    rng = np.random.default_rng(0)
    assert len(perturb_temporal(np.arange(1), 0.99, rng)) >= 1
    with pytest.raises(ValueError, match="probability"):
        perturb_temporal(np.arange(4), 1.5, rng)


def test_missing_and_corrupt_videos(tmp_path):
    with pytest.raises(FileNotFoundError, match="video file not found"):
        read_video(tmp_path / "absent.mp4")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"this is not a video" * 20)
    with pytest.raises(ValueError, match="cannot decode video"):
        read_video(corrupt)


def test_policy_validation():
    with pytest.raises(ValueError, match="fps"):
        FramePolicy(fps=0)
    with pytest.raises(ValueError, match="max_frames"):
        FramePolicy(max_frames=0)


def test_one_wlasl_trimming_rule():
    from lexsign_hf.mllm.video import clip_span

    assert clip_span({"frame_start": 12, "frame_end": 40}) == (12, 40)
    assert clip_span({"frame_start": 12, "frame_end": -1}) == (12, -1)
    assert clip_span({"frame_start": 12}) == (12, -1)
    assert clip_span({"frame_start": 1, "frame_end": -1}) is None  # the whole file anyway
    assert clip_span({"frame_start": 12, "frame_end": 40}, trim=False) is None  # pre-cut clips
    assert clip_span({"video_id": "x"}) is None
    with pytest.raises(ValueError, match="before frame_start"):
        clip_span({"frame_start": 40, "frame_end": 12})


def test_probe_video(clip_path, tmp_path):
    from lexsign_hf.mllm.video import probe_video

    assert probe_video(clip_path) is None
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 64)
    assert "broken.mp4" in probe_video(broken)

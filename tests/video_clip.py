"""A short real signing clip cut from ../shared/data/videos (first frames, same size and rate), for the video
tests: MediaPipe is slow on 2 cores, so every module uses a few frames."""

from __future__ import annotations

from pathlib import Path

import pytest

SOURCE = Path(__file__).parents[2] / "shared/data/videos/pose-format-test_video.mp4"


def cut_clip(target: Path, frames: int = 16) -> Path:
    """The first `frames` frames of the shared video, re-encoded as H.264 mp4 at its size and rate."""
    import av

    if not SOURCE.exists():
        pytest.skip(f"shared data not available: {SOURCE}")
    with av.open(str(SOURCE)) as source, av.open(str(target), "w") as out:
        stream_in = source.streams.video[0]
        stream = out.add_stream("libx264", rate=stream_in.average_rate)
        stream.width, stream.height, stream.pix_fmt = stream_in.width, stream_in.height, "yuv420p"
        for index, frame in enumerate(source.decode(stream_in)):
            if index == frames:
                break
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return target


def decoded_frames(path: Path):
    """(frames, height, width, 3) uint8 RGB frames of a video, decoded with PyAV."""
    import av
    import numpy as np

    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])

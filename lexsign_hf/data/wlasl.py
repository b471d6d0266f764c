"""The WLASL v0.3 index (Li et al., WACV 2020) and its official `nslt_*.json` ISLR subsets.

Two releases of ``WLASL_v0.3.json`` circulate: the 2020-03 file inside ``WLASL_v0.3.zip`` and the file re-published
under ``start_kit/`` with fixed video URLs. Both have the same structure and are accepted; their checksums are
recorded so a download is verified and a build can say which one it used.

WLASL is licensed under C-UDA 1.0 (computational use, no commercial use): this package ships none of it; read it
from a path or download it with `download_wlasl`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

INDEX_FILE_NAME = "WLASL_v0.3.json"
SPLITS: tuple[str, ...] = ("train", "val", "test")
ISLR_SIZES: tuple[int, ...] = (100, 300, 1000, 2000)

# sha256 of the known releases of WLASL_v0.3.json.
INDEX_RELEASES: dict[str, str] = {
    "2c94ee992df0a79c865a116f42919837ce96daaed020076cb222619e45b0938e": "2020-03 release (WLASL_v0.3.zip)",
    "31ba5a5c421bdbff87494ee22ca6d4e276a8dfac44f43cc9a58b76ed1c4cd684": "re-published upstream (start_kit/WLASL_v0.3.json)",
}
_REPOSITORY = "https://raw.githubusercontent.com/dxli94/WLASL"
# file name → (URL, sha256) of the upstream files `download_wlasl` fetches.
DOWNLOADS: dict[str, tuple[str, str]] = {
    INDEX_FILE_NAME: (
        f"{_REPOSITORY}/0ac8108282aba99226e29c066cb8eab847ef62da/start_kit/WLASL_v0.3.json",
        "31ba5a5c421bdbff87494ee22ca6d4e276a8dfac44f43cc9a58b76ed1c4cd684",
    ),
    **{
        f"nslt_{size}.json": (
            f"{_REPOSITORY}/180e0b517dd6483e0b6aa5a0a27d92b47b2989bb/code/I3D/preprocess/nslt_{size}.json",
            digest,
        )
        for size, digest in (
            (100, "aaa4bb4300e4efd50e162d8b7aad00486ddf76cd0f74f1236a9cd774a3871a77"),
            (300, "bf89c8e3f3cf58880b4bce6033d47b735fc8b26673bc69168dc5eae564ad10ae"),
            (1000, "7f582b283afad1d9cd98e2ab921a40e745a8695b699a576e3195150ac07dca16"),
            (2000, "a2be3d365759c57f4691bde7defaafb53ee1fdf105440b45f800193044397251"),
        )
    },
}


@dataclass(frozen=True)
class WlaslInstance:
    """One video of the index. ``class_id`` is the gloss's position in the index (= WLASL class index)."""

    video_id: str
    gloss: str
    class_id: int
    split: str
    signer_id: int
    fps: float
    frame_start: int
    frame_end: int
    variation_id: int
    source: str
    url: str


@dataclass(frozen=True)
class WlaslIndex:
    """The parsed index: glosses in class order and all instances, with the file's checksum and release."""

    path: Path
    sha256: str
    glosses: tuple[str, ...]
    instances: tuple[WlaslInstance, ...]

    @property
    def release(self) -> str:
        return INDEX_RELEASES.get(self.sha256, f"unrecognised file (sha256 {self.sha256})")

    @property
    def by_video_id(self) -> dict[str, WlaslInstance]:
        return {instance.video_id: instance for instance in self.instances}

    @property
    def num_signers(self) -> int:
        return len({instance.signer_id for instance in self.instances})


@dataclass(frozen=True)
class NsltEntry:
    """One video of an official ``nslt_<N>.json`` subset."""

    video_id: str
    split: str
    class_id: int
    frame_start: int
    frame_end: int


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_index_path(path: str | os.PathLike) -> Path:
    """``path`` itself if it is a file, else ``<path>/WLASL_v0.3.json``."""
    path = Path(path)
    if path.is_dir():
        path = path / INDEX_FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"WLASL index {path} does not exist (give WLASL_v0.3.json or the folder holding it)."
        )
    return path


def read_wlasl_index(path: str | os.PathLike) -> WlaslIndex:
    """Read and validate ``WLASL_v0.3.json`` (a file, or a folder holding it).

    Raises `ValueError` naming the file, entry and field for malformed entries, duplicate glosses or duplicate
    video ids.
    """
    path = resolve_index_path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"WLASL index {path}: invalid JSON ({error.msg} at line {error.lineno}).") from None
    if not isinstance(content, list) or not content:
        raise ValueError(
            f"WLASL index {path}: expected a non-empty JSON list of {{'gloss', 'instances'}} entries."
        )
    glosses: list[str] = []
    instances: list[WlaslInstance] = []
    seen_glosses: dict[str, int] = {}
    seen_videos: dict[str, str] = {}
    for class_id, entry in enumerate(content):
        where = f"WLASL index {path}: entry {class_id}"
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("gloss"), str)
            or not entry["gloss"].strip()
        ):
            raise ValueError(f"{where}: expected an object with a non-empty string 'gloss'.")
        gloss = entry["gloss"].strip()
        if gloss in seen_glosses:
            raise ValueError(f"{where}: duplicate gloss {gloss!r} (also entry {seen_glosses[gloss]}).")
        seen_glosses[gloss] = class_id
        glosses.append(gloss)
        if not isinstance(entry.get("instances"), list):
            raise ValueError(f"{where} (gloss {gloss!r}): field 'instances' must be a list.")
        for position, raw in enumerate(entry["instances"]):
            instance = _parse_instance(raw, gloss, class_id, f"{where} (gloss {gloss!r}) instance {position}")
            if instance.video_id in seen_videos:
                raise ValueError(
                    f"{where} (gloss {gloss!r}) instance {position}: duplicate video_id {instance.video_id!r} "
                    f"(also under gloss {seen_videos[instance.video_id]!r})."
                )
            seen_videos[instance.video_id] = gloss
            instances.append(instance)
    return WlaslIndex(path=path, sha256=sha256_of(path), glosses=tuple(glosses), instances=tuple(instances))


def _parse_instance(raw: object, gloss: str, class_id: int, where: str) -> WlaslInstance:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object.")
    video_id = raw.get("video_id")
    if not isinstance(video_id, str) or not video_id.strip():
        raise ValueError(f"{where}: field 'video_id' must be a non-empty string, got {video_id!r}.")
    if raw.get("split") not in SPLITS:
        raise ValueError(f"{where}: field 'split' must be one of {SPLITS}, got {raw.get('split')!r}.")
    numbers = {}
    for name, default in (
        ("signer_id", None),
        ("fps", 25),
        ("frame_start", 1),
        ("frame_end", -1),
        ("variation_id", 0),
    ):
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: field {name!r} must be a number, got {value!r}.")
        numbers[name] = value
    return WlaslInstance(
        video_id=video_id.strip(),
        gloss=gloss,
        class_id=class_id,
        split=raw["split"],
        signer_id=int(numbers["signer_id"]),
        fps=float(numbers["fps"]),
        frame_start=int(numbers["frame_start"]),
        frame_end=int(numbers["frame_end"]),
        variation_id=int(numbers["variation_id"]),
        source=str(raw.get("source", "")),
        url=str(raw.get("url", "")),
    )


def find_nslt_files(directory: str | os.PathLike) -> dict[int, Path]:
    """``{N: path}`` for every ``nslt_<N>.json`` in ``directory``."""
    found = {}
    for path in Path(directory).glob("nslt_*.json"):
        match = re.fullmatch(r"nslt_(\d+)\.json", path.name)
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def read_nslt(path: str | os.PathLike, num_classes: int | None = None) -> dict[str, NsltEntry]:
    """Read an official ``nslt_<N>.json`` subset: ``{video_id: {"subset": split, "action": [class, start, end]}}``.

    Class ids must lie in ``[0, num_classes)`` when ``num_classes`` is given.
    """
    path = Path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"WLASL subset file {path} does not exist.") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"WLASL subset {path}: invalid JSON ({error.msg} at line {error.lineno}).") from None
    if not isinstance(content, dict):
        raise ValueError(f"WLASL subset {path}: expected a JSON object {{video_id: {{'subset', 'action'}}}}.")
    entries = {}
    for video_id, value in content.items():
        where = f"WLASL subset {path}: video {video_id!r}"
        if not isinstance(value, dict) or value.get("subset") not in SPLITS:
            raise ValueError(f"{where}: field 'subset' must be one of {SPLITS}.")
        action = value.get("action")
        if not (isinstance(action, list) and len(action) == 3 and all(isinstance(x, int) for x in action)):
            raise ValueError(
                f"{where}: field 'action' must be [class_id, frame_start, frame_end], got {action!r}."
            )
        if action[0] < 0 or (num_classes is not None and action[0] >= num_classes):
            raise ValueError(f"{where}: class id {action[0]} is outside [0, {num_classes}).")
        entries[video_id] = NsltEntry(video_id, value["subset"], action[0], action[1], action[2])
    return entries


def download_wlasl(
    out_dir: str | os.PathLike,
    files: tuple[str, ...] = tuple(DOWNLOADS),
    downloads: Mapping[str, tuple[str, str]] = DOWNLOADS,
    timeout: float = 60.0,
) -> Path:
    """Download the WLASL index and ``nslt_*.json`` subsets into ``out_dir``, verifying each file's sha256.

    Files already present with the expected checksum are kept. A mismatching download is deleted and raises
    `ValueError`. Returns ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in files:
        if name not in downloads:
            raise ValueError(f"download_wlasl: unknown file {name!r} (known: {sorted(downloads)}).")
        url, expected = downloads[name]
        target = out_dir / name
        if target.is_file() and sha256_of(target) == expected:
            continue
        tmp = out_dir / f".{name}.part"
        with urllib.request.urlopen(url, timeout=timeout) as response, tmp.open("wb") as handle:  # noqa: S310
            while chunk := response.read(1 << 20):
                handle.write(chunk)
        actual = sha256_of(tmp)
        if actual != expected:
            tmp.unlink()
            raise ValueError(
                f"download_wlasl: {url} has sha256 {actual}, expected {expected}; file discarded."
            )
        os.replace(tmp, target)
    return out_dir

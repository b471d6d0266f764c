"""WLASL index and nslt readers, and the checksum-verified download (against a local HTTP server)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading

import pytest

from lexsign_hf.data.wlasl import (
    DOWNLOADS,
    INDEX_RELEASES,
    download_wlasl,
    find_nslt_files,
    read_nslt,
    read_wlasl_index,
)


def test_real_index(shared_data):
    index = read_wlasl_index(shared_data / "wlasl")  # a folder is accepted
    assert len(index.glosses) == 2000 and len(index.instances) == 21083 and index.num_signers == 119
    assert index.release == "2020-03 release (WLASL_v0.3.zip)"
    assert index.glosses[:3] == ("book", "drink", "computer")
    book = index.by_video_id["69241"]
    assert (book.gloss, book.class_id, book.split, book.signer_id) == ("book", 0, "train", 118)
    assert sorted(find_nslt_files(shared_data / "wlasl")) == [100, 300, 1000, 2000]
    assert len(read_nslt(shared_data / "wlasl" / "nslt_100.json", num_classes=100)) == 2038


def test_both_releases_are_known():
    assert set(INDEX_RELEASES) == {
        "2c94ee992df0a79c865a116f42919837ce96daaed020076cb222619e45b0938e",
        DOWNLOADS["WLASL_v0.3.json"][1],
    }


def _index(entries):
    return [{"gloss": gloss, "instances": instances} for gloss, instances in entries]


def _instance(video_id, split="train", **extra):
    return {"video_id": video_id, "split": split, "signer_id": 1, "fps": 25, **extra}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[", "invalid JSON"),
        ("{}", "expected a non-empty JSON list"),
        (
            _index([("a", [_instance("1")]), ("a", [_instance("2")])]),
            r"entry 1: duplicate gloss 'a' \(also entry 0\)",
        ),
        (
            _index([("a", [_instance("1")]), ("b", [_instance("1")])]),
            r"entry 1 \(gloss 'b'\) instance 0: duplicate video_id '1'",
        ),
        (_index([("a", [_instance("1", split="dev")])]), r"instance 0: field 'split' must be one of"),
        (_index([("a", [_instance("1", signer_id="x")])]), r"field 'signer_id' must be a number"),
        (_index([("a", [{"split": "train"}])]), r"field 'video_id' must be a non-empty string"),
        ([{"instances": []}], r"entry 0: expected an object with a non-empty string 'gloss'"),
    ],
)
def test_malformed_index_errors_name_the_entry(tmp_path, content, message):
    path = tmp_path / "WLASL_v0.3.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_wlasl_index(path)


def test_missing_index(tmp_path):
    with pytest.raises(FileNotFoundError, match="WLASL_v0.3.json"):
        read_wlasl_index(tmp_path)


def test_nslt_errors(tmp_path):
    path = tmp_path / "nslt_2.json"
    path.write_text(json.dumps({"1": {"subset": "train", "action": [5, 1, 10]}}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"video '1': class id 5 is outside \[0, 2\)"):
        read_nslt(path, num_classes=2)
    path.write_text(json.dumps({"1": {"subset": "train", "action": [0, 1]}}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"field 'action' must be \[class_id, frame_start, frame_end\]"):
        read_nslt(path)


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server over `tmp_path/served` standing in for raw.githubusercontent.com."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def test_download_verifies_checksums(tmp_path, http_server, shared_data):
    served, url = http_server
    payload = (shared_data / "wlasl" / "nslt_100.json").read_bytes()
    (served / "nslt_100.json").write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    assert digest == DOWNLOADS["nslt_100.json"][1]
    downloads = {"nslt_100.json": (f"{url}/nslt_100.json", digest)}

    out = download_wlasl(tmp_path / "wlasl", files=("nslt_100.json",), downloads=downloads)
    assert (out / "nslt_100.json").read_bytes() == payload
    (served / "nslt_100.json").unlink()
    download_wlasl(
        tmp_path / "wlasl", files=("nslt_100.json",), downloads=downloads
    )  # present and valid: kept

    (served / "tampered.json").write_bytes(payload + b" ")
    with pytest.raises(ValueError, match=r"tampered\.json has sha256 .* expected .*; file discarded"):
        download_wlasl(
            tmp_path / "other",
            files=("nslt_100.json",),
            downloads={"nslt_100.json": (f"{url}/tampered.json", digest)},
        )
    assert list((tmp_path / "other").iterdir()) == []
    with pytest.raises(ValueError, match="unknown file 'x.json'"):
        download_wlasl(tmp_path / "other", files=("x.json",))

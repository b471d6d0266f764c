"""LexSign-CSL configs from a made-up DEVISIGN-style index (DEVISIGN itself is licence-gated)."""

from __future__ import annotations

import csv
import json

import datasets
import pytest

from lexsign_hf.data.build import build_lexsign
from lexsign_hf.data.devisign import read_devisign_index
from lexsign_hf.data.splits import CSL_ZSSLR, ZSSLRSpec

SIGNERS = ("P01", "P02", "P03", "P04")


def _write_index(path, num_glosses, videos_per_gloss=4, with_split=False):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["gloss_id", "meaning", "file", "signer", *(["split"] if with_split else [])])
        for gloss in range(num_glosses):
            for video in range(videos_per_gloss):
                signer = SIGNERS[video % len(SIGNERS)]
                split = ["test" if signer == "P04" else "train"] if with_split else []
                writer.writerow(
                    [f"{gloss:04d}", f"词{gloss}", f"{signer}/{gloss:04d}_{video}.mp4", signer, *split]
                )
    return path


def _classes(folder, config):
    return json.loads((folder / "data" / config / "classes.json").read_text(encoding="utf-8"))


def test_paper_sizes_with_the_default_spec(tmp_path):
    index = _write_index(tmp_path / "devisign.csv", num_glosses=1878, videos_per_gloss=1)
    report = build_lexsign(tmp_path / "out", devisign=index, progress=False)
    for config, seen in (("csl1000", 983), ("csl300", 299), ("csl100", 100)):
        assert report.classes[config] == {
            "classes": seen + 895,
            "seen": seen,
            "unseen_validation": 344,
            "unseen_test": 551,
        }
    assert CSL_ZSSLR.seen_sizes == {"csl1000": 983, "csl300": 299, "csl100": 100}
    assert report.configs["csl1000"]["validation"] == 344 and report.configs["csl1000"]["test"] == 551


def test_scaled_down_csl_configs(tmp_path):
    index = _write_index(tmp_path / "devisign.csv", num_glosses=30)
    spec = ZSSLRSpec(seen_sizes={"csl1000": 10, "csl300": 5, "csl100": 2}, num_validation=6, num_test=9)
    report = build_lexsign(tmp_path / "out", devisign=index, csl_spec=spec, seed=3, progress=False)
    configs = {name: _classes(tmp_path / "out", name) for name in spec.seen_sizes}
    assert [len(configs[name]["seen"]) for name in spec.seen_sizes] == [10, 5, 2]
    assert set(configs["csl100"]["seen"]) < set(configs["csl300"]["seen"]) < set(configs["csl1000"]["seen"])
    assert (
        configs["csl1000"]["unseen_test"] == configs["csl100"]["unseen_test"]
        and len(configs["csl100"]["unseen_test"]) == 9
    )

    loaded = datasets.load_dataset(str(tmp_path / "out"), "csl300")
    train, test_seen = loaded["train"], loaded["test_seen"]
    assert set(train["gloss"]) == set(test_seen["gloss"]) == set(configs["csl300"]["seen"])
    assert (
        train.num_rows + test_seen.num_rows == 5 * 4 and test_seen.num_rows == 5
    )  # 20% of 4 videos -> 1 per class
    assert loaded["validation"].num_rows == 6 * 4 and loaded["test"].num_rows == 9 * 4
    row = train[0]
    assert row["video_id"].startswith("P0") and row["gloss"].startswith("词") and row["signer_id"] in SIGNERS
    assert train.features["label"].names[row["label"]] == row["gloss"]
    assert "DEVISIGN" in (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert report.inputs["devisign"]["test_seen"].startswith("a seeded 20%")


def test_split_column_defines_test_seen(tmp_path):
    index = _write_index(tmp_path / "devisign.csv", num_glosses=12, with_split=True)
    spec = ZSSLRSpec(seen_sizes={"csl4": 4}, num_validation=3, num_test=3)
    build_lexsign(tmp_path / "out", devisign=index, csl_spec=spec, progress=False)
    test_seen = datasets.load_dataset(str(tmp_path / "out"), "csl4", split="test_seen")
    assert set(test_seen["signer_id"]) == {"P04"} and test_seen.num_rows == 4


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [["1", "水", "a.mp4", "P01"], ["2", "水", "b.mp4", "P01"]],
            r"devisign\.csv:3: duplicate gloss '水': gloss_id '2' here, '1' on line 2",
        ),
        (
            [["1", "水", "a.mp4", "P01"], ["1", "火", "b.mp4", "P01"]],
            r"devisign\.csv:3: gloss_id '1' has meaning '火' here",
        ),
        ([["1", "水", "a.mp4", "P01"], ["1", "水", "a.avi", "P02"]], r"devisign\.csv:3: duplicate video 'a'"),
        ([["1", "水", "", "P01"]], r"devisign\.csv:2: field 'file' is empty"),
        ([["1", "水", "a.mp4"]], r"devisign\.csv:2: number of fields differs"),
    ],
)
def test_index_errors_name_file_and_line(tmp_path, rows, message):
    path = tmp_path / "devisign.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["gloss_id", "meaning", "file", "signer"], *rows])
    with pytest.raises(ValueError, match=message):
        read_devisign_index(path)


def test_missing_columns_and_partial_split(tmp_path):
    path = tmp_path / "devisign.csv"
    path.write_text("gloss_id,meaning,video\n1,水,a.mp4\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"header lacks column\(s\) \['file', 'signer'\]"):
        read_devisign_index(path)
    path.write_text(
        "gloss_id,meaning,file,signer,split\n1,水,a.mp4,P1,test\n2,火,b.mp4,P1,\n3,土,c.mp4,P1,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="column 'split' must be filled on every row or on none"):
        build_lexsign(tmp_path / "out", devisign=path, csl_spec=ZSSLRSpec({"s": 1}, 1, 1), progress=False)

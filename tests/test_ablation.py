"""`lexsign ablate --smoke`: every Table 7 / Table 21 variant over two seeds, aggregated correctly."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy import stats

from lexsign_hf.cli import main
from lexsign_hf.synth.ablation import VARIANTS


@pytest.fixture(autouse=True)
def single_thread():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_quick_ablation_writes_json_and_chart(tmp_path, tiny_bert):
    out = tmp_path / "ablation"
    args = [
        "ablate",
        "--smoke",
        "--out",
        str(out),
        "--text-model",
        tiny_bert,
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    assert main([*args, "--threads", "1", "--no-progress"]) == 0
    results = json.loads((out / "ablation.json").read_text())
    assert (out / "ablation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((out / ".work").glob("*/seed*/*.json"))) == 2 * len(VARIANTS)
    assert (
        results["seeds"] == [0, 1] and results["config"]["steps"] == 2 and results["config"]["threads"] == 1
    )
    assert list(results["variants"]) == list(VARIANTS)
    rows = results["variants"]
    assert [rows[name]["M"] for name in ("hali_m2", "hali", "hali_m5")] == [2, 3, 5]
    assert (rows["global"]["w_fg_snippet"], rows["global"]["w_fg_subunit"], rows["global"]["w_hc"]) == (
        0,
        0,
        0,
    )
    assert (rows["fg_subunit"]["w_fg_snippet"], rows["fg_subunit"]["w_fg_subunit"]) == (0, 1)
    for name, row in rows.items():
        for split, keys in (("test", ("zsl_top1", "zsl_top5", "gzsl_S", "gzsl_U", "gzsl_H")),
                            ("validation", ("zsl_top1", "zsl_top5"))):  # fmt: skip
            for key in keys:
                entry = row[split][key]
                assert len(entry["per_seed"]) == 2 and all(0 <= value <= 100 for value in entry["per_seed"])
                assert entry["mean"] == pytest.approx(np.mean(entry["per_seed"]))
                assert entry["std"] == pytest.approx(np.std(entry["per_seed"], ddof=1))
        if name != "global":
            delta = row["delta_vs_global"]["test_zsl_top1"]["per_seed"]
            expected = np.subtract(
                row["test"]["zsl_top1"]["per_seed"], rows["global"]["test"]["zsl_top1"]["per_seed"]
            )
            np.testing.assert_allclose(delta, expected)
        if name != "fg_both":
            delta = row["delta_vs_both"]["validation_zsl_top1"]
            expected = np.subtract(
                row["validation"]["zsl_top1"]["per_seed"],
                rows["fg_both"]["validation"]["zsl_top1"]["per_seed"],
            )
            np.testing.assert_allclose(delta["per_seed"], expected)
            if np.std(expected) > 0:  # the interval is scipy's t-interval of the mean difference
                np.testing.assert_allclose(
                    delta["ci95"],
                    stats.t.interval(
                        0.95, len(expected) - 1, loc=np.mean(expected), scale=stats.sem(expected)
                    ),
                )
        assert set(row["inference_similarity"]) <= {"global", "hali"}
    assert results["chance_top1"] == pytest.approx(25.0)  # 4 unseen test classes

    # same settings, same numbers (fixed steps, threads, deterministic algorithms), also from 2 worker processes
    again = tmp_path / "again"
    assert (
        main(
            [
                *args[:2],
                "--out",
                str(again),
                *args[4:],
                "--threads",
                "1",
                "--no-progress",
                "--variants",
                "global",
                "hali_m5",
                "--jobs",
                "2",
            ]
        )
        == 0
    )
    repeat = json.loads((again / "ablation.json").read_text())["variants"]
    for name in ("global", "hali_m5"):
        assert (
            repeat[name]["test"] == rows[name]["test"]
            and repeat[name]["validation"] == rows[name]["validation"]
        )

    # a run of seed 1 missing: --aggregate-only trains nothing and reports seed 0 alone, marked partial
    next((out / ".work").glob("*/seed1/hali.json")).unlink()
    assert main([*args, "--threads", "1", "--no-progress", "--aggregate-only"]) == 0
    partial = json.loads((out / "ablation.json").read_text())
    assert partial["seeds"] == [0] and "seeds [1] were not finished" in partial["run"]["partial"]
    assert (
        partial["variants"]["hali"]["test"]["zsl_top1"]["per_seed"]
        == rows["hali"]["test"]["zsl_top1"]["per_seed"][:1]
    )


def test_ablation_rejects_unknown_variant(tmp_path, capsys):
    assert main(["ablate", "--smoke", "--out", str(tmp_path), "--variants", "nope"]) == 1
    assert "unknown ['nope']" in capsys.readouterr().err


def test_smoke_says_plumbing_only_and_quick_is_an_alias(tmp_path, capsys):
    assert main(["ablate", "--quick", "--out", str(tmp_path), "--variants", "nope"]) == 1
    assert "checks the plumbing only" in capsys.readouterr().out


def test_resume_refuses_a_run_made_with_other_settings(tmp_path, tiny_bert):
    from dataclasses import asdict, replace

    from lexsign_hf.synth.ablation import SMOKE, AblationSettings, _load_run

    settings = AblationSettings(**SMOKE, out=tmp_path)
    entry = {"recipe_key": "other", "variant": asdict(VARIANTS["global"])}
    path = tmp_path / "global.json"
    path.write_text(json.dumps(entry))
    with pytest.raises(ValueError, match="made with other settings"):
        _load_run(path, "abc", "global")
    path.write_text(json.dumps({**entry, "recipe_key": "abc"}))
    assert _load_run(path, "abc", "global")["recipe_key"] == "abc"
    with pytest.raises(ValueError, match="made with other settings"):
        _load_run(path, "abc", "hali")  # another variant's definition
    assert settings.recipe() != replace(settings, duplicate_negatives="keep").recipe()


@pytest.mark.slow
def test_islr_and_baseline_ablations_pair_their_rows(tmp_path, tiny_bert):
    common = ["--smoke", "--text-model", tiny_bert, "--cache-dir", str(tmp_path / "cache"), "--threads", "1"]
    assert main(["ablate", *common, "--out", str(tmp_path / "islr"), "--task", "islr", "--no-progress"]) == 0
    islr = json.loads((tmp_path / "islr" / "ablation.json").read_text())
    assert list(islr["variants"]) == ["ce", "ce_global", "ce_hali"] and islr["config"]["task"] == "islr"
    rows = islr["variants"]
    for name in ("ce_global", "ce_hali"):
        expected = np.subtract(
            rows[name]["test_seen"]["pi_top1"]["per_seed"], rows["ce"]["test_seen"]["pi_top1"]["per_seed"]
        )
        np.testing.assert_allclose(rows[name]["delta_vs_ce"]["test_seen_pi_top1"]["per_seed"], expected)
    assert islr["chance_top1"] == pytest.approx(100 / 8)  # 8 seen classes in the smoke build
    out = tmp_path / "baselines"
    args = [
        "ablate",
        *common,
        "--out",
        str(out),
        "--baselines",
        "--variants",
        "lle",
        "lle_fg_hc",
        "--no-progress",
    ]
    assert main(args) == 0
    rows = json.loads((out / "ablation.json").read_text())["variants"]
    assert rows["lle"]["global_loss"] == "lle" and rows["lle_fg_hc"]["w_hc"] == 1.0
    assert "delta_vs_without_fg_hc" in rows["lle_fg_hc"] and "delta_vs_global" not in rows["lle_fg_hc"]


def test_islr_variants_are_not_mixed_with_zero_shot_ones(tmp_path, capsys):
    assert main(["ablate", "--smoke", "--out", str(tmp_path), "--variants", "ce", "global"]) == 1
    assert "cannot be mixed" in capsys.readouterr().err

"""LexSign-Bench runner, controls, resumable cache, answer parsing and report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lexsign_hf.bench.baselines import ScoringAnswerer
from lexsign_hf.bench.prompts import load_templates
from lexsign_hf.bench.report import write_report
from lexsign_hf.bench.runner import MLLMAnswerer, load_bench, read_answers, run_bench, sample_videos
from lexsign_hf.bench.store import read_key, score_records
from lexsign_hf.cli import main
from lexsign_hf.mllm import RandomBackend
from lexsign_hf.mllm.testing import cached_tiny_checkpoint, write_test_clips

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WLASL = DATA / "wlasl" / "WLASL_v0.3.json"
ASL_LEX = DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
needs_data = pytest.mark.skipif(
    not (WLASL.is_file() and ASL_LEX.is_file()), reason="../shared/data not available"
)


class CountingRandomBackend(RandomBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0

    def generate(self, requests, progress=False):
        self.calls += len(requests)
        return super().generate(requests, progress)


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    if not (WLASL.is_file() and ASL_LEX.is_file()):
        pytest.skip("../shared/data not available")
    out = tmp_path_factory.mktemp("bench") / "bench"
    code = main(
        [
            "bench",
            "build",
            "--wlasl",
            str(WLASL),
            "--asl-lex",
            str(ASL_LEX),
            "--out",
            str(out),
            "--per-type",
            "3",
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def bench(bench_dir):
    return load_bench(bench_dir).to_list()


def test_templates_file_and_hash(tmp_path):
    default = load_templates()
    prompt = default.render("subunit", "original", ["one", "two", "three", "four"])
    assert "A) one\nB) two\nC) three\nD) four" in prompt and "{options}" not in prompt
    assert "\nA) w\nB) x" in default.render("gloss", "simple", list("wxyz"))
    custom = tmp_path / "mine.yaml"
    text = Path(default.source).read_text()
    custom.write_text(text.replace("Answer with the letter only (A, B, C or D).", "Letter only!"))
    assert load_templates(custom).hash != default.hash
    custom.write_text("subunit: {original: 'no placeholder'}\n")
    with pytest.raises(ValueError, match=r"subunit\.original"):
        load_templates(custom)


@needs_data
def test_end_to_end_tiny_qwen2_5_vl(bench_dir, bench, tmp_path):
    video_ids = sample_videos(bench, 3, seed=0)  # what --limit 3 asks: one video of each of three types
    assert len({r["iconicity_type"] for r in bench if r["video_id"] in video_ids}) == 3
    videos = tmp_path / "videos"
    write_test_clips(videos, video_ids[:2], num_frames=12)  # the third video is missing on purpose
    model = cached_tiny_checkpoint("qwen2_5_vl")
    results = tmp_path / "results"
    args = [
        "bench",
        "run",
        "--bench",
        str(bench_dir),
        "--backend",
        f"transformers:{model}",
        "--videos",
        str(videos),
    ]
    args += ["--out", str(results), "--limit", "3", "--prompt-variant", "original", "--max-new-tokens", "3"]
    assert main(args + ["--device", "cpu", "--batch-size", "4"]) == 0
    records, corrupt = read_answers(results / "answers.jsonl")
    assert corrupt == 0 and len(records) == 4  # 2 videos x 2 levels
    assert {r["level"] for r in records.values()} == {"subunit", "gloss"}
    assert all(
        r["usage"]["prompt_tokens"] > 0 and r["backend"] == "transformers:qwen2_5_vl"
        for r in records.values()
    )
    run = json.loads((results / "run.json").read_text())
    assert run["runs"]["original|none"]["missing_videos"] == [video_ids[2]]
    assert run["runs"]["original|none"]["frame_policy"]["max_frames"] == 16
    assert run["runs"]["original|none"]["partial"] and run["runs"]["original|none"]["limit"] == 3
    assert run["templates_hash"] == load_templates().hash

    report = tmp_path / "report"
    assert main(["bench", "report", str(results), "--out", str(report)]) == 0
    data = json.loads((report / "report.json").read_text())
    result = data["runs"][0]["results"]["original|none"]
    assert {"accuracy", "AVG(S)", "AVG(G)", "AVG", "invalid_rate", "answered", "missing_videos"} <= set(
        result
    )
    assert set(result["accuracy"]["subunit"]) == {"AR", "PE", "PA", "BO", "AVG"}
    assert result["answered"] == 4 and result["missing_videos"] == 1
    assert "| results (partial) | original | none |" in (report / "report.md").read_text()
    assert (report / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_blind_control_random_backend_near_chance(bench, tmp_path):
    backend = CountingRandomBackend(seed=0)
    summary = run_bench(
        bench, MLLMAnswerer(backend), tmp_path / "blind", variants=("original", "simple"), control="blind"
    )
    assert summary.asked == 2 * len(bench) >= 400 and summary.invalid == 0 and not summary.missing_videos
    records, _ = read_answers(tmp_path / "blind" / "answers.jsonl")
    scored, stale = score_records(records.values(), read_key(tmp_path / "blind"))
    assert stale == 0 and len(scored) == len(records)
    accuracy = np.mean([r["correct"] for r in scored])
    assert abs(accuracy - 0.25) < 0.05
    paths = write_report([tmp_path / "blind"], tmp_path / "report")
    report = json.loads(paths["json"].read_text())["runs"][0]["results"]
    assert set(report) == {"original|blind", "simple|blind", "mean|blind"}
    assert abs(report["mean|blind"]["AVG"] - 25.0) < 6.0


def test_resume_makes_no_new_calls_and_repairs_corrupt_lines(bench, tmp_path, caplog):
    out = tmp_path / "run"
    first = CountingRandomBackend()
    run_bench(bench[:40], MLLMAnswerer(first), out, control="blind", chunk_size=7)
    assert first.calls == 40
    again = CountingRandomBackend()
    summary = run_bench(bench[:40], MLLMAnswerer(again), out, control="blind")
    assert again.calls == 0 and summary.cached == 40 and summary.asked == 0

    answers = out / "answers.jsonl"
    lines = answers.read_text().splitlines()
    lines[3] = lines[3][:25]  # a line cut by an interrupted write
    answers.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:10])  # and a truncated last line
    repaired = CountingRandomBackend()
    summary = run_bench(bench[:40], MLLMAnswerer(repaired), out, control="blind")
    assert summary.corrupt_cache_lines == 2 and repaired.calls == 2
    assert "unreadable cache line" in caplog.text
    records, corrupt = read_answers(answers)
    assert len(records) == 40 and corrupt == 2


def test_missing_videos_are_skipped_and_counted(bench, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    backend = CountingRandomBackend()
    summary = run_bench(bench[:10], MLLMAnswerer(backend), tmp_path / "out", videos=videos)
    assert summary.asked == 0 and backend.calls == 0
    assert len(summary.missing_videos) == len({r["video_id"] for r in bench[:10]})
    with pytest.raises(ValueError, match="needs a videos folder"):
        run_bench(bench[:10], MLLMAnswerer(backend), tmp_path / "out2", control="temporal")


def test_temporal_control_perturbs_frames_and_spatial_uses_other_folder(bench, tmp_path):
    ids = list(dict.fromkeys(r["video_id"] for r in bench))[:2]
    write_test_clips(tmp_path / "videos", ids, num_frames=8)
    write_test_clips(tmp_path / "perturbed", ids[:1], num_frames=8)
    backend = CountingRandomBackend()
    rows = [r for r in bench if r["video_id"] in ids]
    run_bench(
        rows,
        MLLMAnswerer(backend),
        tmp_path / "out",
        videos=tmp_path / "videos",
        control="temporal",
        seed=5,
    )
    assert backend.frame_policy.temporal_perturbation == pytest.approx(0.2) and backend.frame_policy.seed == 5
    # RGB clips under the spatial control come only from the perturbed folder, never from --videos
    with pytest.raises(ValueError, match="never"):
        run_bench(
            rows,
            MLLMAnswerer(backend),
            tmp_path / "out",
            videos=tmp_path / "videos",
            control="spatial",
            perturbed_videos=tmp_path / "videos",
        )
    summary = run_bench(
        rows, MLLMAnswerer(backend), tmp_path / "out", videos=tmp_path / "videos", control="spatial"
    )
    assert summary.asked == 0 and summary.missing_videos == sorted(ids)
    summary = run_bench(
        rows,
        MLLMAnswerer(backend),
        tmp_path / "out",
        videos=tmp_path / "videos",
        control="spatial",
        perturbed_videos=tmp_path / "perturbed",
    )
    assert backend.frame_policy.temporal_perturbation == 0.0  # the temporal perturbation does not leak
    asked = [r for r in rows if r["video_id"] == ids[0]]
    assert summary.asked == len(asked) and summary.missing_videos == [ids[1]]
    assert backend.calls == len(rows) + len(asked)
    records, _ = read_answers(tmp_path / "out" / "answers.jsonl")
    assert {r["control"] for r in records.values()} == {"temporal", "spatial"}


def test_results_folder_belongs_to_one_backend_and_template_set(bench, tmp_path):
    run_bench(bench[:4], MLLMAnswerer(RandomBackend(seed=1)), tmp_path / "out", control="blind")
    with pytest.raises(ValueError, match="random:2"):
        run_bench(bench[:4], MLLMAnswerer(RandomBackend(seed=2)), tmp_path / "out", control="blind")
    custom = tmp_path / "t.yaml"
    custom.write_text(Path(load_templates().source).read_text().replace("nothing else", "no more"))
    assert load_templates(custom).hash != load_templates().hash
    with pytest.raises(ValueError, match="templates_hash"):
        run_bench(
            bench[:4],
            MLLMAnswerer(RandomBackend(seed=1), load_templates(custom)),
            tmp_path / "out",
            control="blind",
        )


def test_scoring_baseline_answers_by_best_option(bench, tmp_path):
    """A conventional model (here: one that scores the option naming the true gloss highest) via a callable."""

    def oracle(items):
        return np.array(
            [[float(g == item.question["gloss"]) for g in item.question["option_glosses"]] for item in items]
        )

    poses = tmp_path / "poses"
    poses.mkdir()
    for video_id in {r["video_id"] for r in bench[:30]}:
        (poses / f"{video_id}.pose").write_bytes(b"")
    answerer = ScoringAnswerer("oracle", {"gloss": oracle})
    summary = run_bench(bench, answerer, tmp_path / "out", videos=poses, variants=("scores",))
    records, _ = read_answers(tmp_path / "out" / "answers.jsonl")
    scored, _ = score_records(records.values(), read_key(tmp_path / "out"))
    assert summary.asked == len(scored) > 0 and all(r["correct"] and r["level"] == "gloss" for r in scored)


def test_hali_baselines_answer_from_pose_files(bench, tmp_path, shared_data, minilm_path, tiny_hali_config):
    """ZSSLR (description similarity) and ISLR (class scores) HALI checkpoints answer via `.pose` files."""
    import shutil

    from lexsign_hf.bench.baselines import hali_class_scorer, hali_description_scorer
    from lexsign_hf.models.hali import HALIForSignClassification, HALIModel, HALIProcessor

    pose_file = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs" / "essen.pose"
    ids = list(dict.fromkeys(r["video_id"] for r in bench))[:3]
    rows = [r for r in bench if r["video_id"] in ids]
    (tmp_path / "poses").mkdir()
    for video_id in ids[:2]:
        shutil.copy(pose_file, tmp_path / "poses" / f"{video_id}.pose")
    processor = HALIProcessor.from_text_pretrained(minilm_path, max_frames=16)
    HALIModel(tiny_hali_config).save_pretrained(tmp_path / "zsslr")
    processor.save_pretrained(tmp_path / "zsslr")
    glosses = sorted({g for r in rows for g in r["option_glosses"]})
    tiny_hali_config.num_labels = len(glosses)
    tiny_hali_config.id2label = dict(enumerate(glosses))
    tiny_hali_config.label2id = {g: i for i, g in enumerate(glosses)}
    HALIForSignClassification(tiny_hali_config).save_pretrained(tmp_path / "islr")
    processor.save_pretrained(tmp_path / "islr")

    answerer = ScoringAnswerer(
        "hali",
        {
            "subunit": hali_description_scorer(tmp_path / "zsslr", "cpu"),
            "gloss": hali_class_scorer(tmp_path / "islr", "cpu"),
        },
    )
    summary = run_bench(rows, answerer, tmp_path / "out", videos=tmp_path / "poses", variants=("scores",))
    records, _ = read_answers(tmp_path / "out" / "answers.jsonl")
    assert summary.asked == len(records) == 4 and summary.missing_videos == [ids[2]]
    assert all(r["prediction"] in "ABCD" and len(r["response"].split()) == 4 for r in records.values())

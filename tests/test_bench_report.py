"""Reports that say what they average: counts, settings, Wilson intervals, refused means (issue 23.2)."""

from __future__ import annotations

import json
import re

import pytest

from lexsign_hf.bench.report import summarize_folder, wilson_interval, write_report
from lexsign_hf.bench.runner import MLLMAnswerer, run_bench
from lexsign_hf.cli import main
from lexsign_hf.data.hub_layout import write_dataset_folder
from lexsign_hf.mllm import FramePolicy, OpenAIBackend, RandomBackend
from lexsign_hf.mllm.testing import ChatCompletionsStub

TYPES = ("Arbitrary", "Perceptual", "Pantomimic", "Both")
GLOSSES = ["book", "chair", "drink", "have"]


def _questions(per_cell=6):
    rows = []
    for level in ("subunit", "gloss"):
        for t, kind in enumerate(TYPES):
            for i in range(per_cell):
                video = f"{t}{i:02d}"
                answer = "ABCD"[(t + i) % 4]
                rows.append(
                    {
                        "question_id": f"{video}-{level}",
                        "video_id": video,
                        "gloss": GLOSSES["ABCD".index(answer)],
                        "iconicity_type": kind,
                        "level": level,
                        "options": [f"{g} ({level})" for g in GLOSSES],
                        "answer": answer,
                    }
                )
    return rows


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (Wilson score, no continuity correction)
    [
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
    ],
)
def test_wilson_interval_matches_textbook_and_scipy(k, n, expected):
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(expected[0], abs=6e-5) and high == pytest.approx(expected[1], abs=6e-5)
    stats = pytest.importorskip("scipy.stats")
    reference = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-12)
    assert wilson_interval(0, 0) is None


def test_mixed_frame_settings_refuse_to_average_and_show_each_setting(tmp_path):
    rows, out = _questions(), tmp_path / "out"
    open_policy = RandomBackend(seed=0)
    open_policy.frame_policy = FramePolicy.open_model()
    run_bench(
        rows, MLLMAnswerer(open_policy), out, variants=("original", "simple", "complex"), control="blind"
    )
    report = summarize_folder(out)["results"]
    assert "refused" not in report["mean|blind"] and report["mean|blind"]["answered"] == len(rows)
    closed = RandomBackend(seed=0)
    closed.frame_policy = FramePolicy.closed_model()
    run_bench(rows, MLLMAnswerer(closed), out, variants=("simple",), control="blind")  # one variant rerun
    report = summarize_folder(out)["results"]
    assert "frame_policy" in report["mean|blind"]["refused"] and "AVG" not in report["mean|blind"]
    assert report["original|blind"]["frames"] == "16 central frames @ 5 fps"
    assert report["simple|blind"]["frames"] == "all frames @ 10 fps"
    paths = write_report([out], tmp_path / "report")
    markdown = paths["markdown"].read_text()
    assert "16 central frames @ 5 fps" in markdown and "all frames @ 10 fps" in markdown
    assert "no mean over ['original', 'simple', 'complex']: settings differ in frame_policy" in markdown
    assert "| out | mean |" not in markdown


class FlakyEndpoint:
    """Answers "A"; every other simple gloss prompt fails (HTTP 500); complex prompts get a hedged reply."""

    def __init__(self):
        self.simple_gloss = 0

    def __call__(self, body):
        content = body["messages"][-1]["content"]
        prompt = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
        if prompt.startswith("Which English word"):
            self.simple_gloss += 1
            if self.simple_gloss % 2:
                return 500, "overloaded"
        return 200, "I'm not sure, maybe A" if "five parameters" in prompt else "The answer is A."


def test_failures_and_invalid_replies_per_variant(tmp_path):
    rows, out = _questions(), tmp_path / "out"
    with ChatCompletionsStub(FlakyEndpoint()) as stub:
        backend = OpenAIBackend("stub", base_url=stub.url, max_retries=0)
        summary = run_bench(
            rows, MLLMAnswerer(backend), out, variants=("original", "simple", "complex"), control="blind"
        )
    gloss_questions = len(rows) // 2
    assert summary.failed_by_variant == {"original": 0, "simple": gloss_questions // 2, "complex": 0}
    report = summarize_folder(out)["results"]
    original, simple, complex_ = (report[f"{v}|blind"] for v in ("original", "simple", "complex"))
    assert [r["failed"] for r in (original, simple, complex_)] == [0, gloss_questions // 2, 0]
    assert original["asked"] == simple["asked"] == len(rows)
    assert simple["answered"] == len(rows) - gloss_questions // 2 and original["answered"] == len(rows)
    right = sum(r["answer"] == "A" for r in rows)
    assert original["all"]["correct"] == right and original["invalid"] == 0
    assert original["all"]["accuracy"] == pytest.approx(100 * right / len(rows))
    low, high = wilson_interval(right, len(rows))
    assert original["all"]["ci95"] == pytest.approx([100 * low, 100 * high])
    # complex: every reply hedged -> invalid: 0 % counted as wrong, no accuracy once excluded
    assert complex_["invalid"] == len(rows) and complex_["all"]["accuracy"] == 0.0
    assert complex_["invalid_at_budget"] == 0  # hedged, not cut off: the stub's replies are 5 words
    assert complex_["all_valid"]["n"] == 0 and complex_["all_valid"]["accuracy"] is None
    assert complex_["accuracy"]["gloss"]["AR"] == 0.0 and complex_["accuracy_valid"]["gloss"]["AR"] is None
    mean = report["mean|blind"]
    assert (
        "answered different questions" in mean["refused"] and "simple 36, complex 48 of 48" in mean["refused"]
    )
    paths = write_report([out], tmp_path / "report")
    markdown = paths["markdown"].read_text()
    assert "| Failed |" in markdown
    assert re.search(r"\| out \| simple \| blind \| [^|]+ \| 8 \| 48 \| 36 \| 0 \(0\) \| 12 \|", markdown)
    data = json.loads(paths["json"].read_text())["runs"][0]["results"]
    assert data["simple|blind"]["failed"] == 12 and data["original|blind"]["failed"] == 0
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_paper_protocol_is_one_command(tmp_path, capsys):
    from huggingface_hub import DatasetCard

    from lexsign_hf.bench.builder import BENCH_FEATURES

    rows = [
        {**row, "distractors": "random:random", "option_glosses": GLOSSES, "asl_lex_entry": "", "signer_id": 0,
         "wlasl_split": "test", "frame_start": 1, "frame_end": -1, "url": ""}
        for row in _questions(2)
    ]  # fmt: skip
    bench = write_dataset_folder(
        tmp_path / "bench",
        {"bench": {"test": rows}},
        BENCH_FEATURES,
        DatasetCard("---\n---\n"),
        default_config="bench",
    )
    with ChatCompletionsStub(lambda body: (200, "<think>hmm</think> Answer: A")) as stub:
        code = main(
            ["bench", "paper", "--bench", str(bench), "--backend", f"openai:stub@{stub.url}", "--control", "blind",
             "--out", str(tmp_path / "run")]
        )  # fmt: skip
        assert len(stub.bodies) == 3 * len(rows)
    assert code == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "run" / "report" / "report.json").read_text())["runs"][0]["results"]
    mean = report["mean|blind"]
    assert mean["variants"] == ["original", "simple", "complex"]
    expected = sum(r["answer"] == "A" for r in rows) / len(rows) * 100
    assert mean["AVG"] == pytest.approx(expected) and f"AVG {expected:.1f} %" in out
    assert mean["settings"]["max_new_tokens"] == [16, 8, 48]


def test_plot_shows_n_intervals_and_partial_runs(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.container import BarContainer, ErrorbarContainer

    from lexsign_hf.bench.plot import figure

    rows = _questions()
    run_bench(
        rows,
        MLLMAnswerer(RandomBackend()),
        tmp_path / "full",
        variants=("original", "simple"),
        control="blind",
    )
    run_bench(rows, MLLMAnswerer(RandomBackend()), tmp_path / "part", control="blind", limit=4)
    report = {"runs": [summarize_folder(tmp_path / "full"), summarize_folder(tmp_path / "part")]}
    chart = figure(report)
    axis = chart.axes[0]  # subunit level
    texts = [t.get_text() for t in axis.texts]
    full = report["runs"][0]["results"]["original|blind"]["accuracy_detail"]["subunit"]
    assert f"n={full['AR']['n']}" in texts and f"n={full['all']['n']}" in texts
    errorbars = [c for c in axis.containers if isinstance(c, ErrorbarContainer)]
    assert len(errorbars) == 3  # one per variant run, each bar with its Wilson interval
    bars = [c for c in axis.containers if isinstance(c, BarContainer)]
    assert [bool(c.patches[0].get_hatch()) for c in bars] == [
        False,
        False,
        True,
    ]  # the --limit run is hatched
    assert any("PARTIAL" in t.get_text() for t in chart.legends[0].get_texts())
    assert any("mean over variants" in t.get_text() for t in chart.legends[0].get_texts())
    plt.close(chart)


def test_invalid_replies_that_used_the_whole_budget_are_counted(tmp_path):
    rows, out = _questions(2), tmp_path / "out"
    with ChatCompletionsStub(lambda body: (200, "Let me look at the handshape first")) as stub:
        backend = OpenAIBackend("stub", base_url=stub.url, max_retries=0)
        run_bench(rows, MLLMAnswerer(backend, max_new_tokens=5), out, control="blind")
        assert {body.get("max_tokens") or body.get("max_completion_tokens") for body in stub.bodies} == {5}
    result = summarize_folder(out)["results"]["original|blind"]
    assert result["invalid"] == result["invalid_at_budget"] == len(rows)
    assert result["settings"]["max_new_tokens"] == 5

"""AGP: perceive → summarize end to end with tiny local models and with an OpenAI-compatible stub endpoint."""

from __future__ import annotations

import json

import pytest

from lexsign_hf.agp.answers import clean_answer
from lexsign_hf.agp.pipeline import RecordStore, perceive, summarize
from lexsign_hf.agp.prompts import ExamplePool, PromptTemplate, describe_template, summarize_template
from lexsign_hf.agp.videos import match_videos, read_index_csv
from lexsign_hf.cli import main
from lexsign_hf.data.descriptions import DescriptionBank, read_description_file
from lexsign_hf.mllm import OpenAIBackend
from lexsign_hf.mllm.testing import ChatCompletionsStub, cached_tiny_checkpoint, write_test_clips
from lexsign_hf.mllm.video import FramePolicy

LONG_ANSWER = " ".join(
    ["Open hand, palm facing down, in front of the chest; move the hand in a small circle."] * 5
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Three generated clips: two of "book", one of "drink" (a gloss with a single video), and their index."""
    root = tmp_path_factory.mktemp("agp")
    write_test_clips(root / "videos", ["b1", "b2", "d1"], num_frames=12, size=64)
    (root / "index.csv").write_text(
        "gloss,video_id\nbook,b1\nbook,b2\ndrink,d1\nbook,b_missing\n", encoding="utf-8"
    )
    return root


def _text(body: dict) -> str:
    content = body["messages"][-1]["content"]
    return content if isinstance(content, str) else content[-1]["text"]


def test_answer_policy_is_pinned():
    assert clean_answer('Entry: "5 hand, palm facing in, at the chin; tap twice."').text == (
        "5 hand, palm facing in, at the chin; tap twice."
    )
    assert clean_answer("  \n ").reason == "empty" and clean_answer("**Entry:**").text is None
    assert clean_answer("5 hand, palm in, at the chin; tap tw", hit_token_limit=True).reason == "cut_off"
    cut = clean_answer("5 hand, palm in, at the chin; tap tw", hit_token_limit=True, keep_cut_off=True)
    assert (cut.text, cut.flags) == ("5 hand, palm in, at the chin.", ["truncated"])
    unfinished = clean_answer("5 hand palm in at the chin tap", hit_token_limit=True, keep_cut_off=True)
    assert (unfinished.text, unfinished.flags) == ("5 hand palm in at the chin tap", ["truncated_unfinished"])
    trimmed = clean_answer(LONG_ANSWER, max_words=50)
    assert (
        trimmed.flags == ["over_limit_trimmed"] and trimmed.words <= 50 and trimmed.text.endswith("circle.")
    )
    hard = clean_answer(" ".join(["word"] * 60), max_words=50)
    assert hard.flags == ["over_limit_cut"] and hard.words == 50 and hard.text.endswith("word.")


def test_prompts_follow_the_paper_and_record_their_version(tmp_path):
    pool = ExamplePool.from_spec("builtin")
    prompt = describe_template().render(
        examples=pool.for_gloss("book"), max_words=50, language_name="ASL", gloss="x"
    )
    assert "lexicographer" in prompt and "at most 50 words" in prompt and "palm facing in" in prompt
    assert len(pool.for_gloss("book")) == 3 and not any("like a book" in e for e in pool.for_gloss("book"))
    summary = summarize_template().render(examples=pool.for_gloss(), descriptions=["d one", "d two"], max_words=50,
                                          language_name="ASL", gloss="x")  # fmt: skip
    assert "1. d one\n2. d two" in summary and "most of them" in summary

    custom = tmp_path / "my-prompt.jinja"
    custom.write_text("Describe it in {{ max_words }} words. {{ examples | join(' ') }}", encoding="utf-8")
    template = describe_template(custom)
    assert (
        template.version == f"my-prompt@{template.sha256[:12]}"
        and template.version != describe_template().version
    )
    custom.write_text("{{ unknown_variable }}", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown variable"):
        describe_template(custom).render(examples=[], max_words=50)
    custom.write_text("{% for x in %}", encoding="utf-8")
    with pytest.raises(ValueError, match="my-prompt.jinja: Jinja2 syntax error"):
        describe_template(custom)


def test_examples_from_phonology(shared_data):
    pool = ExamplePool.from_spec(f"phon:{shared_data / 'asl-lex' / 'asllex2_signdata-11-5-20.csv'}", seed=1)
    examples = pool.for_gloss("book")
    assert len(examples) == 3 and all(text.endswith(".") for text in examples)
    assert (
        pool.sha256
        == ExamplePool.from_spec(
            f"phon:{shared_data / 'asl-lex' / 'asllex2_signdata-11-5-20.csv'}", seed=1
        ).sha256
    )


def test_perceive_and_summarize_with_local_models(clips, tmp_path):
    vl, lm = cached_tiny_checkpoint("qwen2_5_vl"), cached_tiny_checkpoint("causal_lm")
    out = tmp_path / "agp.jsonl"
    perceive_args = [
        "agp", "perceive", "--model", f"transformers:{vl}", "--device", "cpu", "--batch-size", "3",
        "--index", str(clips / "index.csv"), "--videos", str(clips / "videos"), "--out", str(out),
        "--max-new-tokens", "12", "--fps", "25", "--max-frames", "8", "--min-words", "1", "--keep-cut-off",
    ]  # fmt: skip
    summarize_args = [
        "agp", "summarize", "--model", f"text:{lm}", "--device", "cpu", "--per-video", str(out),
        "--instances", "3", "--max-new-tokens", "12", "--min-words", "1", "--keep-cut-off",
    ]  # fmt: skip
    assert main(perceive_args) == 0
    assert main(summarize_args) == 0

    records = read_description_file(out, source="agp")
    videos = [r for r in records if r.provenance["kind"] == "video"]
    summaries = [r for r in records if r.provenance["kind"] == "summary"]
    assert sorted((r.gloss, r.provenance["video_id"]) for r in videos) == [
        ("book", "b1"),
        ("book", "b2"),
        ("drink", "d1"),
    ]
    assert sorted(r.gloss for r in summaries) == ["book", "drink"]
    for record in records:
        provenance = record.provenance
        assert record.text and record.fragments and provenance["words"] <= 50
        assert provenance["prompt_sha256"] and provenance["examples"] == "builtin" and provenance["usage"]
    assert {r.provenance["model"] for r in videos} == {"transformers:qwen2_5_vl"}
    assert videos[0].provenance["prompt_version"] == describe_template().version
    assert videos[0].provenance["frame_policy"] == {"fps": 25.0, "max_frames": 8, "central": True}
    book, drink = sorted(summaries, key=lambda r: r.gloss)
    assert (
        book.provenance["instance_ids"] == ["b1", "b2"]
        and book.provenance["perceive_model"] == "transformers:qwen2_5_vl"
    )
    assert drink.provenance["instance_ids"] == ["d1"] and "fewer_instances" in drink.provenance["flags"]
    assert (
        book.provenance["model"] == "text:causal_lm"
        and book.provenance["prompt_version"] == summarize_template().version
    )

    usage = json.loads((tmp_path / "agp.perceive-usage.json").read_text())
    assert (
        usage["written"] == 3 and usage["usage"]["requests"] == 3 and usage["usage"]["completion_tokens"] > 0
    )
    # The paper's sampling: per-video and summary descriptions of a gloss are all candidates at training time.
    assert len(DescriptionBank.from_files([out]).records("book", source="agp")) == 3

    before = out.read_text()
    assert main(perceive_args) == 0 and main(summarize_args) == 0  # rerun: nothing to do
    assert out.read_text() == before
    rerun = json.loads((tmp_path / "agp.perceive-usage.json").read_text())
    assert rerun["written"] == 0 and rerun["skipped_done"] == 3 and rerun["usage"]["requests"] == 0


def _endpoint(body: dict, empty_greedy: list[bool]) -> tuple[int, str]:
    prompt = _text(body)
    if "Descriptions of the sign:" in prompt:
        return 200, "Summary: B hand, palm facing in, in front of the chest; move forward twice."
    frames = [part for part in body["messages"][-1]["content"] if part["type"] == "image_url"]
    assert frames and frames[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    if empty_greedy[0] and body["temperature"] == 0:
        return 200, ""  # an empty answer: the pipeline retries it with sampling
    if body["temperature"] > 0:
        return 200, "B hand, palm facing in, in front of the chest; move forward twice."
    return 200, LONG_ANSWER


def test_perceive_and_summarize_with_an_openai_compatible_endpoint(clips, tmp_path):
    videos, counts = match_videos(read_index_csv(clips / "index.csv"), clips / "videos")
    assert counts["missing_video"] == 1 and len(videos) == 3
    out = tmp_path / "agp.jsonl"
    prices = {"input_per_1k": 0.5, "output_per_1k": 1.5}
    empty_greedy = [False]
    with ChatCompletionsStub(lambda body: _endpoint(body, empty_greedy)) as server:
        backend = OpenAIBackend(
            "stub-vlm", base_url=server.url, max_retries=0, frame_policy=FramePolicy(None, 4)
        )
        first = perceive(videos[2:], backend, out, progress=False, prices=prices)
        empty_greedy[0] = True  # from now on greedy answers come back empty: retried with sampling
        report = perceive(videos, backend, out, progress=False, prices=prices)
        text_backend = OpenAIBackend("stub-llm", base_url=server.url, max_retries=0)
        summary = summarize(out, text_backend, instances=2, progress=False)
        requests_so_far = len(server.bodies)
        again = perceive(videos, backend, out, progress=False)
        summarize(out, text_backend, instances=2, progress=False)
        assert len(server.bodies) == requests_so_far and again.written == 0 and again.skipped_done == 3

    assert first.written == 1 and first.flags == {"over_limit_trimmed": 1}
    assert first.cost_usd == pytest.approx(100 / 1000 * 0.5 + len(LONG_ANSWER.split()) / 1000 * 1.5)
    assert report.skipped_done == 1 and report.written == 2 and report.retried == 2 and not report.failed
    records = {(r.gloss, r.provenance.get("video_id", "summary")): r for r in read_description_file(out)}
    drink = records[("drink", "d1")]
    assert drink.provenance["flags"] == ["over_limit_trimmed"] and drink.provenance["words"] <= 50
    assert drink.provenance["model"] == "openai:stub-vlm"
    assert records[("book", "b1")].provenance["attempts"] == 2
    assert (
        records[("book", "b1")].text == "B hand, palm facing in, in front of the chest; move forward twice."
    )
    assert summary.written == 2 and summary.flags["fewer_instances"] == 1
    book_summary = records[("book", "summary")]
    assert book_summary.text == "B hand, palm facing in, in front of the chest; move forward twice."
    assert (
        book_summary.provenance["instance_ids"] == ["b1", "b2"]
        and book_summary.provenance["model"] == "openai:stub-llm"
    )


def test_failed_requests_and_interrupted_writes_are_redone(clips, tmp_path):
    videos, _ = match_videos(read_index_csv(clips / "index.csv"), clips / "videos")
    out = tmp_path / "agp.jsonl"
    healthy = [True]

    def flaky(body):
        return (200, "C hand at the mouth; tilt toward the mouth.") if healthy[0] else (503, "overloaded")

    with ChatCompletionsStub(flaky) as server:
        backend = OpenAIBackend(
            "stub-vlm", base_url=server.url, max_retries=0, frame_policy=FramePolicy(None, 4)
        )
        healthy[0] = False
        failed = perceive(videos, backend, out, progress=False)
        assert failed.written == 0 and len(failed.failed) == 3 and "HTTP 503" in failed.failed[0]["reason"]
        healthy[0] = True
        perceive(videos[:2], backend, out, progress=False)
        with out.open("a", encoding="utf-8") as handle:  # a crash in the middle of writing a record
            handle.write('{"gloss": "drink", "language": "asl", "sou')
        assert len(RecordStore(out).records()) == 2  # the broken tail is dropped
        resumed = perceive(videos, backend, out, progress=False)
    assert (resumed.written, resumed.skipped_done) == (1, 2)
    assert [r.provenance["video_id"] for r in read_description_file(out)] == ["b1", "b2", "d1"]


def test_summarize_without_per_video_descriptions_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `lexsign agp perceive`"):
        summarize(tmp_path / "none.jsonl", OpenAIBackend("x", base_url="http://127.0.0.1:9/v1"))
    assert main(["agp", "summarize", "--model", "openai:x@http://127.0.0.1:9/v1", "--per-video",
                 str(tmp_path / "none.jsonl")]) == 1  # fmt: skip
    template = PromptTemplate("{{ descriptions | length }}", "t")
    assert template.render(descriptions=[1, 2]) == "2"

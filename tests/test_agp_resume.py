"""AGP resume: a rerun with any setting that changes a reply is refused (or redone on request), and replies
that are not a description are retried, then recorded as failed — against an OpenAI-compatible server on
127.0.0.1."""

from __future__ import annotations

import json

import pytest

from lexsign_hf.agp.answers import clean_answer
from lexsign_hf.agp.pipeline import ReplyPolicy, perceive, summarize
from lexsign_hf.agp.store import SettingsChanged
from lexsign_hf.agp.videos import match_videos, read_index_csv
from lexsign_hf.cli import main
from lexsign_hf.data.descriptions import DescriptionRecord, read_description_file
from lexsign_hf.mllm import OpenAIBackend
from lexsign_hf.mllm.testing import ChatCompletionsStub, write_test_clips
from lexsign_hf.mllm.video import FramePolicy


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Four 12-frame clips with WLASL spans (b2 spans the whole file) and an example-description file."""
    root = tmp_path_factory.mktemp("agp-resume")
    write_test_clips(root / "videos", ["b1", "b2", "b3", "d1"], num_frames=12, size=32)
    (root / "index.csv").write_text(
        "gloss,video_id,frame_start,frame_end\nbook,b1,2,10\nbook,b2,1,-1\nbook,b3,3,12\ndrink,d1,2,9\n",
        encoding="utf-8",
    )
    examples = [
        DescriptionRecord(gloss, "asl", "phon", f"{hand} hand, palm down, in neutral space; move it forward.")
        for gloss, hand in [("cat", "F"), ("dog", "B"), ("milk", "S"), ("home", "O"), ("tree", "5")]
    ]
    (root / "examples.jsonl").write_text("".join(json.dumps(r.to_dict()) + "\n" for r in examples))
    (root / "my-prompt.jinja").write_text("Describe the sign in at most {{ max_words }} words.")
    return root


def _frames(body: dict) -> int:
    return sum(part["type"] == "image_url" for part in body["messages"][-1]["content"])


def _describe(body: dict) -> tuple[int, str]:
    """A description whose wording depends on how many frames the model was shown."""
    content = body["messages"][-1]["content"]
    if isinstance(content, list) and "Descriptions of the sign:" not in content[-1]["text"]:
        return (
            200,
            f"B hand, palm facing in, in front of the chest; move forward over {_frames(body)} frames.",
        )
    return 200, "B hand, palm facing in, in front of the chest; move forward twice."


def _perceive_args(clips, url: str, out, *extra: str) -> list[str]:
    return [
        "agp", "perceive", "--model", f"openai:stub-vlm@{url}", "--max-retries", "0",
        "--index", str(clips / "index.csv"), "--videos", str(clips / "videos"), "--out", str(out), *extra,
    ]  # fmt: skip


CHANGES = [
    (["--fps", "5"], "--fps: was 10.0, now 5.0"),
    (["--max-frames", "4"], "--max-frames: was none, now 4"),
    (["--max-words", "30"], "--max-words: was 50, now 30"),
    (["--max-new-tokens", "100"], "--max-new-tokens: was 160, now 100"),
    (["--no-trim"], "clip span (--no-trim): was [2, 10], now whole file"),
    (["--examples", "EXAMPLES"], "--examples: was builtin@"),
    (["--template", "TEMPLATE"], "--template: was agp-describe@"),
    (["--language", "csl"], "--language: was asl, now csl"),
]


@pytest.mark.parametrize(("change", "expected"), CHANGES, ids=[change[0] for change, _ in CHANGES])
def test_a_changed_setting_is_refused_with_one_line(clips, tmp_path, capsys, change, expected):
    out = tmp_path / "agp.jsonl"
    change = [{"EXAMPLES": str(clips / "examples.jsonl"), "TEMPLATE": str(clips / "my-prompt.jinja")}.get(a, a)
              for a in change]  # fmt: skip
    with ChatCompletionsStub(_describe) as server:
        assert main(_perceive_args(clips, server.url, out)) == 0
        before, asked = out.read_text(), len(server.bodies)
        assert main(_perceive_args(clips, server.url, out)) == 0  # same settings: nothing to do
        capsys.readouterr()
        assert main(_perceive_args(clips, server.url, out, *change)) == 1
        assert len(server.bodies) == asked  # nothing was asked
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and expected in error and "--redo-changed" in error, error
    if change != ["--no-trim"]:
        assert "4 perceive record(s)" in error
    else:  # b2 spans the whole file either way: only the three trimmed clips are refused
        assert "3 perceive record(s)" in error
    assert out.read_text() == before


def test_redo_changed_sets_old_records_aside(clips, tmp_path, capsys):
    out = tmp_path / "agp.jsonl"
    with ChatCompletionsStub(_describe) as server:
        assert main(_perceive_args(clips, server.url, out)) == 0
        assert main(_perceive_args(clips, server.url, out, "--max-frames", "3", "--redo-changed")) == 0
        assert "4 redone (other settings)" in capsys.readouterr().out
        asked = len(server.bodies)
        # Done with these settings: nothing is asked.
        assert main(_perceive_args(clips, server.url, out, "--max-frames", "3")) == 0
        assert len(server.bodies) == asked
        capsys.readouterr()
        assert main(_perceive_args(clips, server.url, out)) == 1  # back to the old settings: refused again
        assert "--max-frames: was 3, now none" in capsys.readouterr().err
        # Another model is another identity, not a changed setting: its descriptions go next to the others'.
        other = _perceive_args(clips, server.url, out)
        other[other.index(f"openai:stub-vlm@{server.url}")] = f"openai:other-vlm@{server.url}"
        assert main(other) == 0 and "4 written" in capsys.readouterr().out
    by_model = {}
    for record in read_description_file(out):
        by_model.setdefault(record.provenance["model"], []).append(record)
    assert sorted(by_model) == ["openai:other-vlm", "openai:stub-vlm"]
    records = by_model["openai:stub-vlm"]
    assert len(records) == 4 and {r.provenance["settings"]["max_frames"] for r in records} == {3}
    assert all(r.text.endswith("over 3 frames.") for r in records)
    old = read_description_file(tmp_path / "agp.superseded.jsonl")
    assert len(old) == 4 and {r.provenance["settings"]["max_frames"] for r in old} == {None}

    legacy = records[0].to_dict()  # a record written before settings were stored
    legacy["provenance"].pop("settings")
    out.write_text(json.dumps(legacy) + "\n")
    with ChatCompletionsStub(_describe) as server:
        assert main(_perceive_args(clips, server.url, out, "--max-frames", "3")) == 1
    assert "--fps: was unrecorded, now 10.0" in capsys.readouterr().err


def test_summaries_are_keyed_by_seed_and_by_their_inputs(clips, tmp_path):
    videos, _ = match_videos(read_index_csv(clips / "index.csv"), clips / "videos")
    out = tmp_path / "agp.jsonl"
    with ChatCompletionsStub(_describe) as server:
        vlm = OpenAIBackend("stub-vlm", base_url=server.url, max_retries=0)
        llm = OpenAIBackend("stub-llm", base_url=server.url, max_retries=0)
        perceive(videos, vlm, out, progress=False)
        assert summarize(out, llm, instances=2, seed=0, progress=False).written == 2
        assert summarize(out, llm, instances=2, seed=0, progress=False).skipped_done == 2
        with pytest.raises(SettingsChanged, match=r"2 summarize record\(s\).*--seed: was 0, now 1"):
            summarize(out, llm, instances=2, seed=1, progress=False)
        with pytest.raises(SettingsChanged, match="--max-words: was 50, now 40"):
            summarize(out, llm, instances=2, reply=ReplyPolicy(max_words=40), progress=False)
        # The per-video descriptions are redone with other frames: every summary made from them is stale.
        vlm.frame_policy = FramePolicy(fps=None, max_frames=5)
        assert perceive(videos, vlm, out, redo_changed=True, progress=False).redone == 4
        with pytest.raises(
            SettingsChanged, match="per-video descriptions: was [0-9a-f]{12}, now [0-9a-f]{12}"
        ):
            summarize(out, llm, instances=2, progress=False)
        redone = summarize(out, llm, instances=2, redo_changed=True, progress=False)
    assert (redone.redone, redone.written) == (2, 2)
    kinds = [r.provenance["kind"] for r in read_description_file(out)]
    assert sorted(kinds) == ["summary"] * 2 + ["video"] * 4


REPLIES = [  # (greedy reply, retried reply) -> reason it is not a description, or None: written
    (("A", "B."), "bare_letter"),
    (("Answer: (C)", "Option D"), "bare_letter"),
    (("Tap chin.", "Tap it twice."), "too_short"),
    (
        ("I'm sorry, I cannot identify signs from a video.", "Sorry, I can't help with that request."),
        "refusal",
    ),
    (("B hand, palm facing in, in front of the chest; move forw",) * 2, "cut_off"),
    (("A", "B hand, palm facing in, at the chin; tap the chin twice."), None),
]


@pytest.mark.parametrize(("replies", "reason"), REPLIES, ids=[r or "written" for _, r in REPLIES])
def test_replies_that_are_not_descriptions_are_retried_then_failed(clips, tmp_path, replies, reason):
    videos, _ = match_videos(read_index_csv(clips / "index.csv"), clips / "videos")
    queue = list(replies)

    def scripted(body):  # a cut-off reply comes with finish_reason "length", as OpenAI-compatible servers say
        text = queue.pop(0)
        return 200, text, "length" if text.endswith("forw") else "stop"

    out = tmp_path / "agp.jsonl"
    with ChatCompletionsStub(scripted) as server:
        backend = OpenAIBackend("stub-vlm", base_url=server.url, max_retries=0)
        report = perceive(videos[:1], backend, out, progress=False)
        assert [body["temperature"] for body in server.bodies] == [0.0, 0.7]
    usage = json.loads((tmp_path / "agp.perceive-usage.json").read_text())
    if reason is None:
        assert report.written == 1 and not report.failed
        assert read_description_file(out)[0].provenance["attempts"] == 2
        return
    assert report.written == 0 and not read_description_file(out) if out.exists() else report.written == 0
    assert usage["failed"] == [
        {"item": "book/b1", "reason": f"not a description ({reason}) after 2 attempt(s)", "reply": replies[1]}
    ]
    assert usage["flags"] == {f"rejected_{reason}": 1}
    with ChatCompletionsStub(_describe) as server:  # a rerun asks the failed item again
        again = perceive(videos[:1], OpenAIBackend("stub-vlm", base_url=server.url), out, progress=False)
    assert again.written == 1 and again.skipped_done == 0


@pytest.mark.parametrize(
    ("reply", "hit_limit", "reason"),
    [
        ("B", False, "bare_letter"),
        ("**b)**", False, "bare_letter"),
        ("As an AI, I cannot see the video.", False, "refusal"),
        ("Unfortunately, I am unable to view videos.", False, "refusal"),
        ("Flat hand.", False, "too_short"),
        ("5 hand, palm facing left, thumb tip at the chin; tap the chin twice", True, "cut_off"),
        ("A hand, palm facing in, at the chin; tap twice.", True, None),  # used the budget but finished
        ("A hand, palm facing in, at the chin; tap twice.", False, None),
        ("5 hand, palm facing left, thumb tip at the chin; tap the chin twice", False, None),
    ],
)
def test_what_is_not_a_description(reply, hit_limit, reason):
    answer = clean_answer(reply, hit_token_limit=hit_limit)
    assert answer.reason == reason and (answer.text is None) == (reason is not None)

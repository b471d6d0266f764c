"""LexSign-Bench from skeletons: `.pose` inputs rendered for a tiny local Qwen2.5-VL, kill-and-rerun, cache keys."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lexsign_hf.bench.runner import MLLMAnswerer, load_bench, read_answers, run_bench, sample_videos
from lexsign_hf.cli import main
from lexsign_hf.mllm import FramePolicy, RandomBackend
from lexsign_hf.mllm.testing import cached_tiny_checkpoint

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WLASL = DATA / "wlasl" / "WLASL_v0.3.json"
ASL_LEX = DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
POSES = DATA / "pose-samples"
pytestmark = pytest.mark.skipif(
    not (WLASL.is_file() and ASL_LEX.is_file() and POSES.is_dir()), reason="../shared/data not available"
)


class Counting(RandomBackend):
    def __init__(self, frame_policy: FramePolicy | None = None):
        super().__init__(seed=0)
        self.frame_policy = frame_policy or self.frame_policy
        self.videos: list[Path] = []

    def generate(self, requests, progress=False):
        self.videos += [Path(r.video) for r in requests if r.video is not None]
        return super().generate(requests, progress)


@pytest.fixture(scope="module")
def bench_and_poses(tmp_path_factory):
    root = tmp_path_factory.mktemp("posebench")
    assert (
        main(["bench", "build", "--wlasl", str(WLASL), "--asl-lex", str(ASL_LEX), "--out", str(root / "b")])
        == 0
    )
    bench = load_bench(root / "b").to_list()
    ids = sample_videos(bench, 3, seed=0)
    poses = root / "poses"
    poses.mkdir()
    # two layouts (reduced holistic 178, OpenPose 137) and one corrupt file
    shutil.copy(POSES / "spoken-to-signed-dummy-lexicon-dsgs" / "pizza.pose", poses / f"{ids[0]}.pose")
    shutil.copy(POSES / "pose-format-tests" / "openpose.pose", poses / f"{ids[1]}.pose")
    (poses / f"{ids[2]}.pose").write_bytes(b"not a pose file")
    return root / "b", [r for r in bench if r["video_id"] in ids], ids, poses


def test_tiny_qwen_on_pose_files_kill_and_rerun(bench_and_poses, tmp_path):
    from lexsign_hf.mllm import TransformersBackend

    bench_dir, rows, ids, poses = bench_and_poses
    rows = [{**r, "frame_start": 1, "frame_end": -1} for r in rows]  # the sample poses are whole signs
    backend = TransformersBackend(cached_tiny_checkpoint("qwen2_5_vl"), device="cpu", batch_size=1)
    generate, asked = backend.generate, []

    def killed_after_two(requests, progress=False):
        if len(asked) >= 2:
            raise KeyboardInterrupt  # a kill while the third request is in flight
        asked.extend(r.request_id for r in requests)
        return generate(requests, progress)

    backend.generate = killed_after_two
    out = tmp_path / "qwen"
    with pytest.raises(KeyboardInterrupt):
        run_bench(rows, MLLMAnswerer(backend, max_new_tokens=3), out, videos=poses, chunk_size=1)
    records, corrupt = read_answers(out / "answers.jsonl")
    assert len(records) == 2 and corrupt == 0  # both finished answers are on disk
    assert len(list((out / "rendered").glob("*.mp4"))) >= 1  # .pose rendered (cached) to skeleton videos

    backend.generate = lambda requests, progress=False: (
        asked.extend(r.request_id for r in requests) or generate(requests, progress)
    )
    summary = run_bench(rows, MLLMAnswerer(backend, max_new_tokens=3), out, videos=poses, chunk_size=1)
    # the rerun asks only the unanswered questions of the two readable videos; the corrupt one is counted
    assert summary.cached == 2 and summary.asked == 2 and len(asked) == 4
    assert summary.undecodable_videos == [ids[2]] and summary.failed == 2
    records, _ = read_answers(out / "answers.jsonl")
    assert {r["question_id"] for r in records.values()} == {
        r["question_id"] for r in rows if r["video_id"] != ids[2]
    }
    assert all(r["usage"]["prompt_tokens"] > 0 for r in records.values())
    run = json.loads((out / "run.json").read_text())["runs"]["original|none"]
    assert run["undecodable_videos"] == [ids[2]] and not run["partial"]


def test_no_answer_reused_across_frame_policy_seed_or_control(bench_and_poses, tmp_path):
    _, rows, ids, poses = bench_and_poses
    rows = [r for r in rows if r["video_id"] != ids[2]]
    out = tmp_path / "random"

    def run(policy=None, seed=0, control="none"):
        backend = Counting(frame_policy=policy)
        summary = run_bench(rows, MLLMAnswerer(backend), out, videos=poses, seed=seed, control=control)
        return summary, backend

    first, plain = run()
    assert first.asked == len(rows) and all(p.suffix == ".mp4" for p in plain.videos)
    again, backend = run()
    assert again.asked == 0 and again.cached == len(rows) and not backend.videos
    for changed in ({"policy": FramePolicy.closed_model()}, {"seed": 1}, {"control": "temporal"}):
        summary, backend = run(**changed)
        assert summary.asked == len(rows) and summary.cached == 0, changed
    spatial, backend = run(control="spatial")
    assert spatial.asked == len(rows)  # .pose inputs are re-rendered with another body: a real perturbation
    assert backend.videos and not {p.name for p in backend.videos} & {p.name for p in plain.videos}
    records, _ = read_answers(out / "answers.jsonl")
    assert len(records) == 5 * len(rows)
    assert len({r["condition"] for r in records.values()}) == 5


def test_limit_spreads_over_types_and_cli_pose_render(bench_and_poses, tmp_path):
    bench_dir, _, _, _ = bench_and_poses
    bench = load_bench(bench_dir).to_list()
    chosen = sample_videos(bench, 8, seed=3)
    kinds = [next(r["iconicity_type"] for r in bench if r["video_id"] == v) for v in chosen]
    assert len(chosen) == 8 and all(kinds.count(k) == 2 for k in set(kinds)) and len(set(kinds)) == 4

    import av

    out = tmp_path / "pizza.mp4"
    assert (
        main(
            [
                "pose",
                "render",
                str(POSES / "spoken-to-signed-dummy-lexicon-dsgs" / "pizza.pose"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert float(stream.average_rate) == pytest.approx(24.0) and frames == 53

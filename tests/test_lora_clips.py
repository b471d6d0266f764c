"""LoRA data and resume: every clip decoded over its span before training (broken ones skipped, spans past the
end clamped, all counted in the adapter card), and an interrupted run resumed from its checkpoint as if it had
never stopped — a tiny random Qwen2.5-VL with the real processor classes, on CPU."""

from __future__ import annotations

import dataclasses
import json
import re

import av
import datasets
import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoProcessor, TrainerCallback

from lexsign_hf.agp.prompts import ExamplePool, describe_template
from lexsign_hf.data.hub_layout import write_dataset_folder
from lexsign_hf.finetune import (
    DescriptionPairs,
    LoraFinetuneConfig,
    VideoChatCollator,
    collect_examples,
    finetune_lora,
    load_description_bank,
    load_index_rows,
)
from lexsign_hf.finetune.data import check_clip
from lexsign_hf.mllm.testing import cached_tiny_checkpoint, write_test_clips
from lexsign_hf.mllm.video import FramePolicy, probe_video, read_video

# gloss: (video_id, frame_start, frame_end, what the clip is)
CLIPS = {
    "book": ("v_book", 1, -1, "good, whole file"),
    "drink": ("v_drink", 5, 40, "span runs past the 12th (last) frame"),
    "tree": ("v_tree", 30, 40, "span starts after the last frame"),
    "milk": ("v_corrupt", 1, -1, "garbage in the middle of the stream"),
    "home": ("v_trunc", 1, -1, "file cut off after its 20th frame"),
}


def _faststart(source, target):
    """Remux `source` with the index (moov) first, so that a truncated copy still opens and decodes its start."""
    with (
        av.open(str(source)) as src,
        av.open(str(target), "w", format="mp4", options={"movflags": "faststart"}) as dst,
    ):
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("lora-clips")
    videos = root / "videos"
    write_test_clips(videos, ["v_book", "v_drink", "v_tree"], num_frames=12, size=32)
    [long] = write_test_clips(root / "long", ["long"], num_frames=40, size=32, seed=1)
    _faststart(long, root / "long" / "fast.mp4")
    data = (root / "long" / "fast.mp4").read_bytes()
    with av.open(str(root / "long" / "fast.mp4")) as container:
        packets = [(packet.pos, packet.size) for packet in container.demux(video=0) if packet.pos is not None]
    corrupt = bytearray(
        data
    )  # garbage over packets 10 to 30: the first frames decode, then the decoder fails
    start, end = packets[10][0], packets[30][0]
    corrupt[start:end] = np.random.default_rng(0).bytes(end - start)
    (videos / "v_corrupt.mp4").write_bytes(bytes(corrupt))
    (videos / "v_trunc.mp4").write_bytes(data[: sum(packets[19])])  # cut right after the 20th packet

    features = datasets.Features(
        {name: datasets.Value("string") for name in ("gloss", "video_id")}
        | {name: datasets.Value("int32") for name in ("frame_start", "frame_end")}
    )
    rows = [
        {"gloss": gloss, "video_id": video_id, "frame_start": first, "frame_end": last}
        for gloss, (video_id, first, last, _) in CLIPS.items()
    ]
    write_dataset_folder(root / "dataset", {"asl1000": {"train": rows}}, features, "# t")
    records = [
        {"gloss": gloss, "source": "mcp", "text": f"{hand} hand, palm down, in front of the chest; move it forward.",
         "book": "Test Dictionary", "page": 3, "position": k}
        for k, (gloss, hand) in enumerate(zip(CLIPS, "BCFSO", strict=True))
    ] + [{"gloss": "book", "source": "phon", "text": "Both flat hands, palms together; open them like a book."}]  # fmt: skip
    (root / "descriptions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return root


def test_every_clip_is_decoded_over_its_span_before_training(workspace):
    root = workspace
    videos = root / "videos"
    # What used to stop a run: the span past the end decodes nothing (step 0), the corrupt clip's first frame
    # decodes (so a first-frame probe passed it) but the rest does not (step 3).
    with pytest.raises(ValueError, match="no frames decoded"):
        read_video(videos / "v_tree.mp4", span=(30, 40))
    with pytest.raises(ValueError, match="cannot decode"):
        read_video(videos / "v_corrupt.mp4")
    assert probe_video(videos / "v_corrupt.mp4") is None
    assert check_clip(videos / "v_book.mp4").frames == check_clip(videos / "v_book.mp4", (1, 12)).frames == 12
    truncated = check_clip(videos / "v_trunc.mp4")
    assert (
        truncated.problem.endswith("of the 40 frames its header declares (truncated)")
        and truncated.frames < 40
    )

    bank = load_description_bank(files=[root / "descriptions.jsonl"])
    rows = load_index_rows(root / "dataset", "asl1000")
    examples, counts = collect_examples(rows, list(CLIPS), videos, bank)
    assert {e.video_id: e.span for e in examples} == {"v_book": None, "v_drink": (5, 12), "v_tree": None}
    assert (counts["examples"], counts["undecodable_video"], counts["span_clamped"], counts["span_past_end"]) == (
        3, 2, 1, 1
    )  # fmt: skip
    reasons = {clip["video_id"]: clip["reason"] for clip in counts["skipped"]}
    assert "(truncated)" in reasons["v_trunc"]
    assert re.search(r"cannot decode video \S+v_corrupt.mp4 after [1-9]\d* frame", reasons["v_corrupt"])
    assert counts["clamped"] == [
        {"video_id": "v_drink", "note": "span_clamped", "span": [5, 40], "used": [5, 12], "frames": 12},
        {"video_id": "v_tree", "note": "span_past_end", "span": [30, 40], "used": None, "frames": 12},
    ]
    # Every kept clip now encodes: 8 frames of the clamped span, 12 of the whole clip.
    processor = AutoProcessor.from_pretrained(str(cached_tiny_checkpoint("qwen2_5_vl")))
    pairs = DescriptionPairs(examples, bank, describe_template(), ExamplePool.from_spec("builtin"))
    batch = VideoChatCollator(processor, FramePolicy(fps=None, max_frames=None))([pairs[i] for i in range(3)])
    assert batch["video_grid_thw"][:, 0].tolist() == [6, 4, 6]  # frames / temporal patch 2


class _Interrupt(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 3:
            raise KeyboardInterrupt


def _losses(run_dir):
    state = json.loads((run_dir / "checkpoints" / "checkpoint-4" / "trainer_state.json").read_text())
    return [(entry["step"], entry["loss"]) for entry in state["log_history"] if "loss" in entry]


@pytest.mark.slow  # three short trainings (interrupted, resumed, uninterrupted): ~30 s on 2 CPU cores
def test_an_interrupted_run_resumes_from_its_checkpoint(workspace, tmp_path):
    root = workspace
    config = LoraFinetuneConfig(
        model=str(cached_tiny_checkpoint("qwen2_5_vl")), dataset=str(root / "dataset"),
        videos_dir=str(root / "videos"), output_dir=str(tmp_path / "run"), exclude_config=None,
        description_files=[str(root / "descriptions.jsonl")], max_frames=4, max_steps=4, save_steps=2,
        gradient_accumulation_steps=1, learning_rate=0.02, lora_r=4, lora_alpha=8, logging_steps=1,
    )  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        finetune_lora(config, callbacks=[_Interrupt()])
    run = tmp_path / "run"
    assert (run / "checkpoints" / "checkpoint-2").is_dir() and not (run / "adapter").exists()
    with pytest.raises(ValueError, match=r"other settings \(learning_rate: was 0.02, now 0.01\)"):
        finetune_lora(dataclasses.replace(config, learning_rate=0.01))

    resumed = finetune_lora(config)  # the same command again: resumes at step 2, the bad clips stay out
    metadata = json.loads((resumed.adapter_dir / "lexsign_finetune.json").read_text())
    assert metadata["resumed_from"] == "checkpoint-2" and metadata["data_counts"]["undecodable_video"] == 2
    card = (resumed.adapter_dir / "README.md").read_text()
    assert (
        "2 that do not decode over their span" in card and "1 span(s) ran past the clip's last frame" in card
    )
    assert (
        "- `v_trunc`: " in card and "- `v_drink`: span [5, 40] of a 12-frame clip, trained on [5, 12]" in card
    )
    assert "| resumed from | `checkpoint-2` (an interrupted run" in card

    straight = finetune_lora(dataclasses.replace(config, output_dir=str(tmp_path / "straight")))
    assert [step for step, _ in _losses(run)] == [1, 2, 3, 4]
    assert np.allclose(
        [loss for _, loss in _losses(run)], [loss for _, loss in _losses(tmp_path / "straight")]
    )
    tuned, reference = (
        load_file(result.adapter_dir / "adapter_model.safetensors") for result in (resumed, straight)
    )
    assert tuned.keys() == reference.keys()
    assert all(torch.allclose(tuned[key], reference[key], atol=1e-6) for key in tuned)

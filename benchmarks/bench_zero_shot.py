"""Zero-shot inference: latency to rank one pose sequence against V cached descriptions, and batch throughput.

`HALIZeroShotClassifier` (MiniLM text tower, default skeleton tower) encodes the vocabulary once with
`set_vocabulary`; each query then runs the processor, the skeleton tower and `HALIModel.score` against the cached
embeddings. The first `encoded_descriptions` texts are encoded for real and their embeddings tiled up to V (the
cost of a query does not depend on the values; encoding time is `bench_text.py`'s subject). Measured for
`inference_similarity="global"` and `"hali"` (mean of global, snippet–fragment and subunit–fragment scores), with
all the process's cores as torch threads and with one thread (what a loaded, shared machine favours).
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import time
from typing import Any

import numpy as np
import torch

from lexsign_hf.models.hali import HALIConfig, HALIModel, HALIProcessor, HALIZeroShotClassifier
from lexsign_hf.models.hali.modeling_hali import HALITextFeatures

# Each run: torch threads ("all": every core of the process), similarities, vocabulary sizes, and whether the
# batch throughput is measured (against TARGET_VOCAB descriptions).
BOTH = ("global", "hali")
SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {"runs": [(1, BOTH, [100, 2000], True)], "queries": 10, "encoded_descriptions": 16,
             "throughput_batches": [8], "throughput_repeats": 2, "text_tower": "tiny"},
    "quick": {"runs": [("all", BOTH, [100, 2000, 10000], True), (1, ("global",), [2000], False)], "queries": 30,
              "encoded_descriptions": 100, "throughput_batches": [1, 32], "throughput_repeats": 3,
              "text_tower": "minilm"},
    "full": {"runs": [("all", BOTH, [100, 2000, 10000], True), (1, BOTH, [100, 2000, 10000], True)],
             "queries": 100, "encoded_descriptions": 500, "throughput_batches": [1, 8, 32, 64, 128],
             "throughput_repeats": 5, "text_tower": "minilm"},
}  # fmt: skip
FRAMES = 64
TARGET_P50_S, TARGET_VOCAB = 0.020, 2000
HALI_TARGET_P50_S, HALI_TARGET_VOCAB = 0.040, 10000  # `hali` similarity, all cores (issue 27)
TINY_TOWERS = {
    "pose_config": {"part_hidden_size": 16, "hidden_size": 32, "num_temporal_layers": 1, "num_graph_layers": 1},
    "text_config": {"vocab_size": 30522, "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                    "intermediate_size": 64},
    "projection_dim": 32,
}  # fmt: skip


def build_classifier(text_tower: str, device: str) -> HALIZeroShotClassifier:
    if text_tower == "tiny":
        model = HALIModel(HALIConfig(**TINY_TOWERS))
    else:
        model = HALIModel.from_text_pretrained(common.minilm_path())
    processor = HALIProcessor.from_text_pretrained(common.minilm_path(), max_frames=FRAMES)
    return HALIZeroShotClassifier(model.to(device), processor)


def tile_vocabulary(features: HALITextFeatures, size: int) -> HALITextFeatures:
    """The cached embeddings repeated up to `size` descriptions."""
    repeats = -(-size // features.description_embeds.shape[0])

    def tile(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.repeat(repeats, *([1] * (tensor.ndim - 1)))[:size]

    return HALITextFeatures(
        description_embeds=tile(features.description_embeds),
        fragment_embeds=tile(features.fragment_embeds),
        fragment_mask=tile(features.fragment_mask),
    )


def query_pose(poses: list[np.ndarray]) -> np.ndarray:
    """A sequence of exactly `FRAMES` frames (synthesised sequences shorter than that are skipped)."""
    for pose in poses:
        if len(pose) == FRAMES:
            return pose
    raise ValueError(f"no synthesised sequence has {FRAMES} frames")


def latency(
    classifier: HALIZeroShotClassifier, pose: np.ndarray, queries: int, device: str
) -> dict[str, Any]:
    """Per-query latency of `scores` and `classify` (one sequence), of the classifier's `score` alone on cached
    features (and of `HALIModel.score`, which it replaces: same values, checked), and of the skeleton tower with and
    without the per-part subunit streams (`global` scoring skips them)."""
    model = classifier.model
    scores = common.time_samples(lambda: classifier.scores([pose]), queries, warmup=2, device=device)
    classify = common.time_samples(
        lambda: classifier.classify([pose], top_k=5), queries, warmup=1, device=device
    )
    with torch.no_grad():
        inputs = classifier.processor(poses=[pose]).to(device)
        pose_features = model.get_pose_features(**inputs)
        score_only = common.time_samples(
            lambda: classifier.score(pose_features), queries, warmup=1, device=device
        )
        model_score = common.time_samples(
            lambda: model.score(pose_features, classifier.text_features), queries, warmup=1, device=device
        )
        difference = float(
            (classifier.score(pose_features) - model.score(pose_features, classifier.text_features))
            .abs()
            .max()
        )
        pose_tower = {
            name: common.time_samples(
                lambda include=include: model.get_pose_features(**inputs, include_subunits=include),
                queries,
                warmup=1,
                device=device,
            )
            for name, include in (("pose_full", True), ("pose_video_only", False))
        }
    samples_by_name = {
        "scores": scores, "classify": classify, "score_only": score_only, "model_score_only": model_score,
        **pose_tower,
    }  # fmt: skip
    result: dict[str, Any] = {
        name: {
            **common.summarize(samples),
            "p50_s": common.percentile(samples, 50),
            "p95_s": common.percentile(samples, 95),
        }
        for name, samples in samples_by_name.items()
    }
    result["score_max_abs_difference_to_model_score"] = difference
    return result


def throughput(
    classifier: HALIZeroShotClassifier, poses: list[np.ndarray], batch_size: int, repeats: int, device: str
) -> dict[str, Any]:
    batch = [poses[i % len(poses)] for i in range(batch_size)]
    classifier.batch_size = max(batch_size, 1)
    timing = common.time_call(lambda: classifier.scores(batch), repeats, warmup=1, device=device)
    return {"batch_size": batch_size, "time": timing, "sequences_per_s": batch_size / timing["min_s"]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = common.parse_args(__doc__.splitlines()[0], argv)
    started = time.perf_counter()
    machine = common.machine_info()
    settings = SETTINGS[args.mode]
    torch.manual_seed(0)
    default_threads = torch.get_num_threads()
    all_cores = machine["cpu_affinity"] or default_threads
    poses, texts = common.synth_signs(max(settings["encoded_descriptions"], 8), max_frames=FRAMES)
    pose = query_pose(poses)
    classifier = build_classifier(settings["text_tower"], args.device)
    encode_start = time.perf_counter()
    classifier.set_vocabulary([f"sign_{i}" for i in range(len(texts))], texts)
    encode_seconds = time.perf_counter() - encode_start
    encoded = classifier.text_features
    entries = []
    for threads, similarities, vocab_sizes, with_throughput in settings["runs"]:
        torch.set_num_threads(all_cores if threads == "all" else threads)
        for similarity in similarities:
            classifier.model.config.inference_similarity = similarity
            for size in vocab_sizes:
                classifier.labels = [f"sign_{i}" for i in range(size)]
                classifier.text_features = tile_vocabulary(encoded, size)
                classifier.batch_size = 64
                entry = {
                    "threads": torch.get_num_threads(),
                    "similarity": similarity,
                    "vocab_size": size,
                    "latency": latency(classifier, pose, settings["queries"], args.device),
                }
                if with_throughput and size == TARGET_VOCAB:
                    entry["throughput"] = [
                        throughput(classifier, poses, b, settings["throughput_repeats"], args.device)
                        for b in settings["throughput_batches"]
                    ]
                entries.append(entry)
    torch.set_num_threads(default_threads)

    rows = [
        [e["threads"], e["similarity"], e["vocab_size"]]
        + [common.fmt_ms(e["latency"][k][s]) for k in ("scores", "classify") for s in ("p50_s", "p95_s")]
        + [
            common.fmt_ms(e["latency"][k]["p50_s"])
            for k in ("score_only", "model_score_only", "pose_full", "pose_video_only")
        ]
        + [
            ("yes" if e["latency"]["scores"]["p50_s"] < TARGET_P50_S else "no")
            if e["vocab_size"] == TARGET_VOCAB
            else ""
        ]
        for e in entries
    ]
    common.print_table(
        f"Zero-shot latency, one {FRAMES}-frame sequence ({args.device}), ms",
        ["threads", "similarity", "V", "scores p50", "scores p95", "classify p50", "classify p95",
         "score() only p50", "HALIModel.score p50", "pose tower p50", "video-only p50", f"p50 < {TARGET_P50_S * 1e3:.0f} ms"],
        rows,
    )  # fmt: skip
    common.print_table(
        f"Zero-shot throughput against {TARGET_VOCAB} descriptions ({args.device})",
        ["threads", "similarity", "batch", "sequences/s", "batch ms"],
        [
            [
                e["threads"],
                e["similarity"],
                t["batch_size"],
                f"{t['sequences_per_s']:.0f}",
                common.fmt_ms(t["time"]["min_s"]),
            ]
            for e in entries
            if "throughput" in e
            for t in e["throughput"]
        ],
    )
    results = {
        "queries": entries,
        "vocabulary_encoding": {"descriptions": len(texts), "seconds": encode_seconds},
        "hali_target": [
            {"threads": e["threads"], "vocab_size": e["vocab_size"], "p50_s": e["latency"]["scores"]["p50_s"],
             "target_p50_s": HALI_TARGET_P50_S, "met": e["latency"]["scores"]["p50_s"] <= HALI_TARGET_P50_S}
            for e in entries
            if e["similarity"] == "hali" and e["vocab_size"] == HALI_TARGET_VOCAB
        ],
    }  # fmt: skip
    common.write_result(
        args.out,
        "zero_shot",
        args.mode,
        {
            **settings,
            "device": args.device,
            "frames": FRAMES,
            "default_threads": default_threads,
            "target": {"p50_s": TARGET_P50_S, "vocab_size": TARGET_VOCAB},
            "hali_target": {"p50_s": HALI_TARGET_P50_S, "vocab_size": HALI_TARGET_VOCAB},
        },
        results,
        machine,
        started,
    )
    return results


if __name__ == "__main__":
    main()

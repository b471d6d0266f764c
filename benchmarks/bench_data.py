"""Data: rows/s from a built parquet config through `load_dataset` + `HALIDataCollator` (+ `HALIProcessor`) into
batches, against the training step's consumption; build time of the metadata-only WLASL configs.

The parquet config is a small LexSign-Synth build (`lexsign_hf.synth.build_synth_dataset`: COCO-WholeBody 133
poses, 64 frames max, description lists). The loader is a `torch.utils.data.DataLoader` over the `train` split,
shuffled, with the collator, for `num_workers` 0 (the `Trainer` default, `dataloader_num_workers=0`) and 2, with
the dataset's default (Python) format and with the pose column as NumPy (`with_format("numpy", columns=["pose"],
output_all_columns=True)`). The training rate is read from `train_step.json` of the same results folder (HALI
step, fp32, same batch size); target: the loader delivers >= 5x that.
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import datasets
import torch
from torch.utils.data import DataLoader

from lexsign_hf.data.build import build_lexsign
from lexsign_hf.data.collator import HALIDataCollator
from lexsign_hf.models.hali import HALIProcessor
from lexsign_hf.synth import SynthConfig, build_synth_dataset

SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {"synth": {"num_seen": 8, "train_instances": 3}, "batch_size": 4, "workers": [0], "repeats": 1,
             "wlasl": False},
    "quick": {"synth": {"num_seen": 40, "train_instances": 6}, "batch_size": 12, "workers": [0, 2], "repeats": 2,
              "wlasl": True},
    "full": {"synth": {"num_seen": 120, "train_instances": 8}, "batch_size": 12, "workers": [0, 1, 2], "repeats": 3,
             "wlasl": True},
}  # fmt: skip
MAX_FRAMES = 64
TARGET_RATIO = 5.0
SHARED_DATA = common.REPO_ROOT.parent / "shared" / "data"


def loader_rate(
    dataset: datasets.Dataset, collator: HALIDataCollator, batch_size: int, workers: int
) -> float:
    """Rows/s of one full pass (the workers' start-up included, as in every epoch)."""
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=True, collate_fn=collator, num_workers=workers,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    rows, start = 0, time.perf_counter()
    for batch in loader:
        rows += int(batch["labels"].shape[0])
    return rows / (time.perf_counter() - start)


def training_rate(results_dir: Path, batch_size: int) -> dict[str, Any] | None:
    """Samples/s of the HALI training step (fp32, eager) from `train_step.json` next to this result."""
    path = results_dir / "train_step.json"
    if not path.is_file():
        return None
    payload = json.loads(path.read_text())
    eager = [e for e in payload["results"]["steps"] if e["precision"] == "fp32" and not e["compiled"]]
    if not eager:
        return None
    entry = next((e for e in eager if e["batch_size"] == batch_size), eager[0])
    return {
        "samples_per_s": entry["variants"]["hali"]["samples_per_s"],
        "batch_size": entry["batch_size"],
        "mode": payload["mode"],
        "device": payload["settings"]["device"],
    }


def wlasl_build(workdir: Path, repeats: int) -> dict[str, Any]:
    """Seconds to build the metadata-only WLASL configs (ZSSLR asl*, ISLR wlasl*, ASL-LEX phon descriptions)."""
    wlasl, asl_lex = SHARED_DATA / "wlasl", SHARED_DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
    if not (wlasl / "WLASL_v0.3.json").is_file():
        return {"skipped": f"WLASL index not found under {wlasl}"}
    samples, report = [], None
    for index in range(repeats):
        start = time.perf_counter()
        report = build_lexsign(
            workdir / f"lexsign_{index}",
            wlasl=wlasl,
            asl_lex=asl_lex if asl_lex.is_file() else None,
            progress=False,
        )
        samples.append(time.perf_counter() - start)
    return {
        "time": common.summarize(samples),
        "configs": report.configs,
        "rows": sum(sum(splits.values()) for splits in report.configs.values()),
        "asl_lex": asl_lex.is_file(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = common.parse_args(__doc__.splitlines()[0], argv)
    started = time.perf_counter()
    machine = common.machine_info()
    settings = SETTINGS[args.mode]
    synth_config = SynthConfig(
        num_validation=2, num_test=2, eval_instances=1, test_seen_instances=0, num_signers=8,
        max_frames=MAX_FRAMES, **settings["synth"],
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lexsign-bench-data-") as workdir:
        workdir = Path(workdir)
        start = time.perf_counter()
        folder = build_synth_dataset(workdir / "synth", synth_config, progress=False)
        build_seconds = time.perf_counter() - start
        start = time.perf_counter()
        dataset = datasets.load_dataset(str(folder), "synth", split="train", cache_dir=str(workdir / "cache"))
        load_seconds = time.perf_counter() - start
        processor = HALIProcessor.from_text_pretrained(common.minilm_path(), max_frames=MAX_FRAMES)
        collator = HALIDataCollator(processor, max_frames=MAX_FRAMES)
        formats = {
            "python": dataset,
            "numpy_pose": dataset.with_format("numpy", columns=["pose"], output_all_columns=True),
        }
        loaders = []
        for workers in settings["workers"]:
            for name, formatted in formats.items():
                rates = [
                    loader_rate(formatted, collator, settings["batch_size"], workers)
                    for _ in range(settings["repeats"])
                ]
                loaders.append(
                    {"workers": workers, "format": name, "rows_per_s": max(rates), "rows_per_s_all": rates}
                )
        collate_only = common.time_call(
            lambda: collator([formats["numpy_pose"][i] for i in range(settings["batch_size"])]),
            repeats=5 * settings["repeats"],
        )
        wlasl = (
            wlasl_build(workdir, settings["repeats"])
            if settings["wlasl"]
            else {"skipped": "not in tiny mode"}
        )

    training = training_rate(args.out, settings["batch_size"])
    for entry in loaders:
        entry["ratio_to_training"] = entry["rows_per_s"] / training["samples_per_s"] if training else None
        entry["meets_target"] = entry["ratio_to_training"] >= TARGET_RATIO if training else None
    common.print_table(
        f"Data loader, rows/s (batch {settings['batch_size']}, {len(dataset)} rows, {MAX_FRAMES} frames max)",
        ["workers", "format", "rows/s", "x training step", f">= {TARGET_RATIO:.0f}x"],
        [
            [
                e["workers"], e["format"], f"{e['rows_per_s']:.0f}",
                "-" if e["ratio_to_training"] is None else f"{e['ratio_to_training']:.1f}",
                "-" if e["meets_target"] is None else "yes" if e["meets_target"] else "no",
            ]
            for e in loaders
        ],
    )  # fmt: skip
    summary_rows = [
        ["LexSign-Synth build", f"{build_seconds:.2f} s", f"{len(dataset)} train rows"],
        ["load_dataset (parquet -> arrow)", f"{load_seconds:.2f} s", ""],
        ["collator, one batch (numpy pose)", f"{common.fmt_ms(collate_only['min_s'])} ms", ""],
    ]
    if "time" in wlasl:
        summary_rows.append(
            ["WLASL metadata configs build", f"{wlasl['time']['min_s']:.2f} s", f"{wlasl['rows']} rows"]
        )
    else:
        summary_rows.append(["WLASL metadata configs build", "skipped", wlasl["skipped"]])
    common.print_table("Build and load", ["step", "time", "size"], summary_rows)
    results = {
        "synth_build_seconds": build_seconds,
        "train_rows": len(dataset),
        "load_dataset_seconds": load_seconds,
        "collate_batch": collate_only,
        "loaders": loaders,
        "training": training,
        "wlasl_metadata_build": wlasl,
    }
    common.write_result(
        args.out,
        "data",
        args.mode,
        {
            **settings,
            "synth_config": {k: getattr(synth_config, k) for k in synth_config.__dataclass_fields__},
            "max_frames": MAX_FRAMES,
            "target_ratio": TARGET_RATIO,
            "training_rate_source": "train_step.json in the same folder (HALI, fp32, eager)",
        },
        results,
        machine,
        started,
    )
    return results


if __name__ == "__main__":
    main()

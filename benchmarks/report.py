"""Render the README's "Performance" tables from a results folder (so the quoted figures are the JSON's).

python benchmarks/report.py                       # benchmarks/results
python benchmarks/report.py benchmarks/results/full
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import common


def load(folder: Path, name: str) -> dict:
    return json.loads((folder / f"{name}.json").read_text())


def table(columns: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


def ms(seconds: float) -> str:
    return common.fmt_ms(seconds)


def machine_line(payload: dict, summary: dict) -> str:
    """The machine of one benchmark, with the load average at the start and end of the whole run."""
    machine, versions = payload["machine"], payload["versions"]
    load = summary["machine"]
    gpu = f", GPU {machine['gpu']}" if machine.get("gpu") else ", no GPU"
    return (
        f"{machine['cpu']}, {machine['cpu_count']} cores{gpu}, {machine['memory_total_bytes'] / 2**30:.0f} GiB; "
        f"torch {versions['torch']} with {machine['torch_threads']} thread(s); load average "
        f"{load['load_average_1_5_15min'][0]} at start, {load['load_average_at_end'][0]} at end "
        f"(`{summary['mode']}` mode, {summary['created'][:10]}, {summary['wall_seconds'] / 60:.1f} min in all)"
    )


def loss_section(payload: dict) -> str:
    grid, sweep = payload["results"]["grid"], payload["results"]["chunk_sweep"]
    names = ("hali_full", "hali_global", "hali_fg_subunit", "xclip_fg_subunit", "literal_fg_subunit")
    rows = []
    for entry in grid:
        v = entry["variants"]
        rows.append(
            [entry["batch"], entry["dim"], entry["fragments"]]
            + [ms(v[n]["time"]["min_s"]) if n in v else "-" for n in names]
            + [
                f"{v['xclip_fg_subunit']['time']['min_s'] / v['hali_fg_subunit']['time']['min_s']:.2f}x"
                if "xclip_fg_subunit" in v
                else "-",
                f"{v['literal_fg_subunit']['time']['min_s'] / v['hali_fg_subunit']['time']['min_s']:.0f}x"
                if "literal_fg_subunit" in v
                else "-",
                common.fmt_mib(v["hali_fg_subunit"]["memory"]["peak_delta_bytes"]),
                common.fmt_mib(v["xclip_fg_subunit"]["memory"]["peak_delta_bytes"])
                if "xclip_fg_subunit" in v
                else "-",
            ]
        )
    main = table(
        ["B", "D", "L_f", "L_HALI ms", "L_Global ms", "L_FG(u,f) ms", "x-clip FG ms", "literal FG ms",
         "x-clip / HALI FG", "literal / HALI FG", "HALI FG peak MiB", "x-clip peak MiB"],
        rows,
    )  # fmt: skip
    chunk_rows = [
        [
            entry["chunk_size"],
            ms(entry["variants"]["hali_full"]["time"]["min_s"]),
            common.fmt_mib(entry["variants"]["hali_full"]["memory"]["peak_delta_bytes"]),
            common.fmt_mib(entry["variants"]["hali_full"]["largest_intermediate_bytes"]),
        ]
        for entry in sweep
    ]
    first = sweep[0]
    chunks = table(["chunk", "L_HALI ms", "peak MiB", "largest intermediate MiB"], chunk_rows)
    return (
        f"{main}\n\nChunk size of L_HALI at B = {first['batch']}, D = {first['dim']}, L_f = {first['fragments']}:\n\n"
        f"{chunks}"
    )


def train_section(payload: dict) -> str:
    rows = []
    for entry in payload["results"]["steps"]:
        v = entry["variants"]
        rows.append(
            [
                entry["batch_size"],
                entry["precision"] + (" + compile" if entry["compiled"] else ""),
                f"{v['hali']['samples_per_s']:.1f}",
                f"{v['global_only']['samples_per_s']:.1f}",
                f"{100 * entry['hali_overhead_vs_global']:+.1f} %",
                f"{100 * entry['zero_weights_overhead_vs_global']:+.1f} %",
                common.fmt_mib(v["hali"]["memory"]["peak_bytes"]),
                f"{entry['projected_40_epochs_hours']['asl1000_train_rows']:.1f} h",
            ]
        )
    return table(
        ["B", "precision", "HALI samples/s", "L_Global-only samples/s", "HALI terms' cost", "zero weights' cost",
         "peak RSS MiB", "40 epochs ASL1000 (9,027 rows)"],
        rows,
    )  # fmt: skip


def zero_shot_section(payload: dict) -> str:
    queries = payload["results"]["queries"]
    latency = table(
        [
            "threads",
            "similarity",
            "descriptions",
            "p50 ms",
            "p95 ms",
            "of which score() ms",
            "skeleton tower ms",
            "video-only tower ms",
        ],
        [
            [
                e["threads"],
                e["similarity"],
                f"{e['vocab_size']:,}",
                ms(e["latency"]["scores"]["p50_s"]),
                ms(e["latency"]["scores"]["p95_s"]),
                ms(e["latency"]["score_only"]["p50_s"]),
                ms(e["latency"]["pose_full"]["p50_s"]) if "pose_full" in e["latency"] else "-",
                ms(e["latency"]["pose_video_only"]["p50_s"]) if "pose_video_only" in e["latency"] else "-",
            ]
            for e in queries
        ],
    )
    throughput = table(
        ["threads", "similarity", "batch", "sequences/s"],
        [
            [e["threads"], e["similarity"], t["batch_size"], f"{t['sequences_per_s']:.0f}"]
            for e in queries
            if "throughput" in e
            for t in e["throughput"]
        ],
    )
    return f"{latency}\n\nThroughput against 2,000 descriptions:\n\n{throughput}"


def data_section(payload: dict) -> str:
    results = payload["results"]
    loaders = table(
        ["workers", "pose column format", "rows/s", "x training step"],
        [
            [e["workers"], e["format"], f"{e['rows_per_s']:.0f}", f"{e['ratio_to_training']:.0f}x" if e["ratio_to_training"] else "-"]
            for e in results["loaders"]
        ],
    )  # fmt: skip
    wlasl = results["wlasl_metadata_build"]
    build = (
        f"{wlasl['time']['min_s']:.1f} s for {wlasl['rows']:,} rows in {len(wlasl['configs'])} configs"
        if "time" in wlasl
        else wlasl["skipped"]
    )
    return f"{loaders}\n\nMetadata-only WLASL build (ZSSLR + ISLR configs, ASL-LEX `phon` descriptions): {build}."


def text_section(payload: dict) -> str:
    origin = payload["results"]["descriptions"]
    rows = []
    for t in payload["results"]["towers"]:
        p = t["frozen_text_40_epochs"]
        rows.append(
            [
                t["tower"],
                f"{t['parameters'] / 1e6:.0f} M",
                f"{t['descriptions_per_s']:.0f}",
                f"{t['all_descriptions_seconds'] / 60:.1f} min" + (" *" if t["extrapolated"] else ""),
                f"{t['length_sorting_speedup']:.2f}x",
                f"{p['per_batch_encode_s'] / 3600:.1f} h",
                f"{p['cached_s'] / 60:.1f} min",
                f"{p['cache_speedup_vs_per_batch']:.0f}x",
            ]
        )
    header = (
        f"{origin['descriptions']:,} descriptions ({origin['glosses']:,} WLASL glosses x {len(origin['sources'])} "
        f"sources; {origin['asl_lex_matched_glosses']:,} glosses with ASL-LEX `phon` texts):"
    )
    return header + "\n\n" + table(
        ["text tower", "params", "descriptions/s", "all descriptions", "length-sorted batches",
         "frozen tower, 40 epochs, re-encoded per batch", "40 epochs with the cache", "cache speed-up"],
        rows,
    )  # fmt: skip


def render(folder: Path) -> str:
    sections = [
        ("Loss: forward + backward (minimum over repeats)", loss_section(load(folder, "loss"))),
        ("Training step (skeleton tower + MiniLM + loss + AdamW)", train_section(load(folder, "train_step"))),
        (
            "Zero-shot: one 64-frame sequence against cached descriptions",
            zero_shot_section(load(folder, "zero_shot")),
        ),
        ("Data loading (LexSign-Synth parquet, batch 12)", data_section(load(folder, "data"))),
        ("Text side (no grad, batches of 64)", text_section(load(folder, "text"))),
    ]
    machine = machine_line(load(folder, "loss"), load(folder, "summary"))
    body = "\n\n".join(f"#### {title}\n\n{text}" for title, text in sections)
    return f"Machine: {machine}.\n\n{body}\n"


if __name__ == "__main__":
    print(render(Path(sys.argv[1]) if len(sys.argv) > 1 else common.DEFAULT_RESULTS_DIR))

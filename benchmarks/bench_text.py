"""Text side: time to encode all descriptions of LexSign-ASL with the MiniLM and a BERT-base text tower, and what a
cache of the embeddings saves over 40 epochs when the text tower is frozen.

Descriptions: the 2,000 WLASL glosses (`../shared/data/wlasl`) x 3 sources. Glosses matched in ASL-LEX 2.0 get
`phon` descriptions (`lexsign_hf.data.phonology.describe`, one template per source); the rest get simple synthetic
descriptions of the same style and length (MCP/AGP texts need OCR / an MLLM and are not available offline).
Encoding runs through `HALIZeroShotClassifier.encode_texts` (processor + `HALIModel.get_text_features`, batches of
64, no grad): the package's cache of description embeddings. A sample of the texts is encoded and the total
extrapolated (`encoded` in the result says how many); the BERT-base tower is `BertConfig()` with random weights
(same cost as a pretrained one, nothing downloaded).

Frozen text tower, 40 epochs of the LexSign-ASL1000 train split (9,027 rows, batch 12):
- `per_batch_encode`: every step encodes its batch's descriptions again (what training does without a cache);
- `per_epoch_encode`: the whole description set is re-encoded once per epoch;
- `cached`: encoded once, then each step gathers its rows from the cached tensors (measured).
"""

from __future__ import annotations

import common  # isort: skip  (first: sets OMP_WAIT_POLICY before torch loads)

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import BertConfig

from lexsign_hf.data import phonology
from lexsign_hf.data.wlasl import read_wlasl_index
from lexsign_hf.models.hali import HALIConfig, HALIModel, HALIProcessor, HALIZeroShotClassifier
from lexsign_hf.models.hali.modeling_hali import HALITextFeatures

SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {"towers": {"minilm": 16}, "repeats": 1},
    "quick": {"towers": {"minilm": 192, "bert_base": 64}, "repeats": 1},
    "full": {"towers": {"minilm": 2048, "bert_base": 256}, "repeats": 1},
}
NUM_GLOSSES, SOURCES = 2000, ("mcp", "agp", "phon")
EPOCHS, TRAIN_ROWS, BATCH_SIZE = 40, 9027, 12
SHARED_DATA = common.REPO_ROOT.parent / "shared" / "data"
_HANDSHAPES = ("Flat hand", "5 hand", "A hand", "S hand", "1 hand", "V hand", "B hand", "bent hand", "C hand")
_PALMS = ("palm facing in", "palm facing down", "palm facing out", "palm facing up", "palm facing sideways")
_PLACES = (
    "at the chin",
    "in neutral space",
    "at the forehead",
    "at the chest",
    "beside the head",
    "at the cheek",
)
_MOVES = (
    "move forward twice",
    "tap twice",
    "move in an arc down",
    "circle once",
    "twist the wrist",
    "move outward",
)


def synthetic_description(gloss: str, rng: np.random.Generator) -> str:
    """A description in the style of the real ones for a gloss without ASL-LEX coding."""
    pick = lambda options: options[int(rng.integers(len(options)))]  # noqa: E731
    return (
        f"{pick(_HANDSHAPES)}, {pick(_PALMS)}, {pick(_PLACES)}; {pick(_MOVES)}. "
        f"The other hand, {pick(_PALMS)}, stays {pick(_PLACES)}; {pick(_MOVES)} while signing {gloss.lower()}."
    )


def lexsign_asl_descriptions(seed: int = 0) -> tuple[list[str], dict[str, Any]]:
    """All descriptions (glosses x sources) and where they came from."""
    index_path = SHARED_DATA / "wlasl" / "WLASL_v0.3.json"
    asl_lex_path = SHARED_DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
    glosses = (
        list(read_wlasl_index(index_path).glosses)[:NUM_GLOSSES]
        if index_path.is_file()
        else [f"gloss_{i:04d}" for i in range(NUM_GLOSSES)]
    )
    entries = phonology.load_asl_lex(asl_lex_path) if asl_lex_path.is_file() else {}
    rng = np.random.default_rng(seed)
    texts, matched = [], 0
    for gloss in glosses:
        entry_id = phonology.best_match(gloss, entries) if entries else None
        if entry_id is not None:
            matched += 1
            texts += [phonology.describe(entries[entry_id], template) for template in range(len(SOURCES))]
        else:
            texts += [synthetic_description(gloss, rng) for _ in SOURCES]
    origin = {
        "glosses": len(glosses),
        "sources": list(SOURCES),
        "wlasl_index": str(index_path) if index_path.is_file() else None,
        "asl_lex_matched_glosses": matched,
        "descriptions": len(texts),
    }
    return texts, origin


def text_tower(name: str) -> HALIModel:
    if name == "minilm":
        return HALIModel.from_text_pretrained(common.minilm_path())
    return HALIModel(HALIConfig(text_config=BertConfig()))


def gather(features: HALITextFeatures, rows: torch.Tensor) -> HALITextFeatures:
    """One training batch's description embeddings looked up in the cache."""
    return HALITextFeatures(
        description_embeds=features.description_embeds.index_select(0, rows),
        fragment_embeds=features.fragment_embeds.index_select(0, rows),
        fragment_mask=features.fragment_mask.index_select(0, rows),
    )


def run_tower(
    name: str, texts: list[str], sample: int, processor: HALIProcessor, repeats: int, device: str
) -> dict[str, Any]:
    model = text_tower(name).to(device)
    classifier = HALIZeroShotClassifier(model, processor)
    rng = np.random.default_rng(0)
    chosen = sorted(rng.choice(len(texts), size=min(sample, len(texts)), replace=False).tolist())
    subset = [texts[i] for i in chosen]
    tokens = processor(text=subset)["attention_mask"].sum(-1).float()
    classifier.encode_texts(subset[:8])  # first call: lazy initialisation
    timing = common.time_call(
        lambda: classifier.encode_texts(subset), repeats=repeats, warmup=0, device=device
    )
    by_length = sorted(
        subset, key=len
    )  # length-bucketed batches: less padding (order restored by a real cache)
    sorted_timing = common.time_call(
        lambda: classifier.encode_texts(by_length), repeats=repeats, warmup=0, device=device
    )
    per_text = timing["min_s"] / len(subset)
    cache = classifier.encode_texts(subset)
    rows = torch.from_numpy(rng.integers(len(subset), size=BATCH_SIZE)).to(device)
    lookup = common.time_call(lambda: gather(cache, rows), repeats=200, warmup=5, device=device)
    steps = -(-TRAIN_ROWS // BATCH_SIZE)
    all_seconds = per_text * len(texts)
    projection = {
        "per_batch_encode_s": EPOCHS * TRAIN_ROWS * per_text,
        "per_epoch_encode_s": EPOCHS * all_seconds,
        "cached_s": all_seconds + EPOCHS * steps * lookup["min_s"],
    }
    projection["cache_speedup_vs_per_batch"] = projection["per_batch_encode_s"] / projection["cached_s"]
    projection["cache_speedup_vs_per_epoch"] = projection["per_epoch_encode_s"] / projection["cached_s"]
    return {
        "tower": name,
        "parameters": sum(p.numel() for p in model.text_model.parameters()),
        "hidden_size": model.config.text_config.hidden_size,
        "layers": model.config.text_config.num_hidden_layers,
        "encoded": len(subset),
        "mean_tokens": float(tokens.mean()),
        "encode_time": timing,
        "encode_time_length_sorted": sorted_timing,
        "length_sorting_speedup": timing["min_s"] / sorted_timing["min_s"],
        "seconds_per_description": per_text,
        "descriptions_per_s": 1 / per_text,
        "all_descriptions_seconds": all_seconds,
        "extrapolated": len(subset) < len(texts),
        "cache_bytes_all_descriptions": len(texts)
        * sum(
            t[0].numel() * t.element_size()
            for t in (cache.description_embeds, cache.fragment_embeds, cache.fragment_mask)
        ),
        "lookup_per_batch": lookup,
        "frozen_text_40_epochs": projection,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = common.parse_args(__doc__.splitlines()[0], argv)
    started = time.perf_counter()
    machine = common.machine_info()
    settings = SETTINGS[args.mode]
    torch.manual_seed(0)
    texts, origin = lexsign_asl_descriptions()
    processor = HALIProcessor.from_text_pretrained(common.minilm_path())
    towers = [
        run_tower(name, texts, sample, processor, settings["repeats"], args.device)
        for name, sample in settings["towers"].items()
    ]
    common.print_table(
        f"Encoding {len(texts)} LexSign-ASL descriptions ({args.device}, batches of 64, no grad)",
        ["tower", "params (M)", "encoded", "mean tokens", "descriptions/s", "length-sorted speed-up", "all descriptions",
         "40 ep. per-batch encode", "40 ep. per-epoch encode", "40 ep. cached", "cache speed-up", "cache size MiB"],
        [
            [t["tower"], f"{t['parameters'] / 1e6:.1f}", t["encoded"], f"{t['mean_tokens']:.0f}",
             f"{t['descriptions_per_s']:.0f}", f"{t['length_sorting_speedup']:.2f}x",
             f"{t['all_descriptions_seconds']:.0f} s" + (" (extrap.)" if t["extrapolated"] else ""),
             f"{t['frozen_text_40_epochs']['per_batch_encode_s'] / 60:.0f} min",
             f"{t['frozen_text_40_epochs']['per_epoch_encode_s'] / 60:.0f} min",
             f"{t['frozen_text_40_epochs']['cached_s'] / 60:.1f} min",
             f"{t['frozen_text_40_epochs']['cache_speedup_vs_per_batch']:.0f}x",
             common.fmt_mib(t["cache_bytes_all_descriptions"])]
            for t in towers
        ],
    )  # fmt: skip
    results = {"descriptions": origin, "towers": towers}
    common.write_result(
        args.out,
        "text",
        args.mode,
        {**settings, "device": args.device, "epochs": EPOCHS, "train_rows": TRAIN_ROWS, "batch_size": BATCH_SIZE,
         "encode_batch_size": 64, "shared_data": str(Path(SHARED_DATA))},
        results,
        machine,
        started,
    )  # fmt: skip
    return results


if __name__ == "__main__":
    main()

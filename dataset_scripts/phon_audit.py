"""Audit the `phon` descriptions over every WLASL gloss matched to ASL-LEX 2.0 and write a JSON.

    python dataset_scripts/phon_audit.py --asl-lex ../shared/data/asl-lex/asllex2_signdata-11-5-20.csv \
        --wlasl ../shared/data/wlasl/WLASL_v0.3.json --out results/phon/audit.json

Counts each fault pattern of `lexsign_hf.data.phonology.audit.FAULT_PATTERNS` over all glosses x templates, the tie
groups (glosses sharing all texts) corpus-wide, and per config (ZSSLR asl1000/asl300/asl100 from the same seeded
partition as `lexsign data build`, ISLR wlasl100..wlasl2000) the tie measures of `ties_report`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lexsign_hf.data import phonology
from lexsign_hf.data.phonology.audit import describe_all, fault_counts, tie_groups, tie_kind, ties_report
from lexsign_hf.data.splits import ASL_ZSSLR, zsslr_partition
from lexsign_hf.data.wlasl import ISLR_SIZES, read_wlasl_index


def wlasl_configs(glosses: list[str], seed: int) -> dict[str, dict[str, list[str]]]:
    """Class groups of every WLASL config `lexsign data build` writes (same partition seed)."""
    partition = zsslr_partition(glosses, ASL_ZSSLR, seed)
    configs = {
        setting: {
            "seen": list(partition.seen[setting]),
            "unseen_validation": list(partition.unseen_validation),
            "unseen_test": list(partition.unseen_test),
        }
        for setting in ASL_ZSSLR.seen_sizes
    }
    configs.update({f"wlasl{size}": {"classes": glosses[:size]} for size in ISLR_SIZES})
    return configs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asl-lex", required=True, type=Path)
    parser.add_argument("--wlasl", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    entries = phonology.load_asl_lex(args.asl_lex)
    index = read_wlasl_index(args.wlasl)
    records = {}
    for gloss in index.glosses:
        entry_id = phonology.best_match(gloss, entries)
        if entry_id is not None:
            records[gloss] = entries[entry_id]
    texts = describe_all(records)
    groups = tie_groups(texts)
    result = {
        "asl_lex": str(args.asl_lex),
        "wlasl": str(args.wlasl),
        "seed": args.seed,
        "glosses": len(records),
        "templates": phonology.N_TEMPLATES,
        "faults": fault_counts(records, texts),
        "tied_glosses": sum(len(group) for group in groups),
        "tied_groups": len(groups),
        "tied_glosses_by_kind": {
            kind: sum(len(g) for g in groups if tie_kind([records[x] for x in g]) == kind)
            for kind in ("coding_identical", "na_only", "text_only")
        },
        "configs": ties_report(records, texts, wlasl_configs(list(index.glosses), args.seed)),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    faults = ", ".join(f"{name} {value['glosses']}" for name, value in result["faults"].items())
    print(f"{args.out}: {result['tied_glosses']} tied glosses; faults (glosses): {faults}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

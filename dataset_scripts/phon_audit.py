"""Audit the `phon` descriptions over every WLASL gloss matched to ASL-LEX 2.0 and write a JSON.

    python dataset_scripts/phon_audit.py --asl-lex ../shared/data/asl-lex/asllex2_signdata-11-5-20.csv \
        --wlasl ../shared/data/wlasl/WLASL_v0.3.json --out results/phon/ties.json

`--texts FILE` audits the texts in a JSON (`{gloss: [text of template 0, ...]}`, e.g. an earlier describer's
output) instead of describing the glosses; the coding is read from `--asl-lex` either way.

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
from lexsign_hf.data.phonology.audit import (
    describe_all,
    fault_counts,
    tie_groups,
    tie_kind,
    ties_report,
    wlasl_configs,
)
from lexsign_hf.data.wlasl import read_wlasl_index


def _read_texts(path: Path, records: dict) -> dict[str, tuple[str, ...]]:
    """The texts of `path` for exactly the described glosses, one per template (else a one-line error)."""
    found = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(found, dict) or set(found) != set(records):
        raise SystemExit(f"{path}: expected a JSON object with the {len(records)} described glosses as keys")
    bad = [g for g, t in found.items() if not isinstance(t, list) or len(t) != phonology.N_TEMPLATES]
    if bad:
        raise SystemExit(f"{path}: gloss {bad[0]!r}: expected a list of {phonology.N_TEMPLATES} texts")
    return {gloss: tuple(found[gloss]) for gloss in records}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asl-lex", required=True, type=Path)
    parser.add_argument("--wlasl", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--label", default="", help="what was measured (kept in the JSON), e.g. a commit")
    parser.add_argument("--texts", type=Path, help="JSON {gloss: [8 texts]} to audit instead of describing")
    args = parser.parse_args(argv)
    entries = phonology.load_asl_lex(args.asl_lex)
    index = read_wlasl_index(args.wlasl)
    records = {}
    for gloss in index.glosses:
        entry_id = phonology.best_match(gloss, entries)
        if entry_id is not None:
            records[gloss] = entries[entry_id]
    texts = describe_all(records) if args.texts is None else _read_texts(args.texts, records)
    groups = tie_groups(texts)
    result = {
        "asl_lex": str(args.asl_lex),
        "wlasl": str(args.wlasl),
        "seed": args.seed,
        "label": args.label,
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

"""Descriptions of a LexSign build: ASL-LEX ``phon`` records, description files, coverage and the
``descriptions`` config's rows."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import datasets
import numpy as np

from . import phonology
from .build_plans import ConfigPlan
from .descriptions import SOURCES, DescriptionBank, DescriptionRecord, read_description_file
from .phonology.audit import indistinguishable_summary
from .wlasl import WlaslIndex

DescriptionInput = str | os.PathLike | tuple[str | None, str | os.PathLike]


def phon_records(
    asl_lex: str | os.PathLike, index: WlaslIndex, seed: int
) -> tuple[list[DescriptionRecord], dict[str, Any]]:
    """One ``phon`` record per paraphrase template for every WLASL gloss matched to an ASL-LEX entry."""
    entries = phonology.load_asl_lex(asl_lex)
    records = []
    several = 0
    for class_id, gloss in enumerate(index.glosses):
        matches = phonology.match_wlasl_gloss(gloss, entries)
        if not matches:
            continue
        several += len(matches) > 1
        entry_id = phonology.best_match(gloss, entries)
        for template in range(phonology.N_TEMPLATES):
            rng = np.random.default_rng([seed, class_id, template])
            records.append(
                DescriptionRecord(
                    gloss=gloss,
                    language="asl",
                    source="phon",
                    text=phonology.describe(entries[entry_id], template=template, rng=rng),
                    provenance={
                        "asl_lex_entry_id": entry_id,
                        "template": template,
                        "held_out_template": template in phonology.HELD_OUT_TEMPLATES,
                    },
                )
            )
    matched = len({record.gloss for record in records})
    coverage = {
        "path": str(asl_lex),
        "entries": len(entries),
        "index_glosses": len(index.glosses),
        "matched_glosses": matched,
        "matched_percent": 100.0 * matched / len(index.glosses),
        "glosses_with_several_entries": several,
        "templates": phonology.N_TEMPLATES,
        "held_out_templates": list(phonology.HELD_OUT_TEMPLATES),
    }
    return records, coverage


def add_description_files(
    inputs: Sequence[DescriptionInput],
    banks: Mapping[str, DescriptionBank],
    known_glosses: Mapping[str, set[str]],
) -> dict[str, Any]:
    files = []
    unknown_gloss: Counter = Counter()
    duplicates = 0
    seen = {
        (record.language, record.gloss, record.source, record.text)
        for bank in banks.values()
        for record in bank.records()
    }
    for item in inputs:
        source, path = item if isinstance(item, tuple) else (None, item)
        records = read_description_file(path, source=source)
        files.append({"path": str(path), "records": len(records)})
        for record in records:
            if record.language not in banks:
                raise ValueError(
                    f"{path}: record for gloss {record.gloss!r} has language {record.language!r}; expected one of {sorted(banks)}."
                )
            key = (record.language, record.gloss, record.source, record.text)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            if known_glosses[record.language] and record.gloss not in known_glosses[record.language]:
                unknown_gloss[str(path)] += 1
            banks[record.language].add(record)
    counts = {source: {"glosses": 0, "descriptions": 0} for source in SOURCES}
    for bank in banks.values():
        for source, value in bank.counts().items():
            counts[source]["glosses"] += value["glosses"]
            counts[source]["descriptions"] += value["descriptions"]
    return {
        "files": files,
        "sources": counts,
        "duplicates_dropped": duplicates,
        "records_for_glosses_not_in_index": dict(unknown_gloss),
    }


def description_coverage(
    plans: Mapping[str, ConfigPlan], banks: Mapping[str, DescriptionBank]
) -> dict[str, Any]:
    """Per config and class group: classes with at least one description, overall and per source."""
    coverage: dict[str, Any] = {}
    for name, plan in plans.items():
        bank = banks[plan.language]
        groups = (
            {key: plan.class_metadata[key] for key in ("seen", "unseen_validation", "unseen_test")}
            if plan.kind == "zsslr"
            else {"classes": plan.classes}
        )
        coverage[name] = {
            group: {
                "classes": len(glosses),
                "any": sum(gloss in bank for gloss in glosses),
                **{source: sum(source in bank.sources_for(gloss) for gloss in glosses) for source in SOURCES},
            }
            for group, glosses in groups.items()
        }
    return coverage


def indistinguishable_classes(
    plans: Mapping[str, ConfigPlan], banks: Mapping[str, DescriptionBank]
) -> dict[str, Any]:
    """Per config and class group: the classes whose descriptions (all sources) are the same texts as another's."""
    found = {}
    for name, plan in plans.items():
        bank = banks[plan.language]
        texts = {gloss: [r.text for r in bank.records(gloss)] for gloss in plan.classes if gloss in bank}
        keys = ("seen", "unseen_validation", "unseen_test") if plan.kind == "zsslr" else ()
        groups = {key: plan.class_metadata[key] for key in keys} or {"classes": plan.classes}
        found[name] = indistinguishable_summary(texts, groups)
    return found


DESCRIPTION_FEATURES = datasets.Features(
    {
        "gloss": datasets.Value("string"),
        "language": datasets.Value("string"),
        "source": datasets.Value("string"),
        "texts": datasets.List(datasets.Value("string")),
        "fragments": datasets.List(datasets.List(datasets.Value("string"))),
        "provenance": datasets.List(datasets.Value("string")),
    }
)


def description_rows(banks: Mapping[str, DescriptionBank]) -> list[dict[str, Any]]:
    rows = []
    for language in sorted(banks):
        bank = banks[language]
        for gloss in bank.glosses:
            for source in bank.sources_for(gloss):
                records = bank.records(gloss, source)
                rows.append(
                    {
                        "gloss": gloss,
                        "language": language,
                        "source": source,
                        "texts": [record.text for record in records],
                        "fragments": [record.fragments for record in records],
                        "provenance": [
                            json.dumps(record.provenance, ensure_ascii=False, sort_keys=True)
                            for record in records
                        ],
                    }
                )
    return rows

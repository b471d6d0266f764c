"""Build LexSign-Bench: two 4-choice questions per video for glosses selected by ASL-LEX iconicity type."""

from __future__ import annotations

import csv
import json
import logging
import math
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from huggingface_hub import DatasetCard, DatasetCardData

from lexsign_hf.card_templates import card_template_path
from lexsign_hf.data.hub_layout import write_dataset_folder
from lexsign_hf.data.phonology import PhonRecord, best_match, describe, load_asl_lex
from lexsign_hf.hub.cards import size_category

from .audit import AuditResult, audit_questions, audit_table, warn_if_leaky, write_audit
from .distractors import DistractorMiner, load_confusion

logger = logging.getLogger(__name__)

ICONICITY_TYPES: tuple[str, ...] = ("Arbitrary", "Perceptual", "Pantomimic", "Both")
TYPE_ABBREVIATIONS: dict[str, str] = {"Arbitrary": "AR", "Perceptual": "PE", "Pantomimic": "PA", "Both": "BO"}
LEVELS: tuple[str, ...] = ("subunit", "gloss")
LETTERS = "ABCD"
CONFIG_NAME = "bench"
SPLIT = "test"
DESCRIPTION_TEMPLATE = 0  # one fixed `describe` wording for every option, so wording gives nothing away
CARD_TEMPLATE = "lexsign_bench.md.jinja"
SIZE_PENALTY = 1.0  # quartet pairs with unequal video counts score lower (fewer videos left out by balancing)
# Within a quartet a gloss keeps at most floor((1 + BALANCE_SLACK) x the fewest videos of an asked member): the
# gloss with most videos then holds at most (1 + s) / (4 + s) of the quartet's questions (27.7 % for s = 0.15;
# (1 + s) / (3 + s) in the few quartets completed by a gloss asked elsewhere), so a rule that picks one option
# of the shared set by a prior (most videos, most frequent, longest gloss, ...) stays near chance per question.
BALANCE_SLACK = 0.15
FREQUENCY_COLUMN = "SignFrequency(M)"

BENCH_FEATURES = datasets.Features(
    {
        "question_id": datasets.Value("string"),
        "video_id": datasets.Value("string"),
        "gloss": datasets.Value("string"),
        "iconicity_type": datasets.Value("string"),
        "level": datasets.Value("string"),
        "options": datasets.List(datasets.Value("string"), length=4),
        "answer": datasets.Value("string"),
        "distractors": datasets.Value("string"),
        "option_glosses": datasets.List(datasets.Value("string"), length=4),
        "asl_lex_entry": datasets.Value("string"),
        "signer_id": datasets.Value("int32"),
        "wlasl_split": datasets.Value("string"),
        "frame_start": datasets.Value("int32"),
        "frame_end": datasets.Value("int32"),
        "url": datasets.Value("string"),
    }
)


@dataclass
class BenchSummary:
    """What was built: the selection per type (and any shortfall), counts, letter balance and the best blind
    (text-only) chooser accuracy per level."""

    per_type: int
    seed: int
    distractors: str
    available: dict[str, int] = field(default_factory=dict)
    selected: dict[str, int] = field(default_factory=dict)
    shortfall: dict[str, int] = field(default_factory=dict)
    videos: dict[str, int] = field(default_factory=dict)
    num_glosses: int = 0
    num_videos: int = 0
    num_questions: int = 0
    answer_counts: dict[str, int] = field(default_factory=dict)
    distractor_sources: dict[str, int] = field(default_factory=dict)
    glosses: dict[str, list[str]] = field(default_factory=dict)
    without_description: int = 0
    audit_max_accuracy: dict[str, float] = field(default_factory=dict)
    audit_above_threshold: list[str] = field(default_factory=list)
    videos_left_out: dict[str, int] = field(default_factory=dict)
    distractor_similarity: float | None = None
    balance_slack: float | None = None
    priors: dict[str, dict[str, float | int | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_wlasl_index(path: str | Path) -> list[dict[str, Any]]:
    """Read the WLASL index JSON (a list of ``{"gloss": str, "instances": [...]}``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"WLASL index not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, list) or not all(
        isinstance(e, dict) and {"gloss", "instances"} <= e.keys() for e in data
    ):
        raise ValueError(f"{path}: expected the WLASL index, a list of objects with 'gloss' and 'instances'")
    for entry in data:
        for instance in entry["instances"]:
            if "video_id" not in instance:
                raise ValueError(f"{path}: an instance of gloss {entry['gloss']!r} has no 'video_id'")
    return data


def load_sign_frequency(path: str | Path) -> dict[str, float | None]:
    """ASL-LEX 2.0 mean subjective sign frequency (1-7) per EntryID; None where the CSV has none."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:  # the OSF download is ISO-8859-1
        text = path.read_text(encoding="latin-1")
    reader = csv.DictReader(text.splitlines())
    if not {"EntryID", FREQUENCY_COLUMN} <= {name.strip() for name in reader.fieldnames or []}:
        raise ValueError(f"{path}: expected ASL-LEX columns 'EntryID' and {FREQUENCY_COLUMN!r}")
    frequency: dict[str, float | None] = {}
    for row in reader:
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        try:
            value = float(row[FREQUENCY_COLUMN])
        except ValueError:
            value = None
        frequency[row["EntryID"]] = value if value is not None and math.isfinite(value) else None
    return frequency


def build_questions(
    wlasl: list[dict[str, Any]],
    entries: dict[str, PhonRecord],
    per_type: int = 75,
    distractors: str = "hard",
    confusion: dict[str, dict[str, float]] | None = None,
    seed: int = 0,
    texts: dict[str, str] | None = None,
    frequency: dict[str, float | None] | None = None,
    balance_slack: float | None = BALANCE_SLACK,
) -> tuple[list[dict[str, Any]], BenchSummary]:
    """Select glosses, mine distractors and write the question rows (in a stable order).

    `texts` gives the subunit-level option texts (default: the ASL-LEX phonological description of every
    gloss). They must share one style (`read_option_texts` takes one source), so only glosses with a text in
    `texts` are selected: a gloss described another way would stand out by its wording. With hard distractors
    the videos of each quartet are balanced (`BALANCE_SLACK`; None keeps every video). `frequency` (ASL-LEX
    sign frequency per EntryID) goes into the per-gloss priors the audit tries (`BenchSummary.priors`).
    """
    if distractors not in ("hard", "random"):
        raise ValueError(f"distractors must be 'hard' or 'random', got {distractors!r}")
    if per_type < 1:
        raise ValueError(f"per_type must be >= 1, got {per_type}")
    rng = np.random.default_rng(seed)

    records: dict[str, PhonRecord] = {}
    entry_ids: dict[str, str] = {}
    instances: dict[str, list[dict[str, Any]]] = {}
    for entry in wlasl:
        entry_id = best_match(entry["gloss"], entries)
        if entry_id is None or entry["gloss"] in records:
            continue
        records[entry["gloss"]] = entries[entry_id]
        entry_ids[entry["gloss"]] = entry_id
        instances[entry["gloss"]] = entry["instances"]
    if not records:
        raise ValueError("no WLASL gloss matches an ASL-LEX entry: check the --wlasl and --asl-lex files")
    option_texts = {
        gloss: describe(record, template=DESCRIPTION_TEMPLATE) for gloss, record in records.items()
    }
    without_text: list[str] = []
    if texts is not None:
        without_text = sorted(g for g in records if g not in texts)
        records = {g: r for g, r in records.items() if g in texts}
        option_texts = {g: texts[g] for g in records}
        if without_text:
            logger.warning(
                "%d matched glosses have no description in the given file and are not selected "
                "(options must share one wording style)",
                len(without_text),
            )

    summary = BenchSummary(
        per_type=per_type, seed=seed, distractors=distractors, without_description=len(without_text)
    )
    selected: list[tuple[str, str]] = []  # (iconicity type, gloss)
    for kind in ICONICITY_TYPES:
        pool = sorted(g for g, r in records.items() if r.iconicity_type == kind and instances[g])
        take = sorted(pool[i] for i in rng.permutation(len(pool))[:per_type])
        summary.available[kind] = len(pool)
        summary.selected[kind] = len(take)
        summary.glosses[kind] = take
        if len(take) < per_type:
            summary.shortfall[kind] = per_type - len(take)
            logger.warning(
                "only %d WLASL glosses of iconicity type %r match ASL-LEX (asked for %d): taking all of them",
                len(take),
                kind,
                per_type,
            )
        selected += [(kind, gloss) for gloss in take]

    miner = DistractorMiner(records, option_texts, confusion=confusion, seed=seed)
    sizes = {gloss: len(instances[gloss]) for _, gloss in selected}
    hard = miner.quartets(summary.glosses, sizes, SIZE_PENALTY) if distractors == "hard" else {}
    pool = [gloss for _, gloss in selected]
    kept = dict(instances)
    if hard and balance_slack is not None:
        kept = _balance_videos(hard, instances, balance_slack, seed)
        summary.balance_slack = balance_slack
    questions = []
    sources: Counter = Counter()
    for kind, gloss in selected:
        left_out = len(instances[gloss]) - len(kept[gloss])
        summary.videos_left_out[kind] = summary.videos_left_out.get(kind, 0) + left_out
        for instance in sorted(kept[gloss], key=lambda i: str(i["video_id"])):
            if distractors == "hard":
                others, source = hard[gloss]
            else:
                others, source = (
                    miner.random(gloss, np.random.default_rng([seed, int(rng.integers(2**31))]), pool),
                    "random",
                )
            sources[source] += 1
            summary.videos[kind] = summary.videos.get(kind, 0) + 1
            questions.append((kind, gloss, instance, others, source))

    positions = _balanced_positions(len(questions) * len(LEVELS), rng)
    rows = []
    for level_index, level in enumerate(LEVELS):
        for q, (kind, gloss, instance, others, source) in enumerate(questions):
            position = positions[level_index * len(questions) + q]
            option_glosses = [others[i] for i in rng.permutation(len(others))]
            option_glosses.insert(position, gloss)
            video_id = str(instance["video_id"])
            rows.append(
                {
                    "question_id": f"{video_id}-{level}",
                    "video_id": video_id,
                    "gloss": gloss,
                    "iconicity_type": kind,
                    "level": level,
                    "options": [option_texts[g] if level == "subunit" else g for g in option_glosses],
                    "answer": LETTERS[position],
                    "distractors": f"{distractors}:{source}",
                    "option_glosses": option_glosses,
                    "asl_lex_entry": entry_ids[gloss],
                    "signer_id": int(instance.get("signer_id", -1)),
                    "wlasl_split": str(instance.get("split", "")),
                    "frame_start": int(instance.get("frame_start", 1)),
                    "frame_end": int(instance.get("frame_end", -1)),
                    "url": str(instance.get("url", "")),
                }
            )
    ids = Counter(row["question_id"] for row in rows)
    duplicated = [qid for qid, count in ids.items() if count > 1]
    if duplicated:
        raise ValueError(
            f"the WLASL index repeats video ids, e.g. {duplicated[:3]}: question ids must be unique"
        )
    summary.num_glosses = len(selected)
    summary.num_videos = len(questions)
    summary.num_questions = len(rows)
    summary.answer_counts = dict(sorted(Counter(row["answer"] for row in rows).items()))
    summary.distractor_sources = dict(sources)
    similarity = [
        miner.similarity(row["gloss"])[miner.index[other]] / miner.weights.sum()
        for row in rows
        if row["level"] == LEVELS[0]
        for other in row["option_glosses"]
        if other != row["gloss"]
    ]
    summary.distractor_similarity = round(float(np.mean(similarity)), 4) if similarity else None
    frequency = frequency or {}
    summary.priors = {
        gloss: {"frequency": frequency.get(entry_ids[gloss]), "wlasl_videos": len(instances[gloss])}
        for gloss in sorted({g for row in rows for g in row["option_glosses"]})
    }
    return rows, summary


def _balance_videos(
    quartets: dict[str, tuple[list[str], str]],
    instances: dict[str, list[dict[str, Any]]],
    slack: float,
    seed: int,
) -> dict[str, list[dict[str, Any]]]:
    """The videos each asked gloss keeps: at most ``floor((1 + slack) * m)``, m the fewest videos of an asked
    member of its quartet (a seeded choice among its videos; fillers asked elsewhere do not count)."""
    kept: dict[str, list[dict[str, Any]]] = {}
    for gloss, (others, _) in sorted(quartets.items()):
        members = {gloss, *others}
        asked = [g for g in members if g in quartets and {g, *quartets[g][0]} == members]
        fewest = min(len(instances[g]) for g in asked)
        cap = max(1, math.floor((1 + slack) * fewest + 1e-9))
        videos = sorted(instances[gloss], key=lambda i: str(i["video_id"]))
        order = np.random.default_rng([seed, zlib.crc32(gloss.encode("utf-8"))]).permutation(len(videos))
        kept[gloss] = [videos[i] for i in sorted(order[:cap])]
    return kept


def _balanced_positions(count: int, rng: np.random.Generator) -> list[int]:
    """Answer positions for `count` questions in order: consecutive random permutations of 0-3.

    Every letter is used `count // 4` or `count // 4 + 1` times overall, and any run of consecutive
    questions (a level, an iconicity type within it) is balanced up to two per letter.
    """
    blocks = [rng.permutation(len(LETTERS)) for _ in range(-(-count // len(LETTERS)))]
    return [int(p) for p in np.concatenate(blocks)[:count]] if blocks else []


def read_option_texts(path: str | Path, source: str | None = None) -> tuple[dict[str, str], str]:
    """Gloss → description from a LexSign description file, all of one `source` so the options share a style.

    AGP contributes its per-gloss summaries (``provenance.kind == "summary"``; the one over the most videos),
    never the per-video descriptions. Default source: the one describing the most glosses (ties: mcp, agp, phon).
    """
    from lexsign_hf.data.descriptions import SOURCES, read_description_file

    candidates: dict[str, dict[str, tuple[int, str]]] = {name: {} for name in SOURCES}
    for record in read_description_file(path):
        kind = record.provenance.get("kind")
        if record.source == "agp" and kind is not None and kind != "summary":
            continue
        rank = int(record.provenance.get("instances", 0) or 0)
        best = candidates[record.source].get(record.gloss)
        if best is None or rank > best[0]:
            candidates[record.source][record.gloss] = (rank, record.text)
    if source is None:
        source = max(SOURCES, key=lambda name: (len(candidates[name]), -SOURCES.index(name)))
    elif source not in candidates:
        raise ValueError(f"description source must be one of {list(SOURCES)}, got {source!r}")
    if not candidates[source]:
        raise ValueError(f"{path}: no {source!r} description (AGP: no per-gloss summary) to use as options")
    return {gloss: text for gloss, (_, text) in candidates[source].items()}, source


def render_card(
    summary: BenchSummary,
    template: str | Path | None = None,
    sources: dict[str, str] | None = None,
    audit: AuditResult | None = None,
) -> DatasetCard:
    """The dataset card: selection, shortfalls, counts, letter balance, distractor strategy, blind audit,
    licences."""
    template = Path(template) if template else card_template_path(CARD_TEMPLATE)
    if not template.is_file():
        raise FileNotFoundError(f"dataset card template not found: {template}")
    card_data = DatasetCardData(
        language=["en", "ase"],
        license="cc-by-nc-4.0",
        pretty_name="LexSign-Bench",
        task_categories=["video-text-to-text"],
        tags=["sign-language", "asl", "multiple-choice", "benchmark", "lexsign"],
        size_categories=[size_category(summary.num_questions)],
    )
    return DatasetCard.from_template(
        card_data,
        template_path=str(template),
        summary=summary.to_dict(),
        types=ICONICITY_TYPES,
        abbreviations=TYPE_ABBREVIATIONS,
        sources=sources or {},
        audit=audit.to_dict() if audit else None,
        audit_table=audit_table(audit, TYPE_ABBREVIATIONS) if audit else "",
    )


def build_bench(
    wlasl_path: str | Path,
    asl_lex_path: str | Path,
    out_dir: str | Path,
    per_type: int = 75,
    distractors: str = "hard",
    confusion_path: str | Path | None = None,
    seed: int = 0,
    descriptions_path: str | Path | None = None,
    card_template: str | Path | None = None,
    description_source: str | None = None,
) -> tuple[Path, BenchSummary]:
    """Build LexSign-Bench from the WLASL index and ASL-LEX 2.0, write it as dataset config `bench` and audit
    it with the text-only choosers (``data/bench/audit.json``; a loud warning when one reaches 28 % at a level or for an iconicity type)."""
    wlasl = load_wlasl_index(wlasl_path)
    entries = load_asl_lex(asl_lex_path)
    confusion = load_confusion(confusion_path) if confusion_path else None
    texts, description_source = (
        read_option_texts(descriptions_path, description_source) if descriptions_path else (None, "")
    )
    frequency = load_sign_frequency(asl_lex_path)
    rows, summary = build_questions(wlasl, entries, per_type, distractors, confusion, seed, texts, frequency)
    sources = {
        "wlasl": Path(wlasl_path).name,
        "asl_lex": Path(asl_lex_path).name,
        "confusion": Path(confusion_path).name if confusion_path else "",
        "descriptions": Path(descriptions_path).name if descriptions_path else "",
        "description_source": description_source,
    }
    audit = audit_questions(rows, seed, summary.priors)
    warn_if_leaky(audit)
    summary.audit_max_accuracy = audit.max_accuracy
    summary.audit_above_threshold = audit.above_threshold
    card = render_card(summary, card_template, sources, audit)
    out = write_dataset_folder(
        out_dir,
        {CONFIG_NAME: {SPLIT: rows}},
        BENCH_FEATURES,
        card,
        default_config=CONFIG_NAME,
        config_files={CONFIG_NAME: {"bench_info.json": {**summary.to_dict(), "sources": sources}}},
    )
    write_audit(audit, Path(out) / "data" / CONFIG_NAME)
    return out, summary

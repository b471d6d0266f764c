"""LexSign-Synth: a zero-shot sign recognition dataset performed by the synthetic signer.

Classes are distinct phonological records (pseudo-signs from the built-in inventory, or real ASL-LEX 2.0 glosses
with their real coding) whose descriptions differ under every paraphrase template. They are partitioned like the
real LexSign ZSSLR configs into seen (``train`` + ``test_seen``), unseen validation (``validation``) and unseen
test (``test``) classes; each class is performed by several signers (`SignerParams`) with per-instance variation.

Rows carry a ``description`` list: the class's paraphrases under the training templates for ``train``, and under
the held-out templates (`HELD_OUT_TEMPLATES`, never seen in training) for the evaluation splits. All paraphrases
are also in the ``descriptions`` config. The folder is written by the same `write_dataset_folder` as the real
LexSign configs and loads with ``datasets.load_dataset(folder, "synth")``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from tqdm.auto import tqdm

from ..data.descriptions import split_fragments
from ..data.hub_layout import pose_feature, write_dataset_folder, write_json_atomic
from ..data.phonology import HELD_OUT_TEMPLATES, N_TEMPLATES, TRAIN_TEMPLATES, PhonRecord, describe
from .inventory import records_from_asl_lex, sample_record
from .signer import FPS, LAYOUT, NUM_KEYPOINTS, SignerParams, synthesize

__all__ = [
    "CONFIG_NAME",
    "DESCRIPTION_FEATURES",
    "SynthClasses",
    "SynthConfig",
    "build_synth_dataset",
    "class_descriptions",
    "sample_signers",
    "synth_classes",
    "synth_features",
    "synth_rows",
]

CONFIG_NAME = "synth"
DESCRIPTIONS_CONFIG = "descriptions"
REPORT_FILE = "synth_report.json"
SPLITS = ("train", "validation", "test", "test_seen")

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


@dataclass(frozen=True)
class SynthConfig:
    """Sizes and seed of LexSign-Synth. Defaults train a small HALI on 2 CPU cores in minutes."""

    num_seen: int = 120
    num_validation: int = 40
    num_test: int = 60
    train_instances: int = 12
    test_seen_instances: int = 3
    eval_instances: int = 6
    num_signers: int = 24
    max_frames: int = 64
    seed: int = 0
    asl_lex: str | None = None

    def __post_init__(self) -> None:
        for name in (
            "num_seen",
            "num_validation",
            "num_test",
            "train_instances",
            "eval_instances",
            "num_signers",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"SynthConfig: {name} must be at least 1, got {getattr(self, name)}.")
        if self.test_seen_instances < 0:
            raise ValueError(
                f"SynthConfig: test_seen_instances must be >= 0, got {self.test_seen_instances}."
            )
        if self.max_frames < 8:
            raise ValueError(f"SynthConfig: max_frames must be at least 8, got {self.max_frames}.")

    @property
    def num_classes(self) -> int:
        return self.num_seen + self.num_validation + self.num_test


@dataclass
class SynthClasses:
    """The classes of a LexSign-Synth build: records in label order (seen, unseen validation, unseen test)."""

    records: list[PhonRecord]
    num_seen: int
    num_validation: int
    descriptions: list[list[str]] = field(default_factory=list)  # per class, one text per template

    @property
    def glosses(self) -> list[str]:
        return [record.gloss or record.entry_id for record in self.records]

    def partition(self, name: str) -> list[int]:
        """Label ids of ``seen``, ``unseen_validation`` or ``unseen_test``."""
        bounds = {
            "seen": (0, self.num_seen),
            "unseen_validation": (self.num_seen, self.num_seen + self.num_validation),
            "unseen_test": (self.num_seen + self.num_validation, len(self.records)),
        }
        if name not in bounds:
            raise ValueError(f"unknown partition {name!r}; expected one of {sorted(bounds)}")
        return list(range(*bounds[name]))

    def metadata(self, config: SynthConfig) -> dict[str, Any]:
        glosses = self.glosses
        return {
            "setting": CONFIG_NAME,
            "seed": config.seed,
            "classes": glosses,
            "seen": [glosses[i] for i in self.partition("seen")],
            "unseen_validation": [glosses[i] for i in self.partition("unseen_validation")],
            "unseen_test": [glosses[i] for i in self.partition("unseen_test")],
            "train_templates": list(TRAIN_TEMPLATES),
            "held_out_templates": list(HELD_OUT_TEMPLATES),
            "records": {gloss: asdict(record) for gloss, record in zip(glosses, self.records, strict=True)},
            "config": asdict(config),
        }


def _texts(record: PhonRecord, seed: int, index: int) -> list[str]:
    return [describe(record, t, np.random.default_rng([seed, index, t])) for t in range(N_TEMPLATES)]


def _distinct(candidates: Iterator[PhonRecord], num: int, source: str) -> list[PhonRecord]:
    """The first `num` candidates whose description is new under every template."""
    used: list[set[str]] = [set() for _ in range(N_TEMPLATES)]
    chosen = []
    for record in candidates:
        texts = [describe(record, t) for t in range(N_TEMPLATES)]
        if any(text in seen for text, seen in zip(texts, used, strict=True)):
            continue
        for text, seen in zip(texts, used, strict=True):
            seen.add(text)
        chosen.append(record)
        if len(chosen) == num:
            return chosen
    raise ValueError(
        f"{source}: only {len(chosen)} signs with distinct descriptions; {num} classes were asked for."
    )


def synth_classes(config: SynthConfig) -> SynthClasses:
    """Draw the classes (deterministic from `config.seed`) and their descriptions under every template."""
    rng = np.random.default_rng([config.seed, 1])
    if config.asl_lex is not None:
        pool = records_from_asl_lex(config.asl_lex)
        order = rng.permutation(len(pool))
        records = _distinct((pool[i] for i in order), config.num_classes, str(config.asl_lex))
    else:
        limit = 200 * config.num_classes
        draws = (sample_record(rng, f"synth_{i:05d}") for i in range(limit))
        records = _distinct(draws, config.num_classes, "the built-in inventory")
        records = [
            PhonRecord(**{**asdict(record), "entry_id": f"sign_{i:04d}", "gloss": f"sign_{i:04d}"})
            for i, record in enumerate(records)
        ]
    classes = SynthClasses(records=records, num_seen=config.num_seen, num_validation=config.num_validation)
    classes.descriptions = [_texts(record, config.seed, i) for i, record in enumerate(records)]
    return classes


def class_descriptions(classes: SynthClasses, templates: tuple[int, ...]) -> list[list[str]]:
    """Per class, its paraphrases under `templates` (e.g. `HELD_OUT_TEMPLATES` for evaluation)."""
    return [[texts[t] for t in templates] for texts in classes.descriptions]


def synth_features(classes: SynthClasses) -> datasets.Features:
    return datasets.Features(
        {
            "video_id": datasets.Value("string"),
            "gloss": datasets.Value("string"),
            "label": datasets.ClassLabel(names=classes.glosses),
            "signer_id": datasets.Value("int32"),
            "source_split": datasets.Value("string"),
            "fps": datasets.Value("float32"),
            "pose": pose_feature(NUM_KEYPOINTS),
            "layout": datasets.Value("string"),
            "description": datasets.List(datasets.Value("string")),
        }
    )


def _split_plan(config: SynthConfig, classes: SynthClasses) -> dict[str, list[tuple[int, int]]]:
    """split → (label, instance index) pairs."""
    seen = classes.partition("seen")
    return {
        "train": [(c, k) for c in seen for k in range(config.train_instances)],
        "validation": [
            (c, k) for c in classes.partition("unseen_validation") for k in range(config.eval_instances)
        ],
        "test": [(c, k) for c in classes.partition("unseen_test") for k in range(config.eval_instances)],
        "test_seen": [
            (c, k)
            for c in seen
            for k in range(config.train_instances, config.train_instances + config.test_seen_instances)
        ],
    }


def synth_rows(
    config: SynthConfig, classes: SynthClasses, split: str, signers: list[SignerParams] | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of one split; instance k of class c is performed by signer (7c + k) mod num_signers."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    signers = signers or sample_signers(config)
    templates = TRAIN_TEMPLATES if split == "train" else HELD_OUT_TEMPLATES
    glosses = classes.glosses
    for label, instance in _split_plan(config, classes)[split]:
        signer_id = (7 * label + instance) % len(signers)
        seed = int(np.random.default_rng([config.seed, 2, label, instance]).integers(2**31))
        pose = synthesize(classes.records[label], seed, signers[signer_id], max_frames=config.max_frames)
        yield {
            "video_id": f"{glosses[label]}-{instance:02d}",
            "gloss": glosses[label],
            "label": label,
            "signer_id": signer_id,
            "source_split": split,
            "fps": FPS,
            "pose": pose,
            "layout": LAYOUT,
            "description": [classes.descriptions[label][t] for t in templates],
        }


def sample_signers(config: SynthConfig) -> list[SignerParams]:
    rng = np.random.default_rng([config.seed, 3])
    return [SignerParams.sample(rng) for _ in range(config.num_signers)]


def _description_rows(classes: SynthClasses, language: str) -> list[dict[str, Any]]:
    rows = []
    for label, (record, texts) in enumerate(zip(classes.records, classes.descriptions, strict=True)):
        provenance = [
            json.dumps(
                {"entry_id": record.entry_id, "template": t, "held_out_template": t in HELD_OUT_TEMPLATES},
                sort_keys=True,
            )
            for t in range(N_TEMPLATES)
        ]
        rows.append(
            {
                "gloss": classes.glosses[label],
                "language": language,
                "source": "phon",
                "texts": texts,
                "fragments": [split_fragments(text) for text in texts],
                "provenance": provenance,
            }
        )
    return rows


def _card(config: SynthConfig, classes: SynthClasses, counts: dict[str, int]) -> str:
    licence = "cc-by-nc-4.0" if config.asl_lex else "apache-2.0"
    origin = (
        f"real ASL-LEX 2.0 glosses and their phonological coding (`{Path(config.asl_lex).name}`; ASL-LEX is CC BY-NC 4.0)"
        if config.asl_lex
        else "pseudo-signs drawn from the built-in phonological inventory (ASL-LEX 2.0 frequencies)"
    )
    split_lines = "\n".join(f"| {split} | {count} |" for split, count in counts.items())
    return f"""---
license: {licence}
language:
- en
pretty_name: LexSign-Synth
tags:
- sign-language
- zero-shot
- skeleton
- synthetic
---

# LexSign-Synth

Skeleton sequences (COCO-WholeBody 133 keypoints, x/y/confidence, {FPS:g} fps) of {len(classes.records)} signs
performed by a phonology-grounded synthetic signer (`lexsign_hf.synth`): {origin}.
Each class is described in English by the `phon` generator of `lexsign_hf.data.phonology`.

- Seen classes: {classes.num_seen} (splits `train`, `test_seen`); unseen validation classes: {classes.num_validation}
  (`validation`); unseen test classes: {len(classes.records) - classes.num_seen - classes.num_validation} (`test`).
- `train` rows carry descriptions under the training templates {list(TRAIN_TEMPLATES)}; evaluation rows under the
  held-out templates {list(HELD_OUT_TEMPLATES)}, so a model cannot succeed by memorising the training wording.
- `label` indexes `data/{CONFIG_NAME}/classes.json` `classes` (seen, then unseen validation, then unseen test);
  the phonological record of every class is in `records` there.
- {config.num_signers} signers (body proportions, handedness, speed, amplitude, camera, jitter, dropped
  detections); seed {config.seed}.

| split | rows |
|---|---|
{split_lines}

Generated with `lexsign demo` / `lexsign_hf.synth.build_synth_dataset`.
"""


def build_synth_dataset(
    out_dir: str | os.PathLike, config: SynthConfig | None = None, progress: bool = True
) -> Path:
    """Generate LexSign-Synth and write it as a Hub dataset folder (configs ``synth`` and ``descriptions``)."""
    config = config or SynthConfig()
    out_dir = Path(out_dir)
    classes = synth_classes(config)
    signers = sample_signers(config)
    plan = _split_plan(config, classes)
    counts = {split: len(pairs) for split, pairs in plan.items() if pairs}
    bar = tqdm(total=sum(counts.values()), desc="LexSign-Synth", unit="sign", disable=not progress)

    def rows(split: str) -> Iterator[dict[str, Any]]:
        for row in synth_rows(config, classes, split, signers):
            bar.update(1)
            yield row

    write_dataset_folder(
        out_dir,
        {
            CONFIG_NAME: {split: rows(split) for split in counts},
            DESCRIPTIONS_CONFIG: {
                "train": _description_rows(classes, "asl" if config.asl_lex else "synthetic")
            },
        },
        {CONFIG_NAME: synth_features(classes), DESCRIPTIONS_CONFIG: DESCRIPTION_FEATURES},
        _card(config, classes, counts),
        default_config=CONFIG_NAME,
        config_files={CONFIG_NAME: {"classes.json": classes.metadata(config)}},
    )
    bar.close()
    write_json_atomic(
        out_dir / REPORT_FILE, {"config": asdict(config), "rows": counts, "classes": len(classes.records)}
    )
    return out_dir

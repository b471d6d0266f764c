"""LexSign-Synth: a zero-shot sign recognition dataset performed by the synthetic signer.

Classes are signs (`SynthSign`) whose descriptions differ under every paraphrase template: real ASL-LEX 2.0
glosses with their real coding (one segment each), or pseudo-signs from the built-in inventory, of which a share
are sequential (two fresh segments in sequence), a share compounds (the segments of two seen single-segment
classes in sequence) and a share carry a mouth shape and/or a facial action. They are partitioned like the
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
from .sign import FACE_ACTIONS, MOUTH_SHAPES, SynthSign, describe_sign
from .signer import FPS, IMAGE_SIZE, LAYOUT, NUM_KEYPOINTS, SignerParams, synthesize

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
SIGN_KINDS = ("single", "sequential", "compound")

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
    # shares of each partition's built-in classes (not used with `asl_lex`, whose coding is kept as it is)
    sequential_share: float = 0.15
    compound_share: float = 0.15
    non_manual_share: float = 0.3

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
        for name in ("sequential_share", "compound_share", "non_manual_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"SynthConfig: {name} must be in [0, 1], got {getattr(self, name)}.")
        if self.sequential_share + self.compound_share > 1.0:
            raise ValueError("SynthConfig: sequential_share + compound_share must be at most 1.")
        if self.max_frames < 8:
            raise ValueError(f"SynthConfig: max_frames must be at least 8, got {self.max_frames}.")

    @property
    def num_classes(self) -> int:
        return self.num_seen + self.num_validation + self.num_test


@dataclass
class SynthClasses:
    """The classes of a LexSign-Synth build: signs in label order (seen, unseen validation, unseen test)."""

    records: list[SynthSign]
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
            "kinds": {kind: sum(sign.kind == kind for sign in self.records) for kind in SIGN_KINDS},
            "non_manual": sum(sign.has_non_manual for sign in self.records),
            "records": {gloss: asdict(record) for gloss, record in zip(glosses, self.records, strict=True)},
            "config": asdict(config),
        }


def _texts(sign: SynthSign, seed: int, index: int) -> list[str]:
    return [describe_sign(sign, t, np.random.default_rng([seed, index, t])) for t in range(N_TEMPLATES)]


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


def _kinds(config: SynthConfig, size: int) -> list[str]:
    """Sign kinds of one partition of `size` classes, in label order: single, sequential, compound."""
    compound = round(config.compound_share * size)
    sequential = round(config.sequential_share * size)
    return ["single"] * (size - compound - sequential) + ["sequential"] * sequential + ["compound"] * compound


def _renamed(record: PhonRecord, name: str) -> PhonRecord:
    return PhonRecord(**{**asdict(record), "entry_id": name, "gloss": name})


def _built_in_signs(config: SynthConfig, rng: np.random.Generator) -> list[SynthSign]:
    """Signs of all partitions from the built-in inventory, in label order (seen, validation, test)."""
    kinds = [_kinds(config, size) for size in (config.num_seen, config.num_validation, config.num_test)]
    flat = [kind for partition in kinds for kind in partition]
    seen_singles = kinds[0].count("single")
    if "compound" in flat and seen_singles < 2:
        raise ValueError(
            f"SynthConfig: compounds reuse seen single-segment classes, but only {seen_singles} would exist "
            f"(num_seen={config.num_seen}); raise num_seen or set compound_share=0."
        )
    if flat.count("compound") > seen_singles * (seen_singles - 1):
        raise ValueError(
            f"SynthConfig: {flat.count('compound')} compounds asked for, but {seen_singles} seen single-segment "
            "classes make fewer ordered pairs; lower compound_share."
        )
    fresh = flat.count("single") + 2 * flat.count("sequential")
    draws = (sample_record(rng, f"synth_{i:05d}") for i in range(200 * fresh + 100))
    pool = iter(_distinct(draws, fresh, "the built-in inventory"))
    pairs = [(a, b) for a in range(seen_singles) for b in range(seen_singles) if a != b]
    compounds = iter(rng.permutation(len(pairs)))
    signs: list[SynthSign] = []
    for label, kind in enumerate(flat):
        name = f"sign_{label:04d}"
        if kind == "single":
            signs.append(SynthSign(entry_id=name, segments=(_renamed(next(pool), name),), gloss=name))
        elif kind == "sequential":
            segments = (_renamed(next(pool), f"{name}.1"), _renamed(next(pool), f"{name}.2"))
            signs.append(SynthSign(entry_id=name, segments=segments, gloss=name))
        else:
            first, second = pairs[int(next(compounds))]  # StopIteration only if all ordered pairs are used
            segments = (signs[first].segments[0], signs[second].segments[0])
            components = (signs[first].entry_id, signs[second].entry_id)
            signs.append(SynthSign(entry_id=name, segments=segments, components=components, gloss=name))
    return [_with_non_manual(sign, config.non_manual_share, rng) for sign in signs]


def _with_non_manual(sign: SynthSign, share: float, rng: np.random.Generator) -> SynthSign:
    """`sign` with, at probability `share`, a mouth shape, a facial action or both during one of its segments."""
    if rng.random() >= share:
        return sign
    which = int(rng.integers(3))  # 0 mouth, 1 face, 2 both
    mouth = str(rng.choice(sorted(MOUTH_SHAPES))) if which != 1 else None
    face = str(rng.choice(sorted(FACE_ACTIONS))) if which != 0 else None
    segment = int(rng.integers(len(sign.segments)))
    return SynthSign(
        entry_id=sign.entry_id,
        segments=sign.segments,
        mouth=mouth,
        face=face,
        non_manual_segment=segment,
        components=sign.components,
        gloss=sign.gloss,
    )


def synth_classes(config: SynthConfig) -> SynthClasses:
    """Draw the classes (deterministic from `config.seed`) and their descriptions under every template."""
    rng = np.random.default_rng([config.seed, 1])
    if config.asl_lex is not None:
        pool = records_from_asl_lex(config.asl_lex)
        order = rng.permutation(len(pool))
        records = _distinct((pool[i] for i in order), config.num_classes, str(config.asl_lex))
        signs = [SynthSign.single(record) for record in records]
    else:
        signs = _built_in_signs(config, rng)
    classes = SynthClasses(records=signs, num_seen=config.num_seen, num_validation=config.num_validation)
    classes.descriptions = [_texts(sign, config.seed, i) for i, sign in enumerate(signs)]
    for template in range(N_TEMPLATES):
        texts = [texts[template] for texts in classes.descriptions]
        if len(set(texts)) != len(texts):
            raise ValueError(
                f"LexSign-Synth seed {config.seed}: two classes share a description (template {template})."
            )
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
            "width": datasets.Value("float32"),  # the camera frame, in the poses' pixels
            "height": datasets.Value("float32"),
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
            "width": IMAGE_SIZE[0],
            "height": IMAGE_SIZE[1],
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

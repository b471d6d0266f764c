"""The report of a LexSign build (``build_report.json``) and the dataset card rendered from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import DatasetCard, DatasetCardData

from lexsign_hf.card_templates import card_template_path

from .build_plans import ConfigPlan

CARD_TEMPLATE = "lexsign_dataset.md.jinja"


@dataclass
class BuildReport:
    """What a build wrote and from what; saved as ``build_report.json`` and summarised in the card."""

    seed: int | None
    configs: dict[str, dict[str, int]] = field(default_factory=dict)
    classes: dict[str, dict[str, int]] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    descriptions: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    poses: dict[str, Any] = field(default_factory=dict)
    undescribed: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        lines = [
            f"{name}: " + ", ".join(f"{split} {rows}" for split, rows in splits.items())
            for name, splits in self.configs.items()
        ]
        asl_lex = self.coverage.get("asl_lex")
        if asl_lex:
            lines.append(
                f"ASL-LEX coverage: {asl_lex['matched_glosses']}/{asl_lex['index_glosses']} WLASL glosses "
                f"({asl_lex['matched_percent']:.1f}%) have phon descriptions"
            )
        for source, counts in self.descriptions.get("sources", {}).items():
            if counts["descriptions"]:
                lines.append(
                    f"descriptions {source}: {counts['descriptions']} texts for {counts['glosses']} glosses"
                )
        if self.poses:
            lines.append(
                f"poses: {self.poses['files']} files ({self.poses['read']} read, rest from cache), "
                f"layouts {self.poses['layouts']}"
            )
            for reason in self.poses["unreadable"].values():  # each reason names its file
                lines.append(f"unreadable pose file left out: {reason}")
            if self.poses.get("ignored_files"):
                lines.append(
                    f"ignored {self.poses['ignored_files']} non-pose file(s) in the pose folder(s), e.g. "
                    f"{self.poses['ignored_examples'][:3]}"
                )
        for name, dropped in self.undescribed.items():
            lines.append(
                f"{name}: dropped {dropped['classes']} classes without descriptions ({dropped['videos']} videos)"
            )
        return "\n".join([*lines, *self.notes])


def render_card(
    report: BuildReport, plans: Mapping[str, ConfigPlan], template_path: Path | None = None
) -> DatasetCard:
    """The dataset card from ``model_cards/lexsign_dataset.md.jinja`` and the build report."""
    template_path = Path(template_path) if template_path else card_template_path(CARD_TEMPLATE)
    if not template_path.is_file():
        raise FileNotFoundError(f"dataset card template {template_path} not found.")
    languages = sorted({plan.language for plan in plans.values()})
    total_rows = sum(sum(splits.values()) for splits in report.configs.values())
    card_data = DatasetCardData(
        pretty_name="LexSign",
        language=[{"asl": "ase", "csl": "csl"}[language] for language in languages]
        + (["en"] if "asl" in languages else [])
        + (["zh"] if "csl" in languages else []),
        license="other",
        license_name="mixed-non-commercial",
        task_categories=["video-classification", "zero-shot-classification"],
        tags=["sign-language", "pose", "skeleton", "zero-shot", "lexical-descriptions"],
        size_categories=[_size_category(total_rows)],
    )
    return DatasetCard.from_template(
        card_data,
        template_path=str(template_path),
        report=report.to_dict(),
        plans={name: {"kind": plan.kind, "language": plan.language} for name, plan in plans.items()},
    )


def _size_category(rows: int) -> str:
    for bound, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if rows < bound:
            return name
    return "1M<n<10M"

"""Reader of the ASL-LEX 2.0 sign-data CSV (`load_asl_lex` → `PhonRecord`s) and WLASL gloss matching."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .handshapes import HANDSHAPES

__all__ = [
    "FLEXIONS",
    "MAJOR_LOCATIONS",
    "MINOR_LOCATIONS",
    "MOVEMENTS",
    "MOVEMENT_DIRECTIONS",
    "PALM_ORIENTATIONS",
    "REQUIRED_COLUMNS",
    "SELECTED_FINGERS",
    "SIGN_TYPES",
    "AslLexEntries",
    "AslLexReport",
    "PhonRecord",
    "best_match",
    "load_asl_lex",
    "match_wlasl_gloss",
    "normalize_gloss",
]

# Non-dominant handshape spellings that only occur in `NonDominantHandshape.2.0`.
_NONDOMINANT_ALIASES = {"B": "open_b", "C": "c", "S": "s", "O": "o", "A": "a", "Lax": "lax"}
_NONDOMINANT_NONE = {"", "NA", "DominanceViolation", "SymmetryViolation"}

SIGN_TYPES = (
    "OneHanded",
    "SymmetricalOrAlternating",
    "AsymmetricalSameHandshape",
    "AsymmetricalDifferentHandshape",
    "DominanceViolation",
    "SymmetryViolation",
)
MOVEMENTS = ("Straight", "Curved", "Circular", "BackAndForth", "Z-shaped", "X-shaped", "Other", "None")
MAJOR_LOCATIONS = ("Neutral", "Head", "Body", "Arm", "Hand", "Other")
SELECTED_FINGERS = ("i", "im", "imp", "imr", "imrp", "ip", "m", "mr", "mrp", "p", "r", "t")
FLEXIONS = ("FullyOpen", "Flat", "Bent", "Curved", "FullyClosed", "Stacked", "Crossed")
PALM_ORIENTATIONS = ("in", "out", "down", "up", "side")
MOVEMENT_DIRECTIONS = ("forward", "back", "down", "up", "outward", "across")

# Minor location code -> (preposition, noun phrase). "...Away" codes are the space near a body part.
MINOR_LOCATIONS: dict[str, tuple[str, str]] = {
    "Neutral": ("in", "neutral space"),
    "HeadAway": ("near", "the head"),
    "HeadTop": ("on", "the top of the head"),
    "Forehead": ("at", "the forehead"),
    "Eye": ("near", "the eye"),
    "CheekNose": ("at", "the cheek or nose"),  # one code for both places (ASL-LEX 2.0 key)
    "UpperLip": ("at", "the upper lip"),
    "Mouth": ("at", "the mouth"),
    "Chin": ("at", "the chin"),
    "UnderChin": ("under", "the chin"),
    "Neck": ("at", "the neck"),
    "Shoulder": ("at", "the shoulder"),
    "Clavicle": ("at", "the collarbone"),
    "TorsoTop": ("at", "the upper chest"),
    "TorsoMid": ("at", "the middle of the chest"),
    "TorsoBottom": ("at", "the stomach"),
    "Waist": ("at", "the waist"),
    "Hips": ("at", "the hip"),
    "BodyAway": ("near", "the body"),  # the key gives no height: not "in front of the chest"
    "UpperArm": ("at", "the upper arm"),
    "ElbowBack": ("at", "the elbow"),
    "ForearmBack": ("on", "the back of the forearm"),
    "ForearmFront": ("on", "the inside of the forearm"),
    "ForearmUlnar": ("on", "the outer edge of the forearm"),
    "ForearmRadial": ("on", "the thumb side of the forearm"),
    "WristBack": ("on", "the back of the wrist"),
    "WristFront": ("on", "the inside of the wrist"),
    "ArmAway": ("near", "the arm"),  # the key gives no part of the arm
    "ElbowFront": ("at", "the inside of the elbow"),
    "Palm": ("on", "the palm of the other hand"),
    "PalmBack": ("on", "the back of the other hand"),
    "Heel": ("on", "the heel of the other hand"),
    "FingerTip": ("at", "the fingertips of the other hand"),
    "FingerFront": ("on", "the inside of the other hand's fingers"),
    "FingerBack": ("on", "the back of the other hand's fingers"),
    "FingerRadial": ("on", "the index-finger side of the other hand"),
    "FingerUlnar": ("on", "the little-finger side of the other hand"),
    "HandAway": ("near", "the other hand"),
}
_ALL_MINOR_CODES = set(MINOR_LOCATIONS) | {"Other", "OtherAway", "Away"}

REQUIRED_COLUMNS = (
    "EntryID",
    "Handshape.2.0",
    "SelectedFingers.2.0",
    "Flexion.2.0",
    "FlexionChange.2.0",
    "Spread.2.0",
    "SpreadChange.2.0",
    "ThumbPosition.2.0",
    "ThumbContact.2.0",
    "SignType.2.0",
    "Movement.2.0",
    "RepeatedMovement.2.0",
    "MajorLocation.2.0",
    "MinorLocation.2.0",
    "SecondMinorLocation.2.0",
    "Contact.2.0",
    "NonDominantHandshape.2.0",
    "UlnarRotation.2.0",
)


@dataclass(frozen=True)
class PhonRecord:
    """Phonological coding of one sign (ASL-LEX 2.0 vocabulary, first morpheme).

    Boolean codes that ASL-LEX leaves "NA" (e.g. spread for a single selected finger) are `None`.
    `palm_orientation` (one of `PALM_ORIENTATIONS`) and `movement_direction` (one of `MOVEMENT_DIRECTIONS`) are
    not ASL-LEX columns: set by the synthetic inventory, `None` for ASL-LEX entries.
    """

    entry_id: str
    handshape: str
    selected_fingers: str
    flexion: str | None
    flexion_change: bool | None
    spread: bool | None
    spread_change: bool | None
    thumb_position: str
    thumb_contact: bool | None
    sign_type: str
    movement: str
    repeated_movement: bool
    major_location: str
    minor_location: str
    second_minor_location: str | None
    contact: bool
    nondominant_handshape: str | None
    ulnar_rotation: bool
    gloss: str | None = None
    iconicity_type: str | None = None
    palm_orientation: str | None = None
    movement_direction: str | None = None
    second_morpheme: PhonRecord | None = None  # the second sequential unit (ASL-LEX `*M2.2.0` columns)
    # the handshape of the second unit where ASL-LEX codes nothing else of it (HALF: 1 then V; OK: O then K)
    second_handshape: str | None = None
    # the handshapes of the units after the second (`HandshapeM3.2.0` ... `HandshapeM6.2.0`: APRIL's R, I, L)
    further_handshapes: tuple[str, ...] = ()

    @property
    def two_handed(self) -> bool:
        return self.sign_type != "OneHanded"


@dataclass
class AslLexReport:
    """What `load_asl_lex` read: row counts and why rows were skipped."""

    path: str
    rows: int = 0
    loaded: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    # second units whose M2 coding did not read as a whole: kept as `second_handshape` when the handshape reads
    second_parts_left_out: Counter = field(default_factory=Counter)

    @property
    def num_skipped(self) -> int:
        return sum(self.skipped.values())

    def add_skip(self, reason: str, entry_id: str) -> None:
        self.skipped[reason] += 1
        self.examples.setdefault(reason, [])
        if len(self.examples[reason]) < 5:
            self.examples[reason].append(entry_id)

    def summary(self) -> str:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(self.skipped.items()))
        return f"{self.path}: {self.rows} rows, {self.loaded} loaded, {self.num_skipped} skipped ({reasons or 'none'})"


class AslLexEntries(dict[str, PhonRecord]):
    """`EntryID -> PhonRecord` mapping with the `AslLexReport` of the load attached as `.report`."""

    report: AslLexReport
    _gloss_index_cache: tuple[int, dict[str, tuple[str, ...]]] | None = None


def _flag(value: str, column: str) -> bool | None:
    if value in ("", "NA"):
        return None
    if value in ("0", "1"):
        return value == "1"
    raise ValueError(f"unknown code {value!r} in {column} (expected 0, 1 or NA)")


def _code(value: str, column: str, allowed: Iterable[str], optional: bool = False) -> str | None:
    if value in ("", "NA"):
        if optional:
            return None
        raise ValueError(f"missing value in {column}")
    if value not in allowed:
        raise ValueError(f"unknown code {value!r} in {column}")
    return value


def _nondominant(value: str, column: str = "NonDominantHandshape.2.0") -> str | None:
    if value in _NONDOMINANT_NONE:
        return None
    value = _NONDOMINANT_ALIASES.get(value, value)
    if value != "lax" and value not in HANDSHAPES:
        raise ValueError(f"unknown code {value!r} in {column}")
    return value


def _record_from_row(row: dict[str, str], morpheme: str = "") -> PhonRecord:
    """The record of one ASL-LEX row: its first morpheme (`morpheme=""`), or another (`"M2"`: the `*M2.2.0`
    columns, whose missing yes/no codes read as "no": ASL-LEX leaves them blank where nothing happens)."""
    entry_id = row["EntryID"]
    if not entry_id:
        raise ValueError("missing value in EntryID")

    def column(name: str) -> str:
        return f"{name}{morpheme}.2.0"

    def value(name: str) -> str:
        return row.get(column(name), "")

    def yes_no(name: str) -> bool:
        flag = _flag(value(name), column(name))
        if flag is None and not morpheme:
            raise ValueError(f"missing value in {column(name)}")
        return bool(flag)

    second = _code(
        value("SecondMinorLocation"), column("SecondMinorLocation"), _ALL_MINOR_CODES, optional=True
    )
    iconicity = row.get("IconicityType", "").strip()
    return PhonRecord(
        entry_id=entry_id,
        handshape=_code(value("Handshape"), column("Handshape"), HANDSHAPES),
        selected_fingers=_code(value("SelectedFingers"), column("SelectedFingers"), SELECTED_FINGERS),
        flexion=_code(value("Flexion"), column("Flexion"), FLEXIONS, optional=True),
        flexion_change=_flag(value("FlexionChange"), column("FlexionChange")),
        spread=_flag(value("Spread"), column("Spread")),
        spread_change=_flag(value("SpreadChange"), column("SpreadChange")),
        thumb_position=_code(value("ThumbPosition"), column("ThumbPosition"), ("Open", "Closed")),
        thumb_contact=_flag(value("ThumbContact"), column("ThumbContact")),
        sign_type=_code(value("SignType"), column("SignType"), SIGN_TYPES),
        movement=_code(value("Movement"), column("Movement"), MOVEMENTS),
        repeated_movement=yes_no("RepeatedMovement"),
        major_location=_code(value("MajorLocation"), column("MajorLocation"), MAJOR_LOCATIONS),
        minor_location=_code(value("MinorLocation"), column("MinorLocation"), _ALL_MINOR_CODES),
        second_minor_location=second,
        contact=yes_no("Contact"),
        nondominant_handshape=_nondominant(value("NonDominantHandshape"), column("NonDominantHandshape")),
        ulnar_rotation=yes_no("UlnarRotation"),
        gloss=normalize_gloss(entry_id),
        iconicity_type=iconicity if iconicity not in ("", "NA") and not morpheme else None,
    )


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:  # the OSF download is ISO-8859-1
        text = path.read_text(encoding="latin-1")
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in (reader.fieldnames or [])]
    rows = [{key.strip(): (value or "").strip() for key, value in row.items() if key} for row in reader]
    return header, rows


def _further_handshapes(row: dict[str, str], report: AslLexReport) -> tuple[str, ...]:
    """The coded handshapes of units 3 to 6 (`HandshapeM3.2.0` ...), up to the first code that does not read as a
    handshape (counted in `report.second_parts_left_out`). Fingerspelled letters outside `HANDSHAPES` (HEN's
    `n`) read as that letter's handshape."""
    shapes = []
    for unit in range(3, 7):
        column = f"HandshapeM{unit}.2.0"
        shape = row.get(column, "")
        if shape in ("", "NA"):
            continue
        if shape not in HANDSHAPES and not (len(shape) == 1 and shape.isalpha()):
            report.second_parts_left_out[f"unknown code {shape!r} in {column}"] += 1
            break
        shapes.append(shape)
    return tuple(shapes)


def load_asl_lex(path: str | Path) -> AslLexEntries:
    """Read the ASL-LEX 2.0 sign-data CSV into `{EntryID: PhonRecord}`.

    Rows with a missing required value, an unknown code or a duplicate EntryID are skipped and counted in the
    returned mapping's `.report`. A file without the required columns raises `ValueError` naming them.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ASL-LEX file not found: {path}")
    header, rows = _read_rows(path)
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ValueError(f"{path}: not an ASL-LEX 2.0 sign-data CSV, missing columns: {', '.join(missing)}")
    entries = AslLexEntries()
    entries.report = AslLexReport(path=str(path), rows=len(rows))
    for row in rows:
        entry_id = row.get("EntryID", "")
        try:
            record = _record_from_row(row)
        except ValueError as error:
            entries.report.add_skip(str(error), entry_id)
            continue
        if record.entry_id in entries:
            entries.report.add_skip("duplicate EntryID", entry_id)
            continue
        # a second sequential unit is coded for compounds and for other multi-morpheme signs (fingerspelled
        # loans such as OK, number signs such as HALF): NumberOfMorphemes counts both
        if row.get("HandshapeM2.2.0", "") not in ("", "NA"):
            try:
                record = replace(record, second_morpheme=_record_from_row(row, "M2"))
            except ValueError as error:  # only the handshape of the second unit is coded, or nothing usable
                entries.report.second_parts_left_out[str(error)] += 1
                shape = row["HandshapeM2.2.0"]
                if shape in HANDSHAPES:
                    record = replace(record, second_handshape=shape)
        further = _further_handshapes(row, entries.report)
        if further:
            record = replace(record, further_handshapes=further)
        entries[record.entry_id] = record
    entries.report.loaded = len(entries)
    return entries


def normalize_gloss(gloss: str) -> str:
    """Matching key of a gloss: trailing `_N` dropped, `_` → space, lower case (`"about_1"` → `"about"`)."""
    gloss = re.sub(r"_\d+$", "", gloss.strip())
    return " ".join(gloss.replace("_", " ").lower().split())


def match_wlasl_gloss(gloss: str, entries: dict[str, PhonRecord]) -> list[str]:
    """All ASL-LEX EntryIDs whose normalised name equals the normalised gloss, in `best_match` order.

    A gloss can match several variants (`"drink"` → `["drink", "drink_2"]`).
    """
    return list(_gloss_index(entries).get(normalize_gloss(gloss), ()))


def _gloss_index(entries: dict[str, PhonRecord]) -> dict[str, tuple[str, ...]]:
    """`normalised name -> EntryIDs` (sorted by `_variant_rank`), cached on an `AslLexEntries` mapping."""
    cached = getattr(entries, "_gloss_index_cache", None)
    if cached is not None and cached[0] == len(entries):
        return cached[1]
    groups: dict[str, list[str]] = {}
    for entry_id in entries:
        groups.setdefault(normalize_gloss(entry_id), []).append(entry_id)
    index = {key: tuple(sorted(ids, key=_variant_rank)) for key, ids in groups.items()}
    if isinstance(entries, AslLexEntries):
        entries._gloss_index_cache = (len(entries), index)
    return index


def _variant_rank(entry_id: str) -> tuple[int, str]:
    suffix = re.search(r"_(\d+)$", entry_id)
    return (int(suffix.group(1)) if suffix else 0, entry_id)


def best_match(gloss: str, entries: dict[str, PhonRecord]) -> str | None:
    """The entry used for a gloss: the unnumbered entry if it exists, otherwise the lowest-numbered variant."""
    matches = match_wlasl_gloss(gloss, entries)
    return matches[0] if matches else None

"""ASL-LEX 2.0 phonological records and the `phon` description source.

`load_asl_lex` reads the ASL-LEX 2.0 sign-data CSV into `PhonRecord`s (first morpheme, the `*.2.0` columns),
`match_wlasl_gloss` / `best_match` link WLASL glosses to ASL-LEX entries, and `describe` turns a record into a
dictionary-style English description in the style of the LexSign prompts ("A hand, palm facing in, at the chin;
move forward twice."). Clauses are separated by `,` `;` `.` so the description splits into 2-6 fragments.

ASL-LEX codes neither palm orientation nor the direction of a path movement. A record may carry them
(`palm_orientation`, `movement_direction`: the synthetic signer samples both); for ASL-LEX records orientation is
never stated (contact with the body does not fix which way the palm faces: MOTHER touches the chin with the thumb
of a palm-side-on 5 hand) and the direction only where the start→end location sequence implies it.

Paraphrase templates: `N_TEMPLATES` wordings with different clause order and vocabulary. `TRAIN_TEMPLATES` are the
ones training may use; `HELD_OUT_TEMPLATES` are reserved for describing unseen classes at evaluation, so a model
cannot succeed by memorising the training wording.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

__all__ = [
    "HANDSHAPES",
    "HELD_OUT_TEMPLATES",
    "MAJOR_LOCATIONS",
    "MINOR_LOCATIONS",
    "MOVEMENTS",
    "MOVEMENT_DIRECTIONS",
    "N_TEMPLATES",
    "PALM_ORIENTATIONS",
    "REQUIRED_COLUMNS",
    "SIGN_TYPES",
    "TRAIN_TEMPLATES",
    "AslLexEntries",
    "AslLexReport",
    "PhonRecord",
    "best_match",
    "describe",
    "handshape_name",
    "infer_palm_orientation",
    "load_asl_lex",
    "match_wlasl_gloss",
    "normalize_gloss",
]

# ASL-LEX 2.0 handshape codes (column `Handshape.2.0`), with the dictionary-style name used in descriptions.
HANDSHAPES: dict[str, str] = {
    "1": "1 hand",
    "3": "3 hand",
    "4": "4 hand",
    "5": "5 hand",
    "7": "7 hand",
    "8": "8 hand",
    "a": "A hand",
    "baby_o": "baby O hand",
    "bent_1": "bent 1 hand",
    "bent_l": "bent L hand",
    "bent_v": "bent V hand",
    "c": "C hand",
    "closed_b": "B hand",
    "closed_e": "closed E hand",
    "curved_1": "curved 1 hand",
    "curved_4": "curved 4 hand",
    "curved_5": "curved 5 hand",
    "curved_h": "curved H hand",
    "curved_l": "curved L hand",
    "curved_v": "curved V hand",
    "d": "D hand",
    "e": "E hand",
    "f": "F hand",
    "flat_1": "flat 1 hand",
    "flat_4": "flat 4 hand",
    "flat_b": "bent B hand",
    "flat_h": "flat H hand",
    "flat_horns": "flat horns hand",
    "flat_ily": "flat I-love-you hand",
    "flat_m": "flat M hand",
    "flat_n": "flat N hand",
    "flat_o": "flat O hand",
    "flat_v": "flat V hand",
    "flatspread_5": "bent 5 hand",
    "g": "G hand",
    "goody_goody": "goody-goody hand",
    "h": "H hand",
    "horns": "horns hand",
    "i": "I hand",
    "ily": "I-love-you hand",
    "k": "K hand",
    "l": "L hand",
    "o": "O hand",
    "open_8": "open 8 hand",
    "open_b": "open hand",
    "open_e": "open E hand",
    "open_f": "open F hand",
    "open_h": "open H hand",
    "p": "P hand",
    "r": "R hand",
    "s": "S hand",
    "spread_e": "spread E hand",
    "spread_open_e": "spread open E hand",
    "stacked_5": "stacked 5 hand",
    "t": "T hand",
    "v": "V hand",
    "w": "W hand",
    "y": "Y hand",
}
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
    "CheekNose": ("at", "the cheek"),
    "UpperLip": ("above", "the upper lip"),
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
    "BodyAway": ("in front of", "the chest"),
    "UpperArm": ("at", "the upper arm"),
    "ElbowBack": ("at", "the elbow"),
    "ForearmBack": ("on", "the back of the forearm"),
    "ForearmFront": ("on", "the inside of the forearm"),
    "ForearmUlnar": ("on", "the outer edge of the forearm"),
    "ForearmRadial": ("on", "the thumb side of the forearm"),
    "WristBack": ("on", "the back of the wrist"),
    "WristFront": ("on", "the inside of the wrist"),
    "ArmAway": ("near", "the forearm"),
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
# Phrase for a major location whose minor location is coded "Other".
_MAJOR_FALLBACK = {
    "Neutral": ("in", "neutral space"),
    "Head": ("near", "the face"),
    "Body": ("at", "the body"),
    "Arm": ("on", "the forearm"),
    "Hand": ("on", "the other hand"),
    "Other": ("in", "neutral space"),
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
    second_morpheme: PhonRecord | None = None  # a compound's second part (ASL-LEX `*M2.2.0` columns)

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
    second_parts_left_out: Counter = field(default_factory=Counter)  # compounds whose M2 coding did not read

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
        if row.get("Compound.2.0") == "1" and row.get("HandshapeM2.2.0", "") not in ("", "NA"):
            try:
                record = replace(record, second_morpheme=_record_from_row(row, "M2"))
            except ValueError as error:  # the entry stays, described by its first part
                entries.report.second_parts_left_out[str(error)] += 1
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


# --------------------------------------------------------------------------------------------- descriptions

_FINGER_NAMES = {"t": "thumb", "i": "index", "m": "middle", "r": "ring", "p": "little"}
_FLEXION_WORDS = {
    "FullyOpen": "extended",
    "Flat": "bent flat at the knuckles",
    "Bent": "bent",
    "Curved": "curved",
    "FullyClosed": "closed",
    "Stacked": "stacked",
    "Crossed": "crossed",
}
_ORIENTATION_WORDS = {"in": "in", "out": "out", "down": "down", "up": "up", "side": "sideways"}
_DIRECTION_WORDS = {
    "forward": "forward",
    "back": "toward the body",
    "down": "down",
    "up": "up",
    "outward": "out to the side",
    "across": "across the body",
}
_PATH_WORDS = {
    "Curved": "in an arc",
    "Circular": "in a circle",
    "BackAndForth": "back and forth",
    "Z-shaped": "in a zigzag",
    "X-shaped": "in an X shape",
    "Other": "",  # a path ASL-LEX does not name: "move" alone
}


def handshape_name(code: str) -> str:
    """Dictionary-style name of an ASL-LEX handshape code (`"bent_v"` → `"bent V hand"`)."""
    if code == "lax":
        return "relaxed hand"
    return HANDSHAPES.get(code, code.replace("_", " ") + " hand")


# What each named handshape looks like, for the held-out "features" wordings. ASL-LEX's SelectedFingers /
# Flexion / ThumbContact columns follow the Prosodic Model (for W, D, F, 7, 8 the selected finger is the one that
# meets the thumb, not the extended ones), so spelling them out word by word contradicts the handshape's name
# (W would be "the little finger curved with the thumb touching it"). The description therefore spells out the
# named handshape itself; codes whose shape is not certain here get their name only.
HANDSHAPE_FEATURES: dict[str, str] = {
    "1": "the index finger extended",
    "3": "the thumb, index and middle fingers extended and spread",
    "4": "the four fingers extended and spread with the thumb folded in",
    "5": "all fingers and the thumb extended and spread",
    "7": "the ring finger touching the thumb and the other fingers extended",
    "8": "the middle finger touching the thumb and the other fingers extended",
    "a": "a closed fist with the thumb against the side of the index finger",
    "baby_o": "the index finger curved to touch the thumb and the other fingers closed",
    "bent_1": "the index finger bent",
    "bent_l": "the thumb extended and the index finger bent",
    "bent_v": "the index and middle fingers bent and spread",
    "c": "all fingers and the thumb curved into a C shape",
    "closed_b": "the four fingers extended together with the thumb folded across the palm",
    "curved_1": "the index finger curved",
    "curved_4": "the four fingers curved and spread with the thumb folded in",
    "curved_5": "all fingers and the thumb curved and spread",
    "curved_h": "the index and middle fingers together and curved",
    "curved_l": "the thumb and index finger curved",
    "curved_v": "the index and middle fingers curved and spread",
    "d": "the index finger extended and the other fingers touching the thumb",
    "e": "all fingers bent down over the thumb",
    "f": "the index finger touching the thumb and the other fingers extended and spread",
    "flat_b": "the four fingers together and bent at the knuckles",
    "flat_h": "the index and middle fingers together and bent at the knuckles",
    "flat_o": "all fingers straight and together touching the thumb",
    "flat_v": "the index and middle fingers spread and bent at the knuckles",
    "flatspread_5": "all fingers spread and bent at the knuckles",
    "g": "the thumb and index finger extended side by side",
    "h": "the index and middle fingers extended together",
    "horns": "the index and little fingers extended",
    "i": "the little finger extended",
    "ily": "the thumb, index and little fingers extended",
    "k": "the index and middle fingers extended with the thumb between them",
    "l": "the thumb and index finger extended",
    "o": "all fingers curved to touch the thumb",
    "open_8": "the middle finger bent forward and the other fingers extended and spread",
    "open_b": "the four fingers extended together",
    "p": "the index and middle fingers extended with the thumb between them",
    "r": "the index and middle fingers crossed",
    "s": "a closed fist with the thumb across the fingers",
    "t": "a closed fist with the thumb between the index and middle fingers",
    "v": "the index and middle fingers extended and spread",
    "w": "the index, middle and ring fingers extended and spread",
    "y": "the thumb and little finger extended",
}


def _handshape_features(record: PhonRecord) -> str | None:
    """What the record's handshape looks like (`HANDSHAPE_FEATURES`), or None when only its name is certain."""
    return HANDSHAPE_FEATURES.get(record.handshape)


def infer_palm_orientation(record: PhonRecord) -> str | None:
    """Palm orientation of the dominant hand: the record's own (synthetic records), else None.

    ASL-LEX does not code orientation, and neither contact nor location fixes it (a hand touching the chin may
    face in, sideways or down), so an ASL-LEX record's description never states one.
    """
    return record.palm_orientation


def _base_orientation(record: PhonRecord) -> str | None:
    """Palm orientation of a synthetic record's base hand, as the synthetic signer renders it from where the
    dominant hand acts on it (None for ASL-LEX records, which code no orientation)."""
    if record.palm_orientation is None:
        return None
    if record.minor_location in ("Palm", "Heel"):
        return "up"
    if record.minor_location == "PalmBack":
        return "down"
    if record.minor_location in ("FingerRadial", "FingerUlnar"):
        return "side"
    return None


def _location(code: str | None, major: str) -> tuple[str, str]:
    if code is None or code not in MINOR_LOCATIONS:
        return _MAJOR_FALLBACK.get(major, ("in", "neutral space"))
    return MINOR_LOCATIONS[code]


@dataclass(frozen=True)
class _Motion:
    """A verb phrase: `verb` conjugates ("move"/"moves"/"moving"), `rest` follows it, then `then` (if any)."""

    verb: str
    rest: str
    then: _Motion | None = None

    def form(self, kind: str) -> str:
        if self.then is not None:
            head = _Motion(self.verb, self.rest).form(kind)
            return f"{head} and then {self.then.form(kind)}"
        verb = self.verb
        if kind == "3rd":
            verb = verb + "es" if verb.endswith(("ch", "sh")) else verb + "s"
        elif kind == "ing":
            verb = verb[:-1] + "ing" if verb.endswith("e") and not verb.endswith("ee") else verb + "ing"
        return f"{verb} {self.rest}".strip()


@dataclass(frozen=True)
class _Parts:
    """Wording-independent pieces of a description, filled in by the templates."""

    hand: str  # "A hand"
    hand_features: str | None  # "a closed fist with the thumb against the side of the index finger"
    orientation: str | None  # "in"
    location: tuple[str, str]  # ("at", "the chin")
    motion: _Motion
    repeated: bool
    extras: list[_Motion]  # contact, handshape change, wrist twist
    two_hands: str | None  # "both", "base", "both_different"
    base_hand: str | None  # non-dominant handshape name
    base_orientation: str | None


def _parts(record: PhonRecord) -> _Parts:
    """The pieces of a description, stating only what the coding gives.

    Contact (`Contact` = 1) is made at the first location: when the hand then moves away or on to a second
    location, the description touches first and moves after, in that order; otherwise the hand touches while it
    moves. In symmetrical signs the contact is with the other hand (ASL-LEX's definition): "each other". An
    aperture or spread change is stated without a direction, which ASL-LEX does not code; without a path movement
    the local movement (wrist twist, aperture change) is the movement.
    """
    location = _location(record.minor_location, record.major_location)
    second = record.second_minor_location
    symmetric = record.sign_type in ("SymmetricalOrAlternating", "SymmetryViolation")
    touch_target = "each other" if symmetric else location[1]
    extras: list[_Motion] = []
    motion: _Motion
    if second is not None and second not in (record.minor_location, "Other", "OtherAway", "Away"):
        if second.endswith("Away") or (second == "Neutral" and location[1] != "neutral space"):
            motion = _Motion("move", f"away from {location[1]}")
        else:
            motion = _Motion("move", f"from {location[1]} to {_location(second, record.major_location)[1]}")
        if record.movement in _PATH_WORDS:
            motion = _Motion(motion.verb, f"{_PATH_WORDS[record.movement]} {motion.rest}")
        if record.contact:  # the contact is at the first location, before the hand leaves it
            motion = _Motion("touch", touch_target, then=motion)
    elif record.movement in ("Straight", "None") and record.movement_direction is not None:
        motion = _Motion("move", _DIRECTION_WORDS[record.movement_direction])
    elif record.movement == "Straight":
        motion = _Motion("move", "in a straight line")
    elif record.movement in _PATH_WORDS:
        rest = _PATH_WORDS[record.movement]
        if record.movement_direction is not None and record.movement in ("Curved", "Z-shaped"):
            rest = f"{rest} {_DIRECTION_WORDS[record.movement_direction]}"
        motion = _Motion("move", rest)
    elif record.contact:
        motion = _Motion("touch", touch_target)
    else:
        motion = _Motion("hold", "still")
    if record.contact and motion.verb != "touch":
        extras.append(_Motion("touch", touch_target))
    if record.flexion_change:  # ASL-LEX: "whether the aperture changes", not which way
        extras.append(
            _Motion("change", "how open the hand is" if not symmetric else "how open the hands are")
        )
    if record.spread_change:
        extras.append(_Motion("change", "how far the fingers spread"))
    if record.ulnar_rotation:
        extras.append(_Motion("twist", "the wrists" if symmetric else "the wrist"))
    if motion.verb == "hold" and extras:  # no path movement: the local movement is the movement
        motion, extras = extras[0], extras[1:]

    two_hands = None
    base_hand = None
    if record.sign_type in ("SymmetricalOrAlternating", "SymmetryViolation"):
        two_hands = "both"
    elif record.sign_type in ("AsymmetricalSameHandshape", "AsymmetricalDifferentHandshape"):
        two_hands = "base"
        same = record.sign_type == "AsymmetricalSameHandshape" or record.nondominant_handshape is None
        base_hand = handshape_name(record.handshape if same else record.nondominant_handshape)
    elif record.sign_type == "DominanceViolation":
        two_hands = "both_different"
        base_hand = handshape_name(record.nondominant_handshape or record.handshape)
    return _Parts(
        hand=handshape_name(record.handshape),
        hand_features=_handshape_features(record),
        orientation=infer_palm_orientation(record),
        location=location,
        motion=motion,
        repeated=record.repeated_movement,
        extras=extras,
        two_hands=two_hands,
        base_hand=base_hand,
        base_orientation=_base_orientation(record) if two_hands == "base" else None,
    )


def _article(noun: str) -> str:
    first = noun.split()[0]
    vowel_sound = first[0].lower() in "aeio" or first in ("F", "H", "L", "M", "N", "R", "S", "X", "8", "11")
    return ("an " if vowel_sound else "a ") + noun


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join_sentences(fragments: list[tuple[str, str]]) -> str:
    """Join `(text, separator)` pairs; each sentence starts with a capital letter."""
    out = ""
    start = True
    for text, separator in fragments:
        if not text:
            continue
        out += (_capitalize(text) if start else text) + separator + " "
        start = separator == "."
    return out.strip()


def _and(items: list[str]) -> str:
    """Join with "and" only (a comma would add a fragment boundary)."""
    return " and ".join(items)


def _repetition(parts: _Parts) -> str:
    """ASL-LEX codes that a movement repeats (`RepeatedMovement`), not how often: one wording in every paraphrase."""
    return " repeatedly" if parts.repeated else ""


def _orientation(parts: _Parts, plural: bool = False) -> str | None:
    if parts.orientation is None:
        return None
    if plural and parts.orientation == "side":
        return "palms facing each other"
    return f"{'palms' if plural else 'palm'} facing {_ORIENTATION_WORDS[parts.orientation]}"


def _base_clause(parts: _Parts, style: int) -> str | None:
    """Clause (without inner punctuation) that introduces the non-dominant hand of a two-handed sign."""
    if parts.two_hands == "base":
        palm = f" palm {_ORIENTATION_WORDS[parts.base_orientation]}" if parts.base_orientation else ""
        if style == 0:
            return f"the non-dominant {parts.base_hand} is held{palm} as a base"
        palm = palm.replace(" palm", " with the palm")
        return f"the other hand stays still as {_article(parts.base_hand)}{palm}"
    if parts.two_hands == "both_different":  # ASL-LEX codes no more about this hand than its shape
        return f"the non-dominant hand is {_article(parts.base_hand)}"
    return None


def _with_features(parts: _Parts) -> str:
    """'a W hand with the index, middle and ring fingers extended and spread' (the name alone when its look
    is not in `HANDSHAPE_FEATURES`)."""
    named = _article(parts.hand)
    if parts.hand_features is None:
        return named
    if parts.hand_features.startswith("a "):
        return f"{named} made as {parts.hand_features}"
    return f"{named} with {parts.hand_features}"


def _subject(parts: _Parts, dominant_word: str = "the dominant") -> str:
    if parts.two_hands == "both":
        return f"both {parts.hand}s"
    if parts.two_hands in ("base", "both_different"):
        return f"{dominant_word} {parts.hand}"
    return parts.hand


# Each template returns `(text, separator)` fragments. Separators are the only fragment boundaries.
def _template_dictionary(parts: _Parts) -> list[tuple[str, str]]:
    """'A hand, palm facing in, at the chin; move forward twice, touching the chin.' (LexSign prompt style)."""
    plural = parts.two_hands == "both"
    base = _base_clause(parts, 0)
    subject = parts.hand if not parts.two_hands else _subject(parts)
    fragments = [(base, ";")] if base else []
    fragments += [(subject, ","), (_orientation(parts, plural), ","), (" ".join(parts.location), ";")]
    extras = [extra.form("ing") for extra in parts.extras]
    separator = "," if extras else "."
    fragments.append((parts.motion.form("imp") + _repetition(parts), separator))
    if extras:
        fragments.append((_and(extras), "."))
    return [(text, sep) for text, sep in fragments if text]


def _template_location_first(parts: _Parts) -> list[tuple[str, str]]:
    """'At the chin, an A hand with the palm facing in; it moves forward two times.'"""
    subject = _subject(parts)
    orientation = _orientation(parts, parts.two_hands == "both")
    head = _article(subject) if not parts.two_hands else subject
    if orientation:
        head = f"{head} with the {orientation}"
    fragments = [(_capitalize(" ".join(parts.location)), ","), (head, ";")]
    base = _base_clause(parts, 1)
    if base:
        fragments.append((base, ";"))
    pronoun = "they" if parts.two_hands == "both" else "it"
    verb_kind = "imp" if pronoun == "they" else "3rd"
    motion = f"{pronoun} {parts.motion.form(verb_kind)}" + _repetition(parts)
    fragments.append((motion, "," if parts.extras else "."))
    if parts.extras:
        fragments.append((_and([extra.form("ing") for extra in parts.extras]), "."))
    return fragments


def _template_imperative(parts: _Parts) -> list[tuple[str, str]]:
    """'Place an A hand at the chin, palm facing in. Move forward twice and touch the chin.'"""
    base = _base_clause(parts, 0)
    fragments = [(base, ".")] if base else []
    subject = _subject(parts) if parts.two_hands else _article(parts.hand)
    fragments.append((f"place {subject} {' '.join(parts.location)}", ","))
    orientation = _orientation(parts, parts.two_hands == "both")
    if orientation:
        fragments.append((orientation, "."))
    else:
        fragments[-1] = (fragments[-1][0], ".")
    motion = parts.motion.form("imp") + _repetition(parts)
    if parts.extras:
        fragments.append((motion, ";"))
        fragments.append((_and([extra.form("imp") for extra in parts.extras]), "."))
    else:
        fragments.append((motion, "."))
    return fragments


def _template_narrative(parts: _Parts) -> list[tuple[str, str]]:
    """'The dominant hand forms an A hand; the palm faces in; it is held at the chin, then moves forward twice.'"""
    if parts.two_hands == "both":
        fragments = [(f"both hands form {parts.hand}s", ";")]
    else:
        fragments = [(f"the dominant hand forms {_article(parts.hand)}", ";")]
    base = _base_clause(parts, 1)
    if base:
        fragments.insert(0, (base, ";"))
    if parts.orientation:
        palm = "the palms face" if parts.two_hands == "both" else "the palm faces"
        fragments.append((f"{palm} {_ORIENTATION_WORDS[parts.orientation]}", ";"))
    held = "they are" if parts.two_hands == "both" else "it is"
    fragments.append((f"{held} held {' '.join(parts.location)}", ","))
    verb_kind = "imp" if parts.two_hands == "both" else "3rd"
    lead = "" if parts.motion.then is not None else "then "  # "touches X and then moves" has its own "then"
    motion = lead + parts.motion.form(verb_kind) + _repetition(parts)
    fragments.append((motion, "," if parts.extras else "."))
    if parts.extras:
        fragments.append((_and([extra.form("ing") for extra in parts.extras]), "."))
    return fragments


def _template_compact(parts: _Parts) -> list[tuple[str, str]]:
    """'A hand held at the chin, palm facing in; move forward twice; touch the chin.'"""
    base = _base_clause(parts, 0)
    fragments = [(base, ";")] if base else []
    subject = _subject(parts) if parts.two_hands else parts.hand
    fragments.append((f"{subject} held {' '.join(parts.location)}", ","))
    orientation = _orientation(parts, parts.two_hands == "both")
    if orientation:
        fragments.append((orientation, ";"))
    else:
        fragments[-1] = (fragments[-1][0], ";")
    fragments.append((parts.motion.form("imp") + _repetition(parts), ";"))
    if parts.extras:
        fragments.append((_and([extra.form("imp") for extra in parts.extras]), ";"))
    fragments[-1] = (fragments[-1][0], ".")
    return fragments


def _template_features(parts: _Parts) -> list[tuple[str, str]]:
    """Held out. 'The handshape is an A hand made as a closed fist with the thumb against the side of the index finger.
    The sign is made at the chin...'"""
    owner = "each hand is" if parts.two_hands == "both" else "the handshape is"
    fragments = [(f"{owner} {_with_features(parts)}", ".")]
    base = _base_clause(parts, 0)
    if base:
        fragments.append((base, "."))
    if parts.orientation:
        fragments.append((f"the palm faces {_ORIENTATION_WORDS[parts.orientation]}", "."))
    fragments.append((f"the sign is made {' '.join(parts.location)}", "."))
    movement = f"the movement consists of {parts.motion.form('ing')}"
    movement += _repetition(parts)
    if parts.extras:
        movement += " while " + _and([extra.form("ing") for extra in parts.extras])
    fragments.append((movement, "."))
    return fragments


def _template_motion_first(parts: _Parts) -> list[tuple[str, str]]:
    """Held out. 'Moving forward twice, the A hand starts at the chin, palm facing in; it also touches the chin.'"""
    lead = parts.motion.form("ing") + _repetition(parts)
    subject = _subject(parts, "the dominant")
    subject = subject if subject.startswith(("the ", "both ")) else f"the {subject}"
    verb = "start" if parts.two_hands == "both" else "starts"
    fragments = [(lead, ","), (f"{subject} {verb} {' '.join(parts.location)}", ",")]
    orientation = _orientation(parts, parts.two_hands == "both")
    if orientation:
        fragments.append((orientation, ";"))
    base = _base_clause(parts, 1)
    if base:
        fragments.append((base, ";"))
    if parts.extras:
        fragments[-1] = (fragments[-1][0], ";")
        pronoun = "they" if parts.two_hands == "both" else "it"
        verb_kind = "imp" if pronoun == "they" else "3rd"
        fragments.append((f"{pronoun} also {_and([extra.form(verb_kind) for extra in parts.extras])}", "."))
    fragments[-1] = (fragments[-1][0], ".")
    return fragments


def _template_descriptive(parts: _Parts) -> list[tuple[str, str]]:
    """Held out. 'Using a C hand with all fingers and the thumb curved into a C shape, the hand is placed near the
    head; move...'"""
    if parts.two_hands == "both":
        fragments = [(f"using both hands, each {_with_features(parts)}", ",")]
    else:
        fragments = [(f"using {_with_features(parts)}", ",")]
    if parts.orientation:
        fragments.append((f"palm {_ORIENTATION_WORDS[parts.orientation]}", ","))
    hands = "the hands are" if parts.two_hands == "both" else "the hand is"
    fragments.append((f"{hands} placed {' '.join(parts.location)}", ";"))
    base = _base_clause(parts, 0)
    if base:
        fragments.append((base, ";"))
    motion = parts.motion.form("imp") + _repetition(parts)
    if parts.extras:
        motion += " while " + _and([extra.form("ing") for extra in parts.extras])
    fragments.append((motion, "."))
    return fragments


def _second_part(parts: _Parts) -> list[tuple[str, str]]:
    """'The second part has an O hand at the cheek; touch the cheek.' (a compound's second morpheme)."""
    hands = f"both {parts.hand}s" if parts.two_hands == "both" else _article(parts.hand)
    motion = parts.motion.form("imp") + _repetition(parts)
    if parts.extras:
        motion += " while " + _and([extra.form("ing") for extra in parts.extras])
    return [(f"the second part has {hands} {' '.join(parts.location)}", ";"), (motion, ".")]


def _merge_to_six(fragments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge the last fragments until there are at most six (fragment count is part of the contract)."""
    while len(fragments) > 6:
        (a, _), (b, sep) = fragments[-2], fragments[-1]
        fragments = fragments[:-2] + [(f"{a} and {b}", sep)]
    return fragments


_TEMPLATES: tuple[Callable[[_Parts], list[tuple[str, str]]], ...] = (
    _template_dictionary,
    _template_location_first,
    _template_imperative,
    _template_narrative,
    _template_compact,
    _template_features,
    _template_motion_first,
    _template_descriptive,
)
N_TEMPLATES = len(_TEMPLATES)
TRAIN_TEMPLATES: tuple[int, ...] = (0, 1, 2, 3, 4)
HELD_OUT_TEMPLATES: tuple[int, ...] = (5, 6, 7)


def describe(record: PhonRecord, template: int | None = None, rng: np.random.Generator | None = None) -> str:
    """Dictionary-style English description of a sign from its phonological record.

    `template` picks one of `N_TEMPLATES` paraphrases (`None`: drawn from `rng` among all templates, or 0 without
    an `rng`). Same arguments, same text.
    """
    if template is None:
        template = 0 if rng is None else int(rng.integers(N_TEMPLATES))
    if not 0 <= template < N_TEMPLATES:
        raise ValueError(f"template must be in [0, {N_TEMPLATES}), got {template}")
    fragments = _TEMPLATES[template](_parts(record))
    if record.second_morpheme is not None:
        fragments = [*fragments, *_second_part(_parts(record.second_morpheme))]
    fragments = _merge_to_six(fragments)
    text = _join_sentences([(" ".join(text.split()), sep) for text, sep in fragments if text])
    return text.replace(" ,", ",")

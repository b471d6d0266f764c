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
from dataclasses import dataclass, field
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
_ALL_MINOR_CODES = set(MINOR_LOCATIONS) | {"Other", "OtherAway"}

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


def _required_flag(value: str, column: str) -> bool:
    flag = _flag(value, column)
    if flag is None:
        raise ValueError(f"missing value in {column}")
    return flag


def _code(value: str, column: str, allowed: Iterable[str], optional: bool = False) -> str | None:
    if value in ("", "NA"):
        if optional:
            return None
        raise ValueError(f"missing value in {column}")
    if value not in allowed:
        raise ValueError(f"unknown code {value!r} in {column}")
    return value


def _nondominant(value: str) -> str | None:
    if value in _NONDOMINANT_NONE:
        return None
    value = _NONDOMINANT_ALIASES.get(value, value)
    if value != "lax" and value not in HANDSHAPES:
        raise ValueError(f"unknown code {value!r} in NonDominantHandshape.2.0")
    return value


def _record_from_row(row: dict[str, str]) -> PhonRecord:
    entry_id = row["EntryID"]
    if not entry_id:
        raise ValueError("missing value in EntryID")
    second = _code(row["SecondMinorLocation.2.0"], "SecondMinorLocation.2.0", _ALL_MINOR_CODES, optional=True)
    iconicity = row.get("IconicityType", "").strip()
    return PhonRecord(
        entry_id=entry_id,
        handshape=_code(row["Handshape.2.0"], "Handshape.2.0", HANDSHAPES),
        selected_fingers=_code(row["SelectedFingers.2.0"], "SelectedFingers.2.0", SELECTED_FINGERS),
        flexion=_code(row["Flexion.2.0"], "Flexion.2.0", FLEXIONS, optional=True),
        flexion_change=_flag(row["FlexionChange.2.0"], "FlexionChange.2.0"),
        spread=_flag(row["Spread.2.0"], "Spread.2.0"),
        spread_change=_flag(row["SpreadChange.2.0"], "SpreadChange.2.0"),
        thumb_position=_code(row["ThumbPosition.2.0"], "ThumbPosition.2.0", ("Open", "Closed")),
        thumb_contact=_flag(row["ThumbContact.2.0"], "ThumbContact.2.0"),
        sign_type=_code(row["SignType.2.0"], "SignType.2.0", SIGN_TYPES),
        movement=_code(row["Movement.2.0"], "Movement.2.0", MOVEMENTS),
        repeated_movement=_required_flag(row["RepeatedMovement.2.0"], "RepeatedMovement.2.0"),
        major_location=_code(row["MajorLocation.2.0"], "MajorLocation.2.0", MAJOR_LOCATIONS),
        minor_location=_code(row["MinorLocation.2.0"], "MinorLocation.2.0", _ALL_MINOR_CODES),
        second_minor_location=second,
        contact=_required_flag(row["Contact.2.0"], "Contact.2.0"),
        nondominant_handshape=_nondominant(row["NonDominantHandshape.2.0"]),
        ulnar_rotation=_required_flag(row["UlnarRotation.2.0"], "UlnarRotation.2.0"),
        gloss=normalize_gloss(entry_id),
        iconicity_type=iconicity if iconicity not in ("", "NA") else None,
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
    "Other": "with a short wiggle",
}


def handshape_name(code: str) -> str:
    """Dictionary-style name of an ASL-LEX handshape code (`"bent_v"` → `"bent V hand"`)."""
    if code == "lax":
        return "relaxed hand"
    return HANDSHAPES.get(code, code.replace("_", " ") + " hand")


def _handshape_features(record: PhonRecord) -> str:
    """The handshape spelled out from its coded features ("the index and middle fingers bent and spread")."""
    if record.selected_fingers == "t":
        thumb = "extended" if record.thumb_position == "Open" else "against the fingers"
        return f"a closed fist with the thumb {thumb}"
    fingers = [_FINGER_NAMES[letter] for letter in record.selected_fingers]
    if record.selected_fingers == "imrp":
        subject = "all fingers"
    elif len(fingers) == 1:
        subject = f"the {fingers[0]} finger"
    else:
        subject = "the " + " and ".join([" ".join(fingers[:-1]), fingers[-1]]) + " fingers"
    text = f"{subject} {_FLEXION_WORDS.get(record.flexion or '', 'extended')}"
    if record.spread:
        text += " and spread"
    if record.thumb_contact:
        text += " with the thumb touching them"
    elif record.thumb_position == "Open":
        text += " with the thumb out"
    return text


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
    """A verb phrase: `verb` conjugates ("move"/"moves"/"moving"), `rest` follows it."""

    verb: str
    rest: str

    def form(self, kind: str) -> str:
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
    hand_features: str  # "a closed fist with the thumb extended"
    orientation: str | None  # "in"
    location: tuple[str, str]  # ("at", "the chin")
    motion: _Motion
    repeated: bool
    extras: list[_Motion]  # contact, handshape change, wrist twist
    two_hands: str | None  # "both", "base", "both_different"
    base_hand: str | None  # non-dominant handshape name
    base_orientation: str | None


def _parts(record: PhonRecord) -> _Parts:
    location = _location(record.minor_location, record.major_location)
    second = record.second_minor_location
    extras: list[_Motion] = []
    motion: _Motion
    if second is not None and second not in (record.minor_location, "Other", "OtherAway"):
        if (
            second.endswith("Away")
            and second != "BodyAway"
            or (second == "Neutral" and location[1] != "neutral space")
        ):
            motion = _Motion("move", f"away from {location[1]}")
        else:
            motion = _Motion("move", f"from {location[1]} to {_location(second, record.major_location)[1]}")
        if record.movement in _PATH_WORDS:
            motion = _Motion(motion.verb, f"{_PATH_WORDS[record.movement]} {motion.rest}")
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
        target = "each other" if record.sign_type == "SymmetricalOrAlternating" else location[1]
        motion = _Motion("touch", target)
    else:
        motion = _Motion("hold", "still")
    if record.contact and motion.verb != "touch":
        target = "the other hand" if record.sign_type == "SymmetricalOrAlternating" else location[1]
        extras.append(_Motion("touch", target))
    if record.flexion_change:
        opening = record.flexion in ("FullyOpen", None)
        extras.append(_Motion("close", "the hand") if opening else _Motion("open", "the hand"))
    if record.spread_change:
        extras.append(
            _Motion("spread", "the fingers") if not record.spread else _Motion("close", "the fingers")
        )
    if record.ulnar_rotation:
        extras.append(_Motion("twist", "the wrist"))

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


def _choose(options: tuple[str, ...], rng: np.random.Generator | None) -> str:
    return options[0] if rng is None else options[int(rng.integers(len(options)))]


def _repetition(parts: _Parts, rng: np.random.Generator | None, options=("twice", "repeatedly")) -> str:
    return " " + _choose(options, rng) if parts.repeated else ""


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
    if parts.two_hands == "both_different":
        return f"the non-dominant {parts.base_hand} moves along"
    return None


def _subject(parts: _Parts, dominant_word: str = "the dominant") -> str:
    if parts.two_hands == "both":
        return f"both {parts.hand}s"
    if parts.two_hands in ("base", "both_different"):
        return f"{dominant_word} {parts.hand}"
    return parts.hand


# Each template returns `(text, separator)` fragments. Separators are the only fragment boundaries.
def _template_dictionary(parts: _Parts, rng: np.random.Generator | None) -> list[tuple[str, str]]:
    """'A hand, palm facing in, at the chin; move forward twice, touching the chin.' (LexSign prompt style)."""
    plural = parts.two_hands == "both"
    base = _base_clause(parts, 0)
    subject = parts.hand if not parts.two_hands else _subject(parts)
    fragments = [(base, ";")] if base else []
    fragments += [(subject, ","), (_orientation(parts, plural), ","), (" ".join(parts.location), ";")]
    extras = [extra.form("ing") for extra in parts.extras]
    separator = "," if extras else "."
    fragments.append((parts.motion.form("imp") + _repetition(parts, rng), separator))
    if extras:
        fragments.append((_and(extras), "."))
    return [(text, sep) for text, sep in fragments if text]


def _template_location_first(parts: _Parts, rng: np.random.Generator | None) -> list[tuple[str, str]]:
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
    motion = f"{pronoun} {parts.motion.form(verb_kind)}" + _repetition(
        parts, rng, ("two times", "over and over")
    )
    fragments.append((motion, "," if parts.extras else "."))
    if parts.extras:
        fragments.append(("then " + _and([extra.form(verb_kind) for extra in parts.extras]), "."))
    return fragments


def _template_imperative(parts: _Parts, rng: np.random.Generator | None) -> list[tuple[str, str]]:
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
    motion = parts.motion.form("imp") + _repetition(parts, rng)
    if parts.extras:
        fragments.append((motion, ";"))
        fragments.append((_and([extra.form("imp") for extra in parts.extras]), "."))
    else:
        fragments.append((motion, "."))
    return fragments


def _template_narrative(parts: _Parts, rng: np.random.Generator | None) -> list[tuple[str, str]]:
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
    motion = "then " + parts.motion.form(verb_kind) + _repetition(parts, rng, ("twice", "several times"))
    fragments.append((motion, "," if parts.extras else "."))
    if parts.extras:
        fragments.append((_and([extra.form("ing") for extra in parts.extras]), "."))
    return fragments


def _template_compact(parts: _Parts, rng: np.random.Generator | None) -> list[tuple[str, str]]:
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
    fragments.append((parts.motion.form("imp") + _repetition(parts, rng, ("repeatedly", "twice")), ";"))
    if parts.extras:
        fragments.append((_and([extra.form("imp") for extra in parts.extras]), ";"))
    fragments[-1] = (fragments[-1][0], ".")
    return fragments


def _template_features(parts: _Parts, rng: np.random.Generator | None) -> list[tuple[str, str]]:
    """Held out. 'The handshape has the index finger extended. The palm faces in. The sign is made at the chin...'"""
    verb = "is" if parts.hand_features.startswith("a ") else "has"
    owner = f"each hand {verb}" if parts.two_hands == "both" else f"the handshape {verb}"
    fragments = [(f"{owner} {parts.hand_features}", ".")]
    base = _base_clause(parts, 0)
    if base:
        fragments.append((base, "."))
    if parts.orientation:
        fragments.append((f"the palm faces {_ORIENTATION_WORDS[parts.orientation]}", "."))
    fragments.append((f"the sign is made {' '.join(parts.location)}", "."))
    movement = f"the movement consists of {parts.motion.form('ing')}"
    movement += _repetition(parts, rng, ("repeatedly", "two times"))
    if parts.extras:
        movement += " while " + _and([extra.form("ing") for extra in parts.extras])
    fragments.append((movement, "."))
    return fragments


def _template_motion_first(parts: _Parts, rng: np.random.Generator | None) -> list[tuple[str, str]]:
    """Held out. 'Moving forward twice, the A hand starts at the chin, palm facing in; it also touches the chin.'"""
    lead = parts.motion.form("ing") + _repetition(parts, rng, ("two times", "again and again"))
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


def _template_descriptive(parts: _Parts, rng: np.random.Generator | None) -> list[tuple[str, str]]:
    """Held out. 'With all fingers curved and the thumb out, palm in, the hand is placed near the head; move...'"""
    features = parts.hand_features.replace(" with the thumb", " and the thumb")
    if parts.two_hands == "both":
        fragments = [(f"using both hands with {features}", ",")]
    else:
        fragments = [(f"with {features}", ",")]
    if parts.orientation:
        fragments.append((f"palm {_ORIENTATION_WORDS[parts.orientation]}", ","))
    hands = "the hands are" if parts.two_hands == "both" else "the hand is"
    fragments.append((f"{hands} placed {' '.join(parts.location)}", ";"))
    base = _base_clause(parts, 0)
    if base:
        fragments.append((base, ";"))
    motion = parts.motion.form("imp") + _repetition(parts, rng, ("twice", "a few times"))
    if parts.extras:
        motion += " while " + _and([extra.form("ing") for extra in parts.extras])
    fragments.append((motion, "."))
    return fragments


def _merge_to_six(fragments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge the last fragments until there are at most six (fragment count is part of the contract)."""
    while len(fragments) > 6:
        (a, _), (b, sep) = fragments[-2], fragments[-1]
        fragments = fragments[:-2] + [(f"{a} and {b}", sep)]
    return fragments


_TEMPLATES: tuple[Callable[[_Parts, np.random.Generator | None], list[tuple[str, str]]], ...] = (
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
    an `rng`); `rng` also varies small word choices ("twice" / "repeatedly"). Same arguments, same text.
    """
    if template is None:
        template = 0 if rng is None else int(rng.integers(N_TEMPLATES))
    if not 0 <= template < N_TEMPLATES:
        raise ValueError(f"template must be in [0, {N_TEMPLATES}), got {template}")
    fragments = _merge_to_six(_TEMPLATES[template](_parts(record), rng))
    text = _join_sentences([(" ".join(text.split()), sep) for text, sep in fragments if text])
    return text.replace(" ,", ",")

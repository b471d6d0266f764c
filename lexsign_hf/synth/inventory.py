"""Built-in phonological inventory of the synthetic signer and the sampler of pseudo-signs.

Handshapes carry ASL-LEX 2.0 names. `HANDSHAPE_FEATURES` is the modal coding (selected fingers, flexion, spread,
thumb position, thumb contact) of each handshape in ASL-LEX 2.0; `HANDSHAPE_POSES` spells each handshape out
per finger for forward kinematics. The sampling frequencies below were counted once, offline, on the ASL-LEX 2.0
sign-data CSV (`signdata-11-5-20.csv`, 2,719 entries, first morpheme); locations coded "Other" and the rare
dominance/symmetry-violation sign types are left out of the synthetic inventory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.phonology import PhonRecord, load_asl_lex

__all__ = [
    "HANDSHAPE_FEATURES",
    "HANDSHAPE_FREQUENCIES",
    "HANDSHAPE_POSES",
    "LOCATION_FREQUENCIES",
    "MOVEMENT_FREQUENCIES",
    "SIGN_TYPE_FREQUENCIES",
    "records_from_asl_lex",
    "sample_record",
    "sample_records",
]

# code -> (selected fingers, flexion, spread, thumb position, thumb contact): the most frequent ASL-LEX 2.0 coding.
HANDSHAPE_FEATURES: dict[str, tuple[str, str | None, bool | None, str, bool | None]] = {
    "1": ("i", "FullyOpen", None, "Closed", False),
    "3": ("im", "FullyOpen", True, "Open", False),
    "4": ("imrp", "FullyOpen", True, "Closed", False),
    "5": ("imrp", "FullyOpen", True, "Open", False),
    "7": ("r", "Curved", None, "Open", True),
    "8": ("m", "Flat", None, "Open", True),
    "a": ("t", None, None, "Open", None),
    "baby_o": ("i", "Bent", None, "Open", True),
    "bent_1": ("i", "Bent", None, "Closed", False),
    "bent_l": ("i", "Bent", None, "Open", False),
    "bent_v": ("im", "Bent", True, "Closed", False),
    "c": ("imrp", "Curved", False, "Open", False),
    "closed_b": ("imrp", "FullyOpen", False, "Closed", False),
    "closed_e": ("imrp", "Bent", True, "Closed", True),
    "curved_1": ("i", "Curved", None, "Closed", False),
    "curved_4": ("imrp", "Curved", True, "Closed", False),
    "curved_5": ("imrp", "Curved", True, "Open", False),
    "curved_h": ("im", "Curved", False, "Closed", False),
    "curved_l": ("i", "Curved", None, "Open", False),
    "curved_v": ("im", "Curved", True, "Closed", False),
    "d": ("m", "Curved", None, "Open", True),
    "e": ("imrp", "Bent", False, "Closed", True),
    "f": ("i", "Curved", None, "Open", True),
    "flat_1": ("i", "Flat", None, "Closed", False),
    "flat_4": ("imrp", "Flat", True, "Closed", False),
    "flat_b": ("imrp", "Flat", False, "Open", False),
    "flat_h": ("im", "Flat", False, "Closed", False),
    "flat_horns": ("ip", "Flat", None, "Closed", False),
    "flat_ily": ("ip", "Flat", None, "Open", False),
    "flat_m": ("imrp", "Flat", False, "Closed", True),
    "flat_n": ("im", "Flat", False, "Closed", True),
    "flat_o": ("imrp", "Flat", False, "Open", True),
    "flat_v": ("im", "Flat", True, "Closed", False),
    "flatspread_5": ("imrp", "Flat", True, "Open", False),
    "g": ("i", "Flat", None, "Open", False),
    "goody_goody": ("imp", "FullyOpen", False, "Open", False),
    "h": ("im", "FullyOpen", False, "Closed", False),
    "horns": ("ip", "FullyOpen", None, "Closed", False),
    "i": ("p", "FullyOpen", None, "Closed", False),
    "ily": ("ip", "FullyOpen", None, "Open", False),
    "k": ("m", "Stacked", None, "Open", False),
    "l": ("i", "FullyOpen", None, "Open", False),
    "o": ("imrp", "Curved", False, "Open", True),
    "open_8": ("m", "Flat", None, "Open", False),
    "open_b": ("imrp", "FullyOpen", False, "Open", False),
    "open_e": ("imrp", "Bent", False, "Open", False),
    "open_f": ("i", "Curved", None, "Open", False),
    "open_h": ("im", "FullyOpen", False, "Open", False),
    "p": ("im", "Stacked", None, "Open", True),
    "r": ("im", "Crossed", False, "Closed", False),
    "s": ("imrp", "FullyClosed", None, "Closed", True),
    "spread_e": ("imrp", "Bent", True, "Closed", False),
    "spread_open_e": ("imrp", "Bent", True, "Open", False),
    "stacked_5": ("imrp", "Stacked", None, "Open", True),
    "t": ("i", "Curved", None, "Open", True),
    "v": ("im", "FullyOpen", True, "Closed", False),
    "w": ("p", "Curved", None, "Open", True),
    "y": ("p", "FullyOpen", None, "Open", False),
}

# code -> "IMRP T S": per-finger state of index, middle, ring, little finger, thumb state, spread.
# Finger states: E extended, F flat (bent at the knuckle), B bent (hooked), C curved, O curved to the thumb,
# Q flat to the thumb, X closed, L lax. Thumb: o out, s alongside, a across the fingers, p in the palm,
# t touching the first finger in state O/Q (else the index tip), c curved opposite the fingers.
# Spread: 1 spread, 0 together, x index and middle crossed.
HANDSHAPE_POSES: dict[str, str] = {
    "1": "EXXX a 0",
    "3": "EEXX o 1",
    "4": "EEEE p 1",
    "5": "EEEE o 1",
    "7": "EEOE t 1",
    "8": "EOEE t 1",
    "a": "XXXX s 0",
    "baby_o": "OXXX t 0",
    "bent_1": "BXXX a 0",
    "bent_l": "BXXX o 0",
    "bent_v": "BBXX a 1",
    "c": "CCCC c 0",
    "closed_b": "EEEE p 0",
    "closed_e": "BBBB p 1",
    "curved_1": "CXXX a 0",
    "curved_4": "CCCC p 1",
    "curved_5": "CCCC o 1",
    "curved_h": "CCXX a 0",
    "curved_l": "CXXX o 0",
    "curved_v": "CCXX a 1",
    "d": "EOOO t 0",
    "e": "BBBB p 0",
    "f": "OEEE t 1",
    "flat_1": "FXXX a 0",
    "flat_4": "FFFF p 1",
    "flat_b": "FFFF s 0",
    "flat_h": "FFXX a 0",
    "flat_horns": "FXXF a 0",
    "flat_ily": "FXXF o 0",
    "flat_m": "FFFX a 0",
    "flat_n": "FFXX a 0",
    "flat_o": "QQQQ t 0",
    "flat_v": "FFXX a 1",
    "flatspread_5": "FFFF o 1",
    "g": "FXXX s 0",
    "goody_goody": "EEXE o 0",
    "h": "EEXX a 0",
    "horns": "EXXE a 0",
    "i": "XXXE a 0",
    "ily": "EXXE o 0",
    "k": "EFXX t 1",
    "l": "EXXX o 0",
    "o": "OOOO t 0",
    "open_8": "EFEE o 1",
    "open_b": "EEEE o 0",
    "open_e": "BBBB o 0",
    "open_f": "CEEE o 1",
    "open_h": "EEXX o 0",
    "p": "EFXX t 1",
    "r": "EEXX a x",
    "s": "XXXX a 0",
    "spread_e": "BBBB p 1",
    "spread_open_e": "BBBB o 1",
    "stacked_5": "EFCB t 1",
    "t": "XXXX p 0",
    "v": "EEXX a 1",
    "w": "EEEX t 1",
    "y": "XXXE o 0",
    "lax": "LLLL s 0",
}

# ASL-LEX 2.0 counts (first morpheme, 2,719 entries); handshapes used by fewer than 8 signs are left out.
HANDSHAPE_FREQUENCIES: dict[str, int] = {
    "1": 273, "open_b": 233, "a": 164, "s": 163, "curved_5": 144, "5": 138, "baby_o": 114, "c": 104, "f": 103,
    "flat_b": 95, "o": 85, "h": 72, "closed_b": 71, "v": 68, "open_8": 64, "bent_1": 57, "p": 54, "flat_o": 52,
    "y": 52, "l": 51, "flatspread_5": 50, "g": 47, "bent_v": 38, "4": 34, "r": 32, "curved_v": 31, "i": 28,
    "curved_l": 28, "flat_1": 26, "3": 25, "flat_h": 25, "8": 21, "d": 20, "bent_l": 16, "e": 14, "w": 14,
    "horns": 13, "flat_v": 12, "spread_open_e": 11, "stacked_5": 10, "open_h": 10, "curved_1": 9, "ily": 8,
}  # fmt: skip
SIGN_TYPE_FREQUENCIES: dict[str, int] = {
    "OneHanded": 1066,
    "SymmetricalOrAlternating": 938,
    "AsymmetricalDifferentHandshape": 475,
    "AsymmetricalSameHandshape": 161,
}
MOVEMENT_FREQUENCIES: dict[str, int] = {
    "Straight": 1244, "Curved": 630, "None": 417, "Circular": 207, "Z-shaped": 93, "BackAndForth": 72,
}  # fmt: skip
# P(repeated movement) = 1214 / 2719; P(wrist twist) = 448 / 2719; P(aperture change) = 530 / 2537;
# P(spread change | spread coded) = 193 / 1582.
REPEATED_PROBABILITY = 0.45
ULNAR_ROTATION_PROBABILITY = 0.16
FLEXION_CHANGE_PROBABILITY = 0.21
SPREAD_CHANGE_PROBABILITY = 0.12
# Major location given sign type (the asymmetrical types act on the non-dominant hand: 615 of 636 signs).
MAJOR_LOCATION_FREQUENCIES: dict[str, dict[str, int]] = {
    "OneHanded": {"Head": 552, "Neutral": 311, "Body": 133, "Arm": 69},
    "SymmetricalOrAlternating": {"Neutral": 654, "Head": 162, "Body": 116},
    "AsymmetricalDifferentHandshape": {"Hand": 462},
    "AsymmetricalSameHandshape": {"Hand": 153},
}
LOCATION_FREQUENCIES: dict[str, dict[str, int]] = {
    "Head": {
        "HeadAway": 179, "Mouth": 125, "Forehead": 108, "Chin": 101, "CheekNose": 96, "Eye": 43, "UnderChin": 16,
        "HeadTop": 12, "UpperLip": 7,
    },
    "Body": {
        "TorsoTop": 87, "Clavicle": 46, "BodyAway": 44, "Shoulder": 21, "Neck": 16, "TorsoMid": 15, "Hips": 11,
        "TorsoBottom": 7, "Waist": 6,
    },
    "Hand": {
        "Palm": 208, "HandAway": 96, "FingerRadial": 94, "PalmBack": 66, "FingerTip": 64, "FingerBack": 52,
        "FingerFront": 41, "FingerUlnar": 18, "Heel": 13,
    },
    "Arm": {
        "ForearmUlnar": 15, "ArmAway": 14, "UpperArm": 13, "WristBack": 11, "ForearmBack": 7, "ElbowBack": 4,
        "WristFront": 4, "ForearmFront": 3,
    },
    "Neutral": {"Neutral": 986},
}  # fmt: skip
# P(contact | major location): Head 512/726, Body 209/255, Hand 609/680, Arm 58/71, Neutral 303/986.
CONTACT_PROBABILITY = {"Head": 0.71, "Body": 0.82, "Hand": 0.9, "Arm": 0.82, "Neutral": 0.31}
# P(a second minor location differing from the first | major location), excluding "Neutral" signs.
SECOND_LOCATION_PROBABILITY = {"Head": 0.32, "Body": 0.45, "Hand": 0.51, "Arm": 0.3, "Neutral": 0.0}
# Non-dominant handshape of AsymmetricalDifferentHandshape signs (top of 475).
NONDOMINANT_FREQUENCIES: dict[str, int] = {"open_b": 270, "1": 75, "c": 56, "s": 26, "5": 25, "o": 5, "a": 2}
# Not coded by ASL-LEX: sampled uniformly among the values the signer renders distinctly.
PALM_ORIENTATIONS = ("in", "out", "down", "up", "side")
MOVEMENT_DIRECTIONS = ("forward", "back", "down", "up", "outward", "across")


def _draw(rng: np.random.Generator, table: dict[str, int | float]) -> str:
    keys = list(table)
    weights = np.asarray([table[key] for key in keys], dtype=np.float64)
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


def sample_record(rng: np.random.Generator, entry_id: str = "synthetic") -> PhonRecord:
    """Draw one pseudo-sign from the built-in inventory with ASL-LEX-like frequencies."""
    sign_type = _draw(rng, SIGN_TYPE_FREQUENCIES)
    major = _draw(rng, MAJOR_LOCATION_FREQUENCIES[sign_type])
    minor = _draw(rng, LOCATION_FREQUENCIES[major])
    handshape = _draw(rng, HANDSHAPE_FREQUENCIES)
    selected, flexion, spread, thumb_position, thumb_contact = HANDSHAPE_FEATURES[handshape]
    movement = _draw(rng, MOVEMENT_FREQUENCIES)
    contact = bool(rng.random() < CONTACT_PROBABILITY[major]) and not minor.endswith("Away")
    second = None
    if rng.random() < SECOND_LOCATION_PROBABILITY[major]:
        others = [code for code in LOCATION_FREQUENCIES[major] if code != minor]
        second = str(rng.choice(others))
        if movement == "None":
            movement = "Straight"
    if contact and major in ("Head", "Body"):
        orientation = "in"
    elif major == "Hand" and minor in ("Palm", "PalmBack"):
        orientation = "down"
    else:
        orientation = str(rng.choice(PALM_ORIENTATIONS))
    direction = None
    if second is None and movement in ("Straight", "Curved", "Z-shaped", "BackAndForth"):
        direction = str(rng.choice(MOVEMENT_DIRECTIONS))
    nondominant = None
    if sign_type == "AsymmetricalDifferentHandshape":
        nondominant = _draw(rng, {k: v for k, v in NONDOMINANT_FREQUENCIES.items() if k != handshape})
    elif sign_type != "OneHanded":
        nondominant = handshape
    return PhonRecord(
        entry_id=entry_id,
        handshape=handshape,
        selected_fingers=selected,
        flexion=flexion,
        flexion_change=bool(rng.random() < FLEXION_CHANGE_PROBABILITY) if flexion is not None else None,
        spread=spread,
        spread_change=bool(rng.random() < SPREAD_CHANGE_PROBABILITY) if spread is not None else None,
        thumb_position=thumb_position,
        thumb_contact=thumb_contact,
        sign_type=sign_type,
        movement=movement,
        repeated_movement=bool(rng.random() < REPEATED_PROBABILITY),
        major_location=major,
        minor_location=minor,
        second_minor_location=second,
        contact=contact,
        nondominant_handshape=nondominant,
        ulnar_rotation=bool(rng.random() < ULNAR_ROTATION_PROBABILITY),
        gloss=entry_id,
        palm_orientation=orientation,
        movement_direction=direction,
    )


def sample_records(
    num: int, rng: np.random.Generator, prefix: str = "sign", key=None, max_tries: int | None = None
) -> list[PhonRecord]:
    """`num` distinct pseudo-signs named `{prefix}_{i:04d}`; `key(record)` decides distinctness (default: coding).

    Raises `ValueError` when the inventory cannot supply that many distinct signs within `max_tries` draws.
    """
    key = key or (lambda record: _coding(record))
    max_tries = max_tries or 50 * num + 100
    records: list[PhonRecord] = []
    seen = set()
    for _ in range(max_tries):
        if len(records) == num:
            break
        entry_id = f"{prefix}_{len(records):04d}"
        record = sample_record(rng, entry_id)
        signature = key(record)
        if signature in seen:
            continue
        seen.add(signature)
        records.append(record)
    if len(records) < num:
        raise ValueError(
            f"sample_records: only {len(records)} distinct signs found in {max_tries} draws (asked {num})."
        )
    return records


def _coding(record: PhonRecord) -> tuple:
    values = record.__dict__.copy()
    for name in ("entry_id", "gloss", "iconicity_type"):
        values.pop(name)
    return tuple(sorted(values.items()))


def records_from_asl_lex(path: str | Path) -> list[PhonRecord]:
    """Real ASL-LEX 2.0 glosses with their real coding, in file order, that the signer can render.

    Entries whose handshapes the signer has no pose for are left out (none are, for the 2.0 file). The load
    report (skipped rows) stays available as `load_asl_lex(path).report`.
    """
    entries = load_asl_lex(path)
    renderable = set(HANDSHAPE_POSES)
    records = [
        record
        for record in entries.values()
        if record.handshape in renderable and (record.nondominant_handshape or "lax") in renderable
    ]
    return records

"""Wording-independent pieces of a `phon` description (`_Parts`), stating only what the ASL-LEX coding gives."""

from __future__ import annotations

from dataclasses import dataclass

from .coding import MINOR_LOCATIONS, PhonRecord
from .handshapes import HANDSHAPE_FEATURES, handshape_name

__all__ = ["infer_palm_orientation"]

# Phrase for a major location whose minor location is coded "Other".
_MAJOR_FALLBACK = {
    "Neutral": ("in", "neutral space"),
    "Head": ("near", "the face"),
    "Body": ("at", "the body"),
    "Arm": ("on", "the forearm"),
    "Hand": ("on", "the other hand"),
    "Other": ("in", "neutral space"),
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

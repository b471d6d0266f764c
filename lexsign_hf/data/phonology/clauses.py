"""Wording-independent pieces of a `phon` description (`_Parts`), stating only what the ASL-LEX coding gives."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .coding import MINOR_LOCATIONS, PhonRecord
from .handshapes import HANDSHAPE_CODING, HANDSHAPE_FEATURES, handshape_name

__all__ = ["infer_palm_orientation"]

# A major location's area, for a minor location coded "Other" (a place ASL-LEX does not name): "somewhere on the
# head". The area is the major location itself, nothing finer.
_MAJOR_AREAS = {
    "Neutral": ("in", "neutral space"),
    "Head": ("somewhere on", "the head"),
    "Body": ("somewhere on", "the body"),
    "Arm": ("somewhere on", "the arm"),
    "Hand": ("somewhere on", "the other hand"),
    "Other": ("somewhere outside", "the coded areas"),
}
_SYMMETRIC = ("SymmetricalOrAlternating", "SymmetryViolation")
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
# path shapes that do not by themselves go from one place to another: a setting change is an end place apart
_SHAPES_IN_PLACE = ("Circular", "BackAndForth", "Z-shaped", "X-shaped")
_PATH_WORDS = {
    "Curved": "in an arc",
    "Circular": "in a circle",
    "BackAndForth": "back and forth",
    "Z-shaped": "in a zigzag",
    "X-shaped": "in an X shape",
    "Other": "",  # a path ASL-LEX does not name: "move" alone
}


def _handshape_features(record: PhonRecord) -> str | None:
    """What the record's handshape looks like (`HANDSHAPE_FEATURES`), or None when only its name is certain or
    the record is coded unlike the handshape usually is (its coded values are stated instead, `_hand_detail`)."""
    return None if _hand_detail(record) else HANDSHAPE_FEATURES.get(record.handshape)


def _fingers(code: str) -> str:
    """ "the index and middle fingers" for `im`, "the index to ring fingers" for `imr` (no commas: a comma
    would add a fragment boundary)."""
    if code == "imrp":
        return "all four fingers"
    if code == "t":
        return "the thumb"
    names = [_FINGER_NAMES[letter] for letter in code]
    if len(names) == 1:
        return f"the {names[0]} finger"
    if len(names) > 2 and code in "imrp":  # a run of neighbouring fingers
        return f"the {names[0]} to {names[-1]} fingers"
    return f"the {' and '.join(names)} fingers"


def _hand_detail(record: PhonRecord) -> str:
    """The handshape fields coded unlike the handshape's usual coding (`HANDSHAPE_CODING`): " with the thumb open"
    for an S hand coded ThumbPosition Open. Values ASL-LEX leaves NA are not stated."""
    usual = HANDSHAPE_CODING.get(record.handshape)
    if usual is None:
        return ""
    fingers, flexion, spread, thumb, thumb_contact = usual
    pieces = []
    names = _fingers(record.selected_fingers)
    if record.selected_fingers != fingers and record.flexion not in (None, flexion):
        pieces.append(f"{names} active and {_FLEXION_WORDS[record.flexion]}")
    elif record.selected_fingers != fingers:
        pieces.append(f"{names} active")  # ASL-LEX "selected": the fingers that move or stand out
    elif record.flexion not in (None, flexion):
        pieces.append(f"{names} {_FLEXION_WORDS[record.flexion]}")
    if record.spread is not None and record.spread != spread:
        pieces.append("the fingers spread" if record.spread else "the fingers together")
    thumb_words = []
    if record.thumb_position != thumb:
        thumb_words.append(record.thumb_position.lower())
    if record.thumb_contact is not None and record.thumb_contact != thumb_contact:
        thumb_words.append("touching the fingers" if record.thumb_contact else "off the fingers")
    if thumb_words:
        pieces.append(f"the thumb {' and '.join(thumb_words)}")
    return f" with {' and '.join(pieces)}" if pieces else ""


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


def _article(noun: str) -> str:
    first = noun.split()[0]
    vowel_sound = first[0].lower() in "aeio" or first in ("F", "H", "L", "M", "N", "R", "S", "X", "8", "11")
    return ("an " if vowel_sound else "a ") + noun


def _location(code: str | None, major: str) -> tuple[str, str]:
    """(preposition, noun phrase) of a minor location; the major location's area when the minor one is `Other`."""
    if code in MINOR_LOCATIONS:
        return MINOR_LOCATIONS[code]
    area = _MAJOR_AREAS.get(major, _MAJOR_AREAS["Other"])
    if code in ("OtherAway", "Away"):  # near an unnamed place of the major location
        return ("near", area[1])
    return area


# What the hand touches at a minor location that is not itself touched: ASL-LEX's `Contact` is contact with the
# major location (the head), so a hand near the eye touches the face there, not the eye.
_CONTACT_PLACES = {"Eye": "the face near the eye"}


def _contact_place(code: str | None, noun: str) -> str:
    """The noun phrase a contact at minor location `code` (whose location noun is `noun`) touches."""
    return _CONTACT_PLACES.get(code or "", noun)


def _conjugate(verb: str, kind: str) -> str:
    """`verb` as an imperative ("imp"), third person ("3rd") or participle ("ing")."""
    if kind == "3rd":
        return verb + "es" if verb.endswith(("ch", "sh")) else verb + "s"
    if kind == "ing":
        return verb[:-1] + "ing" if verb.endswith("e") and not verb.endswith("ee") else verb + "ing"
    return verb


@dataclass(frozen=True)
class _Motion:
    """A verb phrase: `verb` conjugates ("move"/"moves"/"moving"), `rest` follows it, then `then` (if any).

    `repeated` places "repeatedly" on this phrase: after it ("move in a straight line repeatedly"), or before the
    verb when the phrase ends at a place ("repeatedly touch the chin"), so that it cannot read as belonging to the
    place; a chain of steps repeats as a whole ("touch the mouth and then move away from the mouth and repeat the
    whole movement"), where "repeatedly touch … and then move" could repeat the touch alone."""

    verb: str
    rest: str
    then: _Motion | None = None
    repeated: bool = False
    ends_at_place: bool = False
    end: str | None = None  # where a path shape that goes nowhere by itself ends: "and end near the head"

    def form(self, kind: str) -> str:
        text = f"{_conjugate(self.verb, kind)} {self.rest}".strip()
        if self.end is not None:
            text = f"{text} and {_conjugate('end', kind)} {self.end}"
        if self.then is not None:
            text = f"{text} and then {self.then.form(kind)}"
        if not self.repeated:
            return text
        if self.then is not None:  # "repeatedly touch X and then move" could repeat the touch alone
            return f"{text} and {_conjugate('repeat', kind)} the whole movement"
        if self.ends_at_place:
            return f"repeatedly {text}"
        return f"{text} repeatedly"


@dataclass(frozen=True)
class _Parts:
    """Wording-independent pieces of a description, filled in by the templates."""

    hand: str  # "A hand"
    hand_detail: str  # " with the thumb open": coded handshape values unlike the handshape's usual ones
    hand_features: str | None  # "a closed fist with the thumb against the side of the index finger"
    orientation: str | None  # "in"
    location: tuple[str, ...]  # ("at", "the chin") or ("in", "neutral space", "throughout")
    motion: _Motion  # carries the repetition when the repeating component is the main one
    extras: list[_Motion]  # contact, handshape change, wrist twist
    two_hands: str | None  # "both", "base", "both_different", "both_unmirrored"
    base_hand: str | None  # non-dominant handshape name (None: a different handshape ASL-LEX does not name)
    base_orientation: str | None


def _path(record: PhonRecord, start: tuple[str, str], touch: str) -> _Motion | None:
    """The path movement (Movement, setting change to SecondMinorLocation), with the contact as a step before or
    after it when the coding orders it; None without a path."""
    second = record.second_minor_location
    onset_away = record.minor_location.endswith("Away")
    words = _PATH_WORDS.get(record.movement, "")
    if record.movement in ("Straight", "None") and record.movement_direction is not None:
        words = _DIRECTION_WORDS[record.movement_direction]
    elif record.movement == "Straight":
        words = "in a straight line"
    elif record.movement_direction is not None and record.movement in ("Curved", "Z-shaped"):
        words = f"{words} {_DIRECTION_WORDS[record.movement_direction]}"
    if second is None or (second == record.minor_location and second != "Other"):
        if record.movement == "None" and record.movement_direction is None:
            return None
        return _Motion("move", words)
    target = None
    if second in ("Other", "OtherAway", "Away"):
        end = "to an unnamed spot"  # a second place ASL-LEX does not name (Other): maybe the same area
        place = "at an unnamed spot"
    elif second.endswith("Away") or (second == "Neutral" and start[1] != "neutral space"):
        end = place = f"away from {start[1]}"
    else:
        preposition, target = _location(second, record.major_location)
        end = f"to {target}" if onset_away else f"from {start[1]} to {target}"
        place = f"{preposition} {target}"
    if record.movement in _SHAPES_IN_PLACE:  # "back and forth away from the palm" makes no movement
        path = _Motion("move", words, ends_at_place=True, end=place)
    else:
        path = _Motion("move", f"{words} {end}".strip(), ends_at_place=True)
    if not record.contact or (onset_away and target is None):
        return path  # no contact, or a contact the coding does not place: touching while moving
    if onset_away:  # from near a place on to a place: the contact is at the end, and says where it ends
        touch_end = _Motion("touch", _contact_place(second, target))
        return _Motion(path.verb, words if path.end else path.rest, then=touch_end)
    return _Motion("touch", touch, then=path)  # contact at the first place, before the hand leaves it


def _chain(motion: _Motion, step: _Motion) -> _Motion:
    """`motion` and then `step` (after the last step of `motion`)."""
    if motion.then is None:
        return replace(motion, then=step)
    return replace(motion, then=_chain(motion.then, step))


def _parts(record: PhonRecord) -> _Parts:
    """The pieces of a description, stating only what the coding gives.

    Order follows the coded onset: contact (`Contact` = 1) at a first location on the body or hand comes before a
    move on to a second location; from an onset near a place (`*Away`) the hand moves on and the contact is at the
    second location. Without a setting change the hand touches while it moves. Contact in symmetrical signs is
    with the body location when the sign is located on the head, body or arm, and "each other" in neutral space
    or on the hands. `RepeatedMovement` (ASL-LEX: the path, the wrist twist or the handshape change repeats) is
    attached to the path when there is one, else to the local movement, else to the contact; with none of them
    coded the hand "moves in place repeatedly". An aperture or spread change is stated without a direction.
    """
    location = _location(record.minor_location, record.major_location)
    symmetric = record.sign_type in _SYMMETRIC
    plural = record.sign_type == "SymmetricalOrAlternating"
    on_body = record.major_location in ("Head", "Body", "Arm")
    touch_target = (
        "each other" if symmetric and not on_body else _contact_place(record.minor_location, location[1])
    )
    path = _path(record, location, touch_target)
    local: list[_Motion] = []
    sequence = None
    if record.second_handshape is not None:  # a handshape sequence (only the second handshape is coded)
        # the coded handshapes are the dominant hand's: both hands do not turn into one hand (LINGUISTICS)
        second_hand = _article(handshape_name(record.second_handshape))
        whose = " with the dominant hand" if plural else ""
        if record.second_handshape == record.handshape:  # HARD OF HEARING: H, then H again
            sequence = _Motion("form", f"{second_hand} again{whose}")
        elif plural:
            sequence = _Motion("change", f"the dominant hand into {second_hand}")
        else:
            sequence = _Motion("change", f"into {second_hand}")
        local.append(sequence)
    if record.flexion_change:  # ASL-LEX: "whether the aperture changes", not which way
        local.append(_Motion("change", "how open the hands are" if plural else "how open the hand is"))
    if record.spread_change:
        local.append(_Motion("change", "how far the fingers spread"))
    if record.ulnar_rotation:
        local.append(_Motion("twist", "the wrists" if plural else "the wrist"))
    touch = None
    if record.contact and (path is None or path.then is None):  # not already a step of the path
        touch = _Motion("touch", touch_target, ends_at_place=True)
    if path is not None and sequence is not None:  # a second unit follows the path: not "while" it moves
        motion, extras = _chain(path, sequence), local[1:]
    elif path is not None:
        motion, extras = path, local
    elif local:
        motion, extras = local[0], local[1:]
    elif touch is not None:
        motion, extras, touch = touch, [], None
    elif record.repeated_movement:  # something repeats, but no path or local movement is coded
        motion, extras = _Motion("move", "in place"), []
    else:
        motion, extras = _Motion("hold", "still"), []
    if touch is not None:
        extras = [touch, *extras]
    if record.repeated_movement:
        motion = replace(motion, repeated=True)
    if record.second_minor_location == record.minor_location != "Other":  # coded: the location stays
        location = (*location, "throughout")

    two_hands = None
    base_hand = None
    if record.sign_type == "SymmetricalOrAlternating":
        two_hands = "both"
    elif record.sign_type == "SymmetryViolation":
        two_hands = "both_unmirrored"
    elif record.sign_type in ("AsymmetricalSameHandshape", "AsymmetricalDifferentHandshape"):
        two_hands = "base"
        if record.sign_type == "AsymmetricalSameHandshape":
            base_hand = handshape_name(record.handshape)
        elif record.nondominant_handshape is not None:
            base_hand = handshape_name(record.nondominant_handshape)
    elif record.sign_type == "DominanceViolation":
        two_hands = "both_different"  # NonDominantHandshape holds "DominanceViolation" in ASL-LEX: not named
        base_hand = handshape_name(record.nondominant_handshape) if record.nondominant_handshape else None
    return _Parts(
        hand=handshape_name(record.handshape),
        hand_detail=_hand_detail(record),
        hand_features=_handshape_features(record),
        orientation=infer_palm_orientation(record),
        location=location,
        motion=motion,
        extras=extras,
        two_hands=two_hands,
        base_hand=base_hand,
        base_orientation=_base_orientation(record) if two_hands == "base" else None,
    )

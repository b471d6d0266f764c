"""Paraphrase templates of the `phon` source and `describe`, which fills them from a record's `_Parts`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .clauses import _ORIENTATION_WORDS, _article, _Parts, _parts
from .coding import PhonRecord
from .handshapes import handshape_name

__all__ = ["HELD_OUT_TEMPLATES", "N_TEMPLATES", "TRAIN_TEMPLATES", "describe"]


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


def _hand(parts: _Parts, plural: bool = False) -> str:
    """'S hand', 'S hands', 'S hand with the thumb open' (the coded values unlike the handshape's usual ones)."""
    if plural:  # "both S hands with the thumbs open": each hand has its own thumb
        return f"{parts.hand}s{parts.hand_detail.replace(' the thumb ', ' the thumbs ')}"
    return f"{parts.hand}{parts.hand_detail}"


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
        if parts.base_hand is None:  # AsymmetricalDifferentHandshape with no non-dominant handshape coded
            return f"the non-dominant hand is held{palm} as a base with a different handshape"
        if style == 0:
            return f"the non-dominant {parts.base_hand} is held{palm} as a base"
        palm = palm.replace(" palm", " with the palm")
        return f"the other hand stays still as {_article(parts.base_hand)}{palm}"
    if parts.two_hands == "both_different":  # DominanceViolation: ASL-LEX codes no more of this hand
        if parts.base_hand is None:
            return "the non-dominant hand has a handshape ASL-LEX does not name"
        return f"the non-dominant hand is {_article(parts.base_hand)}"
    if parts.two_hands == "both_unmirrored":  # SymmetryViolation: both hands move, not symmetrically
        return "the other hand also moves but not as a mirror image"
    return None


def _with_features(parts: _Parts) -> str:
    """'a W hand with the index, middle and ring fingers extended and spread' (the name alone when its look
    is not in `HANDSHAPE_FEATURES`)."""
    named = _article(_hand(parts))
    if parts.hand_features is None:
        return named
    if parts.hand_features.startswith("a "):
        return f"{named} made as {parts.hand_features}"
    return f"{named} with {parts.hand_features}"


def _subject(parts: _Parts, dominant_word: str = "the dominant") -> str:
    if parts.two_hands == "both":
        return f"both {_hand(parts, plural=True)}"
    if parts.two_hands in ("base", "both_different", "both_unmirrored"):
        return f"{dominant_word} {_hand(parts)}"
    return _hand(parts)


def _pronoun(parts: _Parts, base: str | None) -> str:
    """Subject of a clause after the hand was introduced: "they" for both hands, "it" for one hand, and "the
    dominant hand" right after a clause about the other hand (there "it" would name the other hand)."""
    if parts.two_hands == "both":
        return "they"
    return "the dominant hand" if base else "it"


# Each template returns `(text, separator)` fragments. Separators are the only fragment boundaries.
def _template_dictionary(parts: _Parts) -> list[tuple[str, str]]:
    """'A hand, palm facing in, at the chin; move forward twice, touching the chin.' (LexSign prompt style)."""
    plural = parts.two_hands == "both"
    base = _base_clause(parts, 0)
    subject = _subject(parts)
    fragments = [(base, ";")] if base else []
    fragments += [(subject, ","), (_orientation(parts, plural), ","), (" ".join(parts.location), ";")]
    extras = [extra.form("ing") for extra in parts.extras]
    separator = "," if extras else "."
    fragments.append((parts.motion.form("imp"), separator))
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
    pronoun = _pronoun(parts, base)
    verb_kind = "imp" if pronoun == "they" else "3rd"
    motion = f"{pronoun} {parts.motion.form(verb_kind)}"
    fragments.append((motion, "," if parts.extras else "."))
    if parts.extras:
        fragments.append((_and([extra.form("ing") for extra in parts.extras]), "."))
    return fragments


def _template_imperative(parts: _Parts) -> list[tuple[str, str]]:
    """'Place an A hand at the chin, palm facing in. Move forward twice and touch the chin.'"""
    base = _base_clause(parts, 0)
    fragments = [(base, ".")] if base else []
    subject = _subject(parts) if parts.two_hands else _article(_hand(parts))
    fragments.append((f"place {subject} {' '.join(parts.location)}", ","))
    orientation = _orientation(parts, parts.two_hands == "both")
    if orientation:
        fragments.append((orientation, "."))
    else:
        fragments[-1] = (fragments[-1][0], ".")
    motion = parts.motion.form("imp")
    if parts.extras:
        fragments.append((motion, ";"))
        fragments.append((_and([extra.form("imp") for extra in parts.extras]), "."))
    else:
        fragments.append((motion, "."))
    return fragments


def _template_narrative(parts: _Parts) -> list[tuple[str, str]]:
    """'The dominant hand forms an A hand; the palm faces in; it is held at the chin, then moves forward twice.'"""
    if parts.two_hands == "both":
        fragments = [(f"both hands form {_hand(parts, plural=True)}", ";")]
    else:
        fragments = [(f"the dominant hand forms {_article(_hand(parts))}", ";")]
    base = _base_clause(parts, 1)
    if base:
        fragments.insert(0, (base, ";"))
    if parts.orientation:
        palm = "the palms face" if parts.two_hands == "both" else "the palm faces"
        fragments.append((f"{palm} {_ORIENTATION_WORDS[parts.orientation]}", ";"))
    plural = parts.two_hands == "both"
    if parts.location[2:]:  # the location stays: "held ... throughout, then moves" would contradict itself
        fragments.append((f"{'they stay' if plural else 'it stays'} {' '.join(parts.location[:2])}", ","))
    else:
        fragments.append((f"{'they are' if plural else 'it is'} held {' '.join(parts.location)}", ","))
    verb_kind = "imp" if plural else "3rd"
    # "touches X and then moves" has its own "then"; a hand that stays does not move on "then"
    lead = "" if parts.motion.then is not None or parts.location[2:] else "then "
    motion = lead + parts.motion.form(verb_kind)
    fragments.append((motion, "," if parts.extras else "."))
    if parts.extras:
        fragments.append((_and([extra.form("ing") for extra in parts.extras]), "."))
    return fragments


def _template_compact(parts: _Parts) -> list[tuple[str, str]]:
    """'A hand held at the chin, palm facing in; move forward twice; touch the chin.'"""
    base = _base_clause(parts, 0)
    fragments = [(base, ";")] if base else []
    subject = _subject(parts)
    fragments.append((f"{subject} held {' '.join(parts.location)}", ","))
    orientation = _orientation(parts, parts.two_hands == "both")
    if orientation:
        fragments.append((orientation, ";"))
    else:
        fragments[-1] = (fragments[-1][0], ";")
    fragments.append((parts.motion.form("imp"), ";"))
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
    if parts.extras:
        movement += " while " + _and([extra.form("ing") for extra in parts.extras])
    fragments.append((movement, "."))
    return fragments


def _template_motion_first(parts: _Parts) -> list[tuple[str, str]]:
    """Held out. 'Moving forward twice, the A hand starts at the chin, palm facing in; it also touches the chin.'"""
    lead = parts.motion.form("ing")
    subject = _subject(parts, "the dominant")
    subject = subject if subject.startswith(("the ", "both ")) else f"the {subject}"
    verb = "start" if parts.two_hands == "both" else "starts"
    where = " ".join(parts.location[:2])
    if parts.location[2:]:  # "starts in neutral space throughout" would contradict itself
        where += f" and {'end' if parts.two_hands == 'both' else 'ends'} there"
    fragments = [(lead, ","), (f"{subject} {verb} {where}", ",")]
    orientation = _orientation(parts, parts.two_hands == "both")
    if orientation:
        fragments.append((orientation, ";"))
    base = _base_clause(parts, 1)
    if base:  # a clause of its own: "…, the other hand stays still" would splice two sentences with a comma
        fragments[-1] = (fragments[-1][0], ";")
        fragments.append((base, ";"))
    if parts.extras:
        fragments[-1] = (fragments[-1][0], ";")
        pronoun = _pronoun(parts, base)
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
    motion = parts.motion.form("imp")
    if parts.extras:
        motion += " while " + _and([extra.form("ing") for extra in parts.extras])
    fragments.append((motion, "."))
    return fragments


def _second_part(parts: _Parts) -> list[tuple[str, str]]:
    """'In the second part an O hand at the cheek moves in a straight line while touching the cheek.' (a
    compound's second morpheme, one sentence with no inner boundary so the text keeps at most six fragments)."""
    plural = parts.two_hands == "both"
    subject = _subject(parts) if parts.two_hands else _article(_hand(parts))
    motion = parts.motion.form("imp" if plural else "3rd")
    if parts.extras:
        motion += " while " + _and([extra.form("ing") for extra in parts.extras])
    tail = ""
    if parts.two_hands == "base":
        base = f"the non-dominant {parts.base_hand}" if parts.base_hand else "the non-dominant hand"
        tail = f" with {base} held as a base"
    elif parts.two_hands == "both_different":
        shape = _article(parts.base_hand) if parts.base_hand else "a handshape ASL-LEX does not name"
        tail = f" with the non-dominant hand as {shape}"
    elif parts.two_hands == "both_unmirrored":
        tail = " with the other hand also moving but not as a mirror image"
    return [(f"in the second part {subject} {' '.join(parts.location)} {motion}{tail}", ".")]


def _further_parts(shapes: tuple[str, ...]) -> tuple[str, str]:
    """'Further parts follow with an R hand and then an I hand.': the units after the second, of which ASL-LEX
    codes the handshape (one sentence, no inner boundary)."""
    hands = " and then ".join(_article(handshape_name(shape)) for shape in shapes)
    lead = "a further part follows" if len(shapes) == 1 else "further parts follow"
    return (f"{lead} with {hands}", ".")


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
    if record.further_handshapes:
        fragments = [*fragments, _further_parts(record.further_handshapes)]
    fragments = _merge_to_six(fragments)
    text = _join_sentences([(" ".join(text.split()), sep) for text, sep in fragments if text])
    return text.replace(" ,", ",")

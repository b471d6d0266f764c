"""Audit of the `phon` descriptions: fault patterns over the corpus and glosses the texts cannot tell apart.

`FAULT_PATTERNS` are the faults found by reading the texts clause by clause against the ASL-LEX 2.0 coding (issue
25); each is a predicate on `(record, text)`. `tie_groups` finds glosses that share all their texts; `ties_report`
measures them per class group of a config (described classes; tied groups whose coding is identical, differs
only in a change flag coded NA, or differs in a field the texts leave out (`tie_kind`); ASL-LEX similarity of
glosses sharing a text; and the zero-shot ceiling the ties imply when a tie counts as a miss).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

from ..splits import ASL_ZSSLR, zsslr_partition
from ..wlasl import ISLR_SIZES
from .coding import MINOR_LOCATIONS, PhonRecord
from .templates import N_TEMPLATES, describe

__all__ = [
    "CODING_FIELDS",
    "FAULT_PATTERNS",
    "coding_key",
    "coding_similarity",
    "describe_all",
    "fault_counts",
    "indistinguishable_classes",
    "indistinguishable_summary",
    "tie_groups",
    "tie_kind",
    "ties_report",
    "wlasl_configs",
]

# The ASL-LEX 2.0 phonological fields of a record (a second unit, `second_morpheme`, is compared field by field).
CODING_FIELDS: tuple[str, ...] = (
    "handshape",
    "selected_fingers",
    "flexion",
    "flexion_change",
    "spread",
    "spread_change",
    "thumb_position",
    "thumb_contact",
    "sign_type",
    "movement",
    "repeated_movement",
    "major_location",
    "minor_location",
    "second_minor_location",
    "contact",
    "nondominant_handshape",
    "ulnar_rotation",
    "second_handshape",
    "further_handshapes",
)
_SYMMETRIC = ("SymmetricalOrAlternating", "SymmetryViolation")
_LOCATION_NOUNS = sorted(
    {noun for _, noun in MINOR_LOCATIONS.values()} | {"the face", "the body", "the arm", "an unnamed spot"},
    key=len,
)
_NOUN_RE = "|".join(re.escape(noun) for noun in reversed(_LOCATION_NOUNS))
_IMPERATIVES = ("move", "touch", "twist", "change", "hold")


def _morphemes(record: PhonRecord) -> list[PhonRecord]:
    return [record] + ([record.second_morpheme] if record.second_morpheme is not None else [])


def _local(record: PhonRecord) -> bool:
    return bool(record.ulnar_rotation or record.flexion_change or record.spread_change)


def _repeated_local_as_touching(record: PhonRecord, text: str) -> bool:
    """A repeated local movement (wrist twist, aperture/spread change) without a path written as repeated touching."""
    gated = any(
        m.repeated_movement and m.contact and m.movement == "None" and _local(m) for m in _morphemes(record)
    )
    return gated and re.search(r"\btouch\w*\b[^,;.]*\brepeatedly\b", text, re.IGNORECASE) is not None


def _contact_first_on_away_onset(record: PhonRecord, text: str) -> bool:
    """The onset is coded `*Away` (near a place) yet the text touches first and moves after."""
    gated = any(m.contact and m.minor_location.endswith("Away") for m in _morphemes(record))
    return gated and re.search(r"\btouch\w*\b[^.;]*\bthen\b[^.;]*\bmov", text, re.IGNORECASE) is not None


def _hold_still_repeatedly(record: PhonRecord, text: str) -> bool:
    """'hold still repeatedly': a repetition of nothing."""
    return re.search(r"\b(hold\w*|held)\s+still\b[^,;.]*\brepeatedly\b", text, re.IGNORECASE) is not None


def _other_location_invented(record: PhonRecord, text: str) -> bool:
    """MinorLocation `Other` turned into a named place ("near the face", "at the body", "on the forearm", ...)."""
    if not any(m.minor_location == "Other" for m in _morphemes(record)):
        return False
    return (
        re.search(
            r"near the face|at the body|(?<!somewhere )on the (forearm|other hand)\b", text, re.IGNORECASE
        )
        is not None
    )


def _second_other_dropped(record: PhonRecord, text: str) -> bool:
    """A coded second location `Other` (a setting change to an unnamed place) that the text leaves out."""
    if not any(m.second_minor_location == "Other" for m in _morphemes(record)):
        return False
    return "unnamed spot" not in text


def _ambiguous_repeatedly(record: PhonRecord, text: str) -> bool:
    """'repeatedly' right after a location phrase ("... away from the mouth repeatedly"): what repeats?"""
    return re.search(rf"\b({_NOUN_RE}|neutral space) repeatedly\b", text) is not None


def _symmetric_on_body_each_other(record: PhonRecord, text: str) -> bool:
    """A symmetrical sign located on the head, body or arm with its contact written as the hands touching."""
    gated = any(
        m.sign_type in _SYMMETRIC and m.contact and m.major_location in ("Head", "Body", "Arm")
        for m in _morphemes(record)
    )
    return gated and re.search(r"\btouch\w* each other\b", text, re.IGNORECASE) is not None


def _broken_compound_grammar(record: PhonRecord, text: str) -> bool:
    """A declarative clause joined by 'and' to an imperative ("The second part has X in neutral space and move")."""
    verbs = "|".join(_IMPERATIVES)
    return (
        re.search(rf"\b(?<!hand )(?<!hands )(has|is|are)\b[^,;.]*\band ({verbs})\b", text, re.IGNORECASE)
        is not None
    )


# the end of a clause about the non-dominant hand (`templates._base_clause`)
_OTHER_HAND_CLAUSE = (
    r"(?:stays still as [^;.,]*|held[^;.,]* as a base(?: with a different handshape)?|does not name"
    r"|not as a mirror image|the non-dominant hand is an? [^;.,]*)"
)


def _pronoun_after_other_hand_clause(record: PhonRecord, text: str) -> bool:
    """'…; the other hand stays still as an open hand; it moves …': "it" names the hand that stays still."""
    return re.search(rf"{_OTHER_HAND_CLAUSE}[;,] (it|they)\b", text) is not None


def _comma_splice_other_hand(record: PhonRecord, text: str) -> bool:
    """'…the A hand starts on the palm, the other hand stays still …': two sentences joined by a comma."""
    return re.search(r", the (other|non-dominant) hand (stays|also|is|has)\b", text) is not None


def _touch_contradicts_place(record: PhonRecord, text: str) -> bool:
    """'near the eye; touch the eye' / 'above the upper lip; touch the upper lip': ASL-LEX's contact is with the
    major location (the face), never the eye itself, and a hand above a place does not touch it."""
    if re.search(r"\btouch\w* the eyes?\b", text, re.IGNORECASE):
        return True
    return (
        "above the upper lip" in text
        and re.search(r"\btouch\w* the upper lip\b", text, re.IGNORECASE) is not None
    )


def _codes(record: PhonRecord) -> set[str | None]:
    """The minor and second minor location codes of every unit."""
    return {code for m in _morphemes(record) for code in (m.minor_location, m.second_minor_location)}


def _cheek_nose_as_cheek(record: PhonRecord, text: str) -> bool:
    """`CheekNose` (one code for the cheek or the nose) written "the cheek": NOSE "at the cheek"."""
    return "CheekNose" in _codes(record) and re.search(r"\bthe cheek\b(?! or nose)", text) is not None


def _body_away_as_chest(record: PhonRecord, text: str) -> bool:
    """`BodyAway` (near the body, at no coded height) written "in front of the chest" (PANTS is made at the hips)."""
    return re.search(r"\bin front of the chest\b", text) is not None


def _shape_path_as_direction(record: PhonRecord, text: str) -> bool:
    """A path shape that goes nowhere by itself written with its end place as a direction ("move back and forth
    away from the palm", "in a zigzag to the chin"): the end place is a clause of its own ("and end ...")."""
    return (
        re.search(r"\b(back and forth|in a zigzag|in an X shape|in a circle) (away from|to|from)\b", text)
        is not None
    )


def _further_units_dropped(record: PhonRecord, text: str) -> bool:
    """Units after the second coded (`HandshapeM3.2.0` ...: APRIL is A, P, R, I, L) but not in the text."""
    return bool(record.further_handshapes) and re.search(r"\bfurther parts?\b", text, re.IGNORECASE) is None


def _has_path(record: PhonRecord) -> bool:
    """A path movement or a setting change is coded (`clauses._path` describes one)."""
    second = record.second_minor_location
    return record.movement != "None" or not (second is None or second == record.minor_location != "Other")


def _second_handshape_misstated(record: PhonRecord, text: str) -> bool:
    """A coded second handshape written for both hands ("Both L hands …, changing into an S hand": the coded
    handshapes are the dominant hand's) or as changing while the path moves ("moving …, changing into a V hand",
    "while changing into": the second unit follows)."""
    if record.second_handshape is None:
        return False
    if record.sign_type == "SymmetricalOrAlternating":
        if re.search(r"\bchang\w* into an? |\bform\w* an? [^,;.]* again\b(?! with the dominant hand)", text):
            return True
    after = r"(?<!and then )\bchang\w* (?:the dominant hand )?into an? "
    return _has_path(record) and re.search(after, text) is not None


def _arm_away_as_forearm(record: PhonRecord, text: str) -> bool:
    """`ArmAway` (near the arm, no part given) written "near the forearm"."""
    return re.search(r"\bnear the forearm\b", text) is not None


def _repetition_scope_of_chain(record: PhonRecord, text: str) -> bool:
    """'repeatedly touch the shoulder and then move away': several taps and one move, or the whole repeating?"""
    return re.search(r"\brepeatedly \w+ [^,;.]*\band then\b", text, re.IGNORECASE) is not None


def _selected_jargon(record: PhonRecord, text: str) -> bool:
    """The Prosodic-Model term "selected" ("D hand with the middle to little fingers selected"): "active"."""
    return re.search(r"\bselected\b", text) is not None


def _plural_hands_one_thumb(record: PhonRecord, text: str) -> bool:
    """'Both S hands with the thumb open': two hands, one thumb."""
    return re.search(r"\b[Bb]oth [^,;.]*hands with [^,;.]*\bthe thumb\b", text) is not None


FAULT_PATTERNS: dict[str, Callable[[PhonRecord, str], bool]] = {
    "repeated_local_movement_as_touching": _repeated_local_as_touching,
    "contact_first_on_away_onset": _contact_first_on_away_onset,
    "hold_still_repeatedly": _hold_still_repeatedly,
    "other_location_invented": _other_location_invented,
    "second_location_other_dropped": _second_other_dropped,
    "ambiguous_repeatedly_after_location": _ambiguous_repeatedly,
    "symmetric_on_body_touch_each_other": _symmetric_on_body_each_other,
    "broken_compound_grammar": _broken_compound_grammar,
    # found by the independent review of the fixed describer (notes: phon_review.md, D1-D9)
    "pronoun_after_other_hand_clause": _pronoun_after_other_hand_clause,
    "comma_splice_other_hand_clause": _comma_splice_other_hand,
    "touch_contradicts_place": _touch_contradicts_place,
    "cheek_nose_as_cheek": _cheek_nose_as_cheek,
    "body_away_as_chest": _body_away_as_chest,
    "shape_path_as_direction": _shape_path_as_direction,
    "further_units_dropped": _further_units_dropped,
    "second_handshape_misstated": _second_handshape_misstated,
    "arm_away_as_forearm": _arm_away_as_forearm,
    "repetition_scope_of_chain": _repetition_scope_of_chain,
    "selected_fingers_jargon": _selected_jargon,
    "plural_hands_one_thumb": _plural_hands_one_thumb,
}


def describe_all(records: Mapping[str, PhonRecord]) -> dict[str, tuple[str, ...]]:
    """`gloss -> (text of template 0, ..., text of template N_TEMPLATES - 1)`."""
    return {
        gloss: tuple(describe(record, t) for t in range(N_TEMPLATES)) for gloss, record in records.items()
    }


def fault_counts(
    records: Mapping[str, PhonRecord], texts: Mapping[str, Sequence[str]], examples: int = 8
) -> dict[str, dict[str, Any]]:
    """Per fault pattern: glosses with at least one faulty text, faulty texts, and example glosses."""
    out = {}
    for name, predicate in FAULT_PATTERNS.items():
        hits = {gloss: sum(predicate(records[gloss], text) for text in texts[gloss]) for gloss in texts}
        glosses = sorted(gloss for gloss, count in hits.items() if count)
        out[name] = {"glosses": len(glosses), "texts": sum(hits.values()), "examples": glosses[:examples]}
    return out


def coding_key(record: PhonRecord) -> tuple:
    """The record's ASL-LEX coding (`CODING_FIELDS`, then the second part's): equal keys, identical coding."""
    own = tuple(getattr(record, name) for name in CODING_FIELDS)
    second = coding_key(record.second_morpheme) if record.second_morpheme is not None else None
    return (*own, second)


def _na_as_no(record: PhonRecord) -> PhonRecord:
    """The record with the change flags ASL-LEX leaves NA read as "no change" (what a text can say of them)."""
    second = _na_as_no(record.second_morpheme) if record.second_morpheme is not None else None
    return dataclasses.replace(
        record,
        flexion_change=bool(record.flexion_change),
        spread_change=bool(record.spread_change),
        second_morpheme=second,
    )


def tie_kind(records: Sequence[PhonRecord]) -> str:
    """Why a tied group shares its texts: `"coding_identical"`, `"na_only"` (the codings differ only in a change
    flag coded NA for some and 0 for others, which no text can tell apart) or `"text_only"` (a coded difference the
    texts leave out)."""
    if len({coding_key(r) for r in records}) == 1:
        return "coding_identical"
    if len({coding_key(_na_as_no(r)) for r in records}) == 1:
        return "na_only"
    return "text_only"


def coding_similarity(a: PhonRecord, b: PhonRecord) -> float:
    """Share of the coded fields (`CODING_FIELDS`, and whether there is a second part) on which a and b agree."""
    equal = sum(getattr(a, name) == getattr(b, name) for name in CODING_FIELDS)
    equal += (a.second_morpheme is None) == (b.second_morpheme is None)
    return equal / (len(CODING_FIELDS) + 1)


def _differing_fields(records: Sequence[PhonRecord]) -> list[str]:
    fields = [name for name in CODING_FIELDS if len({getattr(r, name) for r in records}) > 1]
    seconds = [r.second_morpheme for r in records]
    if any(s is not None for s in seconds) and len({coding_key(s) if s else None for s in seconds}) > 1:
        fields.append("second_morpheme")
    return fields


def tie_groups(texts: Mapping[str, Sequence[str]], glosses: Iterable[str] | None = None) -> list[list[str]]:
    """Groups (size ≥ 2, sorted) of the given glosses (default: all) that share every text."""
    by_texts: dict[tuple[str, ...], list[str]] = {}
    for gloss in sorted(texts if glosses is None else (g for g in glosses if g in texts)):
        by_texts.setdefault(tuple(texts[gloss]), []).append(gloss)
    return sorted((group for group in by_texts.values() if len(group) > 1), key=lambda g: (-len(g), g))


def indistinguishable_classes(
    texts: Mapping[str, Iterable[str]], groups: Mapping[str, Sequence[str]]
) -> dict[str, list[list[str]]]:
    """Per class group (e.g. ``unseen_test``), the groups of its classes whose descriptions are the very same set
    of texts: a zero-shot model cannot tell them apart. Groups without such classes are left out."""
    as_sets = {gloss: tuple(sorted(set(found))) for gloss, found in texts.items() if found}
    tied = {name: tie_groups(as_sets, classes) for name, classes in groups.items()}
    return {name: found for name, found in tied.items() if found}


def indistinguishable_summary(
    texts: Mapping[str, Iterable[str]], groups: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, Any]]:
    """`indistinguishable_classes` for every class group, with its count (0 and no groups where none): the
    ``indistinguishable`` entry of a config's ``classes.json``."""
    found = indistinguishable_classes(texts, groups)
    return {
        name: {"classes": sum(len(group) for group in found.get(name, [])), "groups": found.get(name, [])}
        for name in groups
    }


def _shared_text_similarity(
    records: Mapping[str, PhonRecord], texts: Mapping[str, Sequence[str]], glosses: Sequence[str]
) -> dict[str, Any]:
    """Mean / max coding similarity over pairs of glosses that share at least one text (same template)."""
    by_text: dict[tuple[int, str], list[str]] = {}
    for gloss in glosses:
        for template, text in enumerate(texts[gloss]):
            by_text.setdefault((template, text), []).append(gloss)
    pairs = {tuple(sorted(pair)) for group in by_text.values() for pair in combinations(group, 2)}
    scores = [coding_similarity(records[a], records[b]) for a, b in pairs]
    return {
        "pairs_sharing_a_text": len(pairs),
        "mean_similarity": round(sum(scores) / len(scores), 4) if scores else None,
        "max_similarity": round(max(scores), 4) if scores else None,
    }


def _group_report(
    records: Mapping[str, PhonRecord],
    texts: Mapping[str, Sequence[str]],
    classes: Sequence[str],
    list_groups: bool,
) -> dict[str, Any]:
    described = [gloss for gloss in classes if gloss in texts]
    groups = tie_groups(texts, described)
    kinds: dict[str, list[list[str]]] = {"coding_identical": [], "na_only": [], "text_only": []}
    for group in groups:
        kinds[tie_kind([records[gloss] for gloss in group])].append(group)
    tied = sum(len(g) for g in groups)
    report: dict[str, Any] = {
        "classes": len(classes),
        "described": len(described),
        "tied_classes": tied,
        **{f"tied_classes_{kind}": sum(len(g) for g in found) for kind, found in kinds.items()},
        **{f"tied_groups_{kind}": len(found) for kind, found in kinds.items()},
        # ties count as misses / a tie broken at random: the best top-1 over the described classes
        "zero_shot_ceiling": round(1 - tied / len(described), 4) if described else None,
        "zero_shot_ceiling_random_tie_break": (
            round((len(described) - tied + len(groups)) / len(described), 4) if described else None
        ),
        **_shared_text_similarity(records, texts, described),
    }
    if list_groups:
        report["groups_coding_identical"] = kinds["coding_identical"]
        for kind in ("na_only", "text_only"):
            report[f"groups_{kind}"] = [
                {"glosses": g, "differing_fields": _differing_fields([records[x] for x in g])}
                for g in kinds[kind]
            ]
    return report


def ties_report(
    records: Mapping[str, PhonRecord],
    texts: Mapping[str, Sequence[str]],
    configs: Mapping[str, Mapping[str, Sequence[str]]],
    list_groups: Iterable[str] = ("unseen_validation", "unseen_test"),
) -> dict[str, Any]:
    """Per config and class group (`{"asl1000": {"seen": [...], "unseen_test": [...]}, ...}`) the tie measures;
    tied groups are listed for the class groups named in `list_groups`."""
    listed = set(list_groups)
    return {
        name: {
            group: _group_report(records, texts, classes, group in listed)
            for group, classes in groups.items()
        }
        for name, groups in configs.items()
    }


def wlasl_configs(glosses: list[str], seed: int) -> dict[str, dict[str, list[str]]]:
    """Class groups of every WLASL config `lexsign data build` writes (same partition seed)."""
    partition = zsslr_partition(glosses, ASL_ZSSLR, seed)
    configs = {
        setting: {
            "seen": list(partition.seen[setting]),
            "unseen_validation": list(partition.unseen_validation),
            "unseen_test": list(partition.unseen_test),
        }
        for setting in ASL_ZSSLR.seen_sizes
    }
    configs.update({f"wlasl{size}": {"classes": glosses[:size]} for size in ISLR_SIZES})
    return configs

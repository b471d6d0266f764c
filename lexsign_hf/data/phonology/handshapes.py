"""ASL-LEX 2.0 handshape codes: their dictionary-style names and what each named handshape looks like."""

from __future__ import annotations

__all__ = ["HANDSHAPES", "HANDSHAPE_CODING", "HANDSHAPE_FEATURES", "handshape_name"]

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


def handshape_name(code: str) -> str:
    """Dictionary-style name of an ASL-LEX handshape code (`"bent_v"` → `"bent V hand"`)."""
    if code == "lax":
        return "relaxed hand"
    if code not in HANDSHAPES and len(code) == 1:  # a fingerspelled letter ASL-LEX codes by itself (HEN's N)
        return f"{code.upper()} hand"
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

# The usual coding of each handshape in ASL-LEX 2.0 (the most frequent value of SelectedFingers, Flexion, Spread,
# ThumbPosition and ThumbContact among the first morphemes coded with it; `tests/test_phonology.py` recomputes it
# from the CSV). Naming the handshape implies these values; a record that is coded otherwise gets the
# differing values stated (`clauses._hand_detail`). Handshapes ASL-LEX 2.0 never uses as a first morpheme's
# handshape are absent.
HANDSHAPE_CODING: dict[str, tuple[str, str | None, bool | None, str, bool | None]] = {
    "1": ("i", "FullyOpen", None, "Closed", False),  # 273
    "3": ("im", "FullyOpen", True, "Open", False),  # 25
    "4": ("imrp", "FullyOpen", True, "Closed", False),  # 34
    "5": ("imrp", "FullyOpen", True, "Open", False),  # 138
    "7": ("r", "Curved", None, "Open", True),  # 1
    "8": ("m", "Flat", None, "Open", True),  # 21
    "a": ("t", None, None, "Open", None),  # 164
    "baby_o": ("i", "Bent", None, "Open", True),  # 114
    "bent_1": ("i", "Bent", None, "Closed", False),  # 57
    "bent_l": ("i", "Bent", None, "Open", False),  # 16
    "bent_v": ("im", "Bent", True, "Closed", False),  # 38
    "c": ("imrp", "Curved", False, "Open", False),  # 104
    "closed_b": ("imrp", "FullyOpen", False, "Closed", False),  # 71
    "closed_e": ("imrp", "Bent", True, "Closed", True),  # 1
    "curved_1": ("i", "Curved", None, "Closed", False),  # 9
    "curved_4": ("imrp", "Curved", True, "Closed", False),  # 3
    "curved_5": ("imrp", "Curved", True, "Open", False),  # 144
    "curved_h": ("im", "Curved", False, "Closed", False),  # 4
    "curved_l": ("i", "Curved", None, "Open", False),  # 28
    "curved_v": ("im", "Curved", True, "Closed", False),  # 31
    "d": ("m", "Curved", None, "Open", True),  # 20
    "e": ("imrp", "Bent", False, "Closed", True),  # 14
    "f": ("i", "Curved", None, "Open", True),  # 103
    "flat_1": ("i", "Flat", None, "Closed", False),  # 26
    "flat_4": ("imrp", "Flat", True, "Closed", False),  # 3
    "flat_b": ("imrp", "Flat", False, "Open", False),  # 95
    "flat_h": ("im", "Flat", False, "Closed", False),  # 25
    "flat_horns": ("ip", "Flat", None, "Closed", False),  # 3
    "flat_ily": ("ip", "Flat", None, "Open", False),  # 1
    "flat_m": ("imrp", "Flat", False, "Closed", True),  # 7
    "flat_n": ("im", "Flat", False, "Closed", True),  # 4
    "flat_o": ("imrp", "Flat", False, "Open", True),  # 52
    "flat_v": ("im", "Flat", True, "Closed", False),  # 12
    "flatspread_5": ("imrp", "Flat", True, "Open", False),  # 50
    "g": ("i", "Flat", None, "Open", False),  # 47
    "goody_goody": ("imp", "FullyOpen", False, "Open", False),  # 2
    "h": ("im", "FullyOpen", False, "Closed", False),  # 72
    "horns": ("ip", "FullyOpen", None, "Closed", False),  # 13
    "i": ("p", "FullyOpen", None, "Closed", False),  # 28
    "ily": ("ip", "FullyOpen", None, "Open", False),  # 8
    "k": ("m", "Stacked", None, "Open", False),  # 1
    "l": ("i", "FullyOpen", None, "Open", False),  # 51
    "o": ("imrp", "Curved", False, "Open", True),  # 85
    "open_8": ("m", "Flat", None, "Open", False),  # 64
    "open_b": ("imrp", "FullyOpen", False, "Open", False),  # 233
    "open_e": ("imrp", "Bent", False, "Open", False),  # 6
    "open_f": ("i", "Curved", None, "Open", False),  # 2
    "open_h": ("im", "FullyOpen", False, "Open", False),  # 10
    "p": ("im", "Stacked", None, "Open", True),  # 54
    "r": ("im", "Crossed", False, "Closed", False),  # 32
    "s": ("imrp", "FullyClosed", None, "Closed", True),  # 163
    "spread_e": ("imrp", "Bent", True, "Closed", False),  # 1
    "spread_open_e": ("imrp", "Bent", True, "Open", False),  # 11
    "stacked_5": ("imrp", "Stacked", None, "Open", True),  # 10
    "t": ("i", "Curved", None, "Open", True),  # 1
    "v": ("im", "FullyOpen", True, "Closed", False),  # 68
    "w": ("p", "Curved", None, "Open", True),  # 14
    "y": ("p", "FullyOpen", None, "Open", False),  # 52
}

"""ASL-LEX 2.0 handshape codes: their dictionary-style names and what each named handshape looks like."""

from __future__ import annotations

__all__ = ["HANDSHAPES", "HANDSHAPE_FEATURES", "handshape_name"]

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

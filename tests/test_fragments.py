"""The fragment splitter on dictionary-style descriptions: natural punctuation and em / spaced en dashes split;
abbreviations, initialisms and decimals do not. Both copies (the model's processor and `data.descriptions`, which
may not import each other) give the same fragments."""

from __future__ import annotations

import pytest

from lexsign_hf.data.descriptions import split_fragments as data_split
from lexsign_hf.models.hali.processing_hali import fragment_spans
from lexsign_hf.models.hali.processing_hali import split_fragments as model_split

CASES = [
    (
        "A hand, palm facing in, at the chin; move forward twice.",
        ["A hand", "palm facing in", "at the chin", "move forward twice"],
    ),
    ("Tap the T.V. screen with the index finger.", ["Tap the T.V. screen with the index finger"]),
    ("Point toward the T.V. Then tap twice.", ["Point toward the T.V", "Then tap twice"]),
    (
        "Hold the hands about 1.5 inches apart, palms facing.",
        ["Hold the hands about 1.5 inches apart", "palms facing"],
    ),
    ("Move the hand 2.5 cm down.", ["Move the hand 2.5 cm down"]),
    (
        "Flat hand, e.g. as in THANK-YOU, moves forward.",
        ["Flat hand", "e.g. as in THANK-YOU", "moves forward"],
    ),
    ("Bent hands (i.e. claw hands) tap the chest.", ["Bent hands (i.e. claw hands) tap the chest"]),
    (
        "Use a bent V, i.e., two bent fingers, at the cheek.",
        ["Use a bent V", "i.e.", "two bent fingers", "at the cheek"],
    ),
    ("Fingerspell U.S.A. quickly.", ["Fingerspell U.S.A. quickly"]),
    ("Fingerspell U.S.A. Move right.", ["Fingerspell U.S.A", "Move right"]),
    (
        "Both hands circle — palms down — in front of the body.",
        ["Both hands circle", "palms down", "in front of the body"],
    ),
    ("Open hand at the forehead—move it outward.", ["Open hand at the forehead", "move it outward"]),
    ("Tap the chin – twice – with the thumb.", ["Tap the chin", "twice", "with the thumb"]),
    ("Count 5–10 on the fingers, palm in.", ["Count 5–10 on the fingers", "palm in"]),
    (
        "Right-hand 5 shape, left-hand base, brush upward.",
        ["Right-hand 5 shape", "left-hand base", "brush upward"],
    ),
    ("Wiggle the fingers, etc. Then stop.", ["Wiggle the fingers", "etc", "Then stop"]),
    (
        "Shake the hands, arms, etc. in front of the body.",
        ["Shake the hands", "arms", "etc. in front of the body"],
    ),
    ("Move back and forth (approx. three times).", ["Move back and forth (approx. three times)"]),
    ("Similar to MOTHER (cf. FATHER); touch the chin.", ["Similar to MOTHER (cf. FATHER)", "touch the chin"]),
    ("Dr. hand sign: D hand taps the wrist.", ["Dr. hand sign", "D hand taps the wrist"]),
    ("Palm down: move the hand in a small circle.", ["Palm down", "move the hand in a small circle"]),
    ("Close the hand!  Open it again?", ["Close the hand", "Open it again"]),
    ("5 hand: palm down... then wiggle fingers", ["5 hand", "palm down", "then wiggle fingers"]),
    ("Index finger touches the temple, then the chin.", ["Index finger touches the temple", "then the chin"]),
    ("Two S hands, one on top of the other, twist.", ["Two S hands", "one on top of the other", "twist"]),
    ("“Flat O” hand opens into a 5 hand.", ["Flat O” hand opens into a 5 hand"]),
    ("Hand-shape (bent V) ,, , at cheek.", ["Hand-shape (bent V)", "at cheek"]),
    ("Thumb of A hand at 0.5 in. from the lips.", ["Thumb of A hand at 0.5 in", "from the lips"]),
    ("Move the B hand forward 3 times.", ["Move the B hand forward 3 times"]),
    (
        "Circle the heart (a.k.a. the chest) with the palm.",
        ["Circle the heart (a.k.a. the chest) with the palm"],
    ),
    ("The dominant hand, vs. the base hand, moves.", ["The dominant hand", "vs. the base hand", "moves"]),
    ("右手食指，指向前方。", ["右手食指", "指向前方"]),
    ("One fragment -- , ...", ["One fragment"]),
    ("Flat hands at the waist; move apart.\nRepeat.", ["Flat hands at the waist", "move apart", "Repeat"]),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_dictionary_descriptions_split_as_a_reader_would(text, expected):
    assert model_split(text) == expected
    assert data_split(text) == expected
    assert [text[start:end] for start, end in fragment_spans(text)] == expected


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lexsign_hf.data.descriptions import split_fragments
from lexsign_hf.data.phonology import (
    HELD_OUT_TEMPLATES,
    N_TEMPLATES,
    REQUIRED_COLUMNS,
    TRAIN_TEMPLATES,
    PhonRecord,
    best_match,
    describe,
    handshape_name,
    load_asl_lex,
    match_wlasl_gloss,
    normalize_gloss,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ASL_LEX = SHARED_DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
WLASL_CLASSES = SHARED_DATA / "wlasl" / "wlasl_class_list.txt"


@pytest.fixture(scope="module")
def entries():
    if not ASL_LEX.is_file():
        pytest.skip(f"ASL-LEX CSV not available at {ASL_LEX}")
    return load_asl_lex(ASL_LEX)


def _record(**overrides) -> PhonRecord:
    values = dict(
        entry_id="test",
        handshape="a",
        selected_fingers="t",
        flexion=None,
        flexion_change=False,
        spread=None,
        spread_change=None,
        thumb_position="Open",
        thumb_contact=None,
        sign_type="OneHanded",
        movement="Straight",
        repeated_movement=True,
        major_location="Head",
        minor_location="Chin",
        second_minor_location=None,
        contact=False,
        nondominant_handshape=None,
        ulnar_rotation=False,
        palm_orientation="in",
        movement_direction="forward",
    )
    values.update(overrides)
    return PhonRecord(**values)


def test_load_real_asl_lex_counts(entries):
    report = entries.report
    assert report.rows == 2723
    assert report.loaded == len(entries) == report.rows - report.num_skipped
    # The 2.0 export repeats four EntryIDs; every other row is fully coded.
    assert report.skipped == {"duplicate EntryID": 4}
    help_sign = entries["help"]
    assert help_sign.handshape == "a"
    assert help_sign.sign_type == "AsymmetricalDifferentHandshape"
    assert help_sign.nondominant_handshape == "open_b"
    assert help_sign.minor_location == "Palm"
    assert help_sign.contact is True and help_sign.repeated_movement is True
    assert entries["drink"].iconicity_type == "Pantomimic"


def test_wlasl_matching_coverage(entries):
    if not WLASL_CLASSES.is_file():
        pytest.skip("WLASL class list not available")
    glosses = [
        line.split("\t", 1)[1].strip() for line in WLASL_CLASSES.read_text().splitlines() if line.strip()
    ]
    assert len(glosses) == 2000
    matched = {gloss: match_wlasl_gloss(gloss, entries) for gloss in glosses}
    matched = {gloss: ids for gloss, ids in matched.items() if ids}
    print(f"WLASL glosses matched to ASL-LEX 2.0: {len(matched)}/{len(glosses)}")
    assert 1300 <= len(matched) <= 1450
    assert matched["drink"] == ["drink", "drink_2"]
    assert best_match("drink", entries) == "drink"
    assert best_match("deaf", entries) == "deaf_1"
    assert best_match("thank you", entries) is not None
    assert best_match("no-such-sign-xyz", entries) is None
    for gloss in matched:
        text = describe(entries[best_match(gloss, entries)])
        assert text and len(split_fragments(text)) >= 2


def test_every_record_every_template_has_two_to_six_fragments(entries):
    rng = np.random.default_rng(0)
    for record in entries.values():
        for template in range(N_TEMPLATES):
            fragments = split_fragments(describe(record, template, rng))
            assert 2 <= len(fragments) <= 6, (record.entry_id, template, fragments)


def test_normalize_gloss():
    assert normalize_gloss("about_1") == "about"
    assert normalize_gloss("a_little_bit") == "a little bit"
    assert normalize_gloss("Thank_You") == "thank you"
    assert normalize_gloss("8_hour") == "8 hour"


def test_template_split_is_a_partition():
    assert N_TEMPLATES >= 5
    assert set(TRAIN_TEMPLATES).isdisjoint(HELD_OUT_TEMPLATES)
    assert sorted(TRAIN_TEMPLATES + HELD_OUT_TEMPLATES) == list(range(N_TEMPLATES))


def test_paper_style_description():
    text = describe(_record(repeated_movement=True), template=0)
    assert text == "A hand, palm facing in, at the chin; move forward repeatedly."


def test_templates_differ_and_are_deterministic():
    record = _record(contact=True, ulnar_rotation=True)
    texts = [describe(record, template) for template in range(N_TEMPLATES)]
    assert len(set(texts)) == N_TEMPLATES
    for template in range(N_TEMPLATES):
        first = describe(record, template, np.random.default_rng(3))
        assert first == describe(record, template, np.random.default_rng(3))
    drawn = [describe(record, rng=np.random.default_rng(seed)) for seed in range(20)]
    assert drawn == [describe(record, rng=np.random.default_rng(seed)) for seed in range(20)]
    assert len(set(drawn)) > 3
    with pytest.raises(ValueError, match="template"):
        describe(record, template=N_TEMPLATES)


def test_description_mentions_the_components():
    record = _record(
        handshape="bent_v",
        selected_fingers="im",
        flexion="Bent",
        spread=True,
        thumb_position="Closed",
        thumb_contact=False,
        sign_type="AsymmetricalDifferentHandshape",
        nondominant_handshape="open_b",
        major_location="Hand",
        minor_location="Palm",
        movement="Circular",
        contact=True,
        palm_orientation="down",
    )
    text = describe(record, template=0)
    assert "bent V hand" in text and "open hand" in text
    assert "palm up as a base" in text and "palm facing down" in text  # a synthetic record's own orientation
    asl_lex = describe(dataclasses.replace(record, palm_orientation=None), template=0)
    assert "held as a base" in asl_lex and "palm" not in asl_lex.replace("palm of the other", "")
    assert "in a circle repeatedly" in text and "touching the palm of the other hand" in text
    spelled = describe(record, template=HELD_OUT_TEMPLATES[0])
    assert "the index and middle fingers bent and spread" in spelled
    five = dict(handshape="5", selected_fingers="imrp", flexion="FullyOpen", spread=True, thumb_contact=False)
    both = describe(_record(**five, sign_type="SymmetricalOrAlternating", palm_orientation="side"), 0)
    assert both.startswith("Both 5 hands, palms facing each other")
    assert handshape_name("open_b") == "open hand" and handshape_name("lax") == "relaxed hand"


def test_missing_columns_raise(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("EntryID,Handshape.2.0\nfoo,a\n")
    with pytest.raises(ValueError, match="missing columns: SelectedFingers.2.0") as error:
        load_asl_lex(path)
    assert str(path) in str(error.value)
    with pytest.raises(FileNotFoundError):
        load_asl_lex(tmp_path / "absent.csv")


def test_unknown_codes_are_skipped_and_reported(tmp_path):
    good = dict.fromkeys(REQUIRED_COLUMNS, "")
    good.update(
        {
            "EntryID": "hello",
            "Handshape.2.0": "open_b",
            "SelectedFingers.2.0": "imrp",
            "Flexion.2.0": "FullyOpen",
            "FlexionChange.2.0": "0",
            "Spread.2.0": "0",
            "SpreadChange.2.0": "0",
            "ThumbPosition.2.0": "Open",
            "ThumbContact.2.0": "0",
            "SignType.2.0": "OneHanded",
            "Movement.2.0": "Curved",
            "RepeatedMovement.2.0": "0",
            "MajorLocation.2.0": "Head",
            "MinorLocation.2.0": "Forehead",
            "SecondMinorLocation.2.0": "HeadAway",
            "Contact.2.0": "1",
            "NonDominantHandshape.2.0": "NA",
            "UlnarRotation.2.0": "0",
        }
    )
    unknown_shape = {**good, "EntryID": "weird", "Handshape.2.0": "zz_hand"}
    missing_movement = {**good, "EntryID": "blank", "Movement.2.0": ""}
    lines = [",".join(REQUIRED_COLUMNS)] + [
        ",".join(row[column] for column in REQUIRED_COLUMNS)
        for row in (good, unknown_shape, missing_movement)
    ]
    path = tmp_path / "signs.csv"
    path.write_text("\n".join(lines) + "\n")
    entries = load_asl_lex(path)
    assert list(entries) == ["hello"]
    assert entries.report.rows == 3 and entries.report.num_skipped == 2
    assert entries.report.skipped["unknown code 'zz_hand' in Handshape.2.0"] == 1
    assert entries.report.skipped["missing value in Movement.2.0"] == 1
    assert "2 skipped" in entries.report.summary()
    assert describe(entries["hello"]) == (
        "Open hand, at the forehead; touch the forehead and then move in an arc away from the forehead."
    )


def test_asl_lex_descriptions_state_no_palm_orientation(shared_data):
    """ASL-LEX codes no orientation: MOTHER and FATHER touch the face, which does not say where the palm faces."""
    entries = load_asl_lex(shared_data / "asl-lex" / "asllex2_signdata-11-5-20.csv")
    for entry in ("mother", "father", "thank_you", "water"):
        for template in range(N_TEMPLATES):
            assert "palm" not in describe(entries[entry], template=template).replace("palm of the other", "")


@pytest.fixture(scope="module")
def asl_lex(shared_data):
    return load_asl_lex(shared_data / "asl-lex" / "asllex2_signdata-11-5-20.csv")


def test_contact_comes_first_when_the_hand_then_leaves(asl_lex):
    """THANK YOU: contact at the mouth, then an arc away (Contact = 1 is at the first location)."""
    for template in range(N_TEMPLATES):
        text = describe(asl_lex["thank_you"], template).lower()
        assert text.index("touch") < text.index("away from the mouth"), (template, text)
        assert "then touch" not in text


def test_finger_features_agree_with_the_handshape(asl_lex):
    """WATER is a W hand: three extended fingers, whatever the Prosodic-Model columns select (the little finger)."""
    assert asl_lex["water"].handshape == "w" and asl_lex["water"].selected_fingers == "p"
    for template in HELD_OUT_TEMPLATES:
        text = describe(asl_lex["water"], template)
        assert "little" not in text and "touching them" not in text
    features = describe(asl_lex["water"], 5)
    assert "a W hand with the index, middle and ring fingers extended and spread" in features


def test_one_repetition_wording_per_code(asl_lex):
    counts = ("twice", "two times", "several times", "a few times", "over and over", "again and again")
    for entry in ("mother", "father", "water"):
        texts = [describe(asl_lex[entry], template, np.random.default_rng(template)) for template in range(8)]
        assert all("repeatedly" in text for text in texts)
        assert not any(word in text for text in texts for word in counts)


def test_symmetric_signs_touch_each_other_and_no_hand_change_direction_is_invented(asl_lex):
    symmetric = [
        r for r in asl_lex.values()
        if r.sign_type == "SymmetricalOrAlternating" and r.contact and r.major_location == "Hand"
    ]  # fmt: skip
    assert symmetric
    for record in symmetric[:50]:
        for template in range(N_TEMPLATES):
            text = describe(record, template)
            assert "touching the other hand" not in text and "touch the other hand" not in text
    changing = [r for r in asl_lex.values() if r.flexion_change and r.spread_change]
    assert changing
    for record in changing:
        text = describe(record, 0)
        assert "opening the hand" not in text and "closing the fingers" not in text
        assert "how open the hand" in text and "how far the fingers spread" in text


def test_compounds_describe_their_second_part(asl_lex):
    """HOME: O hand at the chin, then at the cheek (the M2 columns)."""
    home = asl_lex["home"]
    assert home.second_morpheme is not None and home.second_morpheme.minor_location == "CheekNose"
    for template in range(N_TEMPLATES):
        text = describe(home, template)
        assert "the chin" in text and "in the second part an o hand at the cheek" in text.lower()
        assert 2 <= len(split_fragments(text)) <= 6
    assert sum(record.second_morpheme is not None for record in asl_lex.values()) > 200


def test_phon_examples_table_matches_the_generator(asl_lex):
    """lexsign_hf/data/phon_examples.md (20 reviewed signs) shows exactly what `describe` generates."""
    table = Path(__file__).resolve().parents[1] / "lexsign_hf" / "data" / "phon_examples.md"
    rows = [
        line.split(" | ") for line in table.read_text(encoding="utf-8").splitlines() if line.startswith("| `")
    ]
    assert len(rows) == 20
    for cells in rows:
        entry = cells[0].strip("| `")
        assert cells[2] == describe(asl_lex[entry], 0), entry
        assert cells[3] == describe(asl_lex[entry], 5), entry
        assert cells[4].strip(" |"), f"{entry}: no review note"

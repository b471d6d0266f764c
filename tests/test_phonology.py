from __future__ import annotations

import csv
import dataclasses
import json
import logging
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lexsign_hf.data.descriptions import DescriptionBank, DescriptionRecord, split_fragments
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
from lexsign_hf.data.phonology.audit import (
    FAULT_PATTERNS,
    coding_key,
    describe_all,
    fault_counts,
    tie_groups,
    tie_kind,
    ties_report,
    wlasl_configs,
)
from lexsign_hf.data.phonology.handshapes import HANDSHAPE_CODING
from lexsign_hf.data.wlasl import read_wlasl_index

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ASL_LEX = SHARED_DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
WLASL_CLASSES = SHARED_DATA / "wlasl" / "wlasl_class_list.txt"
WLASL_INDEX = SHARED_DATA / "wlasl" / "WLASL_v0.3.json"
TIES_JSON = Path(__file__).resolve().parents[1] / "results" / "phon" / "ties.json"


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
    """HOME: O hand at the chin, then at the cheek or nose (the M2 columns; CheekNose is one code for both)."""
    home = asl_lex["home"]
    assert home.second_morpheme is not None and home.second_morpheme.minor_location == "CheekNose"
    for template in range(N_TEMPLATES):
        text = describe(home, template)
        assert "the chin" in text and "in the second part an o hand at the cheek or nose" in text.lower()
        assert 2 <= len(split_fragments(text)) <= 6
    assert sum(record.second_morpheme is not None for record in asl_lex.values()) > 200


_TEMPLATE_WORDS = {
    "the", "a", "an", "handshape", "is", "sign", "made", "movement", "consists", "of", "while", "and", "then",
    "with", "hand", "hands", "dominant", "as", "move", "moves", "moving",
}  # fmt: skip


def _stems(text: str) -> list[str]:
    """Lower-case word stems ("touching", "touches", "touch" → "touch"), so a claim matches every verb form."""
    words = re.findall(r"[a-z0-9'-]+", text.lower())
    return [re.sub(r"(ing|es|s|e)$", "", word) if len(word) > 3 else word for word in words]


def _uncovered(text: str, phrases: list[str]) -> list[str]:
    """The stems of `text` that no phrase covers and that are not template wording."""
    stems = _stems(text)
    covered = [False] * len(stems)
    for phrase in sorted(phrases, key=len, reverse=True):
        target = _stems(phrase)
        for start in range(len(stems) - len(target) + 1):
            if stems[start : start + len(target)] == target:
                covered[start : start + len(target)] = [True] * len(target)
    template = {stem for word in _TEMPLATE_WORDS for stem in _stems(word)}
    return [stem for stem, done in zip(stems, covered, strict=True) if not done and stem not in template]


def test_phon_examples_every_statement_rests_on_the_coding_row(asl_lex):
    """lexsign_hf/data/phon_examples.md: for 36 signs, every claim of templates 0 and 5 against the CSV row."""
    table = Path(__file__).resolve().parents[1] / "lexsign_hf" / "data" / "phon_examples.md"
    rows = [
        line.split(" | ") for line in table.read_text(encoding="utf-8").splitlines() if line.startswith("| `")
    ]
    assert len(rows) >= 30
    with ASL_LEX.open(encoding="utf-8-sig") as handle:
        csv_rows = {row["EntryID"]: row for row in csv.DictReader(handle)}
    for cells in rows:
        entry = cells[0].strip("| `")
        texts = [cells[2], cells[3]]
        assert texts == [describe(asl_lex[entry], 0), describe(asl_lex[entry], 5)], entry
        for pair in cells[1].split("; "):
            column, value = pair.split("=")
            assert csv_rows[entry][f"{column}.2.0"] == value, (entry, column)
        claims = [claim.split(" ← ") for claim in cells[4].strip(" |").split("; ")]
        for phrase, codes in claims:
            for pair in codes.split(", "):
                column, value = pair.split("=")
                assert csv_rows[entry][f"{column}.2.0"] == value, (entry, phrase, column)
            assert any(_stems(phrase) and " ".join(_stems(phrase)) in " ".join(_stems(t)) for t in texts), (
                entry,
                phrase,
            )
        for text in texts:
            assert not _uncovered(text, [phrase for phrase, _ in claims]), (
                entry,
                _uncovered(text, [c[0] for c in claims]),
            )


@pytest.fixture(scope="module")
def corpus():
    """All WLASL glosses matched to ASL-LEX 2.0 and their texts in every template (described once per module)."""
    if not (ASL_LEX.is_file() and WLASL_INDEX.is_file()):
        pytest.skip("ASL-LEX CSV or WLASL index not available")
    entries = load_asl_lex(ASL_LEX)
    index = read_wlasl_index(WLASL_INDEX)
    records = {g: entries[best_match(g, entries)] for g in index.glosses if best_match(g, entries)}
    return records, describe_all(records), index


def test_corpus_has_no_fault_pattern(corpus):
    records, texts, _ = corpus
    assert len(records) == 1382 and all(len(t) == N_TEMPLATES for t in texts.values())
    counts = fault_counts(records, texts)
    assert set(counts) == set(FAULT_PATTERNS)
    assert {name: count["texts"] for name, count in counts.items()} == dict.fromkeys(FAULT_PATTERNS, 0), (
        counts
    )


# The faulty texts the earlier describer wrote (issue 25), with the records they were written for.
_REPORTED = {
    "repeated_local_movement_as_touching": ("apple", "Bent 1 hand, at the cheek; touch the cheek repeatedly, twisting the wrist."),
    "contact_first_on_away_onset": ("again", "The dominant bent B hand, near the other hand; touch the other hand and then move in an arc from the other hand to the palm of the other hand."),
    "hold_still_repeatedly": ("dog", "D hand, in neutral space; hold still repeatedly."),
    "other_location_invented": ("deaf_1", "1 hand, near the face; touch the face and then move in an arc from the face to the chin."),
    "second_location_other_dropped": ("deodorant", "S hand, at the body; move in an arc repeatedly."),
    "ambiguous_repeatedly_after_location": ("angel", "Both open hands, at the shoulder; touch each other and then move away from the shoulder repeatedly."),
    "symmetric_on_body_touch_each_other": ("announce", "Both 1 hands, at the mouth; touch each other and then move in an arc away from the mouth."),
    "broken_compound_grammar": ("learn", "The second part has a flat O hand at the forehead and move in a straight line while touching the forehead."),
    # the independent review of the fixed describer (phon_review.md)
    "pronoun_after_other_hand_clause": ("help", "On the palm of the other hand, the dominant A hand; the other hand stays still as an open hand; it moves in a straight line repeatedly, touching the palm of the other hand."),
    "comma_splice_other_hand_clause": ("again", "Moving in an arc to the palm of the other hand and then touching the palm of the other hand, the dominant bent B hand starts near the other hand, the other hand stays still as a bent B hand; it also twists the wrist."),
    "touch_contradicts_place": ("see", "P hand, near the eye; touch the eye and then move in a straight line away from the eye."),
    "cheek_nose_as_cheek": ("nose", "1 hand, at the cheek; move in a straight line repeatedly, touching the cheek."),
    "body_away_as_chest": ("pants", "Both open hands, in front of the chest throughout; move in a zigzag."),
    "shape_path_as_direction": ("champion", "The non-dominant 1 hand is held as a base; the dominant curved 5 hand, at the fingertips of the other hand; touch the fingertips of the other hand and then move back and forth away from the fingertips of the other hand."),
    "further_units_dropped": ("april", "A hand, in neutral space throughout; move in a straight line, changing into a P hand."),
    "second_handshape_misstated": ("linguistics", "Both L hands, in neutral space throughout; move in a straight line, touching each other and changing into an S hand."),
    "arm_away_as_forearm": ("whale", "Y hand, near the forearm throughout; move in a zigzag."),
    "repetition_scope_of_chain": ("angel", "Both open hands, at the shoulder; repeatedly touch the shoulder and then move in a straight line away from the shoulder, changing how open the hands are."),
    "selected_fingers_jargon": ("dog", "D hand with the middle to little fingers selected and the fingers together, in neutral space; move in place repeatedly."),
    "plural_hands_one_thumb": ("cold", "Both S hands with the thumb open, in front of the chest; move in a straight line repeatedly."),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FAULT_PATTERNS))
def test_each_fault_pattern_catches_the_reported_text(asl_lex, name):
    entry, faulty = _REPORTED[name]
    assert FAULT_PATTERNS[name](asl_lex[entry], faulty)
    for template in range(N_TEMPLATES):
        assert not FAULT_PATTERNS[name](asl_lex[entry], describe(asl_lex[entry], template)), template


def test_glosses_share_all_texts_only_where_the_coding_cannot_tell_them_apart(corpus):
    """Tied glosses have identical coding (not even a change flag coded NA for one and 0 for the other)."""
    records, texts, _ = corpus
    groups = tie_groups(texts)
    kinds = {tuple(group): tie_kind([records[gloss] for gloss in group]) for group in groups}
    assert set(kinds.values()) == {"coding_identical"}, [
        g for g, kind in kinds.items() if kind != "coding_identical"
    ]
    down = next(group for group in kinds if "down" in group)
    assert "up" in down and "half" not in down and kinds[down] == "coding_identical"  # HALF: 1 hand, then V
    assert "and then change into a V hand" in texts["half"][0]
    pairs = [
        ("cold", "strong"),
        ("duck", "tongue"),
        ("farm", "mother"),
        ("fishing", "manage"),
        ("ok", "zero"),
    ]
    for pair in pairs:
        assert texts[pair[0]] != texts[pair[1]], pair  # tied before: thumb, second location, sign type
    assert coding_key(records["down"]) == coding_key(records["up"])


def test_handshape_coding_is_the_most_frequent_asl_lex_coding(entries):
    counts: dict[tuple[str, int], Counter] = {}
    for r in entries.values():
        for position, value in enumerate(
            (r.selected_fingers, r.flexion, r.spread, r.thumb_position, r.thumb_contact)
        ):
            counts.setdefault((r.handshape, position), Counter())[value] += 1
    assert set(HANDSHAPE_CODING) == {shape for shape, _ in counts}
    for shape, usual in HANDSHAPE_CODING.items():
        for position, value in enumerate(usual):
            found = counts[shape, position]
            assert found[value] == max(found.values()), (shape, position, found)


def test_repetition_belongs_to_the_component_that_repeats(asl_lex):
    """APPLE repeats the wrist twist, WHO the hand opening (no path), MOTHER the path; a repeated contact alone is
    'repeatedly touch', before the verb."""
    for template in range(N_TEMPLATES):
        assert re.search(r"twist\w* the wrist repeatedly", describe(asl_lex["apple"], template), re.I)
        assert re.search(
            r"chang\w* how open the hand is repeatedly", describe(asl_lex["who"], template), re.I
        )
        assert re.search(r"in a straight line repeatedly", describe(asl_lex["mother"], template))
    tap = dataclasses.replace(asl_lex["apple"], ulnar_rotation=False)
    assert "repeatedly touch the cheek or nose" in describe(tap, 0)
    assert "move in place repeatedly" in describe(asl_lex["afternoon"], 0)
    # a chain of steps repeats as a whole (ANGEL: not several taps and then one move)
    angel = describe(asl_lex["angel"], 0)
    assert (
        "touch the shoulder and then move in a straight line away from the shoulder and repeat the whole movement"
        in angel
    )
    assert "repeatedly" not in angel


def test_ties_json_is_the_current_measure(corpus):
    """results/phon/ties.json was written by dataset_scripts/phon_audit.py from the current describer."""
    records, texts, index = corpus
    saved = json.loads(TIES_JSON.read_text(encoding="utf-8"))
    configs = wlasl_configs(list(index.glosses), saved["seed"])
    fresh = ties_report(records, texts, {"asl1000": configs["asl1000"]})["asl1000"]
    assert saved["configs"]["asl1000"] == fresh
    test = fresh["unseen_test"]
    assert test["tied_classes_text_only"] == 0 and test["groups_text_only"] == []
    assert test["tied_classes"] == sum(len(group) for group in test["groups_coding_identical"]) + sum(
        len(group["glosses"]) for group in test["groups_na_only"]
    )
    assert saved["faults"] == fault_counts(records, texts)


def test_indistinguishable_classes_and_the_train_warning(caplog):
    from lexsign_hf.train.zsslr import ZSSLRData, warn_indistinguishable  # torch: imported here only

    bank = DescriptionBank(
        DescriptionRecord(gloss=g, language="asl", source="phon", text=t)
        for g, t in [("up", "1 hand; move."), ("down", "1 hand; move."), ("you", "1 hand; move."), ("no", "H hand; tap.")]
    )  # fmt: skip
    data = ZSSLRData(
        splits={}, classes=["up", "down", "you", "no", "new"], seen=[0], unseen_validation=[3], unseen_test=[1, 2, 4],
        description_bank=bank,
    )  # fmt: skip
    assert data.indistinguishable_classes() == {"unseen_test": [["down", "you"]]}  # "new": no text, left out
    with caplog.at_level(logging.WARNING):
        warn_indistinguishable(data)
    assert "unseen_test: 2 classes" in caplog.text and "down, you" in caplog.text


def test_contact_is_with_the_major_location_not_the_eye(asl_lex):
    """ASL-LEX's Contact is with the major location: a hand near the eye touches the face there (CRY, SEE); an
    UpperLip sign is at the upper lip, not above it (UGLY)."""
    assert asl_lex["see"].minor_location == "Eye" and asl_lex["see"].contact
    assert describe(asl_lex["see"], 0) == (
        "P hand, near the eye; touch the face near the eye and then move in a straight line away from the eye."
    )
    assert describe(asl_lex["cry"], 0).startswith(
        "Both 1 hands, near the eye; touch the face near the eye and then move"
    )
    for template in range(N_TEMPLATES):
        text = describe(asl_lex["ugly"], template)
        assert "above" not in text and "the upper lip" in text


def test_a_path_shape_ends_at_its_second_location(asl_lex):
    """CHAMPION moves back and forth (a shape, not a direction) from the fingertips to near the other hand."""
    assert asl_lex["champion"].movement == "BackAndForth"
    assert asl_lex["champion"].second_minor_location == "HandAway"
    text = describe(asl_lex["champion"], 0)
    assert text.endswith(
        "touch the fingertips of the other hand and then move back and forth and end away from the fingertips of"
        " the other hand."
    )
    assert "moving back and forth and ending away from" in describe(asl_lex["champion"], 5)


def test_units_after_the_second_are_described(asl_lex):
    """APRIL is coded A, P, R, I, L (NumberOfMorphemes 5): the text names every handshape, in order."""
    april = asl_lex["april"]
    assert april.second_handshape == "p" and april.further_handshapes == ("r", "i", "l")
    for template in range(N_TEMPLATES):
        text = describe(april, template)
        assert text.index("P hand") < text.index(
            "Further parts follow with an R hand and then an I hand and then an L hand."
        )
        assert 2 <= len(split_fragments(text)) <= 6
    assert describe(asl_lex["bedroom"], 0).endswith("A further part follows with a bent B hand.")
    assert asl_lex["hen"].further_handshapes == ("n",) and "an N hand" in describe(asl_lex["hen"], 0)


def test_a_second_handshape_is_the_dominant_hands_and_follows_the_path(asl_lex):
    """HALF is a 1 hand, then a V hand (the second unit, after the path); LINGUISTICS's coded S is the dominant
    hand's, not both hands' (SignTypeM2 is NA)."""
    assert (
        describe(asl_lex["half"], 0)
        == "1 hand, in neutral space throughout; move in a straight line and then change into a V hand."
    )
    assert "moving in a straight line and then changing into a V hand" in describe(asl_lex["half"], 5)
    linguistics = describe(asl_lex["linguistics"], 0)
    assert "change the dominant hand into an S hand" in linguistics and "changing into" not in linguistics
    for template in range(N_TEMPLATES):
        assert not FAULT_PATTERNS["second_handshape_misstated"](
            asl_lex["half"], describe(asl_lex["half"], template)
        )
    old_half = "The handshape is a 1 hand. The sign is made in neutral space throughout. The movement consists of moving in a straight line while changing into a V hand."
    assert FAULT_PATTERNS["second_handshape_misstated"](asl_lex["half"], old_half)


def test_phon_audit_scores_given_texts(corpus, tmp_path):
    """`dataset_scripts/phon_audit.py --texts` audits another describer's texts (results/phon/review_before.json)
    with the current fault patterns, and refuses a file that does not hold every described gloss."""
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "dataset_scripts" / "phon_audit.py"
    spec = importlib.util.spec_from_file_location("phon_audit", script)
    phon_audit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(phon_audit)
    records, texts, _ = corpus
    faulty = {gloss: list(found) for gloss, found in texts.items()}
    faulty["help"][1] = _REPORTED["pronoun_after_other_hand_clause"][1]
    given = tmp_path / "texts.json"
    given.write_text(json.dumps(faulty), encoding="utf-8")
    out = tmp_path / "audit.json"
    args = ["--asl-lex", str(ASL_LEX), "--wlasl", str(WLASL_INDEX), "--texts", str(given), "--out", str(out)]
    assert phon_audit.main(args) == 0
    faults = json.loads(out.read_text(encoding="utf-8"))["faults"]
    assert faults["pronoun_after_other_hand_clause"] == {"glosses": 1, "texts": 1, "examples": ["help"]}
    assert sum(count["texts"] for count in faults.values()) == 1
    del faulty["help"]
    given.write_text(json.dumps(faulty), encoding="utf-8")
    with pytest.raises(
        SystemExit, match="texts.json: expected a JSON object with the 1382 described glosses"
    ):
        phon_audit.main(args)
    before = json.loads((TIES_JSON.parent / "review_before.json").read_text(encoding="utf-8"))
    assert set(before["faults"]) == set(FAULT_PATTERNS)

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import datasets
import numpy as np
import pytest

from lexsign_hf.data.descriptions import split_fragments
from lexsign_hf.data.phonology import HELD_OUT_TEMPLATES, TRAIN_TEMPLATES, describe
from lexsign_hf.pose import read_pose, to_canonical, write_pose_file
from lexsign_hf.synth import (
    IMAGE_SIZE,
    LAYOUT,
    SignerParams,
    SynthConfig,
    build_synth_dataset,
    records_from_asl_lex,
    render_animation,
    render_frames,
    sample_record,
    sample_records,
    synth_classes,
    synthesize,
)
from lexsign_hf.synth.inventory import HANDSHAPE_FEATURES, HANDSHAPE_FREQUENCIES, HANDSHAPE_POSES

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ASL_LEX = SHARED_DATA / "asl-lex" / "asllex2_signdata-11-5-20.csv"
# canonical slots: body 0-8, left hand 9-29, right hand 30-50, mouth 51-58, face 59-76
LEFT_HAND, RIGHT_HAND = slice(9, 30), slice(30, 51)
CLEAN = SignerParams()  # no jitter, no dropped detections, no camera change


def _record(**changes):
    record = sample_record(np.random.default_rng(0), "test")
    base = dict(
        sign_type="OneHanded",
        nondominant_handshape=None,
        major_location="Neutral",
        minor_location="Neutral",
        second_minor_location=None,
        movement="Straight",
        movement_direction="forward",
        contact=False,
        palm_orientation="out",
        flexion_change=False,
        spread_change=False,
        ulnar_rotation=False,
    )
    return dataclasses.replace(record, **{**base, **changes})


def test_deterministic_from_seed_and_variable():
    record = _record(repeated_movement=True)
    first = synthesize(record, seed=7)
    np.testing.assert_array_equal(first, synthesize(record, seed=7))
    other = synthesize(record, seed=8)
    assert first.shape != other.shape or not np.allclose(first, other)
    lengths = {synthesize(sample_record(np.random.default_rng(i)), seed=i).shape[0] for i in range(20)}
    assert len(lengths) > 3 and max(lengths) <= 64


def test_shape_layout_and_reading_back(tmp_path):
    record = _record()
    sequence = synthesize(record, seed=1, params=CLEAN)
    assert sequence.dtype == np.float32 and sequence.ndim == 3 and sequence.shape[1:] == (133, 3)
    visible = sequence[..., 2] > 0
    assert (sequence[..., 0][visible] < IMAGE_SIZE[0]).all() and (
        sequence[..., 1][visible] < IMAGE_SIZE[1]
    ).all()
    assert not visible[:, 13:23].any()  # knees, ankles, feet are outside the frame
    canonical = to_canonical(sequence, LAYOUT)
    assert canonical.shape == (len(sequence), 77, 3)
    assert (canonical[:, LEFT_HAND, 2] > 0).all() and (canonical[:, RIGHT_HAND, 2] > 0).all()
    path = write_pose_file(
        tmp_path / "sign.pose", sequence, LAYOUT, fps=25.0, width=IMAGE_SIZE[0], height=IMAGE_SIZE[1]
    )
    loaded = read_pose(path)
    assert loaded.layout == LAYOUT and loaded.fps == 25.0
    np.testing.assert_allclose(loaded.canonical(), canonical, atol=1e-3)


def test_dropped_detections_have_zero_confidence():
    params = dataclasses.replace(CLEAN, drop_rate=0.5, jitter=1.0)
    sequence = synthesize(_record(), seed=3, params=params)
    canonical = to_canonical(sequence, LAYOUT)
    hand_confidence = np.concatenate([canonical[:, LEFT_HAND, 2], canonical[:, RIGHT_HAND, 2]], 1)
    dropped = (hand_confidence == 0).all(1)
    assert dropped.any() and not dropped.all()
    assert (canonical[:, LEFT_HAND][canonical[:, LEFT_HAND, 2] == 0][:, :2] == 0).all()
    assert (hand_confidence[~dropped] > 0).any()


def test_dominant_hand_moves_and_left_handed_signer_mirrors():
    record = _record(movement="Circular", repeated_movement=True)
    right = synthesize(record, seed=2, params=CLEAN)
    left = synthesize(record, seed=2, params=dataclasses.replace(CLEAN, left_handed=True))
    assert right.shape == left.shape
    right_c, left_c = to_canonical(right, LAYOUT), to_canonical(left, LAYOUT)
    travel = lambda hand: np.ptp(hand[:, 0, :2], axis=0).sum()  # noqa: E731 - wrist path extent
    assert travel(right_c[:, RIGHT_HAND]) > 3 * travel(right_c[:, LEFT_HAND]) > 0
    assert travel(left_c[:, LEFT_HAND]) > 3 * travel(left_c[:, RIGHT_HAND])
    # mirror image about the body's sagittal plane, which the clean camera puts at the image centre
    midline = IMAGE_SIZE[0] / 2
    mirrored = right_c[:, RIGHT_HAND].copy()
    mirrored[..., 0] = 2 * midline - mirrored[..., 0]
    np.testing.assert_allclose(left_c[:, LEFT_HAND, :2], mirrored[..., :2], atol=0.5)


def _fingertip_spread(handshape: str) -> float:
    record = _record(handshape=handshape, movement="None", repeated_movement=False)
    hand = to_canonical(synthesize(record, seed=0, params=CLEAN), LAYOUT)[:, RIGHT_HAND]
    middle = len(hand) // 2
    wrist, tips = hand[middle, 0, :2], hand[middle, [8, 12, 16, 20], :2]
    return float(np.linalg.norm(tips - wrist, axis=-1).mean())


def test_handshapes_give_different_geometry():
    fist, open_hand = _fingertip_spread("s"), _fingertip_spread("5")
    assert open_hand > 1.6 * fist
    index = _record(handshape="1", movement="None", repeated_movement=False)
    hand = to_canonical(synthesize(index, seed=0, params=CLEAN), LAYOUT)[:, RIGHT_HAND][20]
    distances = np.linalg.norm(hand[[8, 12, 16, 20], :2] - hand[0, :2], axis=-1)
    assert distances[0] > 1.5 * distances[1:].max()  # only the index finger is extended


def test_inventory_tables_are_consistent():
    assert set(HANDSHAPE_FREQUENCIES) <= set(HANDSHAPE_FEATURES) <= set(HANDSHAPE_POSES)
    for code, pose in HANDSHAPE_POSES.items():
        fingers, thumb, spread = pose.split()
        assert len(fingers) == 4 and thumb in "osapct" and spread in "01x", code
    records = sample_records(50, np.random.default_rng(1))
    assert len({r.entry_id for r in records}) == 50
    for record in records:
        assert 2 <= len(split_fragments(describe(record))) <= 6


def test_records_from_real_asl_lex():
    if not ASL_LEX.is_file():
        pytest.skip(f"ASL-LEX CSV not available at {ASL_LEX}")
    records = records_from_asl_lex(ASL_LEX)
    assert len(records) == 2719
    by_id = {record.entry_id: record for record in records}
    help_sign = synthesize(by_id["help"], seed=0, params=CLEAN)
    canonical = to_canonical(help_sign, LAYOUT)
    # a two-handed sign: the non-dominant base hand is raised to the signing space with the dominant hand
    middle = len(canonical) // 2
    assert abs(canonical[middle, LEFT_HAND][0, 1] - canonical[middle, RIGHT_HAND][0, 1]) < 60


def test_rendering(tmp_path):
    sequence = synthesize(_record(), seed=0)
    png = render_frames(sequence, tmp_path / "frames.png", frames=4, title="test")
    gif = render_animation(sequence[:6], tmp_path / "sign.gif")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and gif.read_bytes()[:6] == b"GIF89a"
    with pytest.raises(ValueError, match="133"):
        render_frames(np.zeros((3, 77, 3)), tmp_path / "bad.png")


TINY = SynthConfig(
    num_seen=6,
    num_validation=3,
    num_test=4,
    train_instances=3,
    test_seen_instances=1,
    eval_instances=2,
    num_signers=5,
)


def test_classes_partition_and_descriptions():
    classes = synth_classes(TINY)
    assert len(classes.records) == 13
    seen, val, test = (set(classes.partition(name)) for name in ("seen", "unseen_validation", "unseen_test"))
    assert (len(seen), len(val), len(test)) == (6, 3, 4)
    assert seen.isdisjoint(val) and seen.isdisjoint(test) and val.isdisjoint(test)
    for template in range(len(classes.descriptions[0])):
        assert len({texts[template] for texts in classes.descriptions}) == 13
    again = synth_classes(TINY)
    assert again.records == classes.records and again.descriptions == classes.descriptions
    assert synth_classes(dataclasses.replace(TINY, seed=1)).records != classes.records
    with pytest.raises(ValueError, match="num_seen"):
        SynthConfig(num_seen=0)


def test_build_and_load_dataset(tmp_path):
    out = build_synth_dataset(tmp_path / "synth", TINY, progress=False)
    data = datasets.load_dataset(str(out), "synth")
    assert {split: len(data[split]) for split in data} == {
        "train": 18,
        "validation": 6,
        "test": 8,
        "test_seen": 6,
    }
    classes = json.loads((out / "data" / "synth" / "classes.json").read_text())
    labels = {split: {row["label"] for row in data[split]} for split in data}
    names = data["train"].features["label"].names
    assert names == classes["classes"]
    assert (
        {names[i] for i in labels["train"]} == set(classes["seen"]) == {names[i] for i in labels["test_seen"]}
    )
    assert {names[i] for i in labels["validation"]} == set(classes["unseen_validation"])
    assert {names[i] for i in labels["test"]} == set(classes["unseen_test"])
    row = data["train"].with_format("numpy")[0]
    assert row["layout"] == LAYOUT and row["pose"].shape[1:] == (133, 3)
    assert len(data["train"][0]["description"]) == len(TRAIN_TEMPLATES)
    assert len(data["test"][0]["description"]) == len(HELD_OUT_TEMPLATES)
    train_texts = {text for texts in data["train"]["description"] for text in texts}
    test_texts = {text for texts in data["test"]["description"] for text in texts}
    assert train_texts.isdisjoint(test_texts)
    signers = [row["signer_id"] for row in data["train"] if row["label"] == 0]
    assert len(set(signers)) == len(signers)  # instances of a class come from different signers
    descriptions = datasets.load_dataset(str(out), "descriptions", split="train")
    assert len(descriptions) == 13 and descriptions[0]["source"] == "phon"
    assert to_canonical(np.asarray(row["pose"]), LAYOUT).shape[1:] == (77, 3)


def _sign(**changes):
    from lexsign_hf.synth.sign import SynthSign

    first = _record(minor_location="Neutral", movement="Straight", movement_direction="forward")
    second = _record(
        handshape="5",
        major_location="Head",
        minor_location="Forehead",
        movement="None",
        movement_direction=None,
        palm_orientation="in",
    )
    return SynthSign(**{"entry_id": "seq", "segments": (first, second), **changes})


def test_sequential_sign_performs_its_segments_in_order():
    sign = _sign()
    both = to_canonical(synthesize(sign, seed=0, params=CLEAN, max_frames=None), LAYOUT)
    alone = [
        to_canonical(synthesize(s, seed=0, params=CLEAN, max_frames=None), LAYOUT) for s in sign.segments
    ]
    assert len(both) > max(len(a) for a in alone)
    wrist = both[:, RIGHT_HAND][
        :, 0, 1
    ]  # image y of the dominant wrist: the second segment is at the forehead
    forehead_y = alone[1][len(alone[1]) // 2, RIGHT_HAND][0, 1]
    near_forehead = np.flatnonzero(np.abs(wrist - forehead_y) < 15)
    in_front = np.flatnonzero(np.abs(wrist - alone[0][len(alone[0]) // 2, RIGHT_HAND][0, 1]) < 15)
    assert near_forehead.size and in_front.size and in_front.min() < near_forehead.min()
    assert in_front.min() < len(both) // 2 < near_forehead.max()


def test_non_manual_features_move_mouth_and_face():
    from lexsign_hf.synth.sign import FACE_ACTIONS, MOUTH_SHAPES

    mouth, face = slice(51, 59), slice(59, 77)
    plain = to_canonical(synthesize(_sign(), seed=0, params=CLEAN), LAYOUT)
    for shape in MOUTH_SHAPES:
        marked = to_canonical(synthesize(_sign(mouth=shape), seed=0, params=CLEAN), LAYOUT)
        assert np.abs(marked[:, mouth, :2] - plain[:, mouth, :2]).max() > 1.0, shape
        np.testing.assert_allclose(marked[:, RIGHT_HAND], plain[:, RIGHT_HAND])  # hands untouched
    for action in FACE_ACTIONS:
        marked = to_canonical(synthesize(_sign(face=action), seed=0, params=CLEAN), LAYOUT)
        assert np.abs(marked[:, face, :2] - plain[:, face, :2]).max() > 1.0, action
    # the features are made during their segment only: the first half of the sign is unchanged
    late = to_canonical(synthesize(_sign(mouth="open", non_manual_segment=1), seed=0, params=CLEAN), LAYOUT)
    changed = np.flatnonzero(np.abs(late[:, mouth, :2] - plain[:, mouth, :2]).max(axis=(1, 2)) > 0.5)
    assert changed.min() > len(plain) // 3
    brows = to_canonical(synthesize(_sign(face="raised_brows"), seed=0, params=CLEAN), LAYOUT)
    middle = len(brows) // 4  # within the first segment, which carries the features by default
    assert (brows[middle, 68:74, 1] < plain[middle, 68:74, 1] - 1.0).all()  # brows up: smaller image y


def test_sign_descriptions_follow_the_segment_order_and_keep_held_out_wording():
    from lexsign_hf.synth.sign import FACE_ACTIONS, MOUTH_SHAPES, describe_sign

    sign = _sign(mouth="puffed", face="nod", non_manual_segment=1)
    for template in range(8):
        text = describe_sign(sign, template)
        first = describe(sign.segments[0], template).rstrip(".")
        assert text.startswith(first) and text.index("neutral space") < text.index("forehead")
        fragments = split_fragments(text)
        assert len(fragments) <= 16  # HALIConfig.max_fragments
        connective = "then" if template in TRAIN_TEMPLATES else ("next" if template == 6 else "after that")
        assert f"; {connective} " in text
        phrases = [table[key][2 if template in HELD_OUT_TEMPLATES else template % 2]
                   for table, key in ((MOUTH_SHAPES, "puffed"), (FACE_ACTIONS, "nod"))]  # fmt: skip
        assert all(phrase in fragments for phrase in phrases)
        assert text.index("forehead") < text.index(phrases[0])  # after the segment that carries them
    train = {row[i] for table in (MOUTH_SHAPES, FACE_ACTIONS) for row in table.values() for i in (0, 1)}
    held = {row[2] for table in (MOUTH_SHAPES, FACE_ACTIONS) for row in table.values()}
    assert not train & held
    with pytest.raises(ValueError, match="unknown mouth"):
        _sign(mouth="whistle")


def test_classes_mix_sequential_compound_and_non_manual_signs():
    config = SynthConfig(num_seen=40, num_validation=10, num_test=20, seed=3)
    classes = synth_classes(config)
    kinds = [sign.kind for sign in classes.records]
    assert kinds.count("compound") == 6 + 2 + 3 and kinds.count("sequential") == 6 + 2 + 3
    assert 0.15 < np.mean([sign.has_non_manual for sign in classes.records]) < 0.5
    seen = set(classes.partition("seen"))
    by_id = {sign.entry_id: label for label, sign in enumerate(classes.records)}
    for label, sign in enumerate(classes.records):
        if sign.kind == "compound":  # built from two seen single-segment classes' segments
            parts = [classes.records[by_id[gloss]] for gloss in sign.components]
            assert all(by_id[p.entry_id] in seen and p.kind == "single" for p in parts)
            assert sign.segments == tuple(p.segments[0] for p in parts)
        if len(sign.segments) == 2:
            for template in HELD_OUT_TEMPLATES:
                assert "then " not in classes.descriptions[label][template].split(";")[-1][:6]
    texts = [t for texts in classes.descriptions for t in texts]
    assert len(set(texts)) == len(texts)
    plain = synth_classes(
        dataclasses.replace(config, sequential_share=0, compound_share=0, non_manual_share=0)
    )
    assert all(sign.kind == "single" and not sign.has_non_manual for sign in plain.records)
    with pytest.raises(ValueError, match="compound_share"):
        SynthConfig(sequential_share=0.6, compound_share=0.6)

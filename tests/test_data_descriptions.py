from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from lexsign_hf.data.descriptions import (
    DescriptionBank,
    DescriptionRecord,
    read_description_file,
    split_fragments,
    write_description_jsonl,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A hand, palm facing in, at the chin; move forward twice.",
            ["A hand", "palm facing in", "at the chin", "move forward twice"],
        ),
        ("Flat hand touches the chest", ["Flat hand touches the chest"]),
        ("  Open hand!  Shake?  ", ["Open hand", "Shake"]),
        ("5 hand: palm down... then wiggle fingers", ["5 hand", "palm down", "then wiggle fingers"]),
        ("Hand-shape (bent V) ,, , at cheek.", ["Hand-shape (bent V)", "at cheek"]),
        ("右手食指，指向前方。", ["右手食指", "指向前方"]),
        ("One fragment -- , ...", ["One fragment"]),
    ],
)
def test_split_fragments(text, expected):
    assert split_fragments(text) == expected


@pytest.mark.parametrize("text", ["", "   ", ",.;:!?", " - , -- ."])
def test_split_fragments_rejects_texts_without_words(text):
    with pytest.raises(ValueError, match="no words"):
        split_fragments(text)


def test_record_validates_fields_and_fills_fragments():
    record = DescriptionRecord(
        gloss=" book ", language="asl", source="phon", text="Flat hands, palms up; open."
    )
    assert record.gloss == "book"
    assert record.fragments == ["Flat hands", "palms up", "open"]
    assert DescriptionRecord.from_dict(record.to_dict()) == record
    with pytest.raises(ValueError, match="'source' must be one of"):
        DescriptionRecord(gloss="book", language="asl", source="llm", text="x")
    with pytest.raises(ValueError, match="'text' must be a non-empty string"):
        DescriptionRecord(gloss="book", language="asl", source="mcp", text=" ")
    with pytest.raises(ValueError, match="unknown fields"):
        DescriptionRecord.from_dict(
            {"gloss": "a", "language": "asl", "source": "agp", "text": "x", "score": 1}
        )


def test_mcp_csv_import_moves_columns_to_provenance(tmp_path):
    path = tmp_path / "dictionary.csv"
    path.write_text(
        "gloss,text,book,page,position\n"
        'book,"Flat hands, palms together; open like a book.",Signing Dictionary,42,3\n'
        "drink,C hand at the mouth; tilt.,Signing Dictionary,57,1\n",
        encoding="utf-8",
    )
    records = read_description_file(path, source="mcp")
    assert [record.gloss for record in records] == ["book", "drink"]
    assert records[0].provenance == {"book": "Signing Dictionary", "page": "42", "position": "3"}
    assert records[0].fragments == ["Flat hands", "palms together", "open like a book"]
    assert {record.source for record in records} == {"mcp"} and records[0].language == "asl"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("gloss,text,book,page,position\nbook,Flat hand.,Dict,1\n", r"dictionary\.csv:2: fewer fields"),
        (
            "gloss,text,book,page\nbook,Flat hand.,Dict,1\n",
            r"dictionary\.csv:2: .*lacks provenance field\(s\) \['position'\]",
        ),
        (
            "gloss,book,page,position\nbook,Dict,1,1\n",
            r"dictionary\.csv:1: header lacks column\(s\) \['text'\]",
        ),
        (
            "gloss,text,book,page,position\nbook,Flat.,D,1,1\nbook,'...',D,1,2\n",
            r"dictionary\.csv:3: .*no words",
        ),
        ("gloss,text,book,page,position\n,Flat hand.,D,1,1\n", r"dictionary\.csv:2: field 'gloss'"),
    ],
)
def test_mcp_csv_errors_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "dictionary.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_description_file(path, source="mcp")


def test_jsonl_import_and_errors(tmp_path):
    path = tmp_path / "agp.jsonl"
    good = {
        "gloss": "book",
        "text": "Flat hands open.",
        "provenance": {"video_id": "69241", "kind": "per_video"},
    }
    path.write_text(
        json.dumps(good) + "\n\n" + json.dumps({**good, "source": "agp"}) + "\n", encoding="utf-8"
    )
    records = read_description_file(path, source="agp")
    assert len(records) == 2 and records[0].provenance["video_id"] == "69241"

    path.write_text(json.dumps(good) + "\n" + "{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"agp\.jsonl:2: invalid JSON"):
        read_description_file(path, source="agp")
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"agp\.jsonl:1: record has no 'source'"):
        read_description_file(path)
    path.write_text(json.dumps({**good, "source": "mcp"}) + "\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"agp\.jsonl:1: record has source 'mcp' but the file is read as 'agp'"
    ):
        read_description_file(path, source="agp")
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        read_description_file(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match=r"unsupported description file type '\.txt'"):
        (tmp_path / "d.txt").write_text("x")
        read_description_file(tmp_path / "d.txt")


def test_jsonl_round_trip(tmp_path):
    records = [
        DescriptionRecord(
            "book", "asl", "mcp", "Flat hands open.", provenance={"book": "B", "page": 1, "position": 2}
        ),
        DescriptionRecord(
            "drink", "asl", "phon", "C hand at the mouth; tilt.", provenance={"entry_id": "drink"}
        ),
    ]
    path = write_description_jsonl(records, tmp_path / "all.jsonl")
    assert read_description_file(path) == records


def _bank() -> DescriptionBank:
    records = [
        DescriptionRecord("book", "asl", "mcp", f"Dictionary text {i}.", provenance={}) for i in range(2)
    ]
    records += [DescriptionRecord("book", "asl", "agp", f"Generated text {i}.") for i in range(3)]
    records += [DescriptionRecord("book", "asl", "phon", "Phonology text.")]
    records += [DescriptionRecord("drink", "asl", "phon", "C hand at the mouth.")]
    return DescriptionBank(records)


def test_bank_groups_and_counts():
    bank = _bank()
    assert len(bank) == 7 and bank.glosses == ["book", "drink"] and "book" in bank
    assert bank.sources_for("book") == ["mcp", "agp", "phon"] and bank.sources_for("drink") == ["phon"]
    assert bank.counts() == {
        "mcp": {"glosses": 1, "descriptions": 2},
        "agp": {"glosses": 1, "descriptions": 3},
        "phon": {"glosses": 2, "descriptions": 2},
    }


def test_multi_source_sampling_follows_weights():
    bank = _bank()
    rng = np.random.default_rng(0)
    draws = Counter(
        bank.sample("book", rng, weights={"mcp": 3, "agp": 1, "phon": 0}).source for _ in range(4000)
    )
    assert set(draws) == {"mcp", "agp"}
    assert 0.70 < draws["mcp"] / 4000 < 0.80
    uniform = Counter(bank.sample("book", rng).text for _ in range(6000))
    # uniform over sources, then uniform within a source
    assert abs(uniform["Phonology text."] / 6000 - 1 / 3) < 0.03
    assert abs(uniform["Generated text 0."] / 6000 - 1 / 9) < 0.03
    # weights are renormalised over the sources the gloss has
    assert {bank.sample("drink", rng, weights=[5, 5, 1]).source for _ in range(20)} == {"phon"}
    assert {bank.sample("book", rng, sources=["agp"]).source for _ in range(20)} == {"agp"}


def test_sampling_is_reproducible_from_the_seed():
    bank = _bank()
    first = [bank.sample("book", np.random.default_rng(7)).text for _ in range(5)]
    assert first == [bank.sample("book", np.random.default_rng(7)).text for _ in range(5)]


def test_sampling_errors():
    bank = _bank()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="gloss 'unknown' has no description"):
        bank.sample("unknown", rng)
    with pytest.raises(
        ValueError, match=r"gloss 'drink' has no description from sources \['mcp'\] \(it has \['phon'\]\)"
    ):
        bank.sample("drink", rng, sources=["mcp"])
    with pytest.raises(ValueError, match="non-empty subset"):
        bank.sample("book", rng, sources=["wiki"])
    with pytest.raises(ValueError, match="got 2 weights for 3 sources"):
        bank.sample("book", rng, weights=[1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        bank.sample("book", rng, weights={"mcp": -1})


def test_bank_from_description_rows():
    rows = [
        {
            "gloss": "book",
            "language": "asl",
            "source": "mcp",
            "texts": ["Flat hands open."],
            "fragments": [["Flat hands open"]],
            "provenance": [json.dumps({"book": "B", "page": "1", "position": "1"})],
        }
    ]
    bank = DescriptionBank.from_rows(rows)
    assert bank.records("book")[0].provenance["book"] == "B"


def test_bank_filter_keeps_matching_records():
    bank = _bank()
    bank.add(
        DescriptionRecord("drink", "asl", "phon", "Held-out wording.", provenance={"held_out_template": True})
    )
    training = bank.filter(lambda record: not record.provenance.get("held_out_template"))
    assert len(training) == len(bank) - 1 and len(bank) == 8
    assert [record.text for record in training.records("drink")] == ["C hand at the mouth."]

"""The answer parser on a table of replies, each with its expected result (issue 23.4)."""

from __future__ import annotations

import pytest

from lexsign_hf.bench.parsing import parse_answer

OPTIONS = ["book", "chair", "drink", "have"]

# (reply, expected letter or None = invalid)
TABLE = [
    # bare letters and their decorations
    ("B", "B"),
    ("b", "B"),
    ("B)", "B"),
    ("(b)", "B"),
    ("D.", "D"),
    ("**A**", "A"),
    ("[C]", "C"),
    (" c \n", "C"),
    # explicit statements anywhere
    ("The answer is B.", "B"),
    ("the answer is c", "C"),
    ("Answer: (D)", "D"),
    ("ANSWER - A", "A"),
    ("Correct answer: C", "C"),
    ("Final answer: **D**", "D"),
    ("The best option is C.", "C"),
    ("My choice: B", "B"),
    ("It's B.", "B"),
    ("C is correct.", "C"),
    ("Option B is the right answer.", "B"),
    ("I would choose option D because the palm faces in.", "D"),
    ("I'd go with (C) since the hand moves twice.", "C"),
    ("The sign matches (C).", "C"),
    ("The answer is B. Option A describes a fist at the chin, which does not fit.", "B"),
    ("B. Unlike A, the palm faces down.", "B"),
    ("C. An open hand at the chin.", "C"),
    ("B) Both bent B hands, palms in", "B"),  # "bent B hands" is a handshape
    ("B\n\nExplanation: option A uses a fist.", "B"),
    ("The correct answer is C, not A.", "C"),
    ("Unlike option A, the sign is made at the chest, so the answer is D.", "D"),
    ("The answer is A because the palm faces in.", "A"),
    ("I think the answer is B.", "B"),
    ("The answer is B. Option A might look similar, but its movement differs.", "B"),
    ("The answer is B, which might be confused with A.", "B"),
    ("Reasoning: the handshape is an A hand at the chin. Answer: C", "C"),
    # reasoning blocks, then the letter
    ("<think>A or C? The palm faces in, so C.</think>\nC", "C"),
    ("<think>The movement is a circle; A and D have circles.</think> The answer is (D).", "D"),
    ("<reasoning>Handshape B, location chin.</reasoning>\nAnswer: A", "A"),
    ("<think>Let me look at the handshape first. The dominant hand", None),  # cut off by the budget
    ("<think>B fits best.</think>", None),  # nothing after the reasoning
    # the exact text of one option
    ("book", "A"),
    ("Drink", "C"),
    # hedged replies
    ("I'm not sure, maybe A", None),
    ("Probably B", None),
    ("It could be C.", None),
    ("Maybe the answer is A.", None),
    ("I pick A or maybe D", None),
    ("The answer is C or D.", None),
    ("I can't tell from the video, perhaps B.", None),
    ("The answer is A, maybe.", None),
    ("I'm not sure, but the answer is C.", None),
    # conflicting or several letters
    ("The answer is B. No wait, the answer is C.", None),
    ("(A) fits the handshape, (B) fits the movement.", None),
    ("B or C", None),
    ("Both A and B look plausible.", None),
    ("A, then D", None),
    # no option at all
    ("", None),
    ("The sign is made near the chin.", None),
    ("A hand, palm facing in.", None),  # a handshape name, not a choice
    ("The answer is A hand", None),
    ("a flat hand at the chin", None),  # the article is not option A
    ("A person touches the chin.", None),
    ("The answer is a flat hand", None),
    ("The answer is E.", None),
    ("None of the options match the video.", None),
    ("Sorry, I cannot see the video.", None),
]


def test_table_is_large_and_balanced():
    assert len(TABLE) >= 40
    assert sum(expected is None for _, expected in TABLE) >= 15
    assert len({reply for reply, _ in TABLE}) == len(TABLE)


@pytest.mark.parametrize(("reply", "expected"), TABLE)
def test_parse_answer_table(reply, expected):
    assert parse_answer(reply, OPTIONS) == expected

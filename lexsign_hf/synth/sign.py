"""A synthetic sign: one or two manual segments in sequence, with optional non-manual features, and its wording.

Most LexSign-Synth classes are single-segment signs (one `PhonRecord`). A *sequential* sign performs two segments
one after the other (a different handshape, location or movement in each); a *compound* reuses the segments of
two other classes (as ASL ENGINEER ≈ SIZE + PERSON). A sign may carry a mouth shape and a facial action
(eyebrows, head) during one of its segments, so the mouth and face subunits have something to align.

`describe_sign` words the segments in order, each with `describe` of `lexsign_hf.data.phonology`, joined by a
connective ("…; then …"), with the non-manual fragments right after the segment they go with. Training templates
and held-out templates use different connectives and different non-manual phrasings, so the held-out wording
stays unseen in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.phonology import HELD_OUT_TEMPLATES, PhonRecord, describe

__all__ = ["FACE_ACTIONS", "MOUTH_SHAPES", "SynthSign", "describe_sign"]

# Non-manual features the signer renders. Per feature: (training wording A, training wording B, held-out wording).
MOUTH_SHAPES: dict[str, tuple[str, str, str]] = {
    "open": ("the mouth opens wide", "with the mouth wide open", "jaw dropped"),
    "rounded": ("the lips are rounded", "with rounded lips", "lips pushed forward in an O"),
    "stretched": ("the lips are stretched", "with stretched lips", "lips pulled wide"),
    "puffed": ("the cheeks are puffed", "with puffed cheeks", "cheeks full of air"),
}
FACE_ACTIONS: dict[str, tuple[str, str, str]] = {
    "raised_brows": ("the eyebrows are raised", "with raised eyebrows", "brows up"),
    "furrowed_brows": ("the brows are furrowed", "with a frown", "brows drawn together"),
    "nod": ("the head nods", "with a nod of the head", "head bobbing up and down"),
    "shake": ("the head shakes", "with a shake of the head", "head turning side to side"),
}
# Connective between the two segments of a sign, per template (held-out templates word it differently).
_CONNECTIVES = {
    0: "then",
    1: "then",
    2: "then",
    3: "then",
    4: "then",
    5: "after that",
    6: "next",
    7: "after that",
}


@dataclass(frozen=True)
class SynthSign:
    """One sign of LexSign-Synth.

    Args:
        entry_id: identifier (also the gloss of built-in pseudo-signs).
        segments: the manual segments in the order they are performed (one or two `PhonRecord`s).
        mouth: a `MOUTH_SHAPES` key or None; face: a `FACE_ACTIONS` key or None.
        non_manual_segment: index of the segment during which the non-manual features are made.
        components: glosses of the classes whose segments a compound reuses (empty otherwise).
        gloss: display gloss (defaults to `entry_id`).
    """

    entry_id: str
    segments: tuple[PhonRecord, ...]
    mouth: str | None = None
    face: str | None = None
    non_manual_segment: int = 0
    components: tuple[str, ...] = ()
    gloss: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.segments) <= 2:
            raise ValueError(f"SynthSign {self.entry_id}: 1 or 2 segments expected, got {len(self.segments)}")
        if self.mouth is not None and self.mouth not in MOUTH_SHAPES:
            raise ValueError(
                f"SynthSign {self.entry_id}: unknown mouth {self.mouth!r}; expected {sorted(MOUTH_SHAPES)}"
            )
        if self.face is not None and self.face not in FACE_ACTIONS:
            raise ValueError(
                f"SynthSign {self.entry_id}: unknown face {self.face!r}; expected {sorted(FACE_ACTIONS)}"
            )
        if not 0 <= self.non_manual_segment < len(self.segments):
            raise ValueError(
                f"SynthSign {self.entry_id}: non_manual_segment {self.non_manual_segment} out of range"
            )

    @classmethod
    def single(cls, record: PhonRecord) -> SynthSign:
        return cls(entry_id=record.entry_id, segments=(record,), gloss=record.gloss)

    @property
    def kind(self) -> str:
        """``"single"``, ``"sequential"`` or ``"compound"``."""
        if len(self.segments) == 1:
            return "single"
        return "compound" if self.components else "sequential"

    @property
    def has_non_manual(self) -> bool:
        return self.mouth is not None or self.face is not None


def _non_manual_fragments(sign: SynthSign, template: int) -> list[str]:
    column = 2 if template in HELD_OUT_TEMPLATES else template % 2
    phrases = []
    if sign.mouth is not None:
        phrases.append(MOUTH_SHAPES[sign.mouth][column])
    if sign.face is not None:
        phrases.append(FACE_ACTIONS[sign.face][column])
    return phrases


def _continue(text: str) -> str:
    """A sentence continued after a connective: lower-case its first word unless it is a letter name ("A hand")."""
    first = text.split(" ", 1)[0]
    return text if len(first) == 1 or first.isupper() else text[:1].lower() + text[1:]


def describe_sign(sign: SynthSign | PhonRecord, template: int, rng: np.random.Generator | None = None) -> str:
    """English description of `sign` under paraphrase `template`; segments in order, non-manuals after theirs."""
    if isinstance(sign, PhonRecord):
        return describe(sign, template, rng)
    pieces = []
    for index, segment in enumerate(sign.segments):
        text = describe(segment, template, rng).rstrip(".")
        if index == sign.non_manual_segment and sign.has_non_manual:
            text = "; ".join([text, *_non_manual_fragments(sign, template)])
        pieces.append(text if index == 0 else f"{_CONNECTIVES[template]} {_continue(text)}")
    return "; ".join(pieces) + "."

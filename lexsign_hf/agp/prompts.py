"""AGP prompts: the per-video description prompt, the summarising prompt and their in-context examples.

Prompts are Jinja2 templates (a user may supply their own file); every generated record stores the template's
name and SHA-256 so a description can always be traced to the exact prompt that produced it. The same
description prompt is used to LoRA-tune Qwen2.5-VL (`lexsign_hf.finetune`), so a tuned model is queried the way
it was trained.

Template variables: `examples` (list of example descriptions), `max_words` (int), `language_name` (e.g.
"American Sign Language"), `gloss` (the sign's gloss; the default templates do not use it, so a description
is what the model sees, not what it knows), and for the summarising prompt `descriptions` (the per-video
descriptions of one gloss).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from lexsign_hf.data.descriptions import DescriptionRecord, read_description_file

MAX_WORDS = 50
NUM_EXAMPLES = 3
LANGUAGE_NAMES = {"asl": "American Sign Language", "csl": "Chinese Sign Language"}

DESCRIBE_TEMPLATE = """\
You are an experienced sign language lexicographer writing entries for a dictionary of {{ language_name }}.
In the video, a person in the middle of the frame performs one sign.
Describe how the sign is performed in one paragraph that integrates the handshape, the location, the palm \
orientation and the movement of the hands. Name handshapes as dictionaries do ("A hand", "5 hand", "open hand", \
"bent V hand") and orientations as "palm facing in", "palm down" and so on. Use a clinical tone, do not guess \
the meaning of the sign, and write at most {{ max_words }} words.

Example entries:
{% for example in examples %}{{ loop.index }}. {{ example }}
{% endfor %}
Entry for the sign in the video:"""

SUMMARIZE_TEMPLATE = """\
You are an experienced sign language lexicographer writing entries for a dictionary of {{ language_name }}.
Below are {{ descriptions | length }} descriptions of the same sign, each written from a different video of it.
Compare them component by component (handshape, location, palm orientation, movement). Keep what most of them \
agree on and drop details that only one of them mentions. Write one entry in the style of the examples: one \
paragraph, clinical tone, at most {{ max_words }} words.

Example entries:
{% for example in examples %}{{ loop.index }}. {{ example }}
{% endfor %}
Descriptions of the sign:
{% for description in descriptions %}{{ loop.index }}. {{ description }}
{% endfor %}
Entry:"""

# Entries in the house style (our own wording), used when no example source is configured: three + a spare.
BUILTIN_EXAMPLES: tuple[DescriptionRecord, ...] = (
    DescriptionRecord(
        gloss="mother",
        language="asl",
        source="phon",
        text="5 hand, palm facing left, thumb tip at the chin; tap the chin twice.",
        provenance={"origin": "lexsign_hf builtin example"},
    ),
    DescriptionRecord(
        gloss="book",
        language="asl",
        source="phon",
        text="Both open hands, palms pressed together in front of the chest; open them sideways like a book, "
        "keeping the little-finger edges in contact.",
        provenance={"origin": "lexsign_hf builtin example"},
    ),
    DescriptionRecord(
        gloss="drink",
        language="asl",
        source="phon",
        text="C hand, palm facing sideways, in front of the mouth; tilt the hand toward the mouth as if "
        "emptying a cup.",
        provenance={"origin": "lexsign_hf builtin example"},
    ),
    DescriptionRecord(
        gloss="thank you",
        language="asl",
        source="phon",
        text="Open hand, palm facing in, fingertips at the chin; move the hand forward and down, ending palm up.",
        provenance={"origin": "lexsign_hf builtin example"},
    ),
)


@dataclass(frozen=True)
class PromptTemplate:
    """A Jinja2 prompt template with a name and the SHA-256 of its text (recorded as provenance)."""

    text: str
    name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        """`name@` + the first 12 hex digits of the SHA-256: short enough for every record."""
        return f"{self.name}@{self.sha256[:12]}"

    @classmethod
    def from_file(cls, path: str | Path) -> PromptTemplate:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"prompt template file not found: {path}")
        text = path.read_text(encoding="utf-8")
        template = cls(text=text, name=path.stem)
        template._compile(origin=str(path))
        return template

    def render(self, **variables: Any) -> str:
        try:
            return self._compile(origin=self.name).render(**variables).strip()
        except jinja2.UndefinedError as error:
            raise ValueError(
                f"prompt template {self.name!r} uses an unknown variable ({error.message}); available: "
                f"{sorted(variables)}"
            ) from None

    def _compile(self, origin: str) -> jinja2.Template:
        environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        try:
            return environment.from_string(self.text)
        except jinja2.TemplateSyntaxError as error:
            raise ValueError(
                f"prompt template {origin}: Jinja2 syntax error line {error.lineno}: {error.message}"
            ) from None


def describe_template(path: str | Path | None = None) -> PromptTemplate:
    """The per-video description prompt: the file at `path`, or the built-in `agp-describe` template."""
    return PromptTemplate.from_file(path) if path else PromptTemplate(DESCRIBE_TEMPLATE, "agp-describe")


def summarize_template(path: str | Path | None = None) -> PromptTemplate:
    """The summarising prompt: the file at `path`, or the built-in `agp-summarize` template."""
    return PromptTemplate.from_file(path) if path else PromptTemplate(SUMMARIZE_TEMPLATE, "agp-summarize")


class ExamplePool:
    """The in-context example descriptions, chosen per gloss so a sign never serves as its own example.

    `ExamplePool.from_spec(spec)` reads a source: `None`/`"builtin"` (built-in entries), a description file
    (`.jsonl`/`.csv`, any source, read with `lexsign_hf.data.descriptions`), or `"phon:ASL_LEX_CSV"` (descriptions
    generated from ASL-LEX 2.0 phonological coding). From a larger pool `num_examples` records of distinct
    glosses are drawn once, deterministically from `seed`, with spares to replace an example of the gloss
    being described.
    """

    def __init__(
        self, records: list[DescriptionRecord], num_examples: int = NUM_EXAMPLES, seed: int = 0, origin=""
    ):
        by_gloss: dict[str, DescriptionRecord] = {}
        for record in records:
            by_gloss.setdefault(record.gloss, record)
        if len(by_gloss) < num_examples:
            raise ValueError(
                f"example source {origin or '<records>'} has descriptions of {len(by_gloss)} distinct glosses; "
                f"{num_examples} in-context examples (+1 spare) are needed"
            )
        order = (
            np.random.default_rng(seed).permutation(len(by_gloss))
            if len(by_gloss) > num_examples + 1
            else None
        )
        chosen = [list(by_gloss.values())[i] for i in order] if order is not None else list(by_gloss.values())
        self.ranked = chosen[: num_examples + 1]
        self.num_examples = num_examples
        self.origin = origin

    @classmethod
    def from_spec(
        cls, spec: str | Path | None = None, num_examples: int = NUM_EXAMPLES, seed: int = 0
    ) -> ExamplePool:
        if spec is None or str(spec) == "builtin":
            return cls(list(BUILTIN_EXAMPLES), min(num_examples, len(BUILTIN_EXAMPLES) - 1), origin="builtin")
        spec = str(spec)
        if spec.startswith("phon:"):
            return cls(_phon_examples(spec[len("phon:") :]), num_examples, seed, origin=spec)
        return cls(read_description_file(spec), num_examples, seed, origin=spec)

    def for_gloss(self, gloss: str | None = None) -> list[str]:
        """The example texts for describing `gloss` (an example of the same gloss is swapped for the spare)."""
        usable = [record for record in self.ranked if _gloss_key(record.gloss) != _gloss_key(gloss or "")]
        return [record.text for record in usable[: self.num_examples]]

    @property
    def sha256(self) -> str:
        """Fingerprint of the example pool (part of the prompt version)."""
        joined = "\n".join(f"{record.gloss}\t{record.text}" for record in self.ranked)
        return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _phon_examples(asl_lex_csv: str) -> list[DescriptionRecord]:
    from lexsign_hf.data.phonology import describe, load_asl_lex

    entries = load_asl_lex(asl_lex_csv)
    return [
        DescriptionRecord(
            gloss=record.gloss or entry_id,
            language="asl",
            source="phon",
            text=describe(record, template=0),
            provenance={"asl_lex_entry": entry_id},
        )
        for entry_id, record in entries.items()
    ]


def _gloss_key(gloss: str) -> str:
    return re.sub(r"_\d+$", "", gloss.strip().lower())


def word_count(text: str) -> int:
    return len(text.split())

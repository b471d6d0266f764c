"""The three prompt complexities and their token budgets (issue 23.3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexsign_hf.bench.prompts import LEVELS, VARIANTS, load_templates
from lexsign_hf.bench.runner import MLLMAnswerer, run_bench
from lexsign_hf.mllm import RandomBackend

OPTIONS = ["open hand at the chin", "fist at the chest", "bent V at the cheek", "flat hand moves out"]
QUESTIONS = {"subunit": "Which option describes the sign performed in the video?", "gloss": "(gloss)"}
PARAMETERS = ("Handshape", "Orientation", "Location", "Movement", "Non-manual")


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_asks_lists_and_wants_the_letter_only(level, variant):
    prompt = load_templates().render(level, variant, OPTIONS)
    options = "\n".join(f"{letter}) {text}" for letter, text in zip("ABCD", OPTIONS, strict=True))
    assert options in prompt and "{" not in prompt
    question = prompt.index(QUESTIONS[level])
    instruction = prompt.rindex("letter")
    assert question < prompt.index(options) < instruction  # question, options, then the instruction
    assert "only" in prompt[instruction:] and prompt.rstrip().endswith(("D).", "else."))
    assert "step by step" not in prompt.lower() and "explain" not in prompt.lower()
    named = [name for name in PARAMETERS if name in prompt]
    assert named == (list(PARAMETERS) if variant == "complex" else named)
    if variant != "complex":
        assert len(named) < len(PARAMETERS)


def test_complexities_grow_and_budgets_fit():
    templates = load_templates()
    for level in LEVELS:
        lengths = [len(templates.render(level, v, OPTIONS)) for v in ("simple", "original", "complex")]
        assert lengths == sorted(lengths) and len(set(lengths)) == 3
    budgets = templates.max_new_tokens
    assert budgets["simple"] < budgets["original"] < budgets["complex"] and budgets["simple"] >= 4


class Recording(RandomBackend):
    def __init__(self):
        super().__init__()
        self.budgets: dict[str, set[int]] = {}

    def generate(self, requests, progress=False):
        for request in requests:
            self.budgets.setdefault(request.request_id.split("|")[1], set()).add(request.max_new_tokens)
        return super().generate(requests, progress)


def _questions(n=4):
    return [
        {
            "question_id": f"v{i}-gloss",
            "video_id": f"v{i}",
            "gloss": "book",
            "iconicity_type": "Arbitrary",
            "level": "gloss",
            "options": ["book", "chair", "drink", "have"],
            "answer": "A",
        }
        for i in range(n)
    ]


def test_each_variant_gets_its_budget_and_the_override_all(tmp_path):
    backend = Recording()
    run_bench(_questions(), MLLMAnswerer(backend), tmp_path / "a", variants=VARIANTS, control="blind")
    assert backend.budgets == {v: {load_templates().max_new_tokens[v]} for v in VARIANTS}
    backend = Recording()
    run_bench(
        _questions(),
        MLLMAnswerer(backend, max_new_tokens=5),
        tmp_path / "b",
        variants=VARIANTS,
        control="blind",
    )
    assert backend.budgets == {v: {5} for v in VARIANTS}


def test_templates_file_budgets_are_checked(tmp_path):
    text = Path(load_templates().source).read_text(encoding="utf-8")
    custom = tmp_path / "paper.yaml"
    custom.write_text(text.replace("  complex: 48", "  complex: 64"), encoding="utf-8")
    templates = load_templates(custom)
    assert templates.max_new_tokens["complex"] == 64 and templates.hash != load_templates().hash
    custom.write_text(text.replace("  complex: 48", "  complex: lots"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"max_new_tokens\.complex"):
        load_templates(custom)
    custom.write_text(text.replace("  simple: 8", "  short: 8"), encoding="utf-8")
    with pytest.raises(ValueError, match="max_new_tokens"):
        load_templates(custom)


def test_readme_shows_templates_with_the_papers_wording():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## LexSign-Bench") :]
    section = section[: section.index("\n## ", 5)]
    assert "--templates" in section and "Tab. 18" in section

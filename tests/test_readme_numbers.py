"""Every figure in the README's Results sections comes from a JSON the package wrote (or the paper's figures,
transcribed in results/paper/figures.json), carries its source right after it, and equals that value as printed.

Convention: ``47.8 %<!-- src: results/demo/metrics.json#hali.zsl.top1 -->`` — the comment follows the figure (and
its unit); the path is relative to the repository root, the key a dotted path (list indices as numbers); a
``*100`` (or any ``*N`` / ``/N``) after the key scales the JSON value to the unit shown (a fraction in percent,
seconds in ms, bytes in MiB with ``/1048576``). Not figures: numbers inside code spans,
names (Table 7, Fig. 9, Eq. 2, M = 3, top-5, seed 0, 2-core, L_FG, a citation's year), targets (< 15 %, ≥ 5x)
and set-up counts (2 threads, 0 workers, the 95 % of an interval).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SOURCE = re.compile(r"<!--\s*src:\s*([^#\s]+)#([^\s*/]+)(?:([*/])(\d+))?\s*-->")
# a figure: optional sign, digits with optional thousands separators and decimals, then an optional unit
NUMBER = re.compile(r"(?<![\w.])([+\-−]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w.]*\d)")
UNIT = re.compile(r"(?:\s?(?:%|×|pp|points?|min|ms|MiB|GB|kB|MB|x|s)(?![A-Za-z]))?")
NAMES = re.compile(
    r"(?:Tables?|Figs?\.|Eqs?\.|Section|[Ss]eeds?|issue|M\s?=|B\s?=|T\s?=|top-|L_|A\.|Appendix|ASL|CSL|WLASL|LEX"
    r"|nslt_|batch|Qwen2\.5-VL-|BMVC|TPAMI|TIP|Recognition|arXiv|[<>≥≤~])\s*(?:\d[\d.,]*\s*(?:,|/|and|–|-|to)\s*)*$"
)
# after a number: part of a word ("2-core", "64-frame") or a set-up count ("2 threads", "0 workers", "95 % CI")
NOT_A_FIGURE_AFTER = re.compile(
    r"-(?:core|frame|epoch|point|fold|shot|choice|bit|level|seed)|(?:st|nd|rd|th)\b|\s(?:cores?|threads?|workers?)\b"
    r"|\s?%\s(?:t-)?interval|\s?%\sCI"
)


def results_text() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Results")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def figures(text: str):
    """(printed number, the source comment after it or None, context) for every figure of `text`."""
    code = [(m.start(), m.end()) for m in re.finditer(r"`[^`]*`|<!--.*?-->", text, flags=re.S)]
    for match in NUMBER.finditer(text):
        start = match.start()
        if any(a <= start < b for a, b in code):
            continue
        before = text[max(0, start - 40) : start]
        if NAMES.search(before) or NOT_A_FIGURE_AFTER.match(text, match.end()):
            continue
        unit = UNIT.match(text, match.end() + (2 if text.startswith("**", match.end()) else 0))
        source = SOURCE.match(text, unit.end())
        yield match.group(0), source, text[max(0, start - 50) : match.end() + 30].replace("\n", " ")


def json_value(path: str, key: str):
    data = json.loads((REPO / path).read_text(encoding="utf-8"))
    for part in key.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def test_every_results_figure_has_a_source_and_equals_it():
    problems, checked = [], 0
    for printed, source, context in figures(results_text()):
        if source is None:
            problems.append(f"no source: {printed!r} in …{context}…")
            continue
        path, key, operator, factor = source.groups()
        try:
            value = json_value(path, key)
        except (OSError, KeyError, IndexError, ValueError) as error:
            problems.append(f"{path}#{key}: cannot read ({error!r}) for {printed!r}")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{path}#{key} = {value!r} is not a number ({printed!r})")
            continue
        if operator:
            value = value * int(factor) if operator == "*" else value / int(factor)
        shown = printed.replace("−", "-").replace(",", "")
        decimals = len(shown.split(".")[1]) if "." in shown else 0
        if not math.isclose(float(shown), round(value, decimals), abs_tol=10 ** -(decimals + 6)):
            problems.append(f"{printed!r} ≠ {path}#{key} = {value!r} (rounded to {decimals} decimals)")
        checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 20  # the section does state measured figures


@pytest.mark.parametrize(
    "text, expected",
    [
        ("top-1 47.8 %<!-- src: a.json#x -->.", [("47.8", True)]),
        ("Table 7 and M = 3, seed 0, 2-core, `torch 2.14.1`", []),
        ("gains 3.2 points and 1,382 glosses", [("3.2", False), ("1,382", False)]),
        ("−2.8<!-- src: a.json#d.0 --> on seeds 0–2", [("−2.8", True)]),
    ],
)
def test_figure_finder(text, expected):
    assert [(printed, source is not None) for printed, source, _ in figures(text)] == expected

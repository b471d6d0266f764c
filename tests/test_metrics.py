"""ZSL / GZSL / ISLR metrics against scikit-learn, with ties counted against the true class."""

import contextlib
import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, top_k_accuracy_score

from lexsign_hf.metrics import (
    evaluate_module_path,
    gzsl_accuracy,
    harmonic_mean,
    islr_accuracy,
    topk_hits,
    zsl_accuracy,
)

README = Path(__file__).resolve().parents[1] / "README.md"
README_MARKER = "<!-- metrics-example: tests/test_metrics.py runs this exact block -->"
# The README's metrics example (README.md carries it after README_MARKER; it must stay identical).
README_EXAMPLE = """\
import evaluate
from lexsign_hf.metrics import evaluate_module_path

zsl = evaluate.load(evaluate_module_path("zsl_accuracy"))
scores = [[0.9, 0.1, 0.0], [0.2, 0.3, 0.5], [0.4, 0.3, 0.3]]  # one row per sample, one column per class
print(zsl.compute(predictions=scores, references=[1, 2, 1], unseen_classes=[1, 2], topk=[1]))
# {'top1': 75.0}: the third sample ties its class with class 2, so it is a miss

gzsl = evaluate.load(evaluate_module_path("gzsl_accuracy"))
print(gzsl.compute(predictions=scores, references=[0, 2, 1], seen_classes=[0], unseen_classes=[1, 2]))
# {'S': 100.0, 'U': 50.0, 'H': 66.66666666666667}
"""


def pessimistic(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Integer-valued `scores` with every tie broken against the true class (true class just below its rivals),
    so that scikit-learn's index-order tie breaking cannot matter: ranks otherwise unchanged."""
    assert np.array_equal(scores, np.round(scores))
    broken = 2.0 * scores
    broken[np.arange(len(labels)), labels] -= 1.0
    return broken


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Sample weights 1 / (samples of its class): a weighted accuracy is then the mean of per-class accuracies."""
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return 1.0 / counts[inverse]


def random_case(seed: int, samples: int = 60, classes: int = 12, tied: bool = False):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=samples)
    # Tied: few distinct integer levels, so most rows tie the true class with others. Tie-free: continuous.
    scores = (
        rng.integers(0, 3, size=(samples, classes)).astype(float)
        if tied
        else rng.normal(size=(samples, classes))
    )
    return scores, labels


# --- sklearn references -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("k", [1, 3, 5])
def test_islr_matches_sklearn_on_tie_free_scores(seed, k):
    scores, labels = random_case(seed)
    result = islr_accuracy(scores, labels, topk=[k])
    every = list(range(scores.shape[1]))
    assert result[f"per_instance_top{k}"] == pytest.approx(
        100 * top_k_accuracy_score(labels, scores, k=k, labels=every)
    )
    assert result[f"per_class_top{k}"] == pytest.approx(
        100 * top_k_accuracy_score(labels, scores, k=k, labels=every, sample_weight=balanced_weights(labels))
    )
    if k == 1:
        assert result["per_class_top1"] == pytest.approx(
            100 * balanced_accuracy_score(labels, scores.argmax(1))
        )


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("k", [1, 2, 5])
def test_islr_counts_ties_against_like_pessimistic_sklearn(seed, k):
    scores, labels = random_case(seed, tied=True)
    broken, every = pessimistic(scores, labels), list(range(scores.shape[1]))
    true = scores[np.arange(len(labels)), labels]
    assert ((scores == true[:, None]).sum(1) > 1).mean() > 0.5  # the case really is full of ties
    result = islr_accuracy(scores, labels, topk=[k])
    assert result[f"per_instance_top{k}"] == pytest.approx(
        100 * top_k_accuracy_score(labels, broken, k=k, labels=every)
    )
    assert result[f"per_class_top{k}"] == pytest.approx(
        100 * top_k_accuracy_score(labels, broken, k=k, labels=every, sample_weight=balanced_weights(labels))
    )
    if k == 1:
        assert result["per_class_top1"] == pytest.approx(
            100 * balanced_accuracy_score(labels, broken.argmax(1))
        )
    # A tie-rewarding metric (hit when fewer than k classes score strictly higher) gives more here.
    rewarding = ((scores > true[:, None]).sum(1) < k).mean()
    assert rewarding > result[f"per_instance_top{k}"] / 100


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("k", [1, 5])
def test_zsl_matches_sklearn_on_the_unseen_columns(tied, k):
    scores, labels = random_case(7, samples=80, classes=20, tied=tied)
    unseen = list(range(10, 20))
    keep = np.isin(labels, unseen)
    local_scores, local_labels = scores[keep][:, unseen], labels[keep] - 10
    reference_scores = pessimistic(local_scores, local_labels) if tied else local_scores
    expected = top_k_accuracy_score(
        local_labels,
        reference_scores,
        k=k,
        labels=list(range(10)),
        sample_weight=balanced_weights(local_labels),
    )
    assert zsl_accuracy(scores, labels, unseen, topk=[k])[f"top{k}"] == pytest.approx(100 * expected)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize("tied", [False, True])
def test_gzsl_matches_balanced_accuracy_per_side(tied):
    scores, labels = random_case(11, samples=90, classes=15, tied=tied)
    seen, unseen = list(range(0, 15, 2)), list(range(1, 15, 2))
    reference = pessimistic(scores, labels) if tied else scores
    predictions = reference.argmax(1)  # all classes searched
    result = gzsl_accuracy(scores, labels, seen, unseen)
    for key, side in (("S", seen), ("U", unseen)):
        mask = np.isin(labels, side)
        assert result[key] == pytest.approx(100 * balanced_accuracy_score(labels[mask], predictions[mask]))
    assert result["H"] == pytest.approx(2 * result["S"] * result["U"] / (result["S"] + result["U"]))


# --- hand-derived cases -----------------------------------------------------------------------------------------


def test_the_issue_case_a_constant_scorer_is_at_zero():
    scores, labels = np.zeros((20, 20)), np.arange(20) % 10 + 10
    assert zsl_accuracy(scores, labels, range(10, 20)) == {"top1": 0.0, "top5": 0.0}
    assert gzsl_accuracy(scores, labels, range(10), range(10, 20))["U"] == 0.0
    assert islr_accuracy(scores, labels, topk=[1, 19, 20]) == {
        "per_instance_top1": 0.0,
        "per_class_top1": 0.0,
        "per_instance_top19": 0.0,  # 19 other classes tie with the true one
        "per_class_top19": 0.0,
        "per_instance_top20": 100.0,  # k = every class: nothing can be missed
        "per_class_top20": 100.0,
    }


def test_hand_derived_ties():
    scores = np.array(
        [
            [1.0, 1.0, 0.0, 0.0],  # label 0 ties with class 1: top-1 miss, top-2 hit
            [0.0, 1.0, 1.0, 1.0],  # label 1 ties with 2 and 3: top-2 miss, top-3 hit
            [0.0, 0.0, 5.0, 0.0],  # label 2 alone at the top: hit
            [2.0, 2.0, 1.0, 1.0],  # label 3 below two, tied with one: top-3 miss, top-4 hit
        ]
    )
    labels = np.array([0, 1, 2, 3])
    assert topk_hits(scores, labels, 1).tolist() == [False, False, True, False]
    assert topk_hits(scores, labels, 2).tolist() == [True, False, True, False]
    assert topk_hits(scores, labels, 3).tolist() == [True, True, True, False]
    assert topk_hits(scores, labels, 4).tolist() == [True, True, True, True]
    # Duplicate descriptions of two unseen classes: both rows tie, neither counts.
    duplicate = np.array([[0.7, 0.7, 0.1], [0.7, 0.7, 0.1], [0.1, 0.2, 0.9]])
    assert zsl_accuracy(duplicate, [0, 1, 2], [0, 1, 2], topk=[1]) == {"top1": pytest.approx(100 / 3)}


def test_h_is_nan_when_a_side_has_no_sample():
    scores = np.eye(4)
    only_seen = gzsl_accuracy(scores[:2], [0, 1], seen_classes=[0, 1], unseen_classes=[2, 3])
    assert only_seen["S"] == 100.0 and math.isnan(only_seen["U"]) and math.isnan(only_seen["H"])
    only_unseen = gzsl_accuracy(scores[2:], [2, 3], seen_classes=[0, 1], unseen_classes=[2, 3])
    assert math.isnan(only_unseen["S"]) and math.isnan(only_unseen["H"])
    assert harmonic_mean(0.0, 0.0) == 0.0 and harmonic_mean(50.0, 50.0) == 50.0
    assert math.isnan(harmonic_mean(float("nan"), 10.0))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: zsl_accuracy(np.eye(3), [0, 1, 2], []), "unseen_classes is empty"),
        (lambda: zsl_accuracy(np.eye(3), [0, 1, 2], None), "unseen_classes is required"),
        (
            lambda: zsl_accuracy(np.eye(3), [0, 1, 2], [1, 5]),
            r"unseen_classes must be class indices in \[0, 3\)",
        ),
        (lambda: zsl_accuracy(np.eye(3), [0, 0, 0], [1, 2]), "no sample belongs to an unseen class"),
        (lambda: gzsl_accuracy(np.eye(3), [0, 1, 2], [0, 1], [1, 2]), "overlap"),
        (lambda: islr_accuracy(np.eye(3), [0, 1, 3]), r"labels must be class indices in \[0, 3\)"),
        (lambda: islr_accuracy(np.full((2, 2), np.nan), [0, 1]), "NaN or inf"),
        (lambda: topk_hits(np.eye(3), [0, 1, 2], 0), "k must be a positive integer"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_torch_scores():
    torch = pytest.importorskip("torch")
    scores, labels = random_case(3)
    assert islr_accuracy(torch.tensor(scores), torch.tensor(labels)) == pytest.approx(
        islr_accuracy(scores, labels)
    )


# --- evaluate modules -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluate_lib():
    return pytest.importorskip("evaluate")


def test_evaluate_modules_match_the_functions(evaluate_lib):
    scores, labels = random_case(5, samples=40, classes=8, tied=True)
    unseen, seen = [4, 5, 6, 7], [0, 1, 2, 3]
    zsl = evaluate_lib.load(evaluate_module_path("zsl_accuracy"))
    gzsl = evaluate_lib.load(evaluate_module_path("gzsl_accuracy"))
    islr = evaluate_lib.load(evaluate_module_path("islr_accuracy"))
    rows, refs = scores.tolist(), labels.tolist()
    assert zsl.compute(predictions=rows, references=refs, unseen_classes=unseen) == pytest.approx(
        zsl_accuracy(scores, labels, unseen)
    )
    assert gzsl.compute(
        predictions=rows, references=refs, seen_classes=seen, unseen_classes=unseen
    ) == pytest.approx(gzsl_accuracy(scores, labels, seen, unseen))
    assert islr.compute(predictions=rows, references=refs) == pytest.approx(islr_accuracy(scores, labels))
    with pytest.raises(ValueError, match="unseen_classes is required"):
        zsl.compute(predictions=rows, references=refs)
    with pytest.raises(ValueError, match="seen_classes and unseen_classes required"):
        gzsl.compute(predictions=rows, references=refs)
    for module in (zsl, gzsl):
        assert "(required)" in module.inputs_description


def test_evaluate_module_docstring_examples(evaluate_lib):
    """The `Example:` of each module's inputs description gives what it shows."""
    for name in ("zsl_accuracy", "gzsl_accuracy", "islr_accuracy"):
        metric = evaluate_lib.load(evaluate_module_path(name))
        lines = metric.inputs_description.split("Example:")[1].strip().splitlines()
        code, expected = [], None
        for line in lines:
            line = line.strip()
            if line.startswith(">>> "):
                code.append(line[4:])
            elif line.startswith("... "):
                code[-1] += "\n" + line[4:]
            elif line:
                expected = line
                break
        namespace = {"evaluate": evaluate_lib, "evaluate_module_path": evaluate_module_path}
        exec("\n".join(code[:-1]), namespace)
        assert repr(eval(code[-1], namespace)) == expected, name


def run_snippet(code: str, evaluate_lib) -> list[str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "README example", "exec"), {})
    printed = output.getvalue().splitlines()
    comments = [line[2 : line.index("}") + 1] for line in code.splitlines() if line.startswith("# {")]
    assert printed == comments  # the comments under each print are what it prints
    return printed


def test_readme_example_runs(evaluate_lib):
    assert run_snippet(README_EXAMPLE, evaluate_lib) == [
        "{'top1': 75.0}",
        "{'S': 100.0, 'U': 50.0, 'H': 66.66666666666667}",
    ]
    block = re.search(
        re.escape(README_MARKER) + r"\s*```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S
    )
    assert block and block.group(1) == README_EXAMPLE  # the README shows exactly the example that runs here


def test_gzsl_refuses_labels_outside_both_class_sets():
    with pytest.raises(ValueError, match=r"1 samples have labels in neither class set \(e.g. \[3\]\)"):
        gzsl_accuracy(np.eye(4), [0, 1, 2, 3], seen_classes=[0, 1], unseen_classes=[2])


def test_ties_are_decided_in_the_scores_own_dtype(evaluate_lib):
    """1 and 1 + 1e-12 differ in float64 but tie in float32: the true class (column 1) must win at top-1."""
    import torch

    scores = np.array([[1.0, 1.0 + 1e-12, 0.0]])
    assert np.float32(scores[0, 0]) == np.float32(scores[0, 1])  # a float32 cast would make it a tie (a miss)
    assert topk_hits(torch.tensor(scores, dtype=torch.float64), [1], 1).tolist() == [True]
    assert islr_accuracy(torch.tensor(scores), np.array([1]), topk=[1])["per_instance_top1"] == 100.0
    islr = evaluate_lib.load(evaluate_module_path("islr_accuracy"))
    assert islr.compute(predictions=scores.tolist(), references=[1], topk=[1])["per_instance_top1"] == 100.0
    bf16 = torch.tensor([[0.5, 0.5, 0.25]], dtype=torch.bfloat16)  # widened exactly: still a tie
    assert topk_hits(bf16, [1], 1).tolist() == [False]

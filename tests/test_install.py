"""The package works installed from its wheel, not only from the checkout.

Builds the sdist and the wheel (the wheel from the sdist, as `python -m build` does), checks what they hold, then
installs the wheel with `--no-deps` into a fresh virtualenv whose only other content is a `.pth` line pointing at
this environment's site-packages (so torch and friends are not installed again; the editable install's finder is
not activated there, because `.pth` files of a directory added that way are not processed). Every command runs
from an empty folder, with no PYTHONPATH, so nothing can come from the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO_ROOT
from test_demo import TINY_DEMO

import lexsign_hf
from lexsign_hf.pose import write_pose_file

pytestmark = pytest.mark.slow

MAX_ARTEFACT_BYTES = 1_000_000  # today ~0.3 MB each; data or results slipping in would be far larger
MAX_MEMBER_BYTES = 200_000  # the largest source file is ~36 kB
METRIC_MODULES = ("islr_accuracy", "zsl_accuracy", "gzsl_accuracy")


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything pointing at the checkout or the project venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", **extra}


def _run(command: list[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, command))} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def _python_json(python: Path, code: str, cwd: Path, *args: str) -> dict:
    return json.loads(_run([python, "-c", code, *args], cwd).stdout.strip().splitlines()[-1])


def _checkout_files() -> list[str]:
    """The checkout's files a release is built from: git's tracked and not-ignored files when git is there, else
    a walk without caches, virtualenvs and build outputs."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        names = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "__pycache__", "build", "dist", ".pytest_cache", ".ruff_cache"}
        names = [
            path.relative_to(REPO_ROOT).as_posix()
            for path in REPO_ROOT.rglob("*")
            if not skip & set(path.relative_to(REPO_ROOT).parts)
            and not any(part.endswith(".egg-info") for part in path.parts)
            and (path.is_file() or path.is_symlink())
        ]
    return sorted(name for name in names if (REPO_ROOT / name).is_symlink() or (REPO_ROOT / name).is_file())


def _package_files() -> set[str]:
    """What the wheel must hold: every regular file of the checkout under lexsign_hf/."""
    return {n for n in _checkout_files() if n.startswith("lexsign_hf/") and not (REPO_ROOT / n).is_symlink()}


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path | str]:
    """`python -m build` of a clean copy of the checkout (a stale `*.egg-info/SOURCES.txt` there would add files
    the configuration forgets): the sdist, then the wheel built from the unpacked sdist."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    for name in _checkout_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, source / name, follow_symlinks=False)
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    (wheel,) = out.glob("lexsign_hf-*.whl")
    (sdist,) = out.glob("lexsign_hf-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist, "log": log}


@pytest.fixture(scope="module")
def venvs(dist, tmp_path_factory) -> dict[str, Path]:
    """`wheel`: a fresh venv with only the wheel installed (+ this environment's dependencies through a `.pth`);
    `deps`: the same without the wheel, i.e. a Hub user without lexsign_hf."""
    root = tmp_path_factory.mktemp("venvs")
    paths = sysconfig.get_paths()
    deps_dirs = dict.fromkeys([paths["purelib"], paths["platlib"]])
    made = {}
    for name in ("wheel", "deps"):
        folder = root / name
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
        python = folder / "bin" / "python"
        if name == "wheel":  # installed before the .pth exists, so pip sees an empty environment
            _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                  "--quiet", dist["wheel"]], root)  # fmt: skip
        site = Path(
            _python_json(python, "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))", root)[
                "purelib"
            ]
        )
        (site / "_lexsign_test_dependencies.pth").write_text("".join(f"{d}\n" for d in deps_dirs))
        made[name] = python
        made[f"{name}_site"] = site
    return made


@pytest.fixture
def empty(tmp_path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_build_has_no_licence_warning_and_the_right_metadata(dist):
    log = dist["log"]
    assert "Successfully built" in log
    assert not re.search(r"deprecat", log, re.IGNORECASE), [
        line for line in log.splitlines() if "eprecat" in line
    ]
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        metadata = wheel.read(f"lexsign_hf-{lexsign_hf.__version__}.dist-info/METADATA").decode()
        entry_points = wheel.read(f"lexsign_hf-{lexsign_hf.__version__}.dist-info/entry_points.txt").decode()
    assert f"\nVersion: {lexsign_hf.__version__}\n" in metadata
    assert "\nLicense-Expression: Apache-2.0\n" in metadata and "\nLicense-File: LICENSE\n" in metadata
    assert "lexsign = lexsign_hf.cli:main" in entry_points


def test_wheel_and_sdist_hold_the_package_and_nothing_else(dist):
    expected = _package_files()
    assert {"lexsign_hf/model_cards/hali_zsslr.md.jinja", "lexsign_hf/bench/prompts.yaml"} <= expected
    assert {f"lexsign_hf/metrics/modules/{name}/{name}.py" for name in METRIC_MODULES} <= expected

    with zipfile.ZipFile(dist["wheel"]) as wheel:
        members = wheel.infolist()
    info = f"lexsign_hf-{lexsign_hf.__version__}.dist-info/"
    assert {m.filename for m in members if not m.filename.startswith(info)} == expected
    assert f"{info}licenses/LICENSE" in {m.filename for m in members}
    assert max(m.file_size for m in members) < MAX_MEMBER_BYTES
    assert dist["wheel"].stat().st_size < MAX_ARTEFACT_BYTES

    prefix = f"lexsign_hf-{lexsign_hf.__version__}/"
    with tarfile.open(dist["sdist"]) as sdist:
        names = {m.name.removeprefix(prefix) for m in sdist.getmembers() if m.isfile()}
    assert expected <= names
    assert {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO"} <= names
    stray = {n for n in names - expected if not n.startswith("lexsign_hf.egg-info/")}
    assert stray <= {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO", "MANIFEST.in", "setup.cfg"}, stray
    assert dist["sdist"].stat().st_size < MAX_ARTEFACT_BYTES


def test_the_fresh_venv_imports_the_wheel_not_the_checkout(venvs, empty):
    found = _python_json(
        venvs["wheel"],
        "import json, sys, importlib.metadata as md, lexsign_hf; print(json.dumps({'file': lexsign_hf.__file__, "
        "'dist': str(md.distribution('lexsign_hf').locate_file('')), 'path': sys.path, "
        "'finders': [type(f).__module__ for f in sys.meta_path]}))",
        empty,
    )
    site = venvs["wheel_site"]
    assert Path(found["file"]).is_relative_to(site) and Path(found["dist"]) == site
    assert not any(module.startswith("__editable__") for module in found["finders"])
    assert str(REPO_ROOT) not in found["path"] and "" not in found["path"][1:]
    version = _run([venvs["wheel"].parent / "lexsign", "--version"], empty).stdout.strip()
    assert version.startswith(f"lexsign_hf {lexsign_hf.__version__} from {site / 'lexsign_hf'} ")
    missing = subprocess.run(
        [venvs["deps"], "-c", "import lexsign_hf"],
        cwd=empty,
        env=_clean_env(),
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "No module named 'lexsign_hf'" in missing.stderr


def test_demo_then_dry_run_push_loads_back_by_remote_code(venvs, empty, tiny_bert):
    """The issue's "done when": demo → model, card, metrics; push --dry-run → a tree that a Python without
    lexsign_hf loads with trust_remote_code and that ranks a .pose file as the installed package does."""
    lexsign = venvs["wheel"].parent / "lexsign"
    _run(
        [lexsign, "demo", "--out", "out", "--text-model", tiny_bert, "--cache-dir", "cache", *TINY_DEMO],
        empty,
    )
    metrics = json.loads((empty / "out" / "metrics.json").read_text())
    assert set(metrics) >= {"hali", "baseline", "chance_top1"}
    for folder in ("model", "baseline_model"):
        assert {"config.json", "model.safetensors", "README.md", "modeling_hali.py"} <= {
            p.name for p in (empty / "out" / folder).iterdir()
        }
    card = (empty / "out" / "model" / "README.md").read_text()
    assert (
        "| hali |" in card and "model-index" not in card
    )  # results table; no Hub dataset id, no model-index

    output = _run([lexsign, "push", "model", "out/model", "--repo-id", "someone/hali-tiny", "--dry-run", "tree"],
                  empty).stdout  # fmt: skip
    assert "fresh process without lexsign_hf" in output
    tree = empty / "tree"
    assert {"README.md", "handler.py", "pipeline_hali.py", "pose_layouts.json", "metrics.json"} <= {
        p.name for p in tree.iterdir()
    }

    keypoints = np.random.default_rng(0).uniform(10, 500, size=(24, 543, 3)).astype(np.float32)
    keypoints[..., 2] = 1.0  # MediaPipe Holistic, the layout `lexsign pose extract` writes
    pose = write_pose_file(empty / "sign.pose", keypoints, "mediapipe_holistic_543", fps=25.0)
    labels = ["ESSEN", "KINDER", "PIZZA"]
    descriptions = [
        "Flat O hand, fingertips at the mouth, palm in; tap the lips twice.",
        "Flat hand, palm down, in front of the body; move down in steps.",
        "Bent V hand at the chin, palm in; move in a circle.",
    ]
    remote = _python_json(
        venvs["deps"],
        "import json, sys, transformers\n"
        "model = transformers.AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True)\n"
        "classify = transformers.pipeline('zero-shot-sign-classification', model=sys.argv[1], trust_remote_code=True)\n"
        "out = classify(sys.argv[2], candidate_labels=json.loads(sys.argv[3]), descriptions=json.loads(sys.argv[4]))\n"
        "print(json.dumps({'class': type(model).__name__, 'module': type(model).__module__, 'ranking': out,\n"
        "    'leaked': [m for m in sys.modules if m.split('.')[0] == 'lexsign_hf']}))",
        empty,
        str(tree),
        str(pose),
        json.dumps(labels),
        json.dumps(descriptions),
    )
    assert remote["class"] == "HALIModel" and remote["module"].startswith("transformers_modules")
    assert remote["leaked"] == []
    package = _python_json(
        venvs["wheel"],
        "import json, sys\n"
        "from lexsign_hf import HALIModel, HALIProcessor\n"
        "from lexsign_hf.hub.export import zero_shot_pipeline\n"
        "classify = zero_shot_pipeline(HALIModel.from_pretrained(sys.argv[1]).eval(), "
        "HALIProcessor.from_pretrained(sys.argv[1]))\n"
        "print(json.dumps({'ranking': classify(sys.argv[2], candidate_labels=json.loads(sys.argv[3]), "
        "descriptions=json.loads(sys.argv[4]))}))",
        empty,
        str(tree),
        str(pose),
        json.dumps(labels),
        json.dumps(descriptions),
    )
    assert [r["label"] for r in remote["ranking"]] == [r["label"] for r in package["ranking"]]
    assert sorted(r["label"] for r in remote["ranking"]) == sorted(labels)
    np.testing.assert_allclose(
        [r["score"] for r in remote["ranking"]], [r["score"] for r in package["ranking"]], atol=1e-5
    )


def test_bench_and_data_build_from_the_wheel(venvs, empty, shared_data):
    import datasets

    lexsign = venvs["wheel"].parent / "lexsign"
    wlasl, asl_lex = shared_data / "wlasl", shared_data / "asl-lex" / "asllex2_signdata-11-5-20.csv"
    _run([lexsign, "bench", "build", "--wlasl", wlasl / "WLASL_v0.3.json", "--asl-lex", asl_lex, "--out", "bench",
          "--per-type", "3"], empty)  # fmt: skip
    bench = datasets.load_dataset(str(empty / "bench"), "bench", split="test")
    assert len(bench) > 0 and set(bench["answer"]) <= set("ABCD")
    assert "LexSign-Bench" in (empty / "bench" / "README.md").read_text()

    _run([lexsign, "data", "build", "--wlasl", wlasl, "--asl-lex", asl_lex, "--islr-sizes", "100", "--out", "data"],
         empty)  # fmt: skip
    asl100 = datasets.load_dataset(str(empty / "data"), "asl100")
    assert {"train", "test"} <= set(asl100) and len(asl100["test"]) > 0
    assert "configs:" in (empty / "data" / "README.md").read_text()


def test_shipped_metric_modules_load_by_path_and_match_sklearn(venvs, empty):
    from sklearn.metrics import balanced_accuracy_score

    rng = np.random.default_rng(0)
    scores = rng.normal(size=(40, 6)).astype(np.float32)
    labels = rng.integers(0, 6, size=40)
    seen, unseen = [0, 1, 2], [3, 4, 5]
    computed = _python_json(
        venvs["wheel"],
        "import json, sys, evaluate\n"
        "from lexsign_hf.metrics import evaluate_module_path\n"
        "scores, labels, seen, unseen = json.loads(sys.argv[1])\n"
        "load = lambda name: evaluate.load(evaluate_module_path(name))\n"
        "print(json.dumps({\n"
        "    'paths': [evaluate_module_path(n) for n in ('islr_accuracy', 'zsl_accuracy', 'gzsl_accuracy')],\n"
        "    'islr': load('islr_accuracy').compute(predictions=scores, references=labels, topk=[1]),\n"
        "    'zsl': load('zsl_accuracy').compute(predictions=scores, references=labels, unseen_classes=unseen, topk=[1]),\n"
        "    'gzsl': load('gzsl_accuracy').compute(predictions=scores, references=labels, seen_classes=seen,\n"
        "                                          unseen_classes=unseen)}))",
        empty,
        json.dumps([scores.tolist(), labels.tolist(), seen, unseen]),
    )
    assert all(Path(p).is_relative_to(venvs["wheel_site"]) for p in computed["paths"])

    predicted = scores.argmax(1)
    assert computed["islr"]["per_instance_top1"] == pytest.approx(100 * np.mean(predicted == labels))
    assert computed["islr"]["per_class_top1"] == pytest.approx(
        100 * balanced_accuracy_score(labels, predicted)
    )
    is_unseen = np.isin(labels, unseen)
    zsl_predicted = np.asarray(unseen)[scores[is_unseen][:, unseen].argmax(1)]
    assert computed["zsl"]["top1"] == pytest.approx(
        100 * balanced_accuracy_score(labels[is_unseen], zsl_predicted)
    )
    for key, mask in (("S", ~is_unseen), ("U", is_unseen)):
        assert computed["gzsl"][key] == pytest.approx(
            100 * balanced_accuracy_score(labels[mask], predicted[mask])
        )
    s, u = computed["gzsl"]["S"], computed["gzsl"]["U"]
    assert computed["gzsl"]["H"] == pytest.approx(2 * s * u / (s + u))

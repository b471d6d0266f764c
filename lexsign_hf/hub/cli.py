"""`lexsign push model|dataset|adapter DIR --repo-id ID [--private] [--exist-ok] [--dry-run OUT_DIR]`."""

from __future__ import annotations

import argparse

HELP = {
    "model": "a HALI model folder (save_pretrained + processor) with its evaluation JSON",
    "dataset": "a LexSign / LexSign-Bench dataset folder (README YAML configs + parquet)",
    "adapter": "a Qwen2.5-VL LoRA adapter folder from `lexsign mllm finetune-lora`",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    push = subparsers.add_parser(
        "push",
        help="publish a model, dataset or adapter to the Hugging Face Hub with its card",
        description="Stage the exact repository tree (card rendered from the results file, remote code, pipeline, "
        "handler), load it back to prove it works, then create the repo and upload it in one commit. The token "
        "comes from `hf auth login` or HF_TOKEN.",
    )
    kinds = push.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, help_text in HELP.items():
        parser = kinds.add_parser(kind, help=help_text, description=f"Push {help_text}.")
        parser.add_argument("folder", metavar="DIR", help=f"the {kind} folder")
        parser.add_argument("--repo-id", required=True, help="namespace/name on the Hub")
        parser.add_argument("--private", action="store_true", help="create the repository as private")
        parser.add_argument("--exist-ok", action="store_true", help="add a commit to an existing repository")
        parser.add_argument(
            "--dry-run",
            metavar="OUT_DIR",
            help="write the exact repo tree to OUT_DIR (new or empty) and load it back; no network",
        )
        if kind == "adapter":
            parser.add_argument(
                "--results",
                help="table12.json of examples/agp_table12.py: the downstream ZSSLR result for the card",
            )
        if kind == "model":
            parser.add_argument(
                "--results",
                help="evaluation JSON the card is rendered from (default: DIR/metrics.json, DIR/eval_results.json, "
                "DIR/all_results.json or DIR/../metrics.json, as `lexsign demo` writes it)",
            )
            parser.add_argument(
                "--results-key",
                help="which model of a results file with several (e.g. hali, baseline, model; default: the one "
                "whose weights fingerprint is DIR's)",
            )
            parser.add_argument(
                "--no-results",
                action="store_true",
                help="publish without results: the card says the model has not been evaluated",
            )
            parser.add_argument(
                "--dataset",
                help="Hub id (namespace/name) of the evaluation dataset (default: from the results file; without "
                "one the card has no datasets: nor model-index)",
            )
            parser.add_argument(
                "--dataset-config", help="its config, e.g. asl1000 (default: from the results file)"
            )
            parser.add_argument(
                "--license",
                help="licence of the weights; replaces the card's (default: the card's, else cc-by-nc-4.0)",
            )
            parser.add_argument(
                "--card-template",
                help="render the card from this Jinja template instead of keeping DIR/README.md "
                "(default without a README: model_cards/hali_zsslr.md.jinja or hali_islr.md.jinja)",
            )
        parser.set_defaults(func=run_push)


def run_push(args: argparse.Namespace) -> int:
    from .push import push

    options = {"results": args.results} if args.kind == "adapter" else {}
    if args.kind == "model":
        options = {
            "results": args.results,
            "results_key": args.results_key,
            "dataset": args.dataset,
            "dataset_config": args.dataset_config,
            "license": args.license,
            "card_template": args.card_template,
            "no_results": args.no_results,
        }
    staged, commit = push(
        args.kind,
        args.folder,
        args.repo_id,
        dry_run=args.dry_run,
        private=args.private,
        exist_ok=args.exist_ok,
        **options,
    )
    print(f"{staged.repo_type} repo {staged.repo_id}: {len(staged.files)} files")
    for name in staged.files:
        print(f"  {name}")
    for check in staged.checks:
        print(f"ok: {check}")
    if commit is None:
        print(f"dry run: the repo tree is in {staged.folder}; commit message: {staged.commit_message!r}")
    else:
        print(f"uploaded: {commit.commit_url}")
    return 0

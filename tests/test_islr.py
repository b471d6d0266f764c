"""ISLR: a `HALIForSignClassification` trained on LexSign-Synth's seen classes, saved, and scored by `lexsign
evaluate` (P-I / P-C top-1 and top-5) equal to scikit-learn on the same logits; unknown glosses are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score, top_k_accuracy_score
from tiny import TINY_HALI

from lexsign_hf.cli import main
from lexsign_hf.pose import processor_input
from lexsign_hf.synth.ablation import SMOKE
from lexsign_hf.synth.demo import prepare_synth_dataset
from lexsign_hf.train.evaluate import evaluate_islr
from lexsign_hf.train.islr import IslrCollator, build_hali_classifier, train_islr
from lexsign_hf.train.zsslr import load_zsslr_data


@pytest.mark.slow
def test_classifier_trains_saves_and_evaluates_like_sklearn(tmp_path, tiny_bert):
    torch.set_num_threads(1)
    folder = prepare_synth_dataset(SMOKE["synth"], tmp_path / "cache", progress=False)
    data = load_zsslr_data(folder, "synth")
    glosses = [data.classes[label] for label in data.seen]
    pose_config = {**TINY_HALI["pose_config"]}
    model, processor = build_hali_classifier(
        tiny_bert, glosses, alignment="hali", max_frames=16, pose_config=pose_config, projection_dim=16
    )
    train_islr(
        model, processor, data, tmp_path / "ckpt", alignment="hali", max_steps=2, batch_size=4, progress=False
    )
    model.save_pretrained(tmp_path / "model")
    processor.save_pretrained(tmp_path / "model")
    out = tmp_path / "islr.json"
    args = ["evaluate", "--model", str(tmp_path / "model"), "--data", str(folder), "--config", "synth"]
    assert main([*args, "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["split"] == "test_seen" and result["num_classes"] == len(glosses)

    split = data.splits["test_seen"]
    direct = evaluate_islr(model, processor, split)
    assert {key: direct[key] for key in direct} == {key: result[key] for key in direct}
    model.eval()
    with torch.no_grad():  # the same logits, scored by scikit-learn (no ties among float logits here)
        inputs = processor(
            poses=[processor_input(np.asarray(row["pose"], np.float32), row["layout"]) for row in split]
        )
        logits = model(pose_values=inputs["pose_values"], pose_mask=inputs["pose_mask"]).logits.numpy()
    labels = np.array([model.config.label2id[gloss] for gloss in split["gloss"]])
    classes = np.arange(len(glosses))
    assert result["per_instance_top1"] == pytest.approx(100 * np.mean(logits.argmax(1) == labels))
    assert result["per_instance_top5"] == pytest.approx(
        100 * top_k_accuracy_score(labels, logits, k=5, labels=classes)
    )
    assert result["per_class_top1"] == pytest.approx(100 * balanced_accuracy_score(labels, logits.argmax(1)))


def test_collator_maps_glosses_and_drops_text_for_ce_alone():
    class Base:
        def __call__(self, rows):
            return {
                "pose_values": torch.zeros(len(rows)),
                "input_ids": torch.zeros(len(rows)),
                "labels": torch.zeros(1),
            }

    rows = [{"gloss": "B"}, {"gloss": "A"}]
    batch = IslrCollator(Base(), {"A": 0, "B": 1}, with_text=False)(rows)
    assert batch["labels"].tolist() == [1, 0] and "input_ids" not in batch
    assert "input_ids" in IslrCollator(Base(), {"A": 0, "B": 1}, with_text=True)(rows)
    with pytest.raises(ValueError, match=r"glosses \['C'\] are not among the classifier's labels"):
        IslrCollator(Base(), {"A": 0}, with_text=True)([{"gloss": "C"}])

"""`lexsign train` under `torchrun --nproc_per_node 2` on a CPU (gloo): one model trained by both processes,
results written once, and a saved model trained further under DDP with activation checkpointing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lexsign_hf.synth import SynthConfig, build_synth_dataset

REPO = Path(__file__).resolve().parents[1]
TINY_SYNTH = SynthConfig(
    num_seen=6, num_validation=3, num_test=4, train_instances=3, eval_instances=2, test_seen_instances=1,
    num_signers=4, max_frames=16,
)  # fmt: skip

pytestmark = pytest.mark.slow


def torchrun_train(*args: str) -> subprocess.CompletedProcess:
    """`torchrun --standalone --nproc_per_node 2 -m lexsign_hf.cli train ARGS` (the `lexsign` script's module)."""
    environment = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    command += ["-m", "lexsign_hf.cli", "train", *args, "--no-progress"]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_two_process_training_and_ddp_fine_tuning_with_activation_checkpointing(tiny_bert, tmp_path):
    data = build_synth_dataset(tmp_path / "synth", TINY_SYNTH, progress=False)
    common = ["--dataset", str(data), "--config", "synth", "--steps", "4", "--batch-size", "4", "--max-frames", "16",
              "--pose-hidden-size", "16", "--projection-dim", "16", "--save-steps", "2"]  # fmt: skip
    out = tmp_path / "run"
    result = torchrun_train(*common, "--out", str(out), "--text-model", tiny_bert)
    assert result.stdout.count('"out":') == 1  # one process evaluates and reports
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["config"]["world_size"] == 2
    assert metrics["model"]["config"]["steps"] == 4
    assert (out / "model" / "model.safetensors").is_file() and (out / "model" / "README.md").is_file()
    assert not (out / "checkpoints").exists()

    tuned = tmp_path / "tuned"
    result = torchrun_train(
        *common, "--out", str(tuned), "--init-model", str(out / "model"), "--gradient-checkpointing"
    )
    metrics = json.loads((tuned / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["model"]["config"]["steps"] == 4
    losses = [entry["loss"] for entry in metrics["log_history"] if "loss" in entry]
    assert losses and all(loss == loss for loss in losses)  # finite, logged

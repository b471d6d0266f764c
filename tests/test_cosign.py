"""The cosign tower (CoSign-1s / Uni-Sign pose branch), Uni-Sign's normalisation, and `lexsign convert uni-sign`.

The reference below restates Uni-Sign's published computation (github.com/ZechengLi19/Uni-Sign: `datasets.py`
`load_part_kp` / `crop_scale`, `stgcn_layers`, `models.py` pose branch) directly from the equations, with explicit
loops, on a state dict that carries Uni-Sign's own parameter names; it shares no code with the package.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from pose_format import Pose

from lexsign_hf.cli import main as lexsign_main
from lexsign_hf.convert import convert_uni_sign_state_dict, uni_sign_to_hali, write_converted
from lexsign_hf.data.build import build_lexsign
from lexsign_hf.data.collator import HALIDataCollator
from lexsign_hf.data.pose_store import load_video_config
from lexsign_hf.data.splits import ZSSLRSpec
from lexsign_hf.hub import zero_shot_pipeline
from lexsign_hf.models.hali import (
    HALIConfig,
    HALIModel,
    HALIProcessor,
    HALIZeroShotClassifier,
    SkeletonEncoderConfig,
)
from lexsign_hf.models.hali.modeling_cosign import CoSignSkeletonEncoder
from lexsign_hf.pose import read_pose, to_canonical, write_pose_file
from lexsign_hf.train.evaluate import ZSSLREvaluator
from lexsign_hf.train.predict import predict_pose
from lexsign_hf.train.zsslr import build_hali, load_zsslr_data, train_zsslr

UNI_SIGN_POSE_PARAMETERS = 5_346_088 - 787_200  # Uni-Sign's pose branch without pose_proj (1024 x 768 + 768)

# ---- Uni-Sign's structure, as read from its code ---------------------------------------------------------------
# COCO-WholeBody indices of each part (datasets.py) and each part's skeleton edges (stgcn_layers/gcn_utils.py).
PART_INDEX = {
    "body": [0, 3, 4, 5, 6, 7, 8, 9, 10],
    "left": list(range(91, 112)),
    "right": list(range(112, 133)),
    "face_all": [23, 25, 27, 29, 31, 33, 35, 37, 39, 83, 84, 85, 86, 87, 88, 89, 90, 53],
}
HAND = [[0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [0, 9], [9, 10], [10, 11], [11, 12],
        [0, 13], [13, 14], [14, 15], [15, 16], [0, 17], [17, 18], [18, 19], [19, 20]]  # fmt: skip
EDGES = {
    "body": [[0, 1], [0, 2], [0, 3], [0, 4], [3, 5], [5, 7], [4, 6], [6, 8]],
    "left": HAND,
    "right": HAND,
    "face_all": [[i, i + 1] for i in range(8)] + [[i, i + 1] for i in range(9, 16)] + [[16, 9]]
    + [[17, i] for i in range(17)],
}  # fmt: skip
ANCHOR = {"left": 7, "right": 8, "face_all": 0}  # body joint added to each stream between the chains
SPATIAL = [(64, 64), (64, 128), (128, 256)]  # layer{i}_0 of gcn_modules: (in, out)
TEMPORAL = [(256, 256)] * 3  # layer0_{j} of fusion_gcn_modules


def uni_sign_shapes() -> dict[str, tuple[int, ...]]:
    """Every tensor name and shape of a Uni-Sign pose-branch state dict (both hand names, as PyTorch saves them)."""
    shapes = {}

    def batch_norm(prefix: str, size: int) -> None:
        shapes.update(
            {f"{prefix}.{name}": (size,) for name in ("weight", "bias", "running_mean", "running_var")}
        )
        shapes[f"{prefix}.num_batches_tracked"] = ()

    for part in EDGES:
        joints = len(PART_INDEX[part])
        shapes[f"proj_linear.{part}.weight"], shapes[f"proj_linear.{part}.bias"] = (64, 3), (64,)
        chains = [("gcn_modules", f"layer{i}_0", block, 1) for i, block in enumerate(SPATIAL)]
        chains += [("fusion_gcn_modules", f"layer0_{j}", block, 5) for j, block in enumerate(TEMPORAL)]
        for module, layer, (size_in, size_out), kernel in chains:
            prefix = f"{module}.{part}.{layer}"
            shapes[f"{prefix}.gcn.conv.weight"] = (2 * size_out, size_in, 1, 1)
            shapes[f"{prefix}.gcn.conv.bias"] = (2 * size_out,)
            shapes[f"{prefix}.gcn.A"] = (2, joints, joints)
            batch_norm(f"{prefix}.gcn.bn", size_out)
            if kernel > 1:
                shapes[f"{prefix}.tcn.0.weight"] = (size_out, size_out, kernel, 1)
                shapes[f"{prefix}.tcn.0.bias"] = (size_out,)
                batch_norm(f"{prefix}.tcn.1", size_out)
            if size_in != size_out:
                shapes[f"{prefix}.residual.0.weight"] = (size_out, size_in, 1, 1)
                shapes[f"{prefix}.residual.0.bias"] = (size_out,)
                batch_norm(f"{prefix}.residual.1", size_out)
    shapes["part_para"] = (1024,)
    shapes["pose_proj.weight"], shapes["pose_proj.bias"] = (768, 1024), (768,)
    return shapes


def random_uni_sign_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights of sensible scale under Uni-Sign's names; the hands share one set, plus a stand-in mT5 key."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in uni_sign_shapes().items():
        if name.startswith("proj_linear.left") or ".left." in name:
            continue  # copied from right below
        if name.endswith("num_batches_tracked"):
            value = torch.tensor(7)
        elif name.endswith("running_var"):
            value = 0.5 + torch.rand(shape, generator=generator)
        elif name.endswith((".bn.weight", ".1.weight")):
            value = 1.0 + 0.1 * torch.randn(shape, generator=generator)
        elif name.endswith(".A"):
            value = torch.rand(shape, generator=generator) / shape[-1]
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 4
            value = torch.randn(shape, generator=generator) * fan_in**-0.5
        state[name] = value
    for name in list(state):
        if ".right." in name:
            state[name.replace(".right.", ".left.")] = state[name].clone()
    state["mt5_model.shared.weight"] = torch.randn(10, 4)
    return state


def reference_normalise(
    keypoints: np.ndarray, scores: np.ndarray, threshold: float = 0.3
) -> dict[str, np.ndarray]:
    """Uni-Sign's `load_part_kp` on (T, 133, 2) keypoints (fractions of the frame) and (T, 133) scores."""
    parts = {}
    for part, index in PART_INDEX.items():
        xy = keypoints[:, index].astype(np.float64)
        if part in ("left", "right"):
            xy = xy - xy[:, :1]
        elif part == "face_all":
            xy = xy - xy[:, -1:]
        parts[part] = np.concatenate([xy, scores[:, index, None]], axis=-1)
    body = parts["body"]
    valid = body[body[..., 2] > threshold][:, :2]
    x_min, x_max = valid[:, 0].min(), valid[:, 0].max()
    y_min, y_max = valid[:, 1].min(), valid[:, 1].max()
    scale = max(x_max - x_min, y_max - y_min)
    x_start, y_start = (x_min + x_max - scale) / 2, (y_min + y_max - scale) / 2
    out = {}
    for part, values in parts.items():
        values = values.copy()
        if part == "body":
            values[..., 0] = ((values[..., 0] - x_start) / scale - 0.5) * 2
            values[..., 1] = ((values[..., 1] - y_start) / scale - 0.5) * 2
        else:
            values[..., :2] = values[..., :2] / scale
        values = np.clip(values, -1, 1)
        values[values[..., 2] <= threshold] = 0
        out[part] = values
    return out


def graph_partitions(part: str) -> np.ndarray:
    """Distance partitions, max hop 1 (gcn_utils: hop distances, normalize_digraph A @ D^-1, split by hop)."""
    joints = len(PART_INDEX[part])
    adjacency = np.eye(joints)
    for a, b in EDGES[part]:
        adjacency[a, b] = adjacency[b, a] = 1
    degree = adjacency.sum(0)
    normalised = np.zeros_like(adjacency)
    for i in range(joints):
        for j in range(joints):
            normalised[i, j] = adjacency[i, j] / degree[j]
    hop = np.where(np.eye(joints) > 0, 0, np.where(adjacency > 0, 1, -1))
    return np.stack([np.where(hop == 0, normalised, 0), np.where(hop == 1, normalised, 0)])


def reference_pose_branch(state: dict[str, torch.Tensor], parts: dict[str, np.ndarray]) -> np.ndarray:
    """Uni-Sign's pose branch in eval mode, up to the concatenated part features before `part_para`: (T, 1024)."""
    w = {name: value.double().numpy() for name, value in state.items()}

    def batch_norm(x, prefix):  # x: (C, T, V)
        mean, var = w[f"{prefix}.running_mean"], w[f"{prefix}.running_var"]
        return (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5) * w[f"{prefix}.weight"][
            :, None, None
        ] + w[f"{prefix}.bias"][:, None, None]

    def block(x, prefix, size_in, size_out, kernel):
        if size_in == size_out:
            residual = x
        else:
            residual = np.einsum("oc,ctv->otv", w[f"{prefix}.residual.0.weight"][:, :, 0, 0], x)
            residual = batch_norm(
                residual + w[f"{prefix}.residual.0.bias"][:, None, None], f"{prefix}.residual.1"
            )
        y = np.einsum("oc,ctv->otv", w[f"{prefix}.gcn.conv.weight"][:, :, 0, 0], x)
        y = y + w[f"{prefix}.gcn.conv.bias"][:, None, None]
        y = y.reshape(2, size_out, *x.shape[1:])
        adjacency = w[f"{prefix}.gcn.A"]
        mixed = sum(np.einsum("ctv,vw->ctw", y[k], adjacency[k]) for k in range(2))
        mixed = np.maximum(batch_norm(mixed, f"{prefix}.gcn.bn"), 0)
        if kernel > 1:
            frames, pad = mixed.shape[1], kernel // 2
            padded = np.pad(mixed, ((0, 0), (pad, pad), (0, 0)))
            conv = np.zeros_like(mixed) + w[f"{prefix}.tcn.0.bias"][:, None, None]
            for offset in range(kernel):
                weight = w[f"{prefix}.tcn.0.weight"][:, :, offset, 0]
                conv += np.einsum("oc,ctv->otv", weight, padded[:, offset : offset + frames])
            mixed = batch_norm(conv, f"{prefix}.tcn.1")
        return np.maximum(mixed + residual, 0)

    features, body = [], None
    for part in ("body", "left", "right", "face_all"):
        x = parts[part] @ w[f"proj_linear.{part}.weight"].T + w[f"proj_linear.{part}.bias"]  # (T, V, 64)
        x = x.transpose(2, 0, 1)  # (C, T, V)
        for i, (size_in, size_out) in enumerate(SPATIAL):
            x = block(x, f"gcn_modules.{part}.layer{i}_0", size_in, size_out, 1)
        if part == "body":
            body = x
        else:
            x = x + body[..., ANCHOR[part]][..., None]
        for j, (size_in, size_out) in enumerate(TEMPORAL):
            x = block(x, f"fusion_gcn_modules.{part}.layer0_{j}", size_in, size_out, 5)
        features.append(x.mean(-1).T)  # (T, 256)
    return np.concatenate(features, axis=-1)


# ---- fixtures ----------------------------------------------------------------------------------------------------
OPENPOSE_TO_COCO_BODY = [0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11, 19, 20, 21, 22, 23, 24]


@pytest.fixture(scope="module")
def coco_wholebody_pose(shared_data, tmp_path_factory):
    """A real recording in COCO-WholeBody 133 layout: pose-format's OpenPose test file (BODY_25, 70-point face,
    hands) with its points re-ordered into COCO-WholeBody (body 17 + feet 6, iBUG-68 face, hands), written as .pose."""
    source = shared_data / "pose-samples" / "pose-format-tests" / "openpose.pose"
    openpose = read_pose(source)
    header = Pose.read(source.read_bytes()).header
    data = openpose.data  # (T, 137, 3): body 25, face 70, left hand 21, right hand 21
    coco = np.concatenate(
        [data[:, OPENPOSE_TO_COCO_BODY], data[:, 25 : 25 + 68], data[:, 95:116], data[:, 116:137]], axis=1
    )
    path = tmp_path_factory.mktemp("coco") / "openpose_as_coco_wholebody.pose"
    size = (header.dimensions.width, header.dimensions.height)
    write_pose_file(path, coco, "coco_wholebody_133", openpose.fps, width=size[0], height=size[1])
    return path, size


# ---- tests -------------------------------------------------------------------------------------------------------
def test_cosign_tower_has_uni_sign_pose_branch_parameter_count():
    config = SkeletonEncoderConfig(architecture="cosign")
    from lexsign_hf.models.hali.modeling_cosign import CoSignSkeletonEncoder

    tower = CoSignSkeletonEncoder(config)
    count = sum(parameter.numel() for parameter in tower.parameters())
    assert abs(count - UNI_SIGN_POSE_PARAMETERS) <= 0.01 * UNI_SIGN_POSE_PARAMETERS
    assert count == UNI_SIGN_POSE_PARAMETERS
    assert config.hidden_size == 1024 and config.num_keypoints == 69


def test_fresh_cosign_tower_starts_from_the_distance_partitions(tiny_hali_config):
    tiny_hali_config.pose_config = SkeletonEncoderConfig(architecture="cosign")
    model = HALIModel(tiny_hali_config)  # post_init runs _init_weights
    for stream, part in (("body", "body"), ("hand", "right"), ("face_all", "face_all")):
        for chain in (model.pose_model.spatial_chains[stream], model.pose_model.temporal_chains[stream]):
            for layer in chain.layers:
                np.testing.assert_allclose(
                    layer.adjacency.detach().numpy(), graph_partitions(part), atol=1e-7
                )
    assert not model.pose_model.part_para.detach().any()


def test_cosign_config_rejects_other_parts_and_unknown_architecture():
    with pytest.raises(ValueError, match="architecture must be one of"):
        SkeletonEncoderConfig(architecture="resnet")
    with pytest.raises(ValueError, match="fixed parts"):
        SkeletonEncoderConfig(architecture="cosign", part_sizes=[9, 21, 21, 8, 18], part_names=None)
    with pytest.raises(ValueError, match="subunit_parts"):
        SkeletonEncoderConfig(architecture="cosign", subunit_parts=["tail"])


@pytest.mark.parametrize(
    "subunit_parts", [["left_hand", "right_hand"], ["body", "left_hand", "right_hand", "mouth", "face"]]
)
def test_cosign_hali_features_and_padding(subunit_parts, tiny_hali_config):
    tiny_hali_config.pose_config = SkeletonEncoderConfig(architecture="cosign", subunit_parts=subunit_parts)
    torch.manual_seed(0)
    model = HALIModel(tiny_hali_config).eval()
    values = torch.randn(2, 11, 69, 3)
    mask = torch.ones(2, 11, dtype=torch.long)
    mask[1, 7:] = 0
    with torch.no_grad():
        batch = model.get_pose_features(values, mask, output_frame_features=True)
        alone = model.get_pose_features(values[1:, :7], output_frame_features=True)
    assert batch.frame_features.shape == (2, 11, 1024)
    assert batch.snippet_embeds.shape == (2, 6, 32)
    assert batch.subunit_embeds.shape == (2, 6 * len(subunit_parts), 32)
    # a padded sequence gets the features it gets alone
    torch.testing.assert_close(batch.frame_features[1, :7], alone.frame_features[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(batch.subunit_embeds[1], alone.subunit_embeds[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(batch.video_embeds[1], alone.video_embeds[0], atol=1e-5, rtol=1e-5)
    # the light tower exposes its frame features too
    light = HALIModel(HALIConfig(**{**tiny_hali_config.to_dict(), "pose_config": {}})).eval()
    light_features = light.get_pose_features(torch.randn(1, 5, 77, 3), output_frame_features=True)
    assert light_features.frame_features.shape[:2] == (1, 5)


def test_uni_sign_normalisation_matches_reference(coco_wholebody_pose, tiny_bert):
    path, size = coco_wholebody_pose
    sequence = read_pose(path)
    assert sequence.layout == "coco_wholebody_133"
    processor = HALIProcessor.from_text_pretrained(tiny_bert, max_frames=512, pose_normalization="uni_sign")
    values = processor.process_poses([sequence.data], [size])["pose_values"][0]
    reference = reference_normalise(sequence.data[..., :2] / np.array(size), sequence.data[..., 2])
    expected = np.concatenate([reference[part] for part in ("body", "left", "right", "face_all")], axis=1)
    np.testing.assert_allclose(values, expected, atol=1e-6)
    assert (np.abs(values[..., :2]) > 0.05).any()  # not all zero: the recording has confident points


def test_uni_sign_normalisation_from_canonical_lacks_only_the_inner_lips(coco_wholebody_pose, tiny_bert):
    path, size = coco_wholebody_pose
    sequence = read_pose(path)
    processor = HALIProcessor.from_text_pretrained(tiny_bert, max_frames=512, pose_normalization="uni_sign")
    from_coco = processor.process_poses([sequence.data], [size])["pose_values"][0]
    from_canonical = processor.process_poses([sequence.canonical()], [size])["pose_values"][0]
    inner_lips = slice(51 + 9, 51 + 17)
    np.testing.assert_allclose(
        np.delete(from_canonical, np.r_[inner_lips], 1), np.delete(from_coco, np.r_[inner_lips], 1), atol=1e-6
    )
    assert not from_canonical[:, inner_lips].any()
    with pytest.raises(ValueError, match="canonical or COCO-WholeBody"):
        processor.process_poses([np.ones((3, 50, 3))])
    with pytest.raises(ValueError, match=r"frame_sizes\[0\] = \(0, 480\)"):
        processor.process_poses([sequence.data], [(0, 480)])


def test_random_uni_sign_checkpoint_converts_loads_and_matches_reference(
    coco_wholebody_pose, tiny_bert, tmp_path
):
    state = random_uni_sign_state_dict()
    model, processor, report = uni_sign_to_hali(state, tiny_bert)
    assert set(report.mapped) == set(uni_sign_shapes()) - {"pose_proj.weight", "pose_proj.bias"}
    assert set(report.dropped) == {"pose_proj.weight", "pose_proj.bias", "mt5_model.shared.weight"}
    folder = write_converted(model, processor, report, tmp_path / "converted", "uni_sign_how2sign.pth")
    assert "Uni-Sign" in (folder / "README.md").read_text()
    assert (folder / "modeling_cosign.py").is_file()  # carried next to the weights for trust_remote_code
    assert json.loads((folder / "processor_config.json").read_text())["pose_normalization"] == "uni_sign"

    loaded = HALIModel.from_pretrained(folder).eval()
    processor = HALIProcessor.from_pretrained(folder)
    path, size = coco_wholebody_pose
    sequence = read_pose(path)
    inputs = processor(poses=[sequence.data], frame_sizes=[size])
    assert inputs["pose_values"].shape[1] == sequence.num_frames  # all 93 frames kept (max_frames 256)
    with torch.no_grad():
        features = loaded.get_pose_features(**inputs, output_frame_features=True).frame_features
    assert features.shape == (1, sequence.num_frames, 1024)
    parts = reference_normalise(sequence.data[..., :2] / np.array(size), sequence.data[..., 2])
    expected = reference_pose_branch(state, parts)
    assert np.abs(expected).max() > 0.1
    np.testing.assert_allclose(features[0].numpy(), expected, atol=1e-4, rtol=0)

    # the saved folder runs without lexsign_hf (trust_remote_code): same processor output, same features
    np.save(tmp_path / "coco.npy", sequence.data)
    script = f"""
import sys, numpy as np, torch
from transformers import AutoModel, AutoProcessor
model = AutoModel.from_pretrained({str(folder)!r}, trust_remote_code=True).eval()
processor = AutoProcessor.from_pretrained({str(folder)!r}, trust_remote_code=True)
assert not any(name.startswith("lexsign_hf") for name in sys.modules), "lexsign_hf was imported"
inputs = processor(poses=[np.load({str(tmp_path / "coco.npy")!r})], frame_sizes=[{tuple(size)!r}])
with torch.no_grad():
    features = model.get_pose_features(**inputs, output_frame_features=True).frame_features
np.save({str(tmp_path / "remote.npy")!r}, features[0].numpy())
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "remote.npy"), expected, atol=1e-4, rtol=0)


def test_incomplete_or_wrong_checkpoints_are_refused(tiny_bert):
    from lexsign_hf.models.hali.modeling_cosign import CoSignSkeletonEncoder

    tower = CoSignSkeletonEncoder(SkeletonEncoderConfig(architecture="cosign"))
    state = random_uni_sign_state_dict()
    incomplete = {k: v for k, v in state.items() if not k.startswith("fusion_gcn_modules.face_all.layer0_2")}
    with pytest.raises(ValueError, match="incomplete Uni-Sign pose encoder"):
        convert_uni_sign_state_dict(incomplete, tower, "x.pth")
    wrong = {**state, "part_para": torch.zeros(768)}
    with pytest.raises(ValueError, match=r"part_para has shape \(768,\)"):
        convert_uni_sign_state_dict(wrong, tower, "x.pth")
    diverged = {**state, "proj_linear.left.bias": state["proj_linear.right.bias"] + 1}
    with pytest.raises(ValueError, match="shares the hands"):
        convert_uni_sign_state_dict(diverged, tower, "x.pth")
    only_right = {
        k: v for k, v in state.items() if ".left." not in k
    }  # a checkpoint that deduplicated the hands
    converted, _ = convert_uni_sign_state_dict(only_right, tower, "x.pth")
    assert set(converted) == set(tower.state_dict())


def test_convert_command(tiny_bert, tmp_path, capsys):
    checkpoint = tmp_path / "uni_sign.pth"
    torch.save({"model": random_uni_sign_state_dict(), "epoch": 3}, checkpoint)
    out = tmp_path / "hali-uni-sign"
    assert (
        lexsign_main(["convert", "uni-sign", str(checkpoint), "--out", str(out), "--text-model", tiny_bert])
        == 0
    )
    printed = capsys.readouterr().out
    assert (
        f"mapped {len(uni_sign_shapes()) - 2} Uni-Sign pose-encoder tensors" in printed
        and "dropped 3" in printed
    )
    assert HALIConfig.from_pretrained(out).pose_config.architecture == "cosign"
    torch.save({"model": {"pose_proj.weight": torch.zeros(2)}}, tmp_path / "bad.pth")
    assert (
        lexsign_main(["convert", "uni-sign", str(tmp_path / "bad.pth"), "--out", str(tmp_path / "o2")]) == 1
    )
    assert "incomplete Uni-Sign pose encoder" in capsys.readouterr().err


def test_converted_model_fine_tunes_and_evaluates_on_a_lexsign_folder(tiny_bert, tmp_path):
    """The path of examples/reproduce_asl1000.md on LexSign-Synth: converted model -> train_zsslr -> evaluate."""
    from lexsign_hf.synth import SynthConfig, build_synth_dataset
    from lexsign_hf.train.evaluate import evaluate_zsslr
    from lexsign_hf.train.zsslr import load_zsslr_data, train_zsslr

    synth = SynthConfig(
        num_seen=4, num_validation=2, num_test=3, train_instances=2, eval_instances=1, test_seen_instances=1,
        num_signers=2, max_frames=12,
    )  # fmt: skip
    data = load_zsslr_data(build_synth_dataset(tmp_path / "synth", synth, progress=False), "synth")
    state = random_uni_sign_state_dict()
    model, processor, _ = uni_sign_to_hali(state, tiny_bert)
    processor.max_frames = 12
    before = model.pose_model.temporal_chains["hand"].layers[0].graph_conv.weight.detach().clone()
    trainer = train_zsslr(
        model, processor, data, tmp_path / "run", max_steps=2, batch_size=4, logging_steps=1, progress=False,
        learning_rates={"pose": 3e-5, "text": 1e-5, "other": 6e-5},
    )  # fmt: skip
    assert trainer.state.global_step == 2
    assert np.isfinite([entry["loss"] for entry in trainer.state.log_history if "loss" in entry]).all()
    assert not torch.equal(before, model.pose_model.temporal_chains["hand"].layers[0].graph_conv.weight)
    results = evaluate_zsslr(model.eval(), processor, data)
    assert 0 <= results["zsl"]["top1"] <= 100


def test_tower_benchmark_runs_tiny(tmp_path):
    """benchmarks/bench_towers.py end to end in its tiny mode (without a Uni-Sign checkout: that row is skipped)."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_towers.py"
    completed = subprocess.run(
        [sys.executable, str(script), "--tiny", "--threads", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    payload = json.loads((tmp_path / "towers.json").read_text())
    results = payload["results"]
    assert results["parameters"]["cosign_tower"] == UNI_SIGN_POSE_PARAMETERS
    assert "skipped" in results["uni_sign_branch"]
    for name in ("cosign_branch", "cosign_tower", "light_tower"):
        assert results[name]["min_s"] > 0


def test_parity_with_uni_sign_own_code(coco_wholebody_pose, tiny_bert):
    """With a checkout of github.com/ZechengLi19/Uni-Sign in $UNI_SIGN_REPO (not shipped: no licence), its own
    `stgcn_layers` pose branch, converted, gives the same frame features on the COCO-WholeBody file."""
    import os

    repo = os.environ.get("UNI_SIGN_REPO")
    if not repo:
        pytest.skip("set UNI_SIGN_REPO to a checkout of github.com/ZechengLi19/Uni-Sign")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_towers

    torch.manual_seed(0)
    uni_sign = bench_towers.UniSignPoseBranch(bench_towers.import_stgcn_layers(Path(repo))).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics, as a trained checkpoint has
        for module in uni_sign.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    model, processor, _ = uni_sign_to_hali(uni_sign.state_dict(), tiny_bert)
    path, size = coco_wholebody_pose
    sequence = read_pose(path)
    inputs = processor(poses=[sequence.data], frame_sizes=[size])
    parts = reference_normalise(sequence.data[..., :2] / np.array(size), sequence.data[..., 2])
    with torch.no_grad():
        expected = uni_sign.frame_features({k: torch.from_numpy(v).float()[None] for k, v in parts.items()})
        features = model.eval().get_pose_features(**inputs, output_frame_features=True).frame_features
    torch.testing.assert_close(features, expected, atol=1e-4, rtol=0)


def test_dataset_folder_gives_the_cosign_tower_uni_sign_input(
    coco_wholebody_pose, shared_data, tmp_path, tiny_bert, tiny_hali_config
):
    """A LexSign build from COCO-WholeBody .pose files keeps each video's frame size; the collator and the
    evaluator then feed a cosign model Uni-Sign's input (the whole 133 points, so the inner lips, divided by the
    frame size), checked against the reference on the file as pose-format reads it. The light tower's input stays
    the canonical skeleton."""
    source, _ = coco_wholebody_pose
    sequence = read_pose(source)
    width, height = 1600.0, 1000.0  # not square, so the division by the frame size matters
    path = write_pose_file(tmp_path / "wide.pose", sequence.data, sequence.layout, sequence.fps, 1600, 1000)
    assert read_pose(path).frame_size == (width, height)
    poses = tmp_path / "poses"
    poses.mkdir()
    entries = []
    for number, gloss in enumerate(
        ("mother", "father", "water", "thank you", "drink", "book", "kleine", "kinder")
    ):
        instances = []
        for split in ("train", "test"):
            video_id = f"{number:02d}{split[:2]}"
            shutil.copy(path, poses / f"{video_id}.pose")
            instances.append({"video_id": video_id, "split": split, "signer_id": 1, "fps": 25,
                              "frame_start": 1, "frame_end": -1})  # fmt: skip
        entries.append({"gloss": gloss, "instances": instances})
    index = tmp_path / "WLASL_v0.3.json"
    index.write_text(json.dumps(entries), encoding="utf-8")
    out = tmp_path / "lexsign"
    build_lexsign(
        out, wlasl=index, asl_lex=shared_data / "asl-lex" / "asllex2_signdata-11-5-20.csv", poses=poses,
        asl_spec=ZSSLRSpec(seen_sizes={"mini4": 4}, num_validation=2, num_test=2), islr_sizes=(8,),
        drop_undescribed=True, progress=False,
    )  # fmt: skip
    rows = [{**row, "description": "Open hands."} for row in load_video_config(out, "mini4", split="train")]
    assert rows and {(row["width"], row["height"]) for row in rows} == {(width, height)}

    body = Pose.read(path.read_bytes()).body
    xy = np.ma.filled(body.data[:, 0, :, :2].astype(np.float64), 0.0) / np.array([width, height])
    reference = reference_normalise(xy, np.asarray(body.confidence[:, 0], dtype=np.float64))
    expected = np.concatenate([reference[part] for part in ("body", "left", "right", "face_all")], axis=1)
    inner_lips = slice(9 + 21 + 21 + 9, 9 + 21 + 21 + 17)
    assert np.abs(expected[:, inner_lips, :2]).max() > 0  # the recording has confident inner-lip points

    uni_sign = HALIProcessor.from_text_pretrained(tiny_bert, max_frames=512, pose_normalization="uni_sign")
    batch = HALIDataCollator(uni_sign)(rows[:2])
    for values in batch["pose_values"].numpy():
        np.testing.assert_allclose(values, expected, atol=1e-5)

    light = HALIProcessor.from_text_pretrained(tiny_bert, max_frames=512)
    canonical = [to_canonical(np.asarray(row["pose"], np.float32), row["layout"]) for row in rows[:2]]
    torch.testing.assert_close(
        HALIDataCollator(light)(rows[:2])["pose_values"], light(poses=canonical)["pose_values"]
    )

    # `build_hali` pairs a cosign tower with Uni-Sign's processor, and a training step from the folder runs
    fresh, fresh_processor = build_hali(tiny_bert, max_frames=16, pose_config={"architecture": "cosign"})
    assert fresh_processor.pose_normalization == "uni_sign"
    before = fresh.pose_model.part_para.detach().clone()
    data = load_zsslr_data(out, "mini4")
    train_zsslr(
        fresh,
        fresh_processor,
        data,
        tmp_path / "run",
        max_steps=1,
        batch_size=2,
        warmup_ratio=0.0,
        progress=False,
    )
    assert not torch.equal(fresh.pose_model.part_para.detach(), before)

    tiny_hali_config.pose_config = SkeletonEncoderConfig(architecture="cosign")
    torch.manual_seed(0)
    model = HALIModel(tiny_hali_config).eval()
    features, labels = ZSSLREvaluator(load_zsslr_data(out, "mini4"), uni_sign).encode_split(model, "train")
    values = torch.as_tensor(np.stack([expected] * len(labels)), dtype=torch.float32)
    with torch.no_grad():
        direct = model.get_pose_features(values, torch.ones(values.shape[:2], dtype=torch.long))
    torch.testing.assert_close(features.video_embeds, direct.video_embeds, atol=1e-5, rtol=1e-4)

    # `lexsign predict` on the .pose file: the same whole-133-point, frame-size-scaled input
    model_dir = tmp_path / "cosign-model"
    model.save_pretrained(model_dir)
    uni_sign.save_pretrained(model_dir)
    labels_file = tmp_path / "labels.jsonl"
    vocabulary = {"BOOK": "Open hands.", "DRINK": "A C hand tips to the mouth."}
    labels_file.write_text("".join(json.dumps({"gloss": g, "text": t}) + "\n" for g, t in vocabulary.items()))
    predicted = predict_pose(model_dir, path, labels_file, top_k=2)["predictions"]
    classifier = HALIZeroShotClassifier(model, uni_sign)
    classifier.set_vocabulary(list(vocabulary), list(vocabulary.values()))
    with torch.no_grad():
        probabilities = classifier.model.score(direct, classifier.text_features) * model.temperature_scale()
    by_gloss = dict(zip(vocabulary, probabilities[0].softmax(-1).tolist(), strict=True))
    assert {p["label"]: pytest.approx(p["score"], abs=1e-5) for p in predicted} == by_gloss

    # the Hub pipeline (remote code, no lexsign_hf): the same input from the .pose file, the same probabilities
    pipe = zero_shot_pipeline(model, uni_sign)
    assert pipe.load_pose(path).shape == (len(expected), 133, 3)
    ranked = pipe(str(path), candidate_labels=list(vocabulary), descriptions=list(vocabulary.values()))
    assert {item["label"]: pytest.approx(item["score"], abs=1e-5) for item in ranked} == by_gloss


@pytest.mark.slow
def test_cosign_tower_compiles_as_one_graph():
    """No host sync (`bool(mask.all())`) or data-dependent branch in the cosign forward: the tower compiles with
    fullgraph=True (aot_eager traces forward and backward) and gives the eager features, gradients and BatchNorm
    statistics, with a padded row."""
    import copy

    torch.manual_seed(0)
    eager = CoSignSkeletonEncoder(SkeletonEncoderConfig(architecture="cosign")).train()
    traced = copy.deepcopy(eager)
    compiled = torch.compile(traced, backend="aot_eager", fullgraph=True)
    values, mask = torch.randn(2, 8, 69, 3), torch.ones(2, 8, dtype=torch.long)
    mask[1, 5:] = 0
    outputs = [model(values, mask) for model in (eager, compiled)]
    for output in outputs:
        (output.pooled_output.sum() + output.snippets.sum() + output.subunits.sum()).backward()
    for name in ("pooled_output", "snippets", "subunits", "frame_features"):
        torch.testing.assert_close(outputs[1][name], outputs[0][name], atol=1e-5, rtol=1e-5)
    for (name, parameter), (_, expected) in zip(
        traced.named_parameters(), eager.named_parameters(), strict=True
    ):
        if expected.grad is not None:
            torch.testing.assert_close(parameter.grad, expected.grad, atol=1e-4, rtol=1e-4, msg=name)
    for (name, buffer), (_, expected) in zip(traced.named_buffers(), eager.named_buffers(), strict=True):
        torch.testing.assert_close(buffer, expected, atol=1e-5, rtol=1e-5, msg=name)


def test_gradient_checkpointing_covers_the_cosign_chains(tiny_hali_config):
    """Checkpointed chains keep only their inputs for the backward (≤ 1/3 of the saved bytes), give the same loss
    and gradients, and update each BatchNorm's running statistics once, as without checkpointing."""
    import copy

    tiny_hali_config.pose_config = SkeletonEncoderConfig(architecture="cosign")
    torch.manual_seed(0)
    plain = HALIModel(tiny_hali_config).train()
    checkpointed = copy.deepcopy(plain)
    checkpointed.activation_checkpointing_enable()
    chains = [
        name for name, module in checkpointed.named_modules() if getattr(module, "gradient_checkpointing", 0)
    ]
    assert sum(".spatial_chains." in name or ".temporal_chains." in name for name in chains) == 6
    values, mask = torch.randn(3, 8, 69, 3), torch.ones(3, 8, dtype=torch.long)
    mask[2, 6:] = 0
    ids = torch.randint(5, 100, (3, 6))
    saved = {}
    for name, model in (("plain", plain), ("checkpointed", checkpointed)):
        storages = {}

        def pack(tensor, storages=storages):
            storages[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
            return tensor

        torch.manual_seed(1)  # the same dropout masks in the text tower
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            loss = model(pose_values=values, pose_mask=mask, input_ids=ids, return_loss=True).loss
        loss.backward()
        saved[name] = (loss.detach(), sum(storages.values()))
    torch.testing.assert_close(saved["checkpointed"][0], saved["plain"][0])
    assert saved["checkpointed"][1] <= saved["plain"][1] / 3
    for (name, parameter), (_, expected) in zip(
        checkpointed.named_parameters(), plain.named_parameters(), strict=True
    ):
        if expected.grad is not None:
            torch.testing.assert_close(parameter.grad, expected.grad, atol=1e-5, rtol=1e-4, msg=name)
    for (name, buffer), (_, expected) in zip(
        checkpointed.named_buffers(), plain.named_buffers(), strict=True
    ):
        torch.testing.assert_close(buffer, expected, msg=name)

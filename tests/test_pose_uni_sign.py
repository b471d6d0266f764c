"""Uni-Sign pose pickles and frame sizes: the cosign tower gets exactly the input Uni-Sign's own loader makes.

`uni_sign_reference` re-derives, from reading Uni-Sign's `datasets.py` (`load_pose`, `load_part_kp`,
`crop_scale`; github.com/ZechengLi19/Uni-Sign), what its loader feeds the model for one pickle. It is written
here independently of `lexsign_hf` (per-frame loops where the package is vectorised).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from lexsign_hf.models.hali import HALIProcessor
from lexsign_hf.pose import processor_input, read_pose
from lexsign_hf.pose.pickles import restricted_load

THRESHOLD = 0.3  # `thr` in load_part_kp
BODY = [0, 3, 4, 5, 6, 7, 8, 9, 10]
LEFT = list(range(91, 112))
RIGHT = list(range(112, 133))
FACE = [23, 25, 27, 29, 31, 33, 35, 37, 39, 83, 84, 85, 86, 87, 88, 89, 90, 53]


def uni_sign_reference(content: dict) -> np.ndarray:
    """(T, 69, 3): body, left, right, face_all of what Uni-Sign's `load_pose` + `load_part_kp` return (all frames
    kept: a clip no longer than `max_length`)."""
    start = content.get("start", 0)
    end = content.get("end", len(content["scores"]))
    frames = range(start, end)
    skeletons = [np.asarray(content["keypoints"][t])[0] for t in frames]  # first person of each frame
    scores = [np.asarray(content["scores"][t])[0] for t in frames]

    def part(indices, origin):
        rows = []
        for skeleton, score in zip(skeletons, scores, strict=True):
            points = skeleton[indices]
            if origin is not None:
                points = points - points[origin]
            rows.append(np.concatenate([points, score[indices][:, None]], axis=1))
        return np.stack(rows).astype(np.float64)

    body = part(BODY, None)
    confident = body[body[..., 2] > THRESHOLD][:, :2]
    if len(confident) < 4:
        return np.zeros((len(frames), 69, 3))
    low_x, high_x = confident[:, 0].min(), confident[:, 0].max()
    low_y, high_y = confident[:, 1].min(), confident[:, 1].max()
    scale = max(high_x - low_x, high_y - low_y)
    if scale == 0:
        return np.zeros((len(frames), 69, 3))
    corner = np.array([(low_x + high_x - scale) / 2, (low_y + high_y - scale) / 2])
    body[..., :2] = ((body[..., :2] - corner) / scale - 0.5) * 2
    outputs = [body]
    for indices, origin in ((LEFT, 0), (RIGHT, 0), (FACE, -1)):
        values = part(indices, origin)
        values[..., :2] /= scale
        outputs.append(values)
    result = []
    for values in outputs:
        values = np.clip(values, -1, 1)  # Uni-Sign clips the score channel too
        values[values[..., 2] <= THRESHOLD] = 0
        result.append(values)
    return np.concatenate(result, axis=1)


def _pickle_content(rng: np.random.Generator, frames: int = 14, as_list: bool = True) -> dict:
    """What Uni-Sign's `demo/pose_extraction.py` dumps: per frame (people, 133, 2) keypoints / (W, H), scores."""
    width, height = 320.0, 240.0
    pixels = np.concatenate(
        [rng.uniform(60, 260, (frames, 2, 133, 1)), rng.uniform(20, 230, (frames, 2, 133, 1))], axis=-1
    )
    scores = rng.uniform(0.01, 1.4, (frames, 2, 133))  # RTMPose scores exceed 1
    scores[3, 0, 91:112] = 0.1  # a left hand under the threshold
    keypoints = pixels / np.array([width, height])
    if as_list:
        return {
            "keypoints": [keypoints[t] for t in range(frames)],
            "scores": [scores[t] for t in range(frames)],
            "start": 2,
            "end": 11,
        }
    return {"keypoints": keypoints[:, :1].astype(np.float32), "scores": scores[:, :1].astype(np.float32)}


@pytest.fixture(scope="module")
def processor(tiny_bert):
    return HALIProcessor.from_text_pretrained(tiny_bert, max_frames=512, pose_normalization="uni_sign")


@pytest.mark.parametrize(
    "as_list", [True, False], ids=["per-frame list, start/end", "stacked (T, 1, 133, 2)"]
)
def test_pickle_gives_the_cosign_tower_what_uni_sign_loads(tmp_path, processor, as_list):
    content = _pickle_content(np.random.default_rng(3), as_list=as_list)
    path = tmp_path / "00335.pkl"
    path.write_bytes(pickle.dumps(content))
    sequence = read_pose(path)
    assert sequence.layout == "coco_wholebody_133" and sequence.frame_size == (1.0, 1.0)
    assert sequence.num_frames == (9 if as_list else 14)  # start/end honoured
    values = processor.process_poses(
        [processor_input(sequence.data, sequence.layout, "uni_sign")], [sequence.frame_size]
    )["pose_values"][0]
    expected = uni_sign_reference(content)
    np.testing.assert_allclose(values, expected, atol=1e-5)
    assert np.abs(values[..., :2]).max() > 0.5  # not an all-zero comparison


def test_restricted_unpickler_builds_arrays_and_refuses_code(tmp_path):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "n": [1, 2.5, np.float64(3.0)], "s": "x"}
    for protocol in (2, 4, 5):
        loaded = restricted_load(pickle.dumps(arrays, protocol=protocol))
        np.testing.assert_array_equal(loaded["a"], arrays["a"])
        assert loaded["n"] == [1, 2.5, 3.0] and loaded["s"] == "x"

    class Exploit:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    path = tmp_path / "exploit.pkl"
    path.write_bytes(pickle.dumps({"keypoints": Exploit(), "scores": []}))
    with pytest.raises(
        ValueError, match=r"exploit\.pkl: not a readable Uni-Sign pose pickle.*global io\.open is not allowed"
    ):
        read_pose(path)
    assert not (tmp_path / "pwned").exists()
    path.write_bytes(pickle.dumps({"poses": np.zeros(3)}))
    with pytest.raises(ValueError, match=r"expected Uni-Sign's dict with 'keypoints' and 'scores'"):
        read_pose(path)
    path.write_bytes(pickle.dumps({**_pickle_content(np.random.default_rng(0)), "start": 5, "end": 3}))
    with pytest.raises(ValueError, match="'start' / 'end' are 5 / 3"):
        read_pose(path)


def test_npz_with_width_height_equals_the_same_recording_as_pose(tmp_path, shared_data, processor):
    """The README's RTMLib recipe: pixel keypoints + scores + the frame's width / height in an `.npz`."""
    source = read_pose(
        shared_data
        / "pose-samples"
        / "pose-format-tests"
        / "hand_estimation_7731febd6afbbe90f806a4434c282016.pose"
    )
    assert source.frame_size == (640.0, 360.0)  # not square: dividing by it changes Uni-Sign's crop
    path = tmp_path / "clip.npz"
    width, height = source.frame_size
    np.savez(
        path, keypoints=source.data[..., :2], scores=source.data[..., 2], width=width, height=height,
        layout=source.layout,
    )  # fmt: skip
    from_npz = read_pose(path)
    assert from_npz.frame_size == source.frame_size
    np.testing.assert_array_equal(from_npz.data, source.data)

    def encode(sequence, size):
        return processor.process_poses([processor_input(sequence.data, sequence.layout, "uni_sign")], [size])

    np.testing.assert_array_equal(
        encode(from_npz, from_npz.frame_size)["pose_values"], encode(source, source.frame_size)["pose_values"]
    )
    with pytest.raises(
        ValueError, match=r"pose 0: pixel coordinates .* without a frame size.*--frame-size WxH"
    ):
        encode(read_pose(tmp_path / "clip.npz"), None)
    np.savez(path, keypoints=source.data[..., :2], width=width)
    with pytest.raises(ValueError, match="'width' / 'height' must both be numbers"):
        read_pose(path)

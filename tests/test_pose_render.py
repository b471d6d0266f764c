"""`lexsign pose render`: a skeleton video from any layout, and the spatial control's other body."""

from __future__ import annotations

import numpy as np
import pytest

from lexsign_hf.pose import CANONICAL_SLICES, read_pose
from lexsign_hf.pose.render import RenderStyle, perturbed_style, render_cached, render_frames, reshape_body


@pytest.mark.parametrize(
    "name",
    [
        "spoken-to-signed-dummy-lexicon-dsgs/pizza.pose",  # reduced holistic 178
        "pose-format-tests/openpose.pose",  # OpenPose 137
        "pose-format-tests/mediapipe.pose",
        "pose-format-tests/js_viewer_example_holistic.pose",  # MediaPipe holistic 576
    ],
)
def test_every_layout_renders_both_hands_in_their_colours(shared_data, name):
    sequence = read_pose(shared_data / "pose-samples" / name)
    style = RenderStyle(size=128)
    frames = render_frames(sequence, style)
    assert frames.shape == (sequence.num_frames, 128, 128, 3) and frames.dtype == np.uint8
    canonical = sequence.canonical()
    for hand, colour in (("left_hand", style.left_hand_colour), ("right_hand", style.right_hand_colour)):
        seen = (canonical[:, CANONICAL_SLICES[hand], 2] > 0).sum(axis=1) > 1
        if seen.any():
            t = int(np.flatnonzero(seen)[0])
            assert (frames[t] == colour).all(axis=-1).sum() > 5, hand


def test_other_body_is_a_real_perturbation(shared_data, tmp_path):
    path = shared_data / "pose-samples" / "spoken-to-signed-dummy-lexicon-dsgs" / "pizza.pose"
    sequence = read_pose(path)
    plain = render_frames(sequence, RenderStyle(size=96))
    other = render_frames(sequence, perturbed_style(1, RenderStyle(size=96)))
    assert np.abs(plain.astype(int) - other.astype(int)).mean() > 1.0
    assert perturbed_style(1) == perturbed_style(1) != perturbed_style(2)
    # proportions: longer arms move the wrists away from the shoulders, the hands follow their wrists
    canonical = sequence.canonical()
    valid = canonical[..., 2] > 0
    points = canonical[..., :2].astype(np.float64)
    longer = reshape_body(points, valid, RenderStyle(arm_scale=1.5))
    t = int(np.flatnonzero(valid[:, [3, 5, 7]].all(axis=1))[0])
    arm = np.linalg.norm(points[t, 7] - points[t, 3])
    assert np.linalg.norm(longer[t, 7] - longer[t, 3]) == pytest.approx(1.5 * arm)
    assert np.allclose(reshape_body(points, valid, RenderStyle()), points)
    first = render_cached(path, tmp_path, RenderStyle(size=64))
    stamp = first.stat().st_mtime_ns
    assert render_cached(path, tmp_path, RenderStyle(size=64)).stat().st_mtime_ns == stamp  # cached
    assert render_cached(path, tmp_path, perturbed_style(0, RenderStyle(size=64))) != first


def test_bad_style():
    with pytest.raises(ValueError, match="arm_scale"):
        RenderStyle(arm_scale=0)

"""`SignerParams`: one synthetic signer (proportions, handedness, speed) and its camera, and how to sample one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SignerParams:
    """One signer and camera. Lengths in metres, angles in degrees, jitter in pixels, speed as a factor."""

    left_handed: bool = False
    body_scale: float = 1.0
    shoulder_width: float = 0.38
    arm_scale: float = 1.0
    hand_length: float = 0.19
    speed: float = 1.0
    amplitude: float = 1.0
    repetitions: int = 2
    hold_frames: int = 5
    rest_frames: int = 7
    finger_tilt: float = 15.0
    camera_scale: float = 1.0
    camera_shift: tuple[float, float] = (0.0, 0.0)
    camera_roll: float = 0.0
    camera_pitch: float = 8.0
    camera_yaw: float = 0.0
    jitter: float = 0.0
    drop_rate: float = 0.0

    @classmethod
    def sample(cls, rng: np.random.Generator) -> SignerParams:
        """A random signer: about 1 in 8 left-handed, ±10 % proportions, ±25 % speed, small camera changes."""
        return cls(
            left_handed=bool(rng.random() < 0.125),
            body_scale=float(rng.uniform(0.9, 1.1)),
            shoulder_width=float(rng.uniform(0.34, 0.43)),
            arm_scale=float(rng.uniform(0.93, 1.07)),
            hand_length=float(rng.uniform(0.17, 0.21)),
            speed=float(rng.uniform(0.75, 1.3)),
            amplitude=float(rng.uniform(0.75, 1.3)),
            repetitions=int(rng.choice([2, 2, 3])),
            hold_frames=int(rng.integers(2, 8)),
            rest_frames=int(rng.integers(4, 10)),
            finger_tilt=float(rng.uniform(0.0, 30.0)),
            camera_scale=float(rng.uniform(0.85, 1.15)),
            camera_shift=(float(rng.uniform(-30, 30)), float(rng.uniform(-20, 20))),
            camera_roll=float(rng.uniform(-5, 5)),
            camera_pitch=float(rng.uniform(3, 15)),
            camera_yaw=float(rng.uniform(-12, 12)),
            jitter=float(rng.uniform(0.5, 2.5)),
            drop_rate=float(rng.uniform(0.0, 0.06)),
        )

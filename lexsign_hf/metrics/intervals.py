"""Student-t summaries over seeds: mean, standard deviation and a two-sided confidence interval of the mean.

The t quantile is computed here (closed-form Student-t CDF for integer degrees of freedom, Abramowitz & Stegun
26.7.3-4, inverted by bisection) so `metrics/` needs numpy only; tests compare it with `scipy.stats.t`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def student_t_cdf(x: float, df: int) -> float:
    """P(T <= x) for a Student-t variable with a positive integer number of degrees of freedom."""
    if df < 1 or int(df) != df:
        raise ValueError(f"df must be a positive integer, got {df}")
    theta = math.atan2(x, math.sqrt(df))
    sin, cos = math.sin(theta), math.cos(theta)
    if df % 2 == 1:
        term, series = cos, 0.0
        if df > 1:
            series = cos
            for k in range(3, df, 2):
                term *= cos * cos * (k - 1) / k
                series += term
        area = (2 / math.pi) * (theta + sin * series)
    else:
        term = series = 1.0
        for k in range(2, df, 2):
            term *= cos * cos * (k - 1) / k
            series += term
        area = sin * series
    return 0.5 + area / 2  # area = P(|T| <= x) with the sign of x


def student_t_quantile(probability: float, df: int) -> float:
    """The `probability` quantile of Student's t with `df` (a positive integer) degrees of freedom."""
    if not 0 < probability < 1:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    low, high = -1.0, 1.0
    while student_t_cdf(low, df) > probability:
        low *= 2
    while student_t_cdf(high, df) < probability:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if student_t_cdf(middle, df) < probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-13 * max(1.0, abs(middle)):
            break
    return (low + high) / 2


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """Two-sided t confidence interval of the mean of `values` (None for fewer than two values)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or not np.isfinite(array).all():
        raise ValueError(f"values must be a finite 1-d sequence, got {values!r}")
    if len(array) < 2:
        return None
    half = (
        student_t_quantile((1 + confidence) / 2, len(array) - 1) * array.std(ddof=1) / math.sqrt(len(array))
    )
    mean = float(array.mean())
    return mean - half, mean + half


def seed_summary(values: Sequence[float], confidence: float = 0.95) -> dict:
    """Mean, std (n - 1), the `confidence` t-interval of the mean (`ci95`, None for one value), n, per-seed."""
    array = np.asarray(values, dtype=np.float64)
    interval = t_interval(array, confidence)
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0,
        "ci95": None if interval is None else [interval[0], interval[1]],
        "n": int(len(array)),
        "per_seed": [float(value) for value in array],
    }


__all__ = ["seed_summary", "student_t_cdf", "student_t_quantile", "t_interval"]

"""The Student-t quantile and intervals of `metrics.intervals` against scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lexsign_hf.metrics.intervals import seed_summary, student_t_cdf, student_t_quantile, t_interval


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 10, 29, 60])
def test_t_cdf_and_quantile_equal_scipy(df):
    for x in (-12.0, -2.5, -0.3, 0.0, 0.7, 2.2, 30.0):
        assert student_t_cdf(x, df) == pytest.approx(stats.t.cdf(x, df), abs=1e-12)
    for p in (0.005, 0.025, 0.3, 0.5, 0.9, 0.975, 0.999):
        assert student_t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-10, abs=1e-12)


def test_t_interval_equals_scipy_and_summary_fields():
    rng = np.random.default_rng(0)
    for n in (2, 3, 5, 8):
        values = rng.normal(3.0, 2.0, n)
        expected = stats.t.interval(0.95, n - 1, loc=values.mean(), scale=stats.sem(values))
        np.testing.assert_allclose(t_interval(values), expected, rtol=1e-10)
        summary = seed_summary(values)
        np.testing.assert_allclose(summary["ci95"], expected, rtol=1e-10)
        assert summary["std"] == pytest.approx(np.std(values, ddof=1)) and summary["n"] == n
    assert t_interval([1.0]) is None and seed_summary([1.0])["ci95"] is None


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="finite"):
        t_interval([1.0, float("nan")])
    with pytest.raises(ValueError, match="df"):
        student_t_cdf(0.0, 0)
    with pytest.raises(ValueError, match="probability"):
        student_t_quantile(1.0, 3)

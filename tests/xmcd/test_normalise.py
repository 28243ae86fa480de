"""Robust normalisation on distributions with known quantiles."""

import numpy as np
import pytest
from scipy.stats import norm

from thesis_lib.xmcd import RobustNormaliser, XMCDDataError, robust_normalise


def test_normal_image_gets_median_zero_and_unit_iqr():
    rng = np.random.default_rng(0)
    x = 7.0 + 3.0 * rng.standard_normal((400, 400))
    stats = RobustNormaliser.fit(x)
    assert stats.method == "iqr"
    assert stats.median == pytest.approx(7.0, abs=0.02)
    assert stats.scale == pytest.approx(3.0 * (norm.ppf(0.75) - norm.ppf(0.25)), rel=0.01)
    z = robust_normalise(x)
    q25, q50, q75 = np.percentile(z, [25, 50, 75])
    assert (q50, q75 - q25) == (pytest.approx(0.0, abs=1e-12), pytest.approx(1.0, abs=1e-12))


def test_uniform_iqr_is_half_the_range():
    x = np.random.default_rng(1).uniform(-2.0, 6.0, 200_000)
    stats = RobustNormaliser.fit(x)
    assert stats.scale == pytest.approx(4.0, rel=0.01)
    assert stats.median == pytest.approx(2.0, abs=0.03)


def test_invariant_to_gain_and_offset_and_outliers():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((100, 100))
    y = 250.0 * x - 40.0
    np.testing.assert_allclose(robust_normalise(y), robust_normalise(x), atol=1e-12)
    y[:3, :3] = 1e9                        # 9 hot pixels in 10^4 barely move median and IQR
    np.testing.assert_allclose(robust_normalise(y)[3:, 3:], robust_normalise(x)[3:, 3:], atol=0.01)


def test_invalid_pixels_are_ignored_and_stay_zero():
    x = np.arange(100.0).reshape(10, 10)
    valid = np.ones_like(x, bool)
    valid[0] = False
    x_bad = x.copy()
    x_bad[0] = 1e12
    z = robust_normalise(x_bad, valid)
    assert np.all(z[0] == 0)
    np.testing.assert_allclose(z[1:], robust_normalise(x[1:]), atol=1e-12)


def test_percentile_fallback_on_sparse_image():
    """Mostly one value (a dichroic image off the footprint): IQR = 0, percentiles take over."""
    x = np.zeros(10_000)
    x[:300] = np.linspace(1, 3, 300)
    stats = RobustNormaliser.fit(x)
    assert stats.method == "percentile" and stats.median == 0.0
    ratio = (norm.ppf(0.75) - norm.ppf(0.25)) / (norm.ppf(0.99) - norm.ppf(0.01))
    assert stats.scale == pytest.approx((np.percentile(x, 99) - np.percentile(x, 1)) * ratio)
    assert np.all(np.isfinite(robust_normalise(x)))


def test_constant_image_falls_back_to_unit_scale():
    stats = RobustNormaliser.fit(np.full((8, 8), 5.0))
    assert (stats.method, stats.scale, stats.median) == ("constant", 1.0, 5.0)
    assert np.all(robust_normalise(np.full((8, 8), 5.0)) == 0.0)


def test_no_valid_pixel_raises():
    with pytest.raises(XMCDDataError, match="validity map"):
        robust_normalise(np.ones((3, 3)), np.zeros((3, 3), bool))

"""Alignment: planted lag and gain are recovered; correlation equals the metrics' Pearson."""

import numpy as np
import pytest

from thesis_lib.calibration.align import align, correlations
from thesis_lib.metrics import pearson


def _windows(rng, k=300, n=64, step=3):
    """Windows of one long random profile starting every sample: a lag search problem."""
    profile = np.convolve(rng.standard_normal(k * 1 + n * step + 10), np.ones(5) / 5, "same")
    offsets = np.arange(k, dtype=float)
    W = np.stack([profile[o: o + n * step: step] for o in range(k)])
    return W, offsets


def test_correlations_equal_pearson_row_by_row():
    rng = np.random.default_rng(0)
    W, _ = _windows(rng, k=20)
    y = rng.standard_normal(W.shape[1])
    expected = [pearson(y, w) for w in W]
    np.testing.assert_allclose(correlations(y, W), expected, atol=1e-12)


def test_planted_lag_gain_and_bias_are_recovered():
    rng = np.random.default_rng(1)
    W, offsets = _windows(rng)
    y = 7.5 * W[123] - 2.0 + 0.01 * rng.standard_normal(W.shape[1])
    a = align(y, W, offsets, step_um=3.0)
    assert a.index == 123 and a.offset_um == 123.0
    assert a.lag_samples == pytest.approx(41.0)
    assert a.gain == pytest.approx(7.5, rel=0.01) and a.bias == pytest.approx(-2.0, abs=0.05)
    assert a.rho > 0.999
    # the aligned simulation is the least-squares fit: residual orthogonal to the window
    r = y - a.apply(W[a.index])
    assert abs(np.dot(r, W[a.index] - W[a.index].mean())) < 1e-8 * np.dot(y, y)


def test_without_gain_only_means_are_matched():
    rng = np.random.default_rng(2)
    W, offsets = _windows(rng)
    y = W[50] + 3.0
    a = align(y, W, offsets, step_um=3.0, gain="none")
    assert a.gain == 1.0 and a.bias == pytest.approx(3.0)
    np.testing.assert_allclose(a.apply(W[50]), y)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="gain must be one of"):
        align(np.ones(4), np.ones((2, 4)), [0, 1], 1.0, gain="auto")
    with pytest.raises(ValueError, match="3 offsets for 2 windows"):
        align(np.arange(4.0), np.ones((2, 4)), [0, 1, 2], 1.0)
    with pytest.raises(ValueError, match="windows have 5 samples"):
        correlations(np.arange(4.0), np.ones((2, 5)))

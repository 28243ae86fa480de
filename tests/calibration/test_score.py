"""Match metrics against the thesis's definitions and the objective's ordering."""

import numpy as np
import pytest

from thesis_lib.calibration.align import align
from thesis_lib.calibration.score import match_metrics, objective, scan_lsd_n_fft


def test_energy_error_follows_the_thesis_equation():
    rng = np.random.default_rng(0)
    real, sim = rng.standard_normal(120), 0.8 * rng.standard_normal(120)
    m = match_metrics(real, sim)
    expected = (np.sum(real**2) - np.sum(sim**2)) / np.sum(real**2)
    assert m["e_rel"] == pytest.approx(expected, rel=1e-12)


def test_nrmse_after_least_squares_gain_is_sqrt_one_minus_rho_squared():
    """Two routes to one number: the LSQ residual of an affine fit is var(y)(1 - rho^2)."""
    rng = np.random.default_rng(1)
    x = np.sin(np.arange(175) * 2 * np.pi / 58.4)
    y = 3.0 * x + 0.4 * rng.standard_normal(x.size) + 1.0
    a = align(y, x[None, :], [0.0], step_um=25.0)
    m = match_metrics(y, a.apply(x))
    assert m["nrmse"] == pytest.approx(np.sqrt(1 - m["rho"] ** 2), rel=1e-9)


def test_hf_mismatch_sees_added_high_frequency_energy():
    n = np.arange(256)
    low = np.sin(2 * np.pi * n / 32)
    high = 0.5 * np.sin(2 * np.pi * n * 0.375)        # above the 0.25 cycles/sample edge
    m = match_metrics(low + high, low)
    assert m["hf_mismatch"] == pytest.approx(0.25 / 1.25, abs=1e-3)


@pytest.mark.parametrize("n", [8, 22, 44, 88, 175, 263, 350, 5000])
def test_lsd_frame_fits_the_scan(n):
    n_fft = scan_lsd_n_fft(n)
    assert 8 <= n_fft <= 64 and n_fft & (n_fft - 1) == 0
    assert n < 16 or n_fft <= n // 2         # at least two half-overlapping frames


def test_objective_prefers_a_better_waveform_match():
    rng = np.random.default_rng(2)
    real = np.sin(np.arange(175) * 2 * np.pi / 58.4) + 0.05 * rng.standard_normal(175)
    close = real + 0.05 * rng.standard_normal(175)
    far = real + 0.5 * rng.standard_normal(175)
    assert objective(match_metrics(real, close)) < objective(match_metrics(real, far))
    assert objective(match_metrics(real, real)) == pytest.approx(0.0, abs=1e-12)

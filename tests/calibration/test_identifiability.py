"""Beam attenuation of a tone and profile intervals, against direct computation."""

import numpy as np
import pytest

from thesis_lib.calibration.identifiability import (
    beam_attenuation,
    identified,
    profile_interval,
    tone_wavelength_um,
)
from thesis_lib.emulator.readout import convolve_beam


@pytest.mark.parametrize("fwhm", [26.0, 80.0])
def test_attenuation_equals_the_convolved_amplitude(fwhm):
    """The closed form equals the amplitude left after the emulator's beam convolution."""
    lam = 200.0
    u = np.arange(0.0, 40 * lam, 4.0)
    blurred = convolve_beam(np.sin(2 * np.pi * u / lam), fwhm, 4.0)
    inner = slice(200, -200)
    amplitude = np.sqrt(2) * blurred[inner].std()
    assert amplitude == pytest.approx(float(beam_attenuation(fwhm, lam)), rel=2e-3)


def test_a_test_tone_barely_sees_the_beam():
    """At 0.381 m/s a 261 Hz tone is 1460 µm long: 26 µm keeps 99.9 %, even 80 µm keeps 98.9 %."""
    lam = tone_wavelength_um(0.381, 261.0)
    assert 1 - beam_attenuation(26.0, lam) < 0.0012
    assert 1 - beam_attenuation(80.0, lam) < 0.011


def test_profile_interval_covers_a_planted_optimum_and_narrows_with_data():
    values = np.linspace(20.0, 32.0, 121)
    rho = np.sqrt(1 - 0.05 * (1 + 0.01 * (values - 26.0) ** 2))
    lo_small, hi_small, best = profile_interval(values, rho, n_samples=50)
    lo_big, hi_big, _ = profile_interval(values, rho, n_samples=5000)
    assert best == pytest.approx(26.0)
    assert lo_small < lo_big < 26.0 < hi_big < hi_small
    # the half-width follows from n ln(1 + 0.01 d^2) = 3.84
    half = np.sqrt((np.exp(3.841 / 5000) - 1) / 0.01)
    assert hi_big - 26.0 == pytest.approx(half, abs=0.15)


def test_identified_rejects_intervals_spanning_the_search():
    assert not identified((8.0, 80.0), (8.0, 80.0))
    assert not identified((8.0, 60.0), (8.0, 80.0))
    assert identified((24.0, 30.0), (8.0, 80.0))


def test_profile_threshold_is_wilks_for_many_samples_and_wider_for_few():
    from thesis_lib.calibration.identifiability import profile_threshold

    assert profile_threshold(50.0) == pytest.approx(3.8415, abs=1e-4)
    # Bates and Watts: 50 ln(1 + F(0.95; 1, 45) / 45), F = 4.0566
    assert profile_threshold(50.0, fitted=5) == pytest.approx(50 * np.log1p(4.0566 / 45), abs=1e-3)
    assert profile_threshold(1e7, fitted=5) == pytest.approx(3.8415, abs=1e-3)
    assert profile_threshold(12.0, fitted=3) > profile_threshold(50.0, fitted=3) > 3.8415


def test_f_threshold_covers_a_planted_frequency_where_wilks_falls_short():
    """Twelve samples of half a sine period, free gain and bias (three fitted parameters), its
    frequency profiled: over 400 noise draws the F-form interval holds the planted frequency
    near its 95 % (measured 0.948-0.970 over three batches of 400), Wilks's χ² interval,
    which takes the noise variance as known, in about 90 % (0.890-0.913)."""
    rng = np.random.default_rng(7)
    x = np.linspace(0.0, 1.0, 12)
    planted = 3.0
    grid = np.linspace(1.5, 4.5, 601)
    shapes = np.sin(grid[:, None] * x[None, :])
    shapes -= shapes.mean(axis=1, keepdims=True)
    held = {"wilks": 0, "f": 0}
    draws = 400
    for _ in range(draws):
        y = 0.3 + 2.0 * np.sin(planted * x) + 0.2 * rng.standard_normal(x.size)
        yc = y - y.mean()
        rho = shapes @ yc / np.sqrt((shapes ** 2).sum(axis=1) * (yc ** 2).sum())
        for name, fitted in (("wilks", None), ("f", 3)):
            lo, hi, _ = profile_interval(grid, rho, x.size, fitted=fitted)
            held[name] += int(lo <= planted <= hi)
    # binomial sd of a 95 % rate over 400 draws: 1.1 %
    assert 0.925 <= held["f"] / draws <= 0.985
    assert held["wilks"] / draws <= 0.935
    assert held["f"] - held["wilks"] >= 8

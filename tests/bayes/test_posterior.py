"""Posterior summaries and calibration scores against planted ground truth."""

import numpy as np
import pytest
from scipy.stats import norm

from thesis_lib.bayes.posterior import (
    ConformalScale,
    coverage,
    crps_ensemble,
    spread_skill,
    summarise,
    tile_rank_correlation,
)


def calibrated_ensemble(rng, n=20_000, k=16, sd=None):
    """Truth and K samples exchangeable with it: a calibrated ensemble by construction."""
    sd = np.full(n, 0.5) if sd is None else sd
    centre = rng.standard_normal(n)
    draws = centre + sd * rng.standard_normal((k + 1, n))
    return draws[0], draws[1:]


def test_calibrated_ensemble_scores():
    rng = np.random.default_rng(0)
    clean, samples = calibrated_ensemble(rng)
    s = summarise(samples)
    assert abs(coverage(clean, s["mean"], s["sd"], k=16) - 0.9) < 0.015
    inside = (clean >= s["lower"]) & (clean <= s["upper"])
    assert abs(inside.mean() - 0.9) < 0.015
    # the Gaussian quantile alone ignores that mean and sd come from 16 samples
    assert coverage(clean, s["mean"], s["sd"]) < 0.88
    assert abs(spread_skill(clean, samples) - 1.0) < 0.05


def test_crps_matches_gaussian_closed_form():
    # CRPS of N(0, σ²) at x: σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π]
    rng = np.random.default_rng(1)
    x = np.array([0.3, -1.2, 2.0])
    sigma = 0.7
    samples = sigma * rng.standard_normal((20_000, 3))
    z = x / sigma
    exact = sigma * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))
    assert abs(crps_ensemble(x, samples) - exact.mean()) < 0.01


def test_under_dispersed_ensemble_is_detected_and_conformal_scale_repairs_it():
    rng = np.random.default_rng(2)
    clean, samples = calibrated_ensemble(rng)
    centre = samples.mean(0)
    shrunk = centre + 0.4 * (samples - centre)           # spread shrunk 2.5-fold
    s = summarise(shrunk)
    assert coverage(clean, s["mean"], s["sd"], k=16) < 0.6
    assert spread_skill(clean, shrunk) < 0.5
    half = clean.size // 2
    cal = ConformalScale.fit([clean[:half]], [s["mean"][:half]], [s["sd"][:half]])
    assert abs(cal.coverage(clean[half:], s["mean"][half:], s["sd"][half:]) - 0.9) < 0.02
    assert 2.0 < cal.sd_factor < 3.2


def test_tile_correlation_high_when_spread_tracks_error_low_when_not():
    rng = np.random.default_rng(3)
    n = 16_384
    envelope = np.repeat(rng.uniform(0.01, 1.0, n // 512), 512)     # error level varies in time
    clean, samples = calibrated_ensemble(rng, n=n, k=8, sd=envelope)
    assert tile_rank_correlation(clean, samples) > 0.7
    flat = samples.mean(0) + 0.3 * rng.standard_normal((8, n))    # spread unrelated to error
    assert abs(tile_rank_correlation(clean, flat)) < 0.2


def test_bad_sample_arrays_raise():
    with pytest.raises(ValueError, match="K ≥ 1"):
        summarise(np.zeros((0, 10)))
    with pytest.raises(ValueError, match="K ≥ 2"):
        spread_skill(np.zeros(5), np.zeros((1, 5)))


def _rows(rng, method, clips, *, spread, n=2000, k=8):
    """Posterior rows whose samples are ``spread`` times narrower than their error."""
    rows = []
    for i in range(clips):
        clean = rng.standard_normal(n)
        centre = clean + rng.standard_normal(n)           # error sd 1
        samples = centre + spread * rng.standard_normal((k, n))
        rows.append({"method": method, "clip": i, "clean": clean, "samples": samples,
                     "si_sdr_db": float(i), "coverage": 0.5})
    return rows


def test_recalibrate_fits_on_validation_and_restores_test_coverage():
    from thesis_lib.bayes.experiment import recalibrate, summarise_methods

    rng = np.random.default_rng(7)
    val = _rows(rng, "post", 6, spread=0.5)
    test = _rows(rng, "post", 6, spread=0.5) + [{"method": "input", "clip": 0,
                                                 "si_sdr_db": 3.0}]
    scales = recalibrate(val, test, ["post"])
    # the samples' sd is half the error sd: the Gaussian-equivalent factor is 2, a little
    # more because the sd of K = 8 samples scatters (2.31–2.39 over 15 seeds)
    assert 2.0 < scales["post"].sd_factor < 2.7
    summary = summarise_methods(test, ["post", "input"])
    assert abs(summary["post"]["coverage_conformal"] - 0.9) < 0.02    # 0.895–0.909
    assert summary["post"]["si_sdr_db"] == pytest.approx(2.5)      # mean of clips 0 … 5
    assert summary["post"]["n_clips"] == 6
    assert summary["input"]["coverage"] is None and np.isnan(summary["input"]["si_sdr_ci95"])
    with pytest.raises(ValueError, match="no evaluated clips"):
        summarise_methods(test, ["missing"])

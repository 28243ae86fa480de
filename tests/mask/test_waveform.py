import numpy as np
import pytest

from thesis_lib.mask.registration import translate
from thesis_lib.mask.waveform import (
    aggregate,
    hf_ratio,
    sg_noise,
    sg_trend,
    snr_vs_truth,
    waveform_metrics,
)

from .conftest import footprint


def test_static_aggregation_is_linear_in_the_planted_magnetisation():
    S, truth = footprint((40, 40))
    s_true = np.sin(np.arange(30) / 3.0)
    frames = s_true[:, None, None] * S
    s = aggregate(frames, truth)
    np.testing.assert_allclose(s, s_true * np.sum(truth * S))


def test_moving_mask_follows_drift_that_the_static_mask_misses():
    S, truth = footprint((48, 48))
    rng = np.random.default_rng(0)
    shifts = np.cumsum(rng.normal(0, 1.0, (25, 2)), axis=0)  # a random walk of a few pixels
    s_true = np.cos(np.arange(25) / 2.0)
    frames = np.stack([s * translate(S, d) for s, d in zip(s_true, shifts, strict=True)])
    mask = truth.astype(float)
    static = snr_vs_truth(aggregate(frames, mask), s_true)["snr_db"]
    moving = snr_vs_truth(aggregate(frames, mask, shifts), s_true)["snr_db"]
    assert moving > static + 10


def test_snr_against_truth_matches_the_planted_noise_level():
    rng = np.random.default_rng(1)
    t = np.arange(20000)
    truth = np.sin(2 * np.pi * t / 97)
    noise = rng.standard_normal(t.size) * np.sqrt(0.5 / 10)  # signal power 0.5 -> 10 dB
    r = snr_vs_truth(-2.0 * (truth + noise) + 7.0, truth)
    assert r["snr_db"] == pytest.approx(10.0, abs=0.1)
    assert r["gain"] == pytest.approx(-2.0, abs=0.02) and r["corr"] < 0


def test_noise_metric_measures_white_noise_about_a_smooth_trend():
    rng = np.random.default_rng(2)
    t = np.linspace(0, 1, 20000)
    clean = np.sin(2 * np.pi * 3 * t)
    sigma = 0.2
    noisy = clean + sigma * rng.standard_normal(t.size)
    # a window-W quadratic SG fit keeps a share of the noise; for W = 101 the residual
    # std is sigma * sqrt(1 - h0), h0 = 3(3W^2 - 7) / (4W(W^2 - 4)) the centre tap
    W = 101
    h0 = 3 * (3 * W ** 2 - 7) / (4 * W * (W ** 2 - 4))
    assert sg_noise(noisy, window=W) == pytest.approx(sigma * np.sqrt(1 - h0), rel=0.03)
    np.testing.assert_allclose(sg_trend(clean, window=W), clean, atol=1e-4)


def test_hf_ratio_and_metrics_bundle():
    n = np.arange(512)
    low = np.sin(2 * np.pi * 0.02 * n)
    high = low + 0.5 * np.sin(2 * np.pi * 0.4 * n)
    assert hf_ratio(low) < 1e-3 < hf_ratio(high)
    m = waveform_metrics(high, s_true=low)
    assert set(m) >= {"noise", "noise_rel", "hf_ratio", "snr_db", "corr"}


def test_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="same detector"):
        aggregate(np.zeros((2, 4, 4)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="equal length"):
        snr_vs_truth(np.zeros(4), np.zeros(5))

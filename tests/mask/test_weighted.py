import numpy as np

from thesis_lib.mask.pipeline import build_mask
from thesis_lib.mask.waveform import aggregate, snr_vs_truth
from thesis_lib.mask.weighted import amplitude_gate, weighted_mask

from .conftest import footprint


def test_confidence_is_difference_of_squares_and_stays_in_range():
    rng = np.random.default_rng(0)
    g = rng.dirichlet(np.ones(3), size=400)
    gp, gn = g[:, 0], g[:, 1]
    D = np.full((20, 20), 5.0)
    W = weighted_mask(gp, gn, D, np.ones_like(D, bool), q=99.5)
    np.testing.assert_allclose(W.ravel(), gp ** 2 - gn ** 2, atol=1e-12)
    assert W.min() >= -1 and W.max() <= 1


def test_gate_is_monotone_saturates_at_the_percentile_and_respects_the_floor():
    rng = np.random.default_rng(1)
    D = rng.normal(size=(50, 50))
    a = amplitude_gate(D, q=90.0)
    order = np.argsort(np.abs(D).ravel())
    assert np.all(np.diff(a.ravel()[order]) >= 0)
    np.testing.assert_allclose((a == 1.0).mean(), 0.10, atol=0.001)
    floored = amplitude_gate(D, q=90.0, floor_percentile=20.0)
    np.testing.assert_allclose((floored == 0).mean(), 0.20, atol=0.001)


def test_invalid_pixels_get_zero_weight_even_after_smoothing():
    D = np.ones((10, 10))
    valid = np.ones_like(D, bool)
    valid[4, 4] = False
    W = weighted_mask(np.ones(99), np.zeros(99), D, valid, smooth_sigma=1.5)
    assert W[4, 4] == 0.0 and W[0, 0] > 0


def test_weighted_mask_gives_a_better_waveform_on_a_heterogeneous_footprint():
    """Weak-contrast footprint pixels add mostly noise; down-weighting them helps (§3.7)."""
    rng = np.random.default_rng(5)
    S, truth = footprint((64, 64))
    ref = 4.0 * S + 0.3 * rng.standard_normal(S.shape)  # high-contrast reference
    res = build_mask(ref, method="gmm", weighted=True, radius=2)
    t = np.arange(60)
    s_true = np.sin(2 * np.pi * t / 15)
    frames = s_true[:, None, None] * S + 1.5 * rng.standard_normal((t.size,) + S.shape)
    snr_bin = snr_vs_truth(aggregate(frames, res.binary), s_true)["snr_db"]
    snr_w = snr_vs_truth(aggregate(frames, res.weighted), s_true)["snr_db"]
    assert snr_w > snr_bin

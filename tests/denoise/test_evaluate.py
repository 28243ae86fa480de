"""Evaluation: paired ΔSI-SDR, confidence intervals, silent clips, method contract."""

import numpy as np
import pytest

from thesis_lib import metrics
from thesis_lib.denoise.evaluate import delta_si_sdr, evaluate_methods, mean_ci
from thesis_lib.denoise.experiment import baseline_methods, training_config


def pairs(n=3, length=4096, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x = np.sin(2 * np.pi * (0.01 + 0.005 * i) * np.arange(length))
        out.append((x + (0.1 + 0.1 * i) * rng.standard_normal(length), x))
    return out


def test_delta_is_paired_difference_per_clip():
    data = pairs()
    # an oracle that halves each clip's noise; clips are looked up by value
    lookup = {y.tobytes(): x for y, x in data}

    def half(y, sr):
        return lookup[y.tobytes()] + 0.5 * (y - lookup[y.tobytes()])

    res = evaluate_methods(data, {"identity": lambda y, sr: y, "half": half}, 8000)
    # halving an error orthogonal-ish to x raises SI-SDR by about 6 dB on every clip
    per = res["half"]["per_clip"]["delta_si_sdr_db"]
    expected = [delta_si_sdr(x, y, x + 0.5 * (y - x)) for y, x in data]
    np.testing.assert_allclose(per, expected)
    assert all(5.0 < d < 7.0 for d in per)
    assert res["identity"]["delta_si_sdr_db"] == 0.0
    assert res["identity"]["si_sdr_db"] == pytest.approx(
        np.mean([metrics.si_sdr(x, y) for y, x in data]))


def test_silent_clips_are_skipped_and_counted():
    data = pairs(2) + [(np.zeros(4096) + 1e-3, np.zeros(4096))]
    res = evaluate_methods(data, {"identity": lambda y, sr: y}, 8000)
    assert res["skipped_silent"] == 1 and res["identity"]["n_clips"] == 2


def test_method_changing_length_is_rejected():
    with pytest.raises(ValueError, match="returned 10 samples"):
        evaluate_methods(pairs(1), {"bad": lambda y, sr: y[:10]}, 8000)


def test_confidence_interval_covers_true_mean_at_nominal_rate():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(400):
        m, h = mean_ci(rng.normal(3.0, 2.0, size=5))
        hits += abs(m - 3.0) <= h
    assert 0.92 < hits / 400 < 0.98
    assert np.isnan(mean_ci([1.0])[1]) and mean_ci([2.0, 2.0]) == (2.0, 0.0)


def test_baseline_set_shares_one_signature():
    rng = np.random.default_rng(0)
    train_clean = [rng.standard_normal(8192) for _ in range(2)]
    methods = baseline_methods(train_clean, 16000)
    assert set(methods) == {"identity", "spectral_gating", "wiener", "ltas_eq", "beam_wiener"}
    y = rng.standard_normal(5000)
    for fn in methods.values():
        assert fn(y, 16000).shape == y.shape


def test_quick_training_config_is_small_and_full_is_the_thesis():
    quick, full = training_config("quick"), training_config("full")
    assert quick.model["width"] < full.model["width"] and quick.segment_length
    assert (full.lr, full.batch_size, full.epochs) == (3e-5, 16, 150)

"""Foreign degradation chains and the misfit score's ROC AUC."""

import numpy as np
import pytest
import torch

from thesis_lib.bayes.degradations import (
    CHAINS,
    add_noise_snr,
    di_giovanna_chain,
    rago_group_b,
    reverb_ir,
    tpdf_quantise,
)
from thesis_lib.bayes.misfit import MisfitReference, misfit_score, residual_features, roc_auc
from thesis_lib.bayes.surrogate import Surrogate

RATE = 48_000
T = np.arange(RATE // 2) / RATE


def test_tpdf_quantiser_lands_on_grid_with_bounded_unbiased_error():
    rng = np.random.default_rng(0)
    x = 0.8 * np.sin(2 * np.pi * 440 * T)
    q = tpdf_quantise(x, 8, rng)
    step = 2 / 256
    assert np.allclose(q / step, np.round(q / step))
    err = q - x
    assert np.max(np.abs(err)) <= 1.5 * step + 1e-12        # rounding ½ LSB + dither ≤ 1 LSB
    assert abs(err.mean()) < 0.02 * step


def test_noise_is_added_at_the_requested_snr():
    x = np.sin(2 * np.pi * 440 * T)
    y = add_noise_snr(x, 20.0, np.random.default_rng(1))
    assert abs(10 * np.log10(np.mean(x ** 2) / np.mean((y - x) ** 2)) - 20.0) < 1e-9


def test_di_giovanna_chain_removes_content_above_seven_khz():
    x = np.sin(2 * np.pi * 1000 * T) + np.sin(2 * np.pi * 12_000 * T)
    y = di_giovanna_chain(x, RATE, seed=0, snr_db=60)
    spec = np.abs(np.fft.rfft(y))
    f = np.fft.rfftfreq(y.size, 1 / RATE)
    assert spec[np.argmin(np.abs(f - 12_000))] < 1e-3 * spec[np.argmin(np.abs(f - 1000))]
    assert y.shape == x.shape


def test_rago_b_clips_and_creates_odd_harmonics():
    x = np.sin(2 * np.pi * 500 * T)
    y = rago_group_b(x, RATE, seed=0, rt60_s=0.01)
    spec = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    f = np.fft.rfftfreq(y.size, 1 / RATE)
    third = spec[np.argmin(np.abs(f - 1500))] / spec[np.argmin(np.abs(f - 500))]
    assert third > 0.05


def test_reverb_ir_decays_sixty_db_over_rt60():
    ir = reverb_ir(RATE, 0.5, np.random.default_rng(0))
    head = np.sum(ir[1:2400] ** 2) / 2399
    tail = np.sum(ir[-2400:] ** 2) / 2400
    assert 10 * np.log10(head / tail) > 50


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_chains_are_seeded(name):
    x = np.sin(2 * np.pi * 300 * T)
    a, b = CHAINS[name](x, RATE, seed=3), CHAINS[name](x, RATE, seed=3)
    assert np.array_equal(a, b) and a.shape == x.shape


def test_misfit_score_is_zero_in_expectation_under_the_model_and_large_otherwise():
    net = Surrogate(width=4, depth=1)
    with torch.no_grad():                       # μ = 0 and a constant ν
        net.linear.weight.zero_()
        net.head_s.weight.zero_()
        _, s = net(torch.zeros(1, 1, 8))
    sd = float(torch.exp(0.5 * s[0, 0, 0]))
    rng = np.random.default_rng(0)
    x = np.zeros(20_000)
    fit = misfit_score(net, sd * rng.standard_normal(x.size), x)
    misfit = misfit_score(net, 3 * sd * rng.standard_normal(x.size), x)
    too_clean = misfit_score(net, 0.3 * sd * rng.standard_normal(x.size), x)
    assert abs(fit["excess"]) < 0.03 and fit["score"] < 0.06
    assert abs(misfit["excess"] - 4.0) < 0.2     # ½(9 − 1)
    assert abs(misfit["score"] - np.log(9)) < 0.05
    # a residual smaller than predicted is a misfit too: the two-sided score sees it
    assert too_clean["excess"] < 0 and abs(too_clean["score"] - np.log(1 / 0.09)) < 0.05
    assert roc_auc([misfit["score"], too_clean["score"]], [fit["score"]]) == 1.0


def test_roc_auc_of_overlapping_gaussians_matches_closed_form():
    # AUC = Φ(d/√2) for unit-variance scores whose means differ by d = 1
    rng = np.random.default_rng(1)
    auc = roc_auc(rng.standard_normal(4000) + 1, rng.standard_normal(4000))
    assert abs(auc - 0.7602) < 0.02


def test_residual_features_of_white_unit_noise_are_near_zero_and_see_colour_and_tails():
    rng = np.random.default_rng(4)
    white = residual_features(rng.standard_normal(32_000))
    # over 30 seeds: |band log power| ≤ 0.11, |kurtosis| ≤ 0.06, |lag-one| ≤ 0.012
    assert np.all(np.abs(white[:8]) < 0.2) and abs(white[8]) < 0.15 and abs(white[9]) < 0.03
    coloured = residual_features(np.convolve(rng.standard_normal(32_000), [1.0, 1.0], "same"))
    # |1 + e^{-iω}|² = 4 at DC, 0 at π (30 seeds: band 0 ≥ 1.25, band 7 ≤ −3.0)
    assert coloured[0] > 1.0 and coloured[7] < -2
    assert abs(coloured[9] - 0.5) < 0.03    # lag-one correlation of an MA(1) (±0.009)
    heavy = residual_features(rng.laplace(size=32_000))
    assert abs(heavy[8] - 3.0) < 1.0      # excess kurtosis of a Laplace law (2.7–3.3, 40 seeds)


def test_misfit_reference_fitted_on_the_model_alone_separates_a_foreign_population():
    # planted: "emulator" residuals are unit white noise; the foreign ones are white noise
    # with a 2× larger high band — the reference never sees them
    rng = np.random.default_rng(5)

    def foreign(n):
        r = rng.standard_normal(n)
        hp = np.convolve(rng.standard_normal(n), [0.5, -0.5], "same")
        return r + hp

    ref = MisfitReference.fit([residual_features(rng.standard_normal(8000)) for _ in range(40)])
    own = ref.score([residual_features(rng.standard_normal(8000)) for _ in range(20)])
    other = ref.score([residual_features(foreign(8000)) for _ in range(20)])
    assert roc_auc(other, own) == 1.0
    # a new emulator-like residual scores about the feature count (11): medians 8.8–13.9
    # over 10 seeds
    assert 3 < np.median(own) < 30
    with pytest.raises(ValueError, match="at least three"):
        MisfitReference.fit(np.zeros((2, 11)))

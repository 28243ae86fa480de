"""LTAS-EQ recovers a planted coloration and respects the −20 dB limit."""

import numpy as np
import pytest

from thesis_lib.denoise.ltas import LtasEqualizer, ltas, ltas_window, smooth_third_octave

SR = 22050


def colour(x, response):
    f = np.fft.rfftfreq(x.size, 1 / SR)
    return np.fft.irfft(np.fft.rfft(x) * response(f), x.size)


def smooth_tilt(f):
    return 1.0 / np.sqrt(1.0 + (f / 2000.0) ** 2)  # first-order low-pass magnitude


def test_estimated_response_matches_planted_filter():
    rng = np.random.default_rng(0)
    clean = [rng.standard_normal(SR * 2) for _ in range(4)]
    eq = LtasEqualizer.fit(clean, SR)
    coloured = colour(rng.standard_normal(SR * 4), smooth_tilt)
    h = eq.response(coloured)
    band = (eq.freqs > 200) & (eq.freqs < 8000)
    err_db = 20 * np.log10(h[band] / smooth_tilt(eq.freqs[band]))
    assert np.max(np.abs(err_db)) < 1.0


def test_equalised_signal_has_reference_spectrum():
    rng = np.random.default_rng(1)
    clean = [rng.standard_normal(SR * 2) for _ in range(4)]
    eq = LtasEqualizer.fit(clean, SR)
    out = eq(colour(rng.standard_normal(SR * 4), smooth_tilt), SR)
    freqs, p_out = ltas(out, SR)
    band = (freqs > 200) & (freqs < 8000)
    assert np.max(np.abs(10 * np.log10(p_out[band] / eq.reference[band]))) < 1.0


def test_response_is_limited_to_minus_20_db():
    rng = np.random.default_rng(2)
    eq = LtasEqualizer.fit([rng.standard_normal(SR * 2)], SR)
    lowpassed = colour(rng.standard_normal(SR * 2), lambda f: np.where(f < 3000, 1.0, 1e-4))
    h = eq.response(lowpassed)
    assert h.min() == pytest.approx(0.1 * h.max())


def test_smoothing_width_is_a_third_of_an_octave():
    f = np.fft.rfftfreq(2 ** 13, 1 / SR)
    spike = np.zeros(f.size)
    k = np.argmin(np.abs(f - 1000))
    spike[k] = 1.0
    out = smooth_third_octave(f, spike)
    pos = f > 0
    # response to a spike, normalised per target bin, falls to half at ±1/6 octave
    half = f[pos][out[pos] >= out[k] / 2]
    assert np.log2(half.max() / half.min()) == pytest.approx(1 / 3, abs=0.04)


def test_rate_mismatch_is_rejected():
    eq = LtasEqualizer.fit([np.random.default_rng(0).standard_normal(8192)], SR)
    with pytest.raises(ValueError, match="fit the equaliser"):
        eq(np.ones(8192), 44100)
    assert ltas_window(SR) == 2048

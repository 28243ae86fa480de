"""Oracle linear filter and oracle ratio mask: known answers on planted degradations."""

import numpy as np
import pytest
from scipy.signal import lfilter

from thesis_lib import metrics
from thesis_lib.denoise.evaluate import evaluate_methods
from thesis_lib.denoise.oracle import (
    apply_response,
    design_headroom,
    fixed_filter_response,
    oracle_filter_response,
    oracle_linear_filter,
    oracle_methods,
    oracle_ratio_mask,
    readout_delay,
)

RATE = 16_000


def _music_like(seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    """Harmonic tones with a falling spectrum plus a little broadband noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    x = sum(0.3 / k * np.sin(2 * np.pi * 220 * k * t + rng.uniform(0, 6.3)) for k in range(1, 20))
    return x + 0.01 * rng.standard_normal(t.size)


def _low_pass(x):
    # a minimum-phase 3-tap FIR whose gain falls from 1 at DC to 0.4 at Nyquist, a mild
    # beam-like blur without zeros on the unit circle, so an inverse exists
    return lfilter([0.5, 0.3, 0.2], [1.0], x)


def test_pure_linear_degradation_is_inverted_by_the_oracle_filter():
    x = _music_like()
    y = _low_pass(x)
    restored = oracle_linear_filter(x, y, n_fft=512)
    assert metrics.si_sdr(x, y) < 20.0  # the blur is a real degradation (≈ 14.5 dB)
    # exact up to the frame-edge leakage of a 3-tap filter in 512-sample frames (≈ 57 dB)
    assert metrics.si_sdr(x, restored) > 45.0


def test_mask_cannot_undo_a_low_pass_but_the_filter_can():
    x = _music_like(seed=1)
    y = _low_pass(x) + 1e-3 * np.random.default_rng(5).standard_normal(x.size)
    gain_filter = metrics.si_sdr(x, oracle_linear_filter(x, y, n_fft=512)) - metrics.si_sdr(x, y)
    gain_mask = metrics.si_sdr(x, oracle_ratio_mask(x, y, n_fft=512)) - metrics.si_sdr(x, y)
    assert gain_filter > 10.0
    # attenuated bins stay attenuated under a mask ≤ 1: at most a little noise is removed
    assert gain_mask < 0.5 * gain_filter


def test_filter_response_is_the_wiener_gain_for_white_signal_in_white_noise():
    rng = np.random.default_rng(2)
    n, noise_var = 2 ** 18, 0.25
    x = rng.standard_normal(n)
    y = x + np.sqrt(noise_var) * rng.standard_normal(n)
    h = oracle_filter_response(x, y, n_fft=256)
    expected = 1.0 / (1.0 + noise_var)  # SNR / (1 + SNR) with SNR = 4
    # 4096 frames per bin: the per-bin estimate scatters by about 1 %
    assert np.median(h.real[1:-1]) == pytest.approx(expected, abs=0.01)
    assert np.max(np.abs(h[1:-1] - expected)) < 0.08
    assert np.max(np.abs(h.imag[1:-1])) < 0.08


def test_filter_response_of_a_pure_delay_has_linear_phase():
    x = np.random.default_rng(3).standard_normal(2 ** 16)
    y = np.concatenate([np.zeros(3), x[:-3]])  # y is x delayed by 3 samples
    h = oracle_filter_response(x, y, n_fft=1024)
    expected = np.exp(2j * np.pi * np.arange(h.size) / 1024 * 3)  # undo it: advance by 3
    # only the 3 samples per frame that the delay moves across the window edge are lost
    assert np.max(np.abs(h - expected)) < 0.05


def test_oracles_score_through_evaluate_methods():
    x = _music_like(seed=4)
    y = _low_pass(x)
    pairs = [(y, x)]
    scores = evaluate_methods(pairs, {"identity": lambda v, sr: v, **oracle_methods(pairs)}, RATE)
    assert scores["oracle_linear_filter"]["delta_si_sdr_db"] > 20.0
    assert scores["identity"]["delta_si_sdr_db"] == 0.0


def test_oracle_refuses_an_unknown_clip():
    x = _music_like(seed=5)
    methods = oracle_methods([(0.5 * x, x)])
    with pytest.raises(ValueError, match="clean reference"):
        methods["oracle_ratio_mask"](x, RATE)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="equal length"):
        oracle_linear_filter(np.zeros(4096), np.zeros(4000))


def _filtered_pairs(rng, count, response, n_fft=256, noise=0.0):
    """Clips through a known STFT-domain filter plus white noise: (degraded, clean)."""
    pairs = []
    for _ in range(count):
        x = rng.standard_normal(8192)
        y = apply_response(x, response, n_fft=n_fft) + noise * rng.standard_normal(8192)
        pairs.append((y, x))
    return pairs


def test_fixed_filter_recovers_a_planted_inverse():
    # clips low-passed by a known smooth response; the fitted fixed filter must be its inverse
    # wherever the response is far from zero (a fit over 4 clips of 8192 samples)
    rng = np.random.default_rng(7)
    f = np.arange(129) / 128
    planted = np.exp(-(f / 0.6) ** 2) + 0j
    fitted = fixed_filter_response(_filtered_pairs(rng, 4, planted), n_fft=256)
    band = planted.real > 0.3
    # STFT filtering is only approximately LTI (window time-aliasing): at most 0.25 % measured
    # over seeds 0-3
    np.testing.assert_allclose(fitted[band] * planted[band], 1.0, atol=0.02)


def test_design_headroom_orders_the_families():
    # with noise, the per-cell oracle gain after the fixed filter beats the fixed filter alone,
    # and the fixed filter beats the unfiltered input on a low-passed signal (seeds 0-3: fixed
    # +10.1 to +10.3 dB, the oracle gain a further +1.6 to +1.8 dB)
    rng = np.random.default_rng(8)
    f = np.arange(129) / 128
    planted = np.exp(-(f / 0.5) ** 2) + 0j
    fit = _filtered_pairs(rng, 4, planted, noise=0.02)
    test = _filtered_pairs(rng, 3, planted, noise=0.02)
    scores = design_headroom(fit, test, n_fft=256)
    assert scores["input"]["delta_si_sdr_db"] == 0.0
    assert scores["fixed_filter"]["delta_si_sdr_db"] > 3.0
    assert (scores["fixed_filter_then_oracle_gain_0_1"]["si_sdr_db"]
            > scores["fixed_filter"]["si_sdr_db"] + 1.0)
    assert all(v["n_clips"] == 3 for v in scores.values())


def test_a_response_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="does not fit n_fft=256"):
        apply_response(np.zeros(4096), np.ones(100), n_fft=256)


def test_readout_delay_recovers_a_planted_lead_despite_a_nonlinear_clip():
    # two clips read 2.5 samples early (a fractional lead, applied as a phase ramp) and one
    # clip that is not a filtered copy at all (clean squared, like the emulator without
    # bias): the median must ignore the third
    x = [_music_like(seed=s) for s in range(3)]
    lead = 2.5 / RATE
    f = np.fft.rfftfreq(x[0].size, 1 / RATE)
    early = [np.fft.irfft(np.fft.rfft(c) * np.exp(2j * np.pi * f * lead), c.size) for c in x]
    pairs = [(early[0], x[0]), (early[1], x[1]), (x[2] ** 2, x[2])]
    estimate = readout_delay(pairs, rate=RATE, band_hz=(300.0, 3000.0), n_fft=1024)
    assert estimate == pytest.approx(lead, abs=0.05 / RATE)  # a twentieth of a sample


def test_emulator_readout_delay_does_not_depend_on_the_beam():
    # the restorer's constant delay is a property of the recording geometry, not of the beam
    # width: measured 34.4 and 35.0 µs at 15 and 40 µm on real music, here on a tone mixture
    from thesis_lib.emulator import Emulator, EmulatorParams

    rate = 44_100
    # broadband (every bin of the band carries signal): noise smoothed below about 6 kHz
    noise = np.random.default_rng(8).standard_normal(rate)
    x = lfilter([1.0], [1.0, -0.6], noise)
    x *= 0.5 / np.max(np.abs(x))
    delays = []
    for beam in (15.0, 40.0):
        y = Emulator(EmulatorParams(beam_fwhm_um=beam, output_rate=rate))(x, rate, 3)
        delays.append(readout_delay([(y, x)], rate=rate, n_fft=2048))
    assert 10e-6 < delays[0] < 80e-6  # tens of microseconds ahead, not zero
    assert delays[1] == pytest.approx(delays[0], abs=2e-6)  # spread over seeds: 0.5 µs

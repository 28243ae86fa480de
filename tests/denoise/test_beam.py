"""Beam transfer function and its Wiener deconvolution."""

import numpy as np
import pytest

from thesis_lib.denoise.beam import beam_transfer, beam_wiener

SR = 48000


def test_transfer_equals_attenuation_of_a_convolved_tone():
    # independent route: blur a tone with a sampled Gaussian kernel in time
    fwhm_um, v = 26.0, 0.1905
    sigma_s = fwhm_um * 1e-6 / (2 * np.sqrt(2 * np.log(2))) / v
    fine = 20 * SR
    tk = np.arange(-int(8 * sigma_s * fine), int(8 * sigma_s * fine) + 1) / fine
    kernel = np.exp(-0.5 * (tk / sigma_s) ** 2)
    kernel /= kernel.sum()
    for f in (1000.0, 4000.0, 8000.0):
        t = np.arange(int(0.02 * fine)) / fine
        blurred = np.convolve(np.cos(2 * np.pi * f * t), kernel, mode="valid")
        assert np.max(np.abs(blurred)) == pytest.approx(beam_transfer(f, fwhm_um, v), rel=1e-3)


def test_wider_beam_or_slower_tape_blur_more():
    assert beam_transfer(5000, 40.0) < beam_transfer(5000, 26.0)
    assert beam_transfer(5000, 26.0, 0.095) < beam_transfer(5000, 26.0, 0.19)


def test_transfer_matches_emulator_readout_formula():
    from thesis_lib.emulator.readout import gaussian_mtf
    f = np.linspace(0, 20000, 11)
    np.testing.assert_allclose(beam_transfer(f, 26.0, 0.1905), gaussian_mtf(f / 0.1905e6, 26.0))


def test_deconvolution_restores_blurred_music_band_and_leaves_noise_band():
    rng = np.random.default_rng(3)
    n = SR * 2
    f = np.fft.rfftfreq(n, 1 / SR)
    clean = np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) * (f < 6000), n)
    y = np.fft.irfft(np.fft.rfft(clean) * beam_transfer(f), n) + 1e-3 * rng.standard_normal(n)
    out = beam_wiener(y, SR)
    assert np.mean((out - clean) ** 2) < 0.05 * np.mean((y - clean) ** 2)
    spec = np.abs(np.fft.rfft(out))
    assert np.mean(spec[f > 15000]) < np.mean(np.abs(np.fft.rfft(y))[f > 15000])


def test_params_object_overrides_beam_and_speed():
    class P:
        beam_fwhm_um, tape_speed_m_s = 60.0, 0.1905

    t = np.arange(SR) / SR
    y = np.sin(2 * np.pi * 3000 * t) + 1e-3 * np.random.default_rng(0).standard_normal(SR)
    assert not np.allclose(beam_wiener(y, SR, params=P()), beam_wiener(y, SR))


def test_bad_geometry_is_rejected():
    with pytest.raises(ValueError, match="positive"):
        beam_transfer(100.0, 0.0)

import numpy as np
import pytest
from scipy import signal

from thesis_lib.metrics import hf_energy_ratio, hf_mismatch, lsd, stft_magnitude
from thesis_lib.metrics.spectral import LSD_EPS


def test_stft_matches_scipy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(10_000)
    ours = stft_magnitude(x, n_fft=1024, hop=256)
    _, _, z = signal.stft(x, window="hann", nperseg=1024, noverlap=768, boundary=None,
                          padded=False, scaling="spectrum")
    # scipy scales by 1/sum(window); undo it to compare raw magnitudes.
    theirs = np.abs(z).T * signal.get_window("hann", 1024).sum()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-9)


def test_lsd_uniform_gain_known_answer_and_symmetry():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(44_100)
    for gain in [0.5, 2.0, 31.6]:
        assert lsd(x, gain * x) == pytest.approx(abs(20 * np.log10(gain)), rel=1e-6)
    y = x + 0.3 * rng.standard_normal(x.size)
    assert lsd(x, y) == pytest.approx(lsd(y, x), rel=1e-12)


def test_lsd_independent_formula():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((2, 8192))
    _, _, zx = signal.stft(x, window="hann", nperseg=2048, noverlap=1536, boundary=None, padded=False)
    _, _, zy = signal.stft(y, window="hann", nperseg=2048, noverlap=1536, boundary=None, padded=False)
    scale = signal.get_window("hann", 2048).sum()
    sx, sy = np.abs(zx) * scale, np.abs(zy) * scale
    d = 20 * np.log10((sx + LSD_EPS) / (sy + LSD_EPS))
    expected = np.mean(np.sqrt(np.mean(d**2, axis=0)))
    assert lsd(x, y) == pytest.approx(expected, rel=1e-9)


def test_hf_ratio_of_two_tones():
    n = np.arange(8192)
    # bins are exact (k/8192), so the periodogram splits energy by amplitude squared
    low = 1.0 * np.sin(2 * np.pi * (410 / 8192) * n)
    high = 0.5 * np.sin(2 * np.pi * (3000 / 8192) * n)
    assert hf_energy_ratio(low + high) == pytest.approx(0.25 / 1.25, rel=1e-9)
    assert hf_mismatch(low, low + high) == pytest.approx(0.2, rel=1e-9)
    with pytest.raises(ValueError, match="cutoff"):
        hf_energy_ratio(low, cutoff=0.6)

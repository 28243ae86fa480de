import numpy as np
import pytest
from scipy import signal

from thesis_lib.metrics import hf_energy_ratio, hf_mismatch, lsd, stft_magnitude
from thesis_lib.metrics.spectral import LSD_FLOOR_DB


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


def test_lsd_uniform_gain_is_exact_on_broadband_signals():
    # White noise: every STFT bin lies far above the floor, so a gain g moves each bin by
    # exactly 20 log10 g dB; only float rounding (~1e-13 dB) separates LSD from that number.
    rng = np.random.default_rng(1)
    x = rng.standard_normal(44_100)
    assert lsd(x, 10 * x) == pytest.approx(20.0, abs=1e-9)
    for gain in [0.5, 2.0, 31.6]:
        assert lsd(x, gain * x) == pytest.approx(abs(20 * np.log10(gain)), abs=1e-9)


def test_lsd_floor_treats_silent_bins_as_equal():
    # A pure tone's far Hann sidelobes fall more than 80 dB under its peak: those bins are
    # under the floor in both signals and count as equal, so a x10 gain scores less than 20 dB.
    t = np.arange(44_100) / 44_100
    tone = np.sin(2 * np.pi * 440 * t)
    assert 0.0 < lsd(tone, 10 * tone) < 19.0
    # Energy where the reference is silent is charged: white noise at 17 dB SNR lies some
    # 35 dB above the floor in the bins the tone leaves empty.
    noisy = tone + 0.1 * np.random.default_rng(3).standard_normal(tone.size)
    assert lsd(tone, noisy) > 20.0
    with pytest.raises(ValueError, match="all-zero reference"):
        lsd(np.zeros(4096), tone[:4096])
    with pytest.raises(ValueError, match="floor_db"):
        lsd(tone, tone, floor_db=10.0)


def test_lsd_independent_formula():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((2, 8192))
    y[4000:6000] = 0.0  # a silent stretch, so the floor is exercised on the estimate's side
    opts = {"window": "hann", "nperseg": 2048, "noverlap": 1536, "boundary": None, "padded": False}
    _, _, zx = signal.stft(x, **opts)
    _, _, zy = signal.stft(y, **opts)
    scale = signal.get_window("hann", 2048).sum()
    sx, sy = np.abs(zx) * scale, np.abs(zy) * scale
    floor = sx.max() * 10 ** (LSD_FLOOR_DB / 20)
    d = 20 * np.log10(np.maximum(sx, floor) / np.maximum(sy, floor))
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

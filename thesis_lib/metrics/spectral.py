"""Spectral distances: log-spectral distance and high-frequency energy ratio.

Protocols (stated here because the thesis does not fix them):

* **LSD** — magnitude STFT with a periodic Hann window of ``n_fft`` samples
  (2048 by default, ≈ 46 ms at 44.1 kHz), hop ``n_fft // 4``, no centring
  padding, bins 0..n_fft/2. Per frame the RMS over bins of
  ``20 log10((|S| + eps) / (|Ŝ| + eps))``, then the mean over frames (thesis
  §6.1). ``eps = 1e-8`` on magnitudes of full-scale (±1) audio, i.e. a -160 dB
  floor, so digital silence is not rewarded or punished without bound.
* **HF energy ratio** — fraction of the (mean-removed) signal's periodogram
  energy above ``cutoff`` (as a fraction of the sample rate; default 1/4, i.e.
  half of Nyquist). For scan waveforms of Task 1 the sample rate is one per scan
  position, so the cutoff is in cycles per sample.

References
----------
.. [1] A. Gray, J. Markel, "Distance measures for speech processing",
   IEEE Trans. ASSP 24(5), 1976.
"""

from __future__ import annotations

import numpy as np

from ._frames import stft_magnitude
from ._validate import as_pair, as_signal

LSD_EPS = 1e-8


def lsd(reference, estimate, n_fft: int = 2048, hop: int | None = None,
        eps: float = LSD_EPS) -> float:
    """Log-spectral distance in dB (protocol in the module docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(8192)
    >>> lsd(x, x)
    0.0
    >>> round(lsd(x, 10 * x), 6)  # a uniform gain of 10 is exactly 20 dB
    20.0
    """
    ref, est = as_pair(reference, estimate)
    s_ref = stft_magnitude(ref, n_fft, hop)
    s_est = stft_magnitude(est, n_fft, hop)
    log_ratio = 20.0 * np.log10((s_ref + eps) / (s_est + eps))
    return float(np.mean(np.sqrt(np.mean(log_ratio ** 2, axis=1))))


def hf_energy_ratio(x, cutoff: float = 0.25) -> float:
    """Share of energy above ``cutoff`` × sample rate (periodogram, mean removed).

    Parameters
    ----------
    x : array_like
        Signal.
    cutoff : float
        Band edge as a fraction of the sample rate, in (0, 0.5).

    Examples
    --------
    >>> n = np.arange(4096)
    >>> low, high = np.sin(2 * np.pi * 256 / 4096 * n), np.sin(2 * np.pi * 1536 / 4096 * n)
    >>> round(hf_energy_ratio(low + 0.5 * high), 6)   # 0.25 / (1 + 0.25)
    0.2
    """
    sig = as_signal(x)
    if not 0.0 < cutoff < 0.5:
        raise ValueError(f"cutoff must lie in (0, 0.5) of the sample rate, got {cutoff}")
    power = np.abs(np.fft.rfft(sig - sig.mean())) ** 2
    freqs = np.fft.rfftfreq(sig.size)
    total = power.sum()
    if total == 0.0:
        raise ValueError("HF energy ratio is undefined for a constant signal")
    return float(power[freqs > cutoff].sum() / total)


def hf_mismatch(reference, estimate, cutoff: float = 0.25) -> float:
    """Absolute difference of the HF energy ratios of two signals (thesis §6.3)."""
    ref, est = as_pair(reference, estimate)
    return abs(hf_energy_ratio(ref, cutoff) - hf_energy_ratio(est, cutoff))

"""Spectral distances: log-spectral distance and high-frequency energy ratio.

Protocols (stated here because the thesis does not fix them):

* **LSD** — magnitude STFT with a periodic Hann window of ``n_fft`` samples
  (2048 by default, ≈ 46 ms at 44.1 kHz), hop ``n_fft // 4``, no centring
  padding, bins 0..n_fft/2. Both spectra are clipped from below at a floor
  ``floor_db`` (−80 dB by default) under the *reference's* loudest bin; per
  frame the RMS over bins of ``20 log10(max(|S|, f) / max(|Ŝ|, f))``, then the
  mean over frames (thesis §6.1). Bins where both signals lie under the floor
  count as equal, so near-silent bins (a tone's far window sidelobes, empty
  bands above a recording's bandwidth) cannot dominate the mean; an estimate
  that puts energy where the reference is silent is still charged up to its
  level above the floor. 80 dB exceeds the dynamic range of analogue tape
  (about 60–70 dB) and is the usual range of a dB spectrogram. A uniform gain
  ``g`` gives exactly ``|20 log10 g|`` dB when every reference bin is above the
  floor (a broadband signal), less when some are under it.
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

#: Floor of the LSD, in dB under the reference's loudest STFT bin.
LSD_FLOOR_DB = -80.0


def lsd(reference, estimate, *, n_fft: int = 2048, hop: int | None = None,
        floor_db: float = LSD_FLOOR_DB) -> float:
    """Log-spectral distance in dB (protocol in the module docstring).

    Parameters
    ----------
    reference, estimate : array_like
        Signals of equal length; the floor is set by ``reference``.
    n_fft, hop : int
        STFT frame and hop (default ``n_fft // 4``).
    floor_db : float
        Floor under the reference's loudest bin, in dB (negative).

    Raises
    ------
    ValueError
        If the reference is all zeros (no level to set the floor) or ``floor_db >= 0``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(8192)
    >>> lsd(x, x)
    0.0
    >>> round(lsd(x, 10 * x), 9)  # broadband: a uniform gain of 10 is exactly 20 dB
    20.0
    """
    if not floor_db < 0:
        raise ValueError(f"floor_db must be negative (dB under the reference's peak), "
                         f"got {floor_db}")
    ref, est = as_pair(reference, estimate)
    s_ref = stft_magnitude(ref, n_fft, hop)
    s_est = stft_magnitude(est, n_fft, hop)
    peak = float(s_ref.max())
    if peak == 0.0:
        raise ValueError("LSD is undefined for an all-zero reference (no level for the floor)")
    floor = peak * 10.0 ** (floor_db / 20.0)
    log_ratio = 20.0 * np.log10(np.maximum(s_ref, floor) / np.maximum(s_est, floor))
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

"""Physics-aware baseline: Wiener deconvolution of the known beam blur.

The XMCD read-out (emulator stage f5) convolves the tape magnetisation with a
Gaussian beam of full width at half maximum ``FWHM`` along the tape. The tape
moves at speed ``v``, so in time the beam is a Gaussian low-pass with transfer
function (thesis §2.3; same formula as ``thesis_lib.emulator.readout.gaussian_mtf``
evaluated at spatial frequency ``f / v``)

    H(f) = exp(−2π² σ² f² / v²),   σ = FWHM / (2 √(2 ln 2)).

At the defaults (26 µm, 0.1905 m/s) ``H`` is 0.19 at 5 kHz and 1.3·10⁻³ at
10 kHz, so what the beam removed above ~10 kHz is gone under the measurement
noise. The Wiener deconvolution filter

    G(f) = H(f) P_x(f) / (H(f)² P_x(f) + N(f))

needs the clean power ``P_x`` and the noise power ``N``. Both come from the
recording itself: ``N`` is the (white) noise level read off the band where
``H < 10⁻³`` — there the observation is noise only — and
``P_x = (P_y − N) / H²`` from the Welch periodogram ``P_y`` where ``P_y``
exceeds ``snr_margin · N`` and zero elsewhere (a periodogram that only
fluctuates above the noise must not be divided by a tiny ``H²``); the gain is
capped at ``max_gain``. The filter is applied to the whole signal in the Fourier
domain. It inverts only the beam:
hysteresis, tape noise and the head's gap loss are left alone, which is what
makes it a *baseline* for the learned model.

References
----------
.. [1] N. Wiener, *Extrapolation, Interpolation, and Smoothing of Stationary
   Time Series*, MIT Press, 1949.
.. [2] L. Terna, MSc thesis, Politecnico di Torino, 2026, §2.3 (eq. 2.9) and
   §7.2 (eq. 7.9, the beam's transfer function).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import welch

from thesis_lib._waveform import fit_length

from .baselines import _as_audio

FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))
#: Where the beam response counts as "nothing of the signal left".
NOISE_BAND_RESPONSE = 1e-3


def beam_transfer(freqs_hz, beam_fwhm_um: float = 26.0,
                  tape_speed_m_s: float = 0.1905) -> np.ndarray:
    """Temporal transfer function of a Gaussian beam scanned at tape speed.

    Examples
    --------
    >>> round(float(beam_transfer(5000.0)), 2)
    0.19
    >>> float(beam_transfer(0.0))
    1.0
    """
    if beam_fwhm_um <= 0 or tape_speed_m_s <= 0:
        raise ValueError(f"beam FWHM and tape speed must be positive, got {beam_fwhm_um} µm, "
                         f"{tape_speed_m_s} m/s")
    sigma_s = beam_fwhm_um * 1e-6 * FWHM_TO_SIGMA / tape_speed_m_s  # beam width in seconds
    f = np.asarray(freqs_hz, dtype=np.float64)
    return np.exp(-2.0 * np.pi ** 2 * sigma_s ** 2 * f ** 2)


def beam_wiener(y, sample_rate: int, beam_fwhm_um: float = 26.0, tape_speed_m_s: float = 0.1905,
                noise_power: float | None = None, params=None, nperseg: int = 2048,
                snr_margin: float = 2.0, max_gain: float = 100.0, **kw) -> np.ndarray:
    """Wiener-deconvolve the beam blur from a read-out ``y`` (module docstring).

    Parameters
    ----------
    y : array_like
        Degraded recording (mono).
    sample_rate : int
    beam_fwhm_um, tape_speed_m_s : float
        Beam and transport; taken from ``params`` (an ``EmulatorParams``) if given.
    noise_power : float, optional
        White-noise power spectral density (Welch, one-sided, per Hz); estimated
        from the band where ``H < 1e-3`` when omitted, or from the top tenth of
        the band if the beam leaves no such band below Nyquist.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sr, n = 48000, 48000
    >>> t = np.arange(n) / sr
    >>> x = sum(np.sin(2 * np.pi * k * 1000 * t + k) for k in (1, 3, 5, 7))  # band-limited
    >>> f = np.fft.rfftfreq(n, 1 / sr)
    >>> blurred = np.fft.irfft(np.fft.rfft(x) * beam_transfer(f), n)
    >>> y = blurred + 1e-3 * rng.standard_normal(n)
    >>> err_in = np.mean((y - x) ** 2); err_out = np.mean((beam_wiener(y, sr) - x) ** 2)
    >>> bool(err_out < 0.05 * err_in)
    True
    """
    if params is not None:
        beam_fwhm_um, tape_speed_m_s = params.beam_fwhm_um, params.tape_speed_m_s
    arr = _as_audio(y)
    seg = min(nperseg, arr.size)
    freqs, p_y = welch(arr, fs=sample_rate, nperseg=seg)
    h = beam_transfer(freqs, beam_fwhm_um, tape_speed_m_s)
    if noise_power is None:
        band = h < NOISE_BAND_RESPONSE
        if band.sum() < 4:
            band = freqs >= 0.9 * freqs[-1]
        noise_power = float(np.median(p_y[band]))
    signal_band = p_y > snr_margin * noise_power
    p_x = np.where(signal_band, p_y - noise_power, 0.0) / np.maximum(h, 1e-12) ** 2
    gain = np.minimum(h * p_x / (h ** 2 * p_x + max(noise_power, 1e-300)), max_gain)
    grid = np.fft.rfftfreq(arr.size, 1.0 / sample_rate)
    g = np.interp(grid, freqs, gain)
    return fit_length(np.fft.irfft(np.fft.rfft(arr) * g, n=arr.size), arr.size)

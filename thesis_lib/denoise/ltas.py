"""LTAS equalisation: match the long-term average spectrum of a reference set.

Following BABE-2 (Moliner et al. 2024, eqs. 9–10): the long-term average spectrum (LTAS)
is the mean power spectrum over STFT frames (4096-sample Hann windows at
44.1 kHz — scaled with the sample rate — hop of a quarter window), smoothed with
a Gaussian of one-third-octave FWHM on a logarithmic frequency axis. The
degradation is estimated as ``|H| = sqrt(LTAS_y / LTAS_ref)`` (the square root
because the LTAS are power spectra while ``H`` acts on amplitudes) and the
input is divided by it in the Fourier domain over its whole length. ``|H|`` is
limited to −20 dB below its largest value so that bands the degradation wiped
out are not amplified without bound.

The reference LTAS comes from clean *training* clips (never the test split).

References
----------
.. [1] E. Moliner, J. Välimäki et al., "BABE-2: Blind audio bandwidth extension
   and equalisation of historical music recordings" (generative equaliser),
   DAFx 2024, eqs. 9–10 and §3.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thesis_lib._waveform import fit_length
from thesis_lib.metrics._frames import stft_magnitude

from .baselines import _as_audio

#: Window length at 44.1 kHz (Moliner et al. 2024).
LTAS_WINDOW_44K = 4096


def ltas_window(sample_rate: int) -> int:
    """Power-of-two window length equivalent to 4096 samples at 44.1 kHz.

    Examples
    --------
    >>> ltas_window(44100), ltas_window(22050), ltas_window(48000)
    (4096, 2048, 4096)
    """
    return int(2 ** round(np.log2(LTAS_WINDOW_44K * sample_rate / 44_100)))


def smooth_third_octave(freqs: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Gaussian smoothing over log2-frequency with a FWHM of one third of an octave.

    The DC bin is left as it is (it has no place on a logarithmic axis).

    Examples
    --------
    >>> f = np.linspace(0, 1000, 101)
    >>> bool(np.allclose(smooth_third_octave(f, np.full(101, 3.0)), 3.0))
    True
    """
    out = np.array(power, dtype=np.float64)
    pos = freqs > 0
    logf = np.log2(freqs[pos])
    sigma = (1.0 / 3.0) / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    weights = np.exp(-0.5 * ((logf[:, None] - logf[None, :]) / sigma) ** 2)
    out[pos] = weights @ power[pos] / weights.sum(axis=1)
    return out


def ltas(signals, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed long-term average power spectrum of one signal or a list of signals.

    Returns ``(freqs_hz, power)``. Frames of all signals are pooled before averaging.
    """
    if isinstance(signals, np.ndarray) and signals.ndim == 1:
        signals = [signals]
    n_fft = ltas_window(sample_rate)
    total, frames = np.zeros(n_fft // 2 + 1), 0
    for sig in signals:
        power = stft_magnitude(_as_audio(sig), n_fft, n_fft // 4) ** 2
        total += power.sum(axis=0)
        frames += power.shape[0]
    if frames == 0:
        raise ValueError("no signals given to compute an LTAS from")
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    return freqs, smooth_third_octave(freqs, total / frames)


@dataclass
class LtasEqualizer:
    """Reference LTAS plus the equaliser of eqs. 9–10 (callable as a baseline).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = [rng.standard_normal(20000) for _ in range(3)]
    >>> eq = LtasEqualizer.fit(clean, 8000)
    >>> y = 0.25 * rng.standard_normal(20000)   # right colour, wrong level
    >>> round(float(np.std(eq(y, 8000))), 1)
    1.0
    """

    freqs: np.ndarray
    reference: np.ndarray
    sample_rate: int
    limit_db: float = -20.0

    @classmethod
    def fit(cls, clean_clips, sample_rate: int, limit_db: float = -20.0) -> "LtasEqualizer":
        freqs, ref = ltas(list(clean_clips), sample_rate)
        return cls(freqs, ref, int(sample_rate), limit_db)

    def response(self, y) -> np.ndarray:
        """``|H_LTAS|`` on :attr:`freqs`, limited to ``limit_db`` below its peak (eq. 9)."""
        _, power = ltas(_as_audio(y), self.sample_rate)
        h = np.sqrt(power / np.maximum(self.reference, 1e-30))
        return np.maximum(h, h.max() * 10 ** (self.limit_db / 20))

    def __call__(self, y, sample_rate: int, **kw) -> np.ndarray:
        if int(sample_rate) != self.sample_rate:
            raise ValueError(f"the reference LTAS was computed at {self.sample_rate} Hz, the "
                             f"signal is at {sample_rate} Hz; fit the equaliser at the "
                             "evaluation rate")
        return ltas_eq(y, sample_rate, self)


def ltas_eq(y, sample_rate: int, equalizer: LtasEqualizer, **kw) -> np.ndarray:
    """Divide ``y``'s spectrum by the LTAS ratio ``|H_LTAS|`` (eq. 10)."""
    arr = _as_audio(y)
    h = equalizer.response(arr)
    grid = np.fft.rfftfreq(arr.size, 1.0 / sample_rate)
    inverse = 1.0 / np.interp(grid, equalizer.freqs, h)
    return fit_length(np.fft.irfft(np.fft.rfft(arr) * inverse, n=arr.size), arr.size)

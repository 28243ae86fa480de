"""Stage f1: AC bias addition, x_b(t) = g·x(t) + A_b sin(2π f_b t) (thesis eq. 2.6).

A high-frequency bias far above the audio band linearises recording: each tape
segment leaves the head under an alternating field of slowly decaying amplitude,
which leaves an anhysteretic-like remanence nearly proportional to the audio.
"""

from __future__ import annotations

import numpy as np


def bias_amplitude(x, mode: str, amplitude: float = 3.0) -> float:
    """Bias amplitude A_b for ``mode``: ``off`` → 0, ``fixed`` → ``amplitude``, ``3std`` → 3·std(x).

    Examples
    --------
    >>> bias_amplitude(np.ones(4), "fixed", 2.5)
    2.5
    >>> bias_amplitude(np.array([1.0, -1.0]), "3std")
    3.0
    """
    if mode == "off":
        return 0.0
    if mode == "fixed":
        return float(amplitude)
    if mode == "3std":
        return 3.0 * float(np.std(np.asarray(x, dtype=np.float64)))
    raise ValueError(f"unknown bias mode {mode!r}; use 'off', 'fixed' or '3std'")


def biased_drive(x, t, gain: float, amplitude: float, freq_hz: float):
    """Evaluate x_b(t) = gain·x(t) + amplitude·sin(2π freq_hz t) at times ``t``.

    ``x`` holds the drive already evaluated at ``t`` (same shape).

    Examples
    --------
    >>> t = np.array([0.0, 0.25e-5])
    >>> biased_drive(np.zeros(2), t, 1.0, 3.0, 1e5).round(12).tolist()
    [0.0, 3.0]
    """
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    return gain * x + amplitude * np.sin(2.0 * np.pi * freq_hz * t)


class Bias:
    """Callable f1 stage bound to a bias mode.

    Examples
    --------
    >>> f1 = Bias("fixed", amplitude=3.0, freq_hz=1e5)
    >>> f1.amplitude_for(np.zeros(10))
    3.0
    """

    def __init__(self, mode: str = "fixed", amplitude: float = 3.0, freq_hz: float = 1e5,
                 gain: float = 1.0):
        bias_amplitude(np.zeros(1), mode, amplitude)  # validates the mode
        self.mode, self.amplitude, self.freq_hz, self.gain = mode, amplitude, freq_hz, gain

    def amplitude_for(self, x) -> float:
        return bias_amplitude(x, self.mode, self.amplitude)

    def __call__(self, x, t):
        return biased_drive(x, t, self.gain, self.amplitude_for(x), self.freq_hz)

"""Alignment of simulated scan waveforms to a measured one: lag by correlation, then gain.

A measured scan starts at an unknown place on the tape, its units are
arbitrary (mask weights, detector counts) and its sign depends on which lobe
the mask calls positive. The alignment therefore

1. picks the start offset (lag) whose simulated window has the largest
   normalised cross-correlation with the measurement — the Pearson ρ of every
   candidate window, computed at once;
2. then, optionally, fits an affine gain ``y ≈ gain · sim + bias`` by least
   squares (``gain="lsq"``); with ``gain="none"`` only the means are matched,
   which is meaningful when the measurement is already in units of M/M_s.

Both the lag (in µm of tape and in scan samples) and the gain are reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GAIN_MODES = ("lsq", "none")


@dataclass(frozen=True)
class Alignment:
    """Where and how a simulated window was laid onto the measurement.

    Attributes
    ----------
    index : int
        Row of the candidate windows that was chosen.
    offset_um : float
        Tape position of the first scan sample in the simulation.
    lag_samples : float
        The same offset in scan steps, relative to the first candidate.
    rho : float
        Pearson correlation of the chosen window with the measurement.
    gain, bias : float
        ``aligned = gain * window + bias``.
    """

    index: int
    offset_um: float
    lag_samples: float
    rho: float
    gain: float
    bias: float

    def apply(self, window) -> np.ndarray:
        """The simulated window in the measurement's units."""
        return self.gain * np.asarray(window, dtype=np.float64) + self.bias


def correlations(measured, windows) -> np.ndarray:
    """Pearson ρ of ``measured`` (n,) with each row of ``windows`` (k, n).

    Rows that are constant get ρ = 0.

    Examples
    --------
    >>> x = np.sin(np.arange(32) / 3.0)
    >>> correlations(x, np.stack([x, -x, 2 * x + 1])).round(12).tolist()
    [1.0, -1.0, 1.0]
    """
    y = np.asarray(measured, dtype=np.float64)
    W = np.atleast_2d(np.asarray(windows, dtype=np.float64))
    if W.shape[1] != y.size:
        raise ValueError(f"windows have {W.shape[1]} samples but the measurement has {y.size}")
    yc = y - y.mean()
    Wc = W - W.mean(axis=1, keepdims=True)
    den = np.sqrt(np.einsum("ij,ij->i", Wc, Wc) * np.dot(yc, yc))
    num = Wc @ yc
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.clip(rho, -1.0, 1.0)


def align(measured, windows, offsets_um, step_um, gain: str = "lsq") -> Alignment:
    """Choose the best-correlated window and fit the gain.

    Parameters
    ----------
    measured : (n,) array_like
    windows : (k, n) array_like
        Simulated scans, one per candidate start offset.
    offsets_um : (k,) array_like
        Tape position of each window's first sample.
    step_um : float
        Scan step of the windows (to express the lag in samples).
    gain : {"lsq", "none"}

    Examples
    --------
    A planted lag and gain are recovered:

    >>> u = np.arange(0.0, 400.0, 2.0)
    >>> offsets = u[:100]
    >>> windows = np.sin(2 * np.pi * (offsets[:, None] + 10.0 * np.arange(40)) / 96.0)
    >>> a = align(-3.0 * windows[37] + 0.5, windows, offsets, step_um=10.0)
    >>> round(a.gain, 6), round(a.bias, 6), round(a.rho, 6)
    (3.0, 0.5, 1.0)
    >>> float((a.offset_um - offsets[37]) % 96.0)     # half a period away: the sign flip
    48.0
    """
    if gain not in GAIN_MODES:
        raise ValueError(f"gain must be one of {GAIN_MODES}, got {gain!r}")
    y = np.asarray(measured, dtype=np.float64)
    W = np.atleast_2d(np.asarray(windows, dtype=np.float64))
    offsets = np.asarray(offsets_um, dtype=np.float64)
    if offsets.size != W.shape[0]:
        raise ValueError(f"{offsets.size} offsets for {W.shape[0]} windows")
    rho = correlations(y, W)
    k = int(np.argmax(rho))
    w = W[k]
    if gain == "lsq":
        wc = w - w.mean()
        energy = float(np.dot(wc, wc))
        g = float(np.dot(wc, y - y.mean()) / energy) if energy > 0 else 0.0
    else:
        g = 1.0
    b = float(y.mean() - g * w.mean())
    return Alignment(index=k, offset_um=float(offsets[k]),
                     lag_samples=float((offsets[k] - offsets[0]) / step_um), rho=float(rho[k]),
                     gain=g, bias=b)

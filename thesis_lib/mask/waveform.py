"""From dichroic images to a waveform, and how good that waveform is (eqs. 3.2/3.4, §5.2).

* :func:`aggregate` — ``s_t = Σ_p M(p)·D_t(p)`` (eq. 3.2) or, with per-file
  displacements ``δ_t``, ``Σ_p M(p − δ_t)·D_t(p)`` (eq. 3.4, bilinear moving mask);
* :func:`sg_noise` — the thesis's waveform noise metric: the robust scale
  (1.4826 × median absolute deviation) of the residual left by a
  Savitzky–Golay trend;
* :func:`hf_ratio` — share of the waveform's energy above a quarter of its
  sampling rate (:func:`thesis_lib.metrics.hf_energy_ratio`, ``cutoff=0.25``:
  the upper half of the band up to Nyquist; the thesis does not state its edge);
* :func:`snr_vs_truth` — what the thesis could not measure: the SNR and
  correlation of ``s_t`` against the true magnetisation under the beam, after
  the best affine map (a mask fixes neither the gain nor the offset of
  ``s_t``).

References
----------
.. [1] A. Savitzky, M. J. E. Golay, "Smoothing and differentiation of data by
   simplified least squares procedures", Anal. Chem. 36, 1627 (1964).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import savgol_filter

from thesis_lib.metrics import hf_energy_ratio, pearson

from .registration import translate


def aggregate(images, mask, shifts=None) -> np.ndarray:
    """Signed aggregation of each image under a (possibly moving) mask.

    Parameters
    ----------
    images : (T, H, W) array_like or iterable of (H, W) arrays
        Dichroic images ``D_t`` (invalid pixels set to 0).
    mask : (H, W) array_like
        Signed binary or weighted mask.
    shifts : (T, 2) array_like, optional
        Footprint displacements ``δ_t`` (dy, dx); ``None`` is the static mask.

    Examples
    --------
    >>> D = np.stack([np.full((2, 2), v) for v in (1.0, -2.0)])
    >>> aggregate(D, np.array([[1.0, 0.0], [0.0, -1.0]])).tolist()
    [0.0, 0.0]
    >>> aggregate(D, np.array([[1.0, 1.0], [0.0, 0.0]])).tolist()
    [2.0, -4.0]
    """
    M = np.asarray(mask, dtype=np.float64)
    out = []
    for t, D in enumerate(images):
        D = np.asarray(D, dtype=np.float64)
        if D.shape != M.shape:
            raise ValueError(f"image {t} has shape {D.shape} but the mask is {M.shape}; "
                             "build the mask from a reference of the same detector")
        Mt = M if shifts is None else translate(M, np.asarray(shifts, dtype=np.float64)[t])
        out.append(float(np.sum(Mt * D)))
    return np.asarray(out)


def sg_trend(s, window: int = 7, polyorder: int = 2) -> np.ndarray:
    """Savitzky–Golay trend; the window shrinks (odd, > polyorder) for short series.

    Examples
    --------
    >>> t = np.arange(20.0)
    >>> np.allclose(sg_trend(0.5 * t ** 2 - t), 0.5 * t ** 2 - t)  # exact on quadratics
    True
    """
    s = np.asarray(s, dtype=np.float64)
    if s.ndim != 1 or s.size < polyorder + 2:
        raise ValueError(f"need a 1-D waveform of at least {polyorder + 2} samples, got shape "
                         f"{s.shape}")
    w = min(window, s.size if s.size % 2 else s.size - 1)
    smallest = polyorder + 1 if polyorder % 2 == 0 else polyorder + 2  # odd and > polyorder
    w = max(w, smallest)
    return savgol_filter(s, w, polyorder, mode="interp")


def sg_noise(s, window: int = 7, polyorder: int = 2) -> float:
    """Robust scale (1.4826·MAD) of ``s − sg_trend(s)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 1, 4000)
    >>> noisy = np.sin(2 * np.pi * 2 * t) + 0.1 * rng.standard_normal(t.size)
    >>> 0.07 < sg_noise(noisy, window=51) < 0.1  # below 0.1: the trend absorbs a little noise
    True
    """
    r = np.asarray(s, dtype=np.float64) - sg_trend(s, window, polyorder)
    return float(1.4826 * np.median(np.abs(r - np.median(r))))


def hf_ratio(s, cutoff: float = 0.25) -> float:
    """High-frequency energy share of a waveform (band edge ``cutoff`` × sampling rate)."""
    return hf_energy_ratio(s, cutoff)


def snr_vs_truth(s, s_true) -> dict:
    """SNR (dB) and Pearson correlation of ``s`` against the true ``s_t``.

    The truth is mapped by least squares onto the estimate (``g·s_true + c``);
    the SNR is the energy of that fitted signal (offset removed) over the energy
    of the residual. The sign of ``g`` is reported so that a polarity flip is
    visible rather than hidden.

    Examples
    --------
    >>> t = np.arange(100.0)
    >>> truth = np.sin(t / 5)
    >>> r = snr_vs_truth(3 * truth + 1 + 0.1 * np.cos(t / 3), truth)
    >>> round(r["gain"], 2), r["snr_db"] > 20, r["corr"] > 0.99
    (3.0, True, True)
    """
    y = np.asarray(s, dtype=np.float64)
    x = np.asarray(s_true, dtype=np.float64)
    if y.shape != x.shape or y.ndim != 1:
        raise ValueError(f"waveform {y.shape} and truth {x.shape} must be 1-D of equal length")
    design = np.stack([x, np.ones_like(x)], axis=1)
    (g, c), *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = g * x + c
    signal = fitted - fitted.mean()
    resid = y - fitted
    e_res = float(np.dot(resid, resid))
    snr = float("inf") if e_res == 0 else 10 * np.log10(np.dot(signal, signal) / e_res)
    return {"snr_db": float(snr), "corr": pearson(x, y), "gain": float(g), "offset": float(c)}


def waveform_metrics(s, s_true=None, window: int = 7, polyorder: int = 2,
                     cutoff: float = 0.25) -> dict:
    """Noise metric, its scale-free form, HF ratio and (given a truth) SNR/correlation.

    ``noise_rel`` divides the noise metric by the standard deviation of the
    trend, so that masks of different overall gain (a weighted mask sums
    smaller weights) can be compared.
    """
    s = np.asarray(s, dtype=np.float64)
    trend = sg_trend(s, window, polyorder)
    noise = sg_noise(s, window, polyorder)
    out = {"noise": noise, "noise_rel": noise / trend.std() if trend.std() > 0 else float("inf"),
           "hf_ratio": hf_ratio(s, cutoff)}
    if s_true is not None:
        out.update(snr_vs_truth(s, s_true))
    return out

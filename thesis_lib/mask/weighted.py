"""Weighted (soft, signed) mask of thesis §3.7, eqs. 3.17–3.21.

From the soft memberships of the two extreme clusters, ``γ⁺`` and ``γ⁻``:

* polarity ``s = γ⁺ − γ⁻`` (eq. 3.17) and extreme mass ``m = γ⁺ + γ⁻`` (3.18);
* signed confidence ``c = s·m = (γ⁺)² − (γ⁻)²`` (3.19);
* amplitude gate ``a = clip(|D| / perc_q(|D|), 0, 1)^γ`` with ``q = 99.5``
  and an optional floor percentile below which ``|D|`` counts as 0 (3.20);
* ``w = c·a`` (3.21), written back to the grid with 0 at invalid pixels,
  optionally Gaussian-smoothed, and clipped to ``[−1, 1]``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .features import check_image


def amplitude_gate(reference, valid=None, q: float = 99.5, gamma: float = 1.0,
                   floor_percentile: float | None = None) -> np.ndarray:
    """Amplitude gate ``a(p)`` of eq. 3.20 on the (H, W) grid (0 at invalid pixels).

    Percentiles are taken over the valid pixels only.

    Examples
    --------
    >>> D = np.linspace(-1, 1, 201).reshape(1, -1)
    >>> a = amplitude_gate(D, q=100.0, gamma=2.0)
    >>> float(a[0, 0]), float(a[0, 150])  # |D| = 1 -> 1; |D| = 0.5 -> 0.25
    (1.0, 0.25)
    """
    X, ok = check_image(reference, valid)
    mag = np.abs(X)
    scale = np.percentile(mag[ok], q)
    if scale <= 0:
        raise ValueError(f"the {q}th percentile of |D| is 0: the reference carries no contrast")
    if floor_percentile is not None:
        mag = np.where(mag < np.percentile(mag[ok], floor_percentile), 0.0, mag)
    gate = np.clip(mag / scale, 0.0, 1.0) ** gamma
    return np.where(ok, gate, 0.0)


def weighted_mask(gamma_pos, gamma_neg, reference, valid, q: float = 99.5, gamma: float = 1.0,
                  floor_percentile: float | None = None, smooth_sigma: float = 0.0) -> np.ndarray:
    """Signed weighted mask ``W ∈ [−1, 1]`` (eqs. 3.17–3.21).

    Parameters
    ----------
    gamma_pos, gamma_neg : (N,) array_like
        Memberships of the positive / negative extreme cluster for each valid
        pixel in C order.
    reference : (H, W) array_like
        Reference dichroic image ``D_ref`` (for the gate).
    valid : (H, W) array_like of bool
    q, gamma, floor_percentile
        Gate parameters of eq. 3.20 (thesis: q = 99.5).
    smooth_sigma : float
        Standard deviation (pixels) of the optional Gaussian smoothing; 0 = off.

    Examples
    --------
    >>> D = np.array([[2.0, -2.0, 1.0, 0.0]])
    >>> W = weighted_mask([1, 0, 1, 0.5], [0, 1, 0, 0.5], D, np.ones_like(D, bool), q=100)
    >>> W.tolist()  # c = (1, -1, 1, 0) times a = |D| / 2
    [[1.0, -1.0, 0.5, 0.0]]
    """
    X, ok = check_image(reference, valid)
    gp = np.asarray(gamma_pos, dtype=np.float64)
    gn = np.asarray(gamma_neg, dtype=np.float64)
    if gp.shape != (int(ok.sum()),) or gn.shape != gp.shape:
        raise ValueError(f"memberships have shapes {gp.shape}/{gn.shape}; expected one value per "
                         f"valid pixel ({int(ok.sum())})")
    polarity = gp - gn                       # eq. 3.17
    mass = gp + gn                           # eq. 3.18
    confidence = polarity * mass             # eq. 3.19
    W = np.zeros(ok.shape)
    W[ok] = confidence
    W *= amplitude_gate(X, ok, q, gamma, floor_percentile)   # eqs. 3.20-3.21
    if smooth_sigma > 0:
        W = ndimage.gaussian_filter(W, smooth_sigma, mode="constant")
        W[~ok] = 0.0
    return np.clip(W, -1.0, 1.0)

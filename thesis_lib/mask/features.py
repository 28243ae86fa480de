"""Five-dimensional pixel features of a dichroic reference image (thesis §3.4).

For every valid pixel ``p`` of the reference ``X = D_ref`` the feature vector is
(eqs. 3.6–3.11)

* ``f1 = X(p)`` — signed contrast,
* ``f2 = |X(p)|`` — contrast magnitude,
* ``f3 = μ_r(p)`` — mean over the ``(2r+1)²`` window,
* ``f4 = σ_r(p)`` — unbiased standard deviation over the same window,
* ``f5 = ||∇X(p)||₂`` — Sobel gradient magnitude,

then each coordinate is standardised over the valid pixels (eq. 3.12).

Invalid (saturated, hot, dead) pixels never enter a feature: the window
statistics are computed by *normalised convolution* — box sums of ``X·valid``
and of ``valid`` — so each window averages only the valid pixels it holds, and
the gradient is taken on an image whose invalid pixels were filled with that
local valid mean. Everything is a handful of ``scipy.ndimage`` box and Sobel
filters, O(HW) whatever ``r``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

#: Column order of :attr:`PixelFeatures.values` and ``raw`` (eqs. 3.6–3.11).
FEATURE_NAMES = ("X", "|X|", "local_mean", "local_std", "grad_mag")


def check_image(image, valid=None, *, name="reference image"):
    """Return ``(X float64, valid bool)`` after checking shape and finiteness.

    Non-finite pixels are treated as invalid (and set to 0) rather than
    propagated, because one NaN in a box filter would spread over a window.

    Raises
    ------
    ValueError
        If ``image`` is not 2-D, ``valid`` has another shape, or fewer than
        two valid pixels remain.
    """
    X = np.asarray(image, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (H, W) array, got shape {X.shape}; "
                         "average the frame stack first (thesis_lib.xmcd.double_difference)")
    ok = np.ones(X.shape, bool) if valid is None else np.asarray(valid, dtype=bool)
    if ok.shape != X.shape:
        raise ValueError(f"valid-pixel map of {name} has shape {ok.shape}, expected {X.shape}")
    ok = ok & np.isfinite(X)
    if ok.sum() < 2:
        raise ValueError(f"{name} has fewer than two valid pixels; check the detector's "
                         "invalid-pixel map or the saturation level")
    return np.where(ok, X, 0.0), ok


def local_moments(image, valid, radius: int = 7):
    """Windowed mean and unbiased std over the valid pixels of each window.

    Parameters
    ----------
    image : (H, W) array_like
        Image ``X``; values at invalid pixels are ignored.
    valid : (H, W) array_like of bool
        Valid-pixel map.
    radius : int
        Half-width ``r`` of the square window (side ``2r + 1``).

    Returns
    -------
    mean, std, count : ndarray
        Local mean (eq. 3.9), unbiased local standard deviation (eq. 3.10) and
        the number of valid pixels in each window. Windows are truncated at the
        image border (``mode="constant"`` with zero weight outside). Where a
        window holds fewer than two valid pixels the std is 0.

    Examples
    --------
    >>> X = np.arange(9.0).reshape(3, 3)
    >>> m, s, n = local_moments(X, np.ones((3, 3), bool), radius=1)
    >>> float(m[1, 1]), round(float(s[1, 1]), 6), int(n[1, 1])  # std of 0..8, ddof=1
    (4.0, 2.738613, 9)
    """
    X, ok = check_image(image, valid)
    if radius < 0:
        raise ValueError(f"window radius must be >= 0, got {radius}")
    size = 2 * radius + 1
    area = float(size * size)
    w = ok.astype(np.float64)
    # Box means times the window area give box sums; rint removes the round-off
    # of the counts, which must be integers.
    count = np.rint(ndimage.uniform_filter(w, size, mode="constant") * area)
    s1 = ndimage.uniform_filter(X * w, size, mode="constant") * area
    s2 = ndimage.uniform_filter(X * X * w, size, mode="constant") * area
    safe = np.maximum(count, 1.0)
    mean = s1 / safe
    # Sum of squared deviations; clipped at 0 against cancellation round-off.
    ssd = np.maximum(s2 - s1 * mean, 0.0)
    std = np.where(count > 1, np.sqrt(ssd / np.maximum(count - 1.0, 1.0)), 0.0)
    return mean, std, count


def gradient_magnitude(image, valid=None, radius: int = 7):
    """Sobel gradient magnitude in units of ``X`` per pixel.

    SciPy's Sobel kernel is ``[1, 2, 1] ⊗ [-1, 0, 1]``, which returns 8× the
    derivative of a linear ramp; dividing by 8 makes ``f5`` a plain
    derivative. Invalid pixels are first replaced by their local valid mean so
    that a dead pixel does not appear as a sharp edge.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:16, 0:16]
    >>> g = gradient_magnitude(3.0 * xx + 4.0 * yy)
    >>> float(g[8, 8])  # |(4, 3)| = 5 for the ramp 3x + 4y
    5.0
    """
    X, ok = check_image(image, valid)
    if not ok.all():
        mean, _, count = local_moments(X, ok, radius)
        X = np.where(ok, X, np.where(count > 0, mean, 0.0))
    gy = ndimage.sobel(X, axis=0, mode="nearest") / 8.0
    gx = ndimage.sobel(X, axis=1, mode="nearest") / 8.0
    return np.hypot(gx, gy)


@dataclass(frozen=True)
class PixelFeatures:
    """Standardised features of the valid pixels of one reference image.

    Attributes
    ----------
    values : (N, 5) ndarray
        Standardised features (eq. 3.12), one row per valid pixel in C order,
        columns in :data:`FEATURE_NAMES` order.
    raw : (N, 5) ndarray
        The same before standardisation.
    valid : (H, W) ndarray of bool
        Which pixels the rows belong to.
    mean, scale : (5,) ndarray
        Standardisation constants (mean and ``sqrt(var + eps)``).
    """

    values: np.ndarray
    raw: np.ndarray
    valid: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @property
    def shape(self):
        return self.valid.shape

    def to_image(self, per_pixel, fill=0.0):
        """Scatter a per-valid-pixel vector back onto the (H, W) grid."""
        per_pixel = np.asarray(per_pixel)
        out = np.full(self.shape + per_pixel.shape[1:], fill, dtype=per_pixel.dtype)
        out[self.valid] = per_pixel
        return out


def standardise(raw, eps: float = 1e-12):
    """Column-wise ``(f - mean) / sqrt(var + eps)`` (eq. 3.12).

    Examples
    --------
    >>> z, m, s = standardise(np.array([[1.0], [3.0]]))
    >>> np.round(z.ravel(), 9).tolist(), m.tolist()
    ([-1.0, 1.0], [2.0])
    """
    raw = np.asarray(raw, dtype=np.float64)
    mean = raw.mean(axis=0)
    scale = np.sqrt(raw.var(axis=0) + eps)
    return (raw - mean) / scale, mean, scale


def pixel_features(image, valid=None, radius: int = 7, eps: float = 1e-12) -> PixelFeatures:
    """Compute the standardised 5-D features of eqs. 3.6–3.12.

    Parameters
    ----------
    image : (H, W) array_like
        Reference dichroic image ``D_ref``.
    valid : (H, W) array_like of bool, optional
        Valid-pixel map; all pixels are valid when omitted.
    radius : int
        Window half-width ``r`` (thesis: 7).
    eps : float
        Regulariser of the standardisation (eq. 3.12).

    Returns
    -------
    PixelFeatures

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = pixel_features(rng.normal(size=(32, 32)), radius=2)
    >>> f.values.shape, np.allclose(f.values.mean(axis=0), 0.0)
    ((1024, 5), True)
    """
    X, ok = check_image(image, valid)
    mean, std, _ = local_moments(X, ok, radius)
    grad = gradient_magnitude(X, ok, radius)
    columns = {"X": X[ok], "|X|": np.abs(X[ok]), "local_mean": mean[ok], "local_std": std[ok],
               "grad_mag": grad[ok]}
    raw = np.stack([columns[name] for name in FEATURE_NAMES], axis=1)
    values, mu, scale = standardise(raw, eps)
    return PixelFeatures(values=values, raw=raw, valid=ok, mean=mu, scale=scale)

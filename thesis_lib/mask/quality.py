"""Mask quality in the detector plane (thesis §5.2) and against ground truth.

Detector-plane diagnostics need no truth: footprint area fraction, number of
connected components, convex-hull compactness, the mean reference value inside
each polarity ``μ₊``, ``μ₋`` and the polarity gap ``Δμ = μ₊ − μ₋``. On the
synthetic beamline the true footprint is known, so a mask can also be scored by
intersection over union, precision and recall per polarity.

Conventions (the thesis leaves them open): the area fraction is taken over the
valid pixels; components are 8-connected and counted separately for the
positive and negative support, then summed (a lobe of each sign is two
components); compactness is the selected area over the area of the convex hull
of the whole support.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.morphology import convex_hull_image

from .features import check_image

_EIGHT = np.ones((3, 3), dtype=bool)


def _signed(mask, name="mask"):
    M = np.asarray(mask, dtype=np.float64)
    if M.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {M.shape}")
    return np.sign(M)


def count_components(mask) -> int:
    """8-connected components of the positive plus the negative support.

    Examples
    --------
    >>> count_components(np.array([[1, 1, 0, -1], [0, 0, 0, -1], [1, 0, 0, 0]]))
    3
    """
    M = _signed(mask)
    return int(ndimage.label(M > 0, _EIGHT)[1] + ndimage.label(M < 0, _EIGHT)[1])


def compactness(mask) -> float:
    """Support area divided by the area of its convex hull (1 for a convex blob).

    Examples
    --------
    >>> compactness(np.pad(np.ones((4, 4)), 2))
    1.0
    """
    support = _signed(mask) != 0
    if not support.any():
        return 0.0
    hull = convex_hull_image(support)
    return float(support.sum() / max(hull.sum(), 1))


def detector_metrics(mask, reference, valid=None) -> dict:
    """Table 5.1 quantities of a signed mask on its reference image.

    Returns
    -------
    dict
        ``area_fraction``, ``components``, ``compactness``, ``mu_pos``,
        ``mu_neg``, ``polarity_gap`` (NaN means when a polarity is empty).

    Examples
    --------
    >>> D = np.array([[4.0, 0.0], [0.0, -2.0]])
    >>> m = detector_metrics(np.sign(D), D)
    >>> m["area_fraction"], m["polarity_gap"]
    (0.5, 6.0)
    """
    X, ok = check_image(reference, valid)
    M = _signed(mask)
    if M.shape != X.shape:
        raise ValueError(f"mask shape {M.shape} differs from reference shape {X.shape}")
    M = np.where(ok, M, 0.0)
    pos, neg = M > 0, M < 0
    mu_pos = float(X[pos].mean()) if pos.any() else float("nan")
    mu_neg = float(X[neg].mean()) if neg.any() else float("nan")
    return {
        "area_fraction": float((pos | neg).sum() / ok.sum()),
        "components": count_components(M),
        "compactness": compactness(M),
        "mu_pos": mu_pos,
        "mu_neg": mu_neg,
        "polarity_gap": mu_pos - mu_neg,
    }


def _iou(a, b):
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else float("nan")


def truth_metrics(mask, truth) -> dict:
    """Agreement of a signed mask with the true footprint (values in {−1, 0, 1}).

    ``signed_iou`` counts a pixel as matched only when both masks select it
    with the same sign: ``|{M = T ≠ 0}| / |{M ≠ 0} ∪ {T ≠ 0}|``.

    Examples
    --------
    >>> T = np.array([[1, 1, 0, -1]])
    >>> r = truth_metrics(np.array([[1, 0, 0, -1]]), T)
    >>> r["signed_iou"], r["pos"]["precision"], r["pos"]["recall"]
    (0.6666666666666666, 1.0, 0.5)
    """
    M = _signed(mask)
    T = _signed(truth, "truth footprint")
    if M.shape != T.shape:
        raise ValueError(f"mask shape {M.shape} differs from the true footprint {T.shape}")
    out = {}
    for name, sign in (("pos", 1.0), ("neg", -1.0)):
        m, t = M == sign, T == sign
        tp = np.logical_and(m, t).sum()
        out[name] = {"iou": _iou(m, t),
                     "precision": float(tp / m.sum()) if m.any() else float("nan"),
                     "recall": float(tp / t.sum()) if t.any() else float("nan")}
    union = np.logical_or(M != 0, T != 0).sum()
    out["signed_iou"] = float(((M == T) & (T != 0)).sum() / union) if union else float("nan")
    return out


def error_locations(mask, truth) -> dict:
    """Where a signed mask disagrees with the true footprint.

    Returns counts of ``false_positive`` pixels (selected, background in the
    truth), how many of them touch the true footprint (8-neighbourhood,
    ``false_positive_adjacent``), how many touch both lobes — the gap between
    them (``false_positive_in_gap``) — and in how many 8-connected pieces they
    lie (``false_positive_components``); ``false_negative`` (true lobe pixels
    left out) and ``wrong_sign`` (selected with the opposite polarity).

    Examples
    --------
    >>> T = np.array([[0, 1, 1, 0, -1, -1, 0, 0]])
    >>> M = np.array([[1, 1, 1, 1, -1, -1, 0, 1]])
    >>> r = error_locations(M, T)
    >>> r["false_positive"], r["false_positive_adjacent"], r["false_positive_in_gap"]
    (3, 2, 1)
    >>> r["false_positive_components"], r["false_negative"], r["wrong_sign"]
    (3, 0, 0)
    """
    M = _signed(mask)
    T = _signed(truth, "truth footprint")
    if M.shape != T.shape:
        raise ValueError(f"mask shape {M.shape} differs from the true footprint {T.shape}")
    fp = (M != 0) & (T == 0)
    near_pos = ndimage.binary_dilation(T > 0, _EIGHT)
    near_neg = ndimage.binary_dilation(T < 0, _EIGHT)
    return {"false_positive": int(fp.sum()),
            "false_positive_adjacent": int((fp & (near_pos | near_neg)).sum()),
            "false_positive_in_gap": int((fp & near_pos & near_neg).sum()),
            "false_positive_components": int(ndimage.label(fp, _EIGHT)[1]),
            "false_negative": int(((M == 0) & (T != 0)).sum()),
            "wrong_sign": int(((M != 0) & (T != 0) & (M != T)).sum())}

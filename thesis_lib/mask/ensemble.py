"""Ensembles of masks and a hyper-parameter grid search (thesis §7.1, proposed there only).

* :func:`consensus_mask` — pixel-wise vote of several signed masks (different
  back-ends or settings): a pixel keeps a polarity when at least
  ``min_agreement`` of the masks give it that polarity.
* :func:`grid_search` — every configuration of (K, r, smoothing σ, gate γ) is
  turned into a weighted k-means mask and scored by three *unsupervised*
  proxies §7.1 suggests, plus, on synthetic data, the ground-truth score:

  - ``coherence``: mean share of a selected pixel's 8 neighbours that carry the
    same polarity (1 for solid regions, low for speckle);
  - ``stability``: signed IoU between the binary masks built from two
    neighbouring reference images (e.g. two halves of a series);
  - ``waveform_noise``: scale-free Savitzky–Golay noise of the extracted
    waveform (lower is better, so the proxy is its negative).

* :func:`proxy_ranking` — Spearman rank correlation between each proxy and the
  truth score across configurations: how well each proxy would have chosen.

K and r change the clustering; σ and γ only re-weight, so each (K, r) is
clustered once and the weighting is recomputed for every (σ, γ).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage
from scipy.stats import spearmanr

from .establish import extreme_memberships
from .pipeline import build_mask
from .quality import truth_metrics
from .waveform import aggregate, snr_vs_truth, waveform_metrics
from .weighted import weighted_mask

PROXIES = ("coherence", "stability", "neg_waveform_noise")


def consensus_mask(masks, min_agreement: float = 0.5) -> np.ndarray:
    """Signed majority vote of binary or weighted masks (their signs vote).

    Examples
    --------
    >>> a = np.array([[1, 1, -1, 0]]); b = np.array([[1, 0, -1, 0]]); c = np.array([[1, -1, 0, 1]])
    >>> consensus_mask([a, b, c]).tolist()
    [[1.0, 0.0, -1.0, 0.0]]
    """
    S = np.sign(np.stack([np.asarray(m, dtype=np.float64) for m in masks]))
    if S.ndim != 3:
        raise ValueError("consensus needs a list of 2-D masks of one shape")
    if not 0 < min_agreement <= 1:
        raise ValueError(f"min_agreement must lie in (0, 1], got {min_agreement}")
    pos, neg = (S > 0).mean(axis=0), (S < 0).mean(axis=0)
    return np.where((pos >= min_agreement) & (pos > neg), 1.0,
                    np.where((neg >= min_agreement) & (neg > pos), -1.0, 0.0))


def coherence(mask) -> float:
    """Mean share of same-polarity 8-neighbours over the selected pixels.

    Examples
    --------
    >>> block = np.zeros((6, 6)); block[1:5, 1:5] = 1
    >>> coherence(block)  # (4 corners · 3 + 8 edges · 5 + 4 inner · 8) / (8 · 16)
    0.65625
    """
    S = np.sign(np.asarray(mask, dtype=np.float64))
    if not S.any():
        return 0.0
    kernel = np.ones((3, 3))
    kernel[1, 1] = 0
    same_pos = ndimage.convolve((S > 0).astype(float), kernel, mode="constant")
    same_neg = ndimage.convolve((S < 0).astype(float), kernel, mode="constant")
    share = np.where(S > 0, same_pos, same_neg) / 8.0
    return float(share[S != 0].mean())


def grid_search(reference, valid, images, grid: dict, reference_b=None, truth=None,
                s_true=None, seed: int = 0, sg_window: int = 7) -> list[dict]:
    """Score every configuration of ``grid`` with the proxies (and the truth if given).

    Parameters
    ----------
    reference : (H, W) array_like
        Reference image the masks are built from.
    valid : (H, W) bool array_like
    images : (T, H, W) array_like
        Dichroic images of a series, for the waveform proxy.
    grid : dict
        Lists of values for ``K``, ``radius``, ``sigma`` (smoothing) and ``gamma`` (gate).
    reference_b : (H, W) array_like, optional
        A second, neighbouring reference for the stability proxy.
    truth : (H, W) array_like, optional
        True footprint; adds ``truth_iou`` (binary mask).
    s_true : (T,) array_like, optional
        True waveform; adds ``truth_snr_db`` (weighted mask).

    Returns
    -------
    list of dict
        One record per configuration.
    """
    images = np.asarray(images, dtype=np.float64)
    records = []
    for K, r in itertools.product(grid["K"], grid["radius"]):
        res = build_mask(reference, valid, method="kmeans", radius=r, seed=seed,
                         cluster_kwargs={"n_clusters": K})
        binary = res.binary
        stab = float("nan")
        if reference_b is not None:
            other = build_mask(reference_b, valid, method="kmeans", radius=r, seed=seed,
                               cluster_kwargs={"n_clusters": K}).binary
            stab = truth_metrics(binary, other)["signed_iou"]
        gp, gn = extreme_memberships(res.clustering, res.established)
        for sigma, gamma in itertools.product(grid["sigma"], grid["gamma"]):
            W = weighted_mask(gp, gn, reference, res.features.valid, gamma=gamma,
                              smooth_sigma=sigma)
            s = aggregate(images, W)
            wm = waveform_metrics(s, window=sg_window)
            rec = {"K": K, "radius": r, "sigma": sigma, "gamma": gamma,
                   "coherence": coherence(binary), "stability": stab,
                   "neg_waveform_noise": -wm["noise_rel"]}
            if truth is not None:
                rec["truth_iou"] = truth_metrics(binary, truth)["signed_iou"]
            if s_true is not None:
                rec["truth_snr_db"] = snr_vs_truth(s, s_true)["snr_db"]
            records.append(rec)
    return records


def proxy_ranking(records, truth_key: str = "truth_snr_db") -> dict:
    """Spearman ρ between each proxy and ``truth_key`` across the configurations.

    NaN where a proxy is constant or missing (no ranking information).

    Examples
    --------
    >>> recs = [{"coherence": c, "stability": 1.0, "neg_waveform_noise": -c, "truth": c}
    ...         for c in (0.1, 0.5, 0.9)]
    >>> r = proxy_ranking(recs, "truth")
    >>> r["coherence"], r["neg_waveform_noise"], bool(np.isnan(r["stability"]))
    (1.0, -1.0, True)
    """
    truth = np.array([rec[truth_key] for rec in records], dtype=np.float64)
    out = {}
    for name in PROXIES:
        values = np.array([rec.get(name, np.nan) for rec in records], dtype=np.float64)
        ok = np.isfinite(values) & np.isfinite(truth)
        if ok.sum() < 3 or np.ptp(values[ok]) == 0 or np.ptp(truth[ok]) == 0:
            out[name] = float("nan")
        else:
            out[name] = float(spearmanr(values[ok], truth[ok]).statistic)
    return out

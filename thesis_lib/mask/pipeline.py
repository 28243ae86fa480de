"""Reference image → signed mask in one call: features, back-end, ranking, weighting.

This is what ``thesis mask`` and the chapters run; every step lives in its own
module and is tested there. Defaults are the thesis settings of §5.1
(``r = 7``; k-means K = 3, n_init = 10; GMM K = 3 full; DBSCAN ε = 0.75,
minPts = 25) and of §3.7 (q = 99.5). One default is ours: the binary mask is
refined on the pixel's own contrast (``refine="contrast"``, see
:mod:`.establish`), which removes the one-pixel halo the window features put
around thin lobes; ``refine=None`` gives the thesis rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .clustering import METHODS, Clustering, cluster
from .establish import EstablishedMask, establish_mask, extreme_memberships
from .features import PixelFeatures, pixel_features
from .weighted import weighted_mask


@dataclass
class MaskResult:
    """A mask and what produced it.

    Attributes
    ----------
    mask : (H, W) ndarray
        The mask to aggregate with: ``binary`` or, if requested, the weighted mask.
    binary : (H, W) ndarray in {−1, 0, +1}
        Established with the requested ``refine``.
    thesis_binary : (H, W) ndarray in {−1, 0, +1}
        The thesis's §3.6 rule on the same clustering (no refinement), kept
        so that chapters report both side by side.
    weighted : (H, W) ndarray in [−1, 1] or None
    clustering : Clustering
    established : EstablishedMask
    features : PixelFeatures
    params : dict
    """

    mask: np.ndarray
    binary: np.ndarray
    thesis_binary: np.ndarray
    weighted: np.ndarray | None
    clustering: Clustering
    established: EstablishedMask
    features: PixelFeatures
    params: dict = field(default_factory=dict)


def build_mask(reference, valid=None, method: str = "kmeans", weighted: bool = False,
               radius: int = 7, seed: int = 0, cluster_kwargs: dict | None = None,
               gate_q: float = 99.5, gate_gamma: float = 1.0,
               floor_percentile: float | None = None, smooth_sigma: float = 0.0,
               refine: str | None = "contrast") -> MaskResult:
    """Cluster the features of ``reference`` and establish a (weighted) signed mask.

    ``refine`` is passed to :func:`.establish_mask` (``None``: the thesis's
    §3.6 rule); the weighted mask does not depend on it — its amplitude gate
    already weighs halo pixels by their own contrast.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:48, 0:48]
    >>> D = (np.exp(-((yy - 16) ** 2 + (xx - 24) ** 2) / 30)
    ...      - np.exp(-((yy - 32) ** 2 + (xx - 24) ** 2) / 30))
    >>> res = build_mask(D + 0.01 * np.random.default_rng(0).normal(size=D.shape), radius=2)
    >>> res.binary[16, 24], res.binary[32, 24], res.binary[2, 2]
    (np.float64(1.0), np.float64(-1.0), np.float64(0.0))
    """
    if method not in METHODS:
        raise ValueError(f"unknown mask method {method!r}; choose one of {METHODS}")
    feats = pixel_features(reference, valid, radius=radius)
    result = cluster(feats, method, seed=seed, **(cluster_kwargs or {}))
    est = establish_mask(result, reference, feats.valid, refine=refine)
    W = None
    if weighted:
        gp, gn = extreme_memberships(result, est)
        W = weighted_mask(gp, gn, reference, feats.valid, q=gate_q, gamma=gate_gamma,
                          floor_percentile=floor_percentile, smooth_sigma=smooth_sigma)
    params = {"method": method, "weighted": weighted, "radius": radius, "seed": seed,
              "cluster": result.params, "gate_q": gate_q, "gate_gamma": gate_gamma,
              "floor_percentile": floor_percentile, "smooth_sigma": smooth_sigma,
              "refine": refine}
    thesis = est.mask if refine is None else establish_mask(result, reference, feats.valid).mask
    return MaskResult(mask=W if weighted else est.mask, binary=est.mask, thesis_binary=thesis,
                      weighted=W,
                      clustering=result, established=est, features=feats, params=params)

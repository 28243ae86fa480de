"""Clustering back-ends for mask discovery (thesis §3.5, settings of §5.1).

Three scikit-learn estimators group the standardised feature cloud:

* :func:`cluster_kmeans` — k-means, ``K = 3``, ``n_init = 10``, fixed seed;
  soft memberships from a distance softmax (§3.7);
* :func:`cluster_gmm` — Gaussian mixture fitted by EM, ``K = 3``, full
  covariance; soft memberships are the posterior responsibilities;
* :func:`cluster_dbscan` — DBSCAN, ``ε = 0.75``, ``minPts = 25``, label −1
  is noise.

Exact DBSCAN on every pixel of a 1024² frame does not fit in memory: the
neighbourhood graph of dense feature regions holds billions of edges. The
bounded strategy used here, when there are more than ``max_fit`` points, is

1. draw a seeded uniform subsample of ``max_fit`` points;
2. decide which sampled points are *core* exactly, against the **full**
   cloud: the distance to the ``minPts``-th nearest neighbour (KD-tree) is at
   most ``ε`` (memory O(N));
3. link core samples closer than ``ε`` (connected components of the core
   graph — what DBSCAN's expansion does);
4. give every point the label of its nearest core sample if that is within
   ``ε`` (it is a core or border point of that cluster), else noise.

Memory is O(N + max_fit · neighbours); with ``max_fit >= N`` the procedure is
exact DBSCAN (up to the order-dependent choice of cluster for border points
that touch two clusters). Tests measure the agreement on small frames when
the sample is smaller than the frame.

k-means and the GMM are bounded the same way by default (``fit_sample="auto"``):
above :data:`AUTO_FIT_SAMPLE` rows they are fitted on a seeded uniform
subsample of that many rows and then *predict* every row (nearest centroid,
posterior responsibilities) — the fit/predict split scikit-learn's
estimators offer. Three centroids or three Gaussians in 5-D are estimated
from 200 000 points with a standard error far below the spread of the
clusters, whereas the EM of a full-covariance GMM over all 10⁶ pixels of a
1024² frame dominates the cost of Table 5.1. Frames up to ~450² pixels (the
``quick`` profile: 128²) are fitted on every pixel, as the thesis does;
``fit_sample=None`` forces the exact full fit at any size.
BLAS runs single-threaded inside both fits: the matrices are N × 5, too thin
for threads to pay off, and on a loaded machine extra BLAS threads only
compete for cores. scikit-learn's own OpenMP loops of k-means are left to
``OMP_NUM_THREADS``.
Agreement with the full fit needs enough rows of the smallest cluster in the
subsample, not a fixed fraction of the frame: with a footprint of a few per
cent of the pixels, 200 000 rows hold thousands of lobe rows, while a
subsample with only about a hundred lobe rows can leave k-means in another
local optimum. The tests check the agreement on small frames;
``benchmarks/mask.py`` reports it, and the run times, at 1024².

References
----------
.. [1] S. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28 (1982).
.. [2] A. P. Dempster, N. M. Laird, D. B. Rubin, "Maximum likelihood from
   incomplete data via the EM algorithm", J. R. Stat. Soc. B 39 (1977).
.. [3] M. Ester, H.-P. Kriegel, J. Sander, X. Xu, "A density-based algorithm for
   discovering clusters in large spatial databases with noise", KDD 1996.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import DBSCAN, KMeans
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KDTree, NearestNeighbors
from threadpoolctl import threadpool_limits

METHODS = ("kmeans", "gmm", "dbscan")

#: Rows above which ``fit_sample="auto"`` fits k-means / GMM on a subsample of this size.
AUTO_FIT_SAMPLE = 200_000


@dataclass
class Clustering:
    """Result of one back-end on the feature rows.

    Attributes
    ----------
    method : str
    labels : (N,) ndarray of int
        Cluster index per row; −1 marks DBSCAN noise.
    responsibilities : (N, K) ndarray or None
        Soft memberships (rows sum to 1) where the back-end provides them.
    params : dict
        The settings used, for provenance.
    """

    method: str
    labels: np.ndarray
    responsibilities: np.ndarray | None = None
    params: dict = field(default_factory=dict)

    @property
    def cluster_ids(self) -> np.ndarray:
        """Distinct non-noise labels, ascending."""
        ids = np.unique(self.labels)
        return ids[ids >= 0]


def _as_rows(features) -> np.ndarray:
    X = getattr(features, "values", features)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"features must be an (N, d) array with N >= 2, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("features contain NaN or inf; compute them with "
                         "thesis_lib.mask.features.pixel_features, which excludes invalid pixels")
    return X


def distance_softmax(sq_distances, temperature: float = 1.0) -> np.ndarray:
    """Soft k-means memberships ``γ_k ∝ exp(−d_k² / T)`` (thesis §3.7).

    ``T`` is in units of squared standardised-feature distance: ``T → 0``
    gives the hard assignment, ``T → ∞`` uniform memberships. Computed with
    the minimum distance subtracted for numerical stability.

    Examples
    --------
    >>> g = distance_softmax(np.array([[0.0, 1.0]]), temperature=1.0)
    >>> round(float(g[0, 0]), 6), round(float(g[0, 0] / g[0, 1]), 6)  # ratio e
    (0.731059, 2.718282)
    """
    if temperature <= 0:
        raise ValueError(f"softmax temperature must be > 0, got {temperature}")
    d = np.asarray(sq_distances, dtype=np.float64)
    logits = -(d - d.min(axis=1, keepdims=True)) / temperature
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def cluster_kmeans(features, n_clusters: int = 3, n_init: int = 10, seed: int = 0,
                   temperature: float = 1.0, fit_sample: int | None | str = "auto") -> Clustering:
    """k-means on the feature rows (eq. 3.13) with distance-softmax memberships.

    Parameters
    ----------
    features : (N, d) array or PixelFeatures
    n_clusters, n_init, seed
        Thesis §5.1: 3, 10, fixed.
    temperature : float
        Softmax temperature of :func:`distance_softmax`.
    fit_sample : int, None or "auto"
        Fit the centroids on a seeded subsample of this many rows and assign
        all rows to the nearest centroid; ``None`` fits on all rows as the
        thesis does; ``"auto"`` (default) subsamples :data:`AUTO_FIT_SAMPLE`
        rows only when there are more (module docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> pts = np.concatenate([rng.normal(c, 0.1, (50, 2)) for c in (-3, 0, 3)])
    >>> res = cluster_kmeans(pts)
    >>> len(res.cluster_ids), np.allclose(res.responsibilities.sum(axis=1), 1)
    (3, True)
    """
    X = _as_rows(features)
    model = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed)
    fit_sample = resolve_fit_sample(fit_sample, X.shape[0])
    fit_rows = _subsample(X, fit_sample, seed)
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(fit_rows)
        sq = model.transform(X) ** 2
    labels = np.argmin(sq, axis=1)
    return Clustering("kmeans", labels, distance_softmax(sq, temperature),
                      {"n_clusters": n_clusters, "n_init": n_init, "seed": seed,
                       "temperature": temperature, "fit_sample": fit_sample})


def cluster_gmm(features, n_clusters: int = 3, covariance_type: str = "full", seed: int = 0,
                fit_sample: int | None | str = "auto") -> Clustering:
    """Gaussian mixture by EM (eq. 3.14); labels are the MAP components.

    ``fit_sample`` as in :func:`cluster_kmeans`: EM on a seeded subsample,
    responsibilities predicted for every row.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> pts = np.concatenate([rng.normal(c, 0.1, (50, 2)) for c in (-3, 0, 3)])
    >>> res = cluster_gmm(pts)
    >>> len(res.cluster_ids), bool(res.responsibilities.max(axis=1).min() > 0.99)
    (3, True)
    """
    X = _as_rows(features)
    model = GaussianMixture(n_components=n_clusters, covariance_type=covariance_type,
                            random_state=seed)
    fit_sample = resolve_fit_sample(fit_sample, X.shape[0])
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(_subsample(X, fit_sample, seed))
        gamma = model.predict_proba(X)
    return Clustering("gmm", np.argmax(gamma, axis=1), gamma,
                      {"n_clusters": n_clusters, "covariance_type": covariance_type,
                       "seed": seed, "fit_sample": fit_sample})


def cluster_dbscan(features, eps: float = 0.75, min_samples: int = 25, max_fit: int = 20_000,
                   seed: int = 0, chunk: int = 200_000) -> Clustering:
    """DBSCAN with the bounded-memory subsample strategy of the module docstring.

    Parameters
    ----------
    features : (N, d) array or PixelFeatures
    eps, min_samples
        Thesis §5.1: 0.75 and 25.
    max_fit : int or None
        Size of the subsample of the bounded strategy; ``None`` runs
        scikit-learn's exact DBSCAN on every row (small frames only).
    seed : int
        Seed of the subsample.
    chunk : int
        Rows per nearest-neighbour query when assigning the rest.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> pts = np.concatenate([rng.normal(0, 0.05, (200, 2)), [[9.0, 9.0]]])
    >>> res = cluster_dbscan(pts, eps=0.5, min_samples=5)
    >>> res.cluster_ids.tolist(), int(res.labels[-1])  # one cluster, an outlier as noise
    ([0], -1)
    """
    X = _as_rows(features)
    n = X.shape[0]
    params = {"eps": eps, "min_samples": min_samples, "max_fit": max_fit, "seed": seed}
    if max_fit is None:
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit(X).labels_
        return Clustering("dbscan", labels.astype(np.int64), None, {**params, "exact": True})
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n, size=min(max_fit, n), replace=False))
    sample = X[idx]
    # Exact core test against the full cloud: a point is core when its min_samples-th
    # nearest neighbour (itself included, as in scikit-learn) lies within eps. A
    # k-nearest query costs O(log N) per point, whereas counting whole eps-balls costs
    # their size, ~10^5 points in the dense background of a 1024^2 frame.
    kth, _ = KDTree(X).query(sample, k=min(min_samples, n))
    core_rows = sample[kth[:, -1] <= eps] if n >= min_samples else sample[:0]
    labels = np.full(n, -1, dtype=np.int64)
    if core_rows.shape[0]:
        core_labels = DBSCAN(eps=eps, min_samples=1).fit(core_rows).labels_
        nn = NearestNeighbors(n_neighbors=1).fit(core_rows)
        for start in range(0, n, chunk):
            dist, nearest = nn.kneighbors(X[start:start + chunk])
            hit = dist[:, 0] <= eps
            labels[start:start + chunk][hit] = core_labels[nearest[hit, 0]]
    return Clustering("dbscan", labels, None, {**params, "exact": max_fit >= n})


def cluster(features, method: str, seed: int = 0, **kwargs) -> Clustering:
    """Dispatch to one back-end by name (``kmeans``, ``gmm`` or ``dbscan``)."""
    funcs = {"kmeans": cluster_kmeans, "gmm": cluster_gmm, "dbscan": cluster_dbscan}
    if method not in funcs:
        raise ValueError(f"unknown clustering method {method!r}; choose one of {METHODS}")
    return funcs[method](features, seed=seed, **kwargs)


def resolve_fit_sample(fit_sample, n_rows: int):
    """The subsample size a back-end fits on: ``None`` means every row.

    Examples
    --------
    >>> resolve_fit_sample("auto", 128 ** 2), resolve_fit_sample("auto", 1024 ** 2)
    (None, 200000)
    >>> resolve_fit_sample(None, 10 ** 7), resolve_fit_sample(5000, 100)
    (None, None)
    """
    if isinstance(fit_sample, str):
        if fit_sample != "auto":
            raise ValueError(f"fit_sample must be an int, None or 'auto', got {fit_sample!r}")
        fit_sample = AUTO_FIT_SAMPLE
    if fit_sample is None or fit_sample >= n_rows:
        return None
    if fit_sample < 2:
        raise ValueError(f"fit_sample must be at least 2 rows, got {fit_sample}")
    return int(fit_sample)


def _subsample(X, size, seed):
    if size is None or size >= X.shape[0]:
        return X
    rng = np.random.default_rng(seed)
    return X[np.sort(rng.choice(X.shape[0], size=size, replace=False))]

"""Posterior summaries, calibration scores and conformal recalibration.

K posterior samples of a waveform, shape ``(K, T)``, are summarised by their mean, their
per-sample standard deviation and a central interval. Against the clean signal the
samples are scored by the coverage of the interval, the continuous ranked probability
score (CRPS) of the sample ensemble, the spread–skill ratio and the rank correlation
between predicted spread and actual error over time–frequency tiles.

Diffusion posterior samplers are known to be under-dispersed (their spread is smaller
than their error). :class:`ConformalScale` fits one factor q so that ``mean ± q·sd``
covers the clean signal at the nominal rate (split-conformal prediction, Vovk et al.
2005; Angelopoulos & Bates 2023). Split conformal prediction assumes that the clips it is
fitted on and the clips it is applied to are exchangeable. Excerpts of one piece of music
are not exchangeable with those of another, so when the held-out clips come from a few
tracks, :func:`cross_conformal_scales` fits the factor of each track on the *other*
tracks only (leave one group out: the cross-conformal scheme of Vovk 2015 with the
groups of Barber et al. 2021 and Dunn et al. 2023) and every track weighs the same.
Neighbouring samples are dependent and the tracks are few, so no finite-sample guarantee
holds here; coverage is always measured on clips the factor was not fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, spearmanr
from scipy.stats import t as student_t


def _samples(samples) -> np.ndarray:
    s = np.asarray(samples, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] < 1:
        raise ValueError(f"posterior samples must have shape (K, T) with K ≥ 1, got {s.shape}")
    return s


def interval_factor(level: float, k: int | None = None) -> float:
    """Half-width of the central ``level`` interval in units of the sample sd.

    For K samples (``k``) this is the predictive interval of one more exchangeable draw,
    t_{K−1}·√(1 + 1/K): mean and sd are estimated from the samples themselves. Without
    ``k`` it is the Gaussian quantile.

    Examples
    --------
    >>> round(interval_factor(0.9), 3), round(interval_factor(0.9, 8), 3)
    (1.645, 2.01)
    """
    if k is None:
        return float(norm.ppf(0.5 + level / 2))
    if k < 2:
        raise ValueError("an interval from samples needs K ≥ 2")
    return float(student_t.ppf(0.5 + level / 2, k - 1) * np.sqrt(1 + 1 / k))


def summarise(samples, level: float = 0.9) -> dict:
    """Mean, sd (ddof 1, 0 for K = 1) and the predictive ``level`` interval of K samples."""
    s = _samples(samples)
    mean = s.mean(0)
    k = s.shape[0]
    sd = s.std(0, ddof=1) if k > 1 else np.zeros_like(mean)
    z = interval_factor(level, k) if k > 1 else 0.0
    return {"mean": mean, "sd": sd, "lower": mean - z * sd, "upper": mean + z * sd}


def coverage(clean, mean, sd, level: float = 0.9, k: int | None = None) -> float:
    """Fraction of samples of ``clean`` inside ``mean ± interval_factor(level, k)·sd``."""
    z = interval_factor(level, k)
    return float(np.mean(np.abs(np.asarray(clean) - mean) <= z * sd))


def crps_ensemble(clean, samples) -> float:
    """Mean CRPS of the empirical distribution of the samples, E|X − x| − ½E|X − X'|.

    Examples
    --------
    >>> crps_ensemble(np.zeros(1), np.zeros((4, 1)))
    0.0
    >>> round(crps_ensemble(np.zeros(1), np.array([[1.0], [-1.0]])), 6)
    0.5
    """
    s = np.sort(_samples(samples), axis=0)
    k = s.shape[0]
    x = np.asarray(clean, dtype=np.float64)
    first = np.abs(s - x[None]).mean(0)
    weights = (2 * np.arange(1, k + 1) - k - 1)[:, None]
    second = (weights * s).sum(0) / k ** 2
    return float(np.mean(first - second))


def spread_skill(clean, samples) -> float:
    """Ensemble spread over the error of the ensemble mean, √((K+1)/K)·spread / RMSE.

    One for a calibrated ensemble; below one for an under-dispersed one.
    """
    s = _samples(samples)
    k = s.shape[0]
    if k < 2:
        raise ValueError("the spread–skill ratio needs K ≥ 2 samples")
    rmse = np.sqrt(np.mean((s.mean(0) - clean) ** 2))
    spread = np.sqrt(np.mean(s.var(0, ddof=1)))
    return float(np.sqrt((k + 1) / k) * spread / max(rmse, 1e-300))


def tile_spread_error(clean, samples, *, n_fft: int = 256, tile=(8, 4)):
    """Predicted spread and actual error per time–frequency tile, as two flat arrays.

    Per STFT coefficient the predicted spread is the mean squared deviation of the
    samples' coefficients from their mean and the error is the squared distance of that
    mean from the clean coefficient; both are averaged (as energies) over tiles of
    ``tile`` = (frequency bins, frames).
    """
    from scipy.signal import stft

    s = _samples(samples)
    _, _, spec = stft(np.vstack([s, np.asarray(clean)[None]]), nperseg=n_fft,
                      noverlap=n_fft // 2)
    est, ref = spec[:-1], spec[-1]
    mean = est.mean(0)
    spread = np.mean(np.abs(est - mean) ** 2, axis=0)
    error = np.abs(mean - ref) ** 2
    f, t = tile
    nf, nt = (spread.shape[0] // f) * f, (spread.shape[1] // t) * t
    if nf == 0 or nt == 0:
        raise ValueError("the clip is too short for one time–frequency tile")

    def pool(a):
        return a[:nf, :nt].reshape(nf // f, f, nt // t, t).mean((1, 3)).ravel()

    return pool(spread), pool(error)


def tile_rank_correlation(clean, samples, *, n_fft: int = 256, tile=(8, 4)) -> float:
    """Spearman correlation over time–frequency tiles between predicted spread and error
    (:func:`tile_spread_error`)."""
    spread, error = tile_spread_error(clean, samples, n_fft=n_fft, tile=tile)
    return float(spearmanr(spread, error).statistic)


def _weighted_rank_quantile(scores, weights, level: float) -> float:
    """Smallest score whose cumulative weight reaches ``level·(W + 1)``, W the total weight.

    With unit weights this is the split-conformal rank ⌈(n + 1)·level⌉ (the test point
    counts as one more unit of weight); beyond the largest score it is the largest score.
    """
    order = np.argsort(scores, kind="stable")
    cumulative = np.cumsum(weights[order])
    # the factor 1 − 1e-12 keeps rounding in the cumulative sum from moving an exact
    # integer rank (unit weights) up by one
    rank = np.searchsorted(cumulative, level * (cumulative[-1] + 1) * (1 - 1e-12))
    return float(scores[order[min(rank, scores.size - 1)]])


@dataclass(frozen=True)
class ConformalScale:
    """Conformal multiplier q such that ``mean ± q·sd`` covers at ``level``.

    ``n`` is the number of scores (signal samples) it was fitted on.
    """

    q: float
    level: float
    n: int

    @classmethod
    def fit(cls, clean, means, sds, level: float = 0.9, *, weights=None) -> ConformalScale:
        """Fit on held-out clips: lists of clean signals, posterior means and sds.

        ``weights`` (one non-negative number per clip, default one) is the weight of each
        sample of that clip; the weights are rescaled to a mean of one per sample, so that
        the finite-sample rank correction stays that of n unit-weight scores.
        """
        parts = [np.abs(np.asarray(c) - m) / np.maximum(s, 1e-12)
                 for c, m, s in zip(clean, means, sds, strict=True)]
        scores = np.concatenate(parts) if parts else np.zeros(0)
        if scores.size == 0:
            raise ValueError("conformal recalibration needs at least one held-out sample")
        if weights is None:
            per_sample = np.ones(scores.size)
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (len(parts),) or not np.all(np.isfinite(w)) or np.any(w < 0) \
                    or not w.sum() > 0:
                raise ValueError(f"conformal weights must be {len(parts)} finite non-negative "
                                 "numbers (one per clip), not all zero")
            per_sample = np.repeat(w, [p.size for p in parts])
            per_sample *= scores.size / per_sample.sum()
        return cls(_weighted_rank_quantile(scores, per_sample, level), float(level),
                   int(scores.size))

    def interval(self, mean, sd):
        return mean - self.q * sd, mean + self.q * sd

    def coverage(self, clean, mean, sd) -> float:
        return float(np.mean(np.abs(np.asarray(clean) - mean) <= self.q * sd))

    @property
    def sd_factor(self) -> float:
        """The equivalent inflation of the sd for a Gaussian ``level`` interval."""
        return self.q / float(norm.ppf(0.5 + self.level / 2))


def cross_conformal_scales(clean, means, sds, groups, *,
                           level: float = 0.9) -> dict[object, ConformalScale]:
    """Leave-one-group-out conformal scales: each group's factor fitted on the others.

    Parameters
    ----------
    clean, means, sds : sequences of arrays
        One clean signal, posterior mean and posterior sd per clip.
    groups : sequence
        The group (e.g. the source track) of each clip.
    level : float
        Nominal coverage of the rescaled interval.

    Returns
    -------
    dict
        ``{group: ConformalScale}``, the scale to apply to that group's clips, fitted on
        the clips of every other group with each group weighted equally (its samples
        share one unit of weight, however many clips and samples it holds).

    Notes
    -----
    This is the cross-conformal predictor of Vovk (2015) with one fold per group, the
    grouping that keeps clips of one source together (Barber et al. 2021 for the
    leave-one-out form; the equal weighting of groups is the CDF pooling of Dunn et al.
    2023, whose coverage for exchangeable groups is asymptotic in their number). It
    does not use a clip to fit the factor that is applied to it. Its coverage is
    nominal on average over groups when groups are exchangeable; with few groups the
    coverage of a single group scatters with the between-group spread of the factor.

    References
    ----------
    Vovk, V. (2015). Cross-conformal predictors. Ann. Math. Artif. Intell. 74, 9–28.
    Barber, R. F., Candès, E. J., Ramdas, A., Tibshirani, R. J. (2021). Predictive
    inference with the jackknife+. Ann. Statist. 49, 486–507.
    Dunn, R., Wasserman, L., Ramdas, A. (2023). Distribution-free prediction sets for
    two-layer hierarchical models. J. Amer. Statist. Assoc. 118, 2491–2502.
    """
    groups = list(groups)
    clean, means, sds = list(clean), list(means), list(sds)
    if not len(clean) == len(means) == len(sds) == len(groups):
        raise ValueError("cross-conformal scales need one group per clip: got "
                         f"{len(clean)} clips and {len(groups)} groups")
    names = list(dict.fromkeys(groups))
    if len(names) < 2:
        raise ValueError("cross-conformal scales need clips of at least two groups "
                         f"(tracks), got {len(names)}")
    samples = dict.fromkeys(names, 0)
    for c, g in zip(clean, groups, strict=True):
        samples[g] += np.size(c)
    scales = {}
    for held in names:
        keep = [i for i, g in enumerate(groups) if g != held]
        scales[held] = ConformalScale.fit([clean[i] for i in keep], [means[i] for i in keep],
                                          [sds[i] for i in keep], level,
                                          weights=[1 / samples[groups[i]] for i in keep])
    return scales

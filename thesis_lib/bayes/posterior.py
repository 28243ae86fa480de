"""Posterior summaries, calibration scores and split-conformal recalibration.

K posterior samples of a waveform, shape ``(K, T)``, are summarised by their mean, their
per-sample standard deviation and a central interval. Against the clean signal the
samples are scored by the coverage of the interval, the continuous ranked probability
score (CRPS) of the sample ensemble, the spread–skill ratio and the rank correlation
between predicted spread and actual error over time–frequency tiles.

Diffusion posterior samplers are known to be under-dispersed (their spread is smaller
than their error). :class:`ConformalScale` fits one factor on a validation split so that
``mean ± q·sd`` covers the clean signal at the nominal rate (split-conformal prediction,
Vovk et al. 2005; Angelopoulos & Bates 2023) and is then applied unchanged to test clips.
Neighbouring samples are dependent, so the finite-sample guarantee of conformal
prediction is not exact here; coverage is therefore always re-measured on the test split.
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


@dataclass(frozen=True)
class ConformalScale:
    """Split-conformal multiplier q such that ``mean ± q·sd`` covers at ``level``."""

    q: float
    level: float
    n: int

    @classmethod
    def fit(cls, clean, means, sds, level: float = 0.9) -> ConformalScale:
        """Fit on validation clips: lists of clean signals, posterior means and sds."""
        scores = np.concatenate([np.abs(np.asarray(c) - m) / np.maximum(s, 1e-12)
                                 for c, m, s in zip(clean, means, sds, strict=True)])
        if scores.size == 0:
            raise ValueError("conformal recalibration needs at least one validation sample")
        n = scores.size
        rank = min(int(np.ceil((n + 1) * level)), n)
        return cls(float(np.sort(scores)[rank - 1]), float(level), int(n))

    def interval(self, mean, sd):
        return mean - self.q * sd, mean + self.q * sd

    def coverage(self, clean, mean, sd) -> float:
        return float(np.mean(np.abs(np.asarray(clean) - mean) <= self.q * sd))

    @property
    def sd_factor(self) -> float:
        """The equivalent inflation of the sd for a Gaussian ``level`` interval."""
        return self.q / float(norm.ppf(0.5 + self.level / 2))

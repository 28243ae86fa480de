"""Model-misfit diagnostic: does the emulator explain this recording?

Given an observation y and an estimate x̂ of the clean signal (the supervised denoiser's
output or a posterior mean), the surrogate predicts y ~ N(μ(x̂), ν(x̂)). Under the
emulator the whitened residual r = (y − μ)/√ν has unit variance. :func:`misfit_score`
returns the log of its mean square, log(mean r²), and the score |log(mean r²)|: a
recording whose residual is larger than the surrogate's noise (structure it cannot
attribute to the emulator) or smaller (a cleaner or differently filtered recording that the
estimate fits too well) scores high. The one-sided NLL excess ½(mean r² − 1) is returned as
well; it misses the second kind, which the chapter shows for the clipping/reverb chain.
:func:`roc_auc` summarises how well a score separates two populations.

The mean square alone is a weak test: a foreign chain can leave a residual of about the
right size but the wrong shape. :func:`residual_features` therefore describes the whole
distribution of the whitened residual — its log power in frequency bands (white and of unit
power under the emulator), its excess kurtosis (zero for Gaussian noise) and its lag-one
autocorrelation — and :class:`MisfitReference` learns what those features look like on
emulator outputs only (mean and Ledoit–Wolf shrunk covariance, Ledoit & Wolf 2004) and
scores a new recording by its Mahalanobis distance from them. Nothing about the foreign
chains enters the fit, so the diagnostic stays unsupervised with respect to them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.signal import welch
from scipy.stats import kurtosis, rankdata

from .surrogate import Surrogate


@torch.no_grad()
def _residual_and_log_variance(surrogate: Surrogate, y, x_hat):
    y = torch.as_tensor(np.asarray(y, dtype=np.float32))[None, None]
    x = torch.as_tensor(np.asarray(x_hat, dtype=np.float32))[None, None]
    if y.shape != x.shape:
        raise ValueError(f"observation and estimate differ in length: {y.shape[-1]} vs "
                         f"{x.shape[-1]} samples")
    mu, log_var = surrogate(x)
    residual = ((y - mu) * torch.exp(-0.5 * log_var))[0, 0].numpy().astype(np.float64)
    return residual, log_var


def whitened_residual(surrogate: Surrogate, y, x_hat) -> np.ndarray:
    """``(y − μ_ψ(x̂)) / √ν_ψ(x̂)`` of 1-D ``y`` and estimate ``x_hat`` (equal lengths)."""
    return _residual_and_log_variance(surrogate, y, x_hat)[0]


def residual_features(residual, *, bands: int = 8, nperseg: int = 256) -> np.ndarray:
    """Shape descriptors of a whitened residual: ``bands + 3`` numbers.

    The log of the residual's mean power in ``bands`` equal-width frequency bands (Welch
    periodogram normalised so that unit white noise gives 0 in every band), then its excess
    kurtosis, its lag-one autocorrelation and the log of its mean square.

    Examples
    --------
    >>> f = residual_features(np.random.default_rng(0).standard_normal(64_000))
    >>> bool(np.all(np.abs(f) < 0.1))
    True
    """
    r = np.asarray(residual, dtype=np.float64)
    if r.ndim != 1 or r.size < 2 * nperseg:
        raise ValueError(f"the residual must be 1-D with at least {2 * nperseg} samples, "
                         f"got shape {r.shape}")
    _, psd = welch(r, fs=2.0, nperseg=nperseg)  # unit white noise: one-sided PSD = 1
    edges = np.linspace(0, psd.size, bands + 1).round().astype(int)
    band_power = [psd[a:b].mean() for a, b in zip(edges[:-1], edges[1:], strict=True)]
    ms = float(np.mean(r ** 2))
    lag1 = float(np.mean(r[1:] * r[:-1]) / max(ms, 1e-300))
    return np.array([*np.log(np.maximum(band_power, 1e-300)),
                     float(kurtosis(r, fisher=True)), lag1, math.log(max(ms, 1e-300))])


@dataclass(frozen=True)
class MisfitReference:
    """Where the residual features of emulator outputs lie: mean and shrunk precision.

    ``score`` is the squared Mahalanobis distance of a recording's features from the
    emulator outputs the reference was fitted on (about the number of features for a new
    emulator output, much larger for a recording the emulator does not explain).
    """

    mean: np.ndarray
    precision: np.ndarray
    n: int

    @classmethod
    def fit(cls, features) -> MisfitReference:
        """Fit on features of emulator outputs only (rows: recordings)."""
        from sklearn.covariance import LedoitWolf

        f = np.asarray(features, dtype=np.float64)
        if f.ndim != 2 or f.shape[0] < 3:
            raise ValueError("the misfit reference needs the features of at least three "
                             f"emulator outputs, got an array of shape {f.shape}")
        lw = LedoitWolf().fit(f)
        return cls(lw.location_, lw.precision_, int(f.shape[0]))

    def score(self, features) -> np.ndarray:
        d = np.atleast_2d(np.asarray(features, dtype=np.float64)) - self.mean
        return np.einsum("ij,jk,ik->i", d, self.precision, d)


def misfit_score(surrogate: Surrogate, y, x_hat) -> dict:
    """Misfit statistics of 1-D observation ``y`` given the estimate ``x_hat``.

    Returns ``{"score": |log mean r²|, "log_r2": log mean r², "excess": ½(mean r² − 1),
    "nll": mean NLL per sample in nats}``.
    """
    r, log_var = _residual_and_log_variance(surrogate, y, x_hat)
    r2 = float(np.mean(r ** 2))
    nll = 0.5 * (r2 + float(log_var.mean()) + math.log(2 * math.pi))
    log_r2 = math.log(max(r2, 1e-300))
    return {"score": abs(log_r2), "log_r2": log_r2, "excess": 0.5 * (r2 - 1.0), "nll": nll,
            "features": residual_features(r)}


def roc_auc(positive, negative) -> float:
    """Area under the ROC curve of a score that should be larger for ``positive``.

    The Mann–Whitney estimate with ties counted as one half.

    Examples
    --------
    >>> roc_auc([3, 4], [1, 2])
    1.0
    >>> roc_auc([1, 2], [1, 2])
    0.5
    """
    pos, neg = np.asarray(positive, float), np.asarray(negative, float)
    if pos.size == 0 or neg.size == 0:
        raise ValueError("ROC AUC needs at least one score in each population")
    ranks = rankdata(np.concatenate([pos, neg]))
    return float((ranks[:pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))

"""Model-misfit diagnostic: does the emulator explain this recording?

Given an observation y and an estimate x̂ of the clean signal (the supervised denoiser's
output or a posterior mean), the surrogate predicts y ~ N(μ(x̂), ν(x̂)). Under the
emulator the whitened residual r = (y − μ)/√ν has unit variance, so the per-sample
negative log-likelihood exceeds its expected value ½(1 + log 2πν) by ½(mean r² − 1) ≈ 0.
:func:`misfit_score` returns that excess (and the raw NLL per sample); recordings from
another degradation chain leave structure the surrogate cannot attribute to noise and score
high. :func:`roc_auc` summarises how well a score separates the two populations.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import rankdata

from .surrogate import Surrogate


@torch.no_grad()
def misfit_score(surrogate: Surrogate, y, x_hat) -> dict:
    """``{"excess": ½(mean r² − 1), "nll": mean NLL per sample in nats}`` for 1-D arrays."""
    y = torch.as_tensor(np.asarray(y, dtype=np.float32))[None, None]
    x = torch.as_tensor(np.asarray(x_hat, dtype=np.float32))[None, None]
    if y.shape != x.shape:
        raise ValueError(f"observation and estimate differ in length: {y.shape[-1]} vs "
                         f"{x.shape[-1]} samples")
    mu, log_var = surrogate(x)
    r2 = float(((y - mu) ** 2 * torch.exp(-log_var)).mean())
    nll = 0.5 * (r2 + float(log_var.mean()) + math.log(2 * math.pi))
    return {"excess": 0.5 * (r2 - 1.0), "nll": nll}


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

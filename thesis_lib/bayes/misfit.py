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
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.stats import rankdata

from .surrogate import Surrogate


@torch.no_grad()
def misfit_score(surrogate: Surrogate, y, x_hat) -> dict:
    """Misfit statistics of 1-D observation ``y`` given the estimate ``x_hat``.

    Returns ``{"score": |log mean r²|, "log_r2": log mean r², "excess": ½(mean r² − 1),
    "nll": mean NLL per sample in nats}``.
    """
    y = torch.as_tensor(np.asarray(y, dtype=np.float32))[None, None]
    x = torch.as_tensor(np.asarray(x_hat, dtype=np.float32))[None, None]
    if y.shape != x.shape:
        raise ValueError(f"observation and estimate differ in length: {y.shape[-1]} vs "
                         f"{x.shape[-1]} samples")
    mu, log_var = surrogate(x)
    r2 = float(((y - mu) ** 2 * torch.exp(-log_var)).mean())
    nll = 0.5 * (r2 + float(log_var.mean()) + math.log(2 * math.pi))
    log_r2 = math.log(max(r2, 1e-300))
    return {"score": abs(log_r2), "log_r2": log_r2, "excess": 0.5 * (r2 - 1.0), "nll": nll}


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

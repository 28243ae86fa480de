"""Learning-rate schedule of the denoiser training: linear warm-up, then a cosine."""

from __future__ import annotations

import math

__all__ = ["warmup_cosine"]


def warmup_cosine(step: int, total_steps: int, warmup_steps: int = 0, floor: float = 0.0) -> float:
    """Learning-rate multiplier: linear warm-up, then a cosine from 1 down to ``floor``.

    With ``warmup_steps = 0`` and ``floor = 0`` this is the schedule of
    ``torch.optim.lr_scheduler.CosineAnnealingLR`` with ``T_max = total_steps``.
    A warm-up keeps the first Adam steps, whose second-moment estimates rest on a
    handful of gradients, from throwing a freshly initialised network far off
    when the peak rate is high.

    References
    ----------
    .. [1] I. Loshchilov, F. Hutter, "SGDR: stochastic gradient descent with warm
       restarts", ICLR 2017 (cosine schedule).
    .. [2] P. Goyal et al., "Accurate, large minibatch SGD: training ImageNet in
       1 hour", arXiv:1706.02677, 2017 (linear warm-up).

    Examples
    --------
    >>> [round(warmup_cosine(s, 10, warmup_steps=2), 3) for s in (0, 1, 2, 6, 10)]
    [0.5, 1.0, 1.0, 0.5, 0.0]
    >>> round(warmup_cosine(10, 10, floor=0.1), 3)
    0.1
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    span = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / span)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

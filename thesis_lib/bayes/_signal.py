"""Input checks and resampling shared by the Bayesian restoration modules."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly


def to_rate(x, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling of a 1-D signal from ``rate_in`` to ``rate_out`` Hz."""
    x = np.asarray(x, dtype=np.float64)
    if int(rate_in) == int(rate_out):
        return x
    ratio = Fraction(int(rate_out), int(rate_in))
    return resample_poly(x, ratio.numerator, ratio.denominator)


def check_observation(y, *, name: str = "recording", min_samples: int = 64) -> np.ndarray:
    """Return ``y`` as float64 after rejecting what cannot be restored, with one-line reasons.

    Examples
    --------
    >>> check_observation(np.zeros(100))
    Traceback (most recent call last):
    ...
    ValueError: recording is silent (all samples are zero); there is nothing to restore
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"{name} must be one channel (1-D), got shape {y.shape}")
    if y.size < min_samples:
        raise ValueError(f"{name} is too short ({y.size} samples at the internal rate); "
                         f"give at least {min_samples}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinite samples; clean the file first")
    if not np.any(y):
        raise ValueError(f"{name} is silent (all samples are zero); there is nothing to restore")
    return y

"""Input checks shared by every metric: float64, 1-D, finite, equal length."""

from __future__ import annotations

import numpy as np


def as_signal(x, name: str = "signal") -> np.ndarray:
    """Return ``x`` as a finite, non-empty 1-D float64 array or raise ``ValueError``."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        arr = np.squeeze(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (got shape {np.shape(x)}); "
                         "average the channels first")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite samples; clean the input first")
    return arr


def as_pair(reference, estimate) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (reference, estimate) pair of equal length."""
    ref = as_signal(reference, "reference")
    est = as_signal(estimate, "estimate")
    if ref.shape != est.shape:
        raise ValueError(f"reference and estimate differ in length ({ref.size} vs {est.size}); "
                         "trim or align them before scoring")
    return ref, est

"""Input checks shared by every metric: float64, 1-D, finite, equal length."""

from __future__ import annotations

import numpy as np

from thesis_lib._waveform import as_waveform


def as_signal(x, name: str = "signal") -> np.ndarray:
    """Return ``x`` as a finite, non-empty 1-D float64 array or raise ``ValueError``.

    Length-1 axes are dropped first, so a ``(1, N)`` clip is scored as ``(N,)``.
    """
    return as_waveform(x, name=name, squeeze=True, layout="average the channels first")


def as_pair(reference, estimate) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (reference, estimate) pair of equal length."""
    ref = as_signal(reference, "reference")
    est = as_signal(estimate, "estimate")
    if ref.shape != est.shape:
        raise ValueError(f"reference and estimate differ in length ({ref.size} vs {est.size}); "
                         "trim or align them before scoring")
    return ref, est

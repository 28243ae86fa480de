"""Time-domain distances and similarities between two waveforms (float64).

Definitions follow thesis §3.3 (pooled NRMSE, eq. 3.5) and §6.3 (ρ, NRMSE,
E_rel). ``nrmse`` normalises the RMS error by the reference's standard
deviation, which is what makes 0.39 in thesis Table 6.6 a "moderate" error.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_pair


def l1(reference, estimate) -> float:
    """Mean absolute error.

    Examples
    --------
    >>> l1([0, 0, 0, 0], [1, -1, 1, -1])
    1.0
    """
    ref, est = as_pair(reference, estimate)
    return float(np.mean(np.abs(est - ref)))


def l2(reference, estimate) -> float:
    """Root mean squared error.

    Examples
    --------
    >>> l2([0, 0], [3, 4])  # sqrt((9 + 16) / 2)
    3.5355339059327378
    """
    ref, est = as_pair(reference, estimate)
    return float(np.sqrt(np.mean((est - ref) ** 2)))


def pearson(reference, estimate) -> float:
    """Pearson correlation coefficient ρ.

    Examples
    --------
    >>> pearson([1, 2, 3], [2, 4, 6])
    1.0
    """
    ref, est = as_pair(reference, estimate)
    a = ref - ref.mean()
    b = est - est.mean()
    den = np.sqrt(np.dot(a, a) * np.dot(b, b))
    if den == 0.0:
        raise ValueError("Pearson correlation is undefined for a constant signal")
    return float(np.clip(np.dot(a, b) / den, -1.0, 1.0))


def nrmse(reference, estimate) -> float:
    """RMS error divided by the reference's standard deviation.

    Examples
    --------
    >>> nrmse([1, -1, 1, -1], [0, 0, 0, 0])
    1.0
    """
    ref, est = as_pair(reference, estimate)
    scale = ref.std()
    if scale == 0.0:
        raise ValueError("NRMSE is undefined for a constant reference")
    return float(np.sqrt(np.mean((est - ref) ** 2)) / scale)


def nrmse_pooled(a, b) -> float:
    """Pooled NRMSE of thesis eq. 3.5: ``sqrt(E[(A-B)^2]) / sqrt(Var A + Var B)``.

    Symmetric in its arguments; 0 for identical inputs and 1 for independent
    signals of equal variance and mean.

    Examples
    --------
    >>> nrmse_pooled([1, -1, 1, -1], [1, -1, 1, -1])
    0.0
    """
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    x, y = as_pair(x, y)
    den = np.sqrt(x.var() + y.var())
    if den == 0.0:
        raise ValueError("pooled NRMSE is undefined for two constant inputs")
    return float(np.sqrt(np.mean((x - y) ** 2)) / den)


def energy_relative_error(reference, estimate) -> float:
    """Relative energy error ``(||ref||^2 - ||est||^2) / ||ref||^2`` (thesis §6.3).

    Positive when the estimate carries less energy than the reference.

    Examples
    --------
    >>> energy_relative_error([2, 0], [1, 1])
    0.5
    """
    ref, est = as_pair(reference, estimate)
    e_ref = np.dot(ref, ref)
    if e_ref == 0.0:
        raise ValueError("relative energy error is undefined for an all-zero reference")
    return float((e_ref - np.dot(est, est)) / e_ref)

"""Scale-invariant signal-to-distortion ratio and plain SNR.

Protocol (float64): the estimate is projected onto the reference with the
least-squares gain ``alpha = <est, ref> / ||ref||^2``; SI-SDR is the energy ratio
of the projection ``alpha * ref`` to the residual ``est - alpha * ref`` in dB.
No mean removal is applied (as written in thesis eq. of §6.1); pass
``zero_mean=True`` for the variant of Le Roux et al. (2019) that removes the
means first.

References
----------
.. [1] J. Le Roux, S. Wisdom, H. Erdogan, J. R. Hershey, "SDR - half-baked or
   well done?", ICASSP 2019.
.. [2] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, §6.1.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_pair

_TINY = np.finfo(np.float64).tiny


def si_sdr(reference, estimate, zero_mean: bool = False) -> float:
    """Scale-invariant SDR of ``estimate`` against ``reference`` in dB.

    Parameters
    ----------
    reference, estimate : array_like, shape (n,)
        Clean target and estimate, same length.
    zero_mean : bool
        Remove each signal's mean before scoring.

    Returns
    -------
    float
        SI-SDR in dB; ``+inf`` for a perfect (scaled) estimate.

    Raises
    ------
    ValueError
        If the reference is all zero (SI-SDR is undefined, not NaN).

    Examples
    --------
    >>> phase = 2 * np.pi * 5 * np.arange(1000) / 1000   # five whole periods
    >>> ref, err = np.sin(phase), np.cos(phase)          # orthogonal
    >>> round(si_sdr(ref, 0.5 * ref + 0.1 * err), 6)     # 10 log10(0.5^2 / 0.1^2)
    13.9794
    """
    ref, est = as_pair(reference, estimate)
    if zero_mean:
        ref = ref - ref.mean()
        est = est - est.mean()
    ref_energy = np.dot(ref, ref)
    if ref_energy <= _TINY:
        raise ValueError("SI-SDR is undefined for an all-zero reference; "
                         "drop silent clips from the evaluation set")
    alpha = np.dot(est, ref) / ref_energy
    target = alpha * ref
    residual = est - target
    num = np.dot(target, target)
    den = np.dot(residual, residual)
    if den == 0.0:
        return float("inf")
    if num == 0.0:
        return float("-inf")
    return float(10.0 * np.log10(num / den))


def snr(reference, estimate) -> float:
    """Plain SNR ``10 log10(||ref||^2 / ||est - ref||^2)`` in dB (no rescaling).

    Examples
    --------
    >>> ref = np.ones(100)
    >>> round(snr(ref, ref + 0.1), 6)
    20.0
    """
    ref, est = as_pair(reference, estimate)
    ref_energy = np.dot(ref, ref)
    if ref_energy <= _TINY:
        raise ValueError("SNR is undefined for an all-zero reference")
    err = est - ref
    den = np.dot(err, err)
    if den == 0.0:
        return float("inf")
    return float(10.0 * np.log10(ref_energy / den))


def delta_snr(reference, degraded, restored) -> float:
    """SNR improvement of ``restored`` over ``degraded`` in dB (Irigaray et al. 2023).

    Examples
    --------
    >>> ref = np.ones(100)
    >>> round(delta_snr(ref, ref + 0.1, ref + 0.01), 6)
    20.0
    """
    return snr(reference, restored) - snr(reference, degraded)

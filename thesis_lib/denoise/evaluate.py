"""Scoring restoration methods on paired clips: SI-SDR, ℓ1, LSD, ΔSI-SDR, confidence intervals.

Every method is a callable ``method(y, sample_rate) -> x̂`` (the baselines, a
:class:`~thesis_lib.denoise.inference.Denoiser`). Each clip is scored against its
clean reference with :mod:`thesis_lib.metrics` (float64; LSD with a 2048-sample
Hann window, hop 512, ε = 1e-8). ΔSI-SDR is the method's SI-SDR minus the
degraded input's SI-SDR *on the same clip*, so the gain is paired and its
confidence interval excludes clip-to-clip variation in difficulty. Clips whose
clean reference is silent (RMS below ``1e-4``) have no SI-SDR and are skipped
and counted.

References
----------
.. [1] L. Terna, MSc thesis, Politecnico di Torino, 2026, §6.1 (protocol).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from tqdm.auto import tqdm

from thesis_lib import metrics

SILENT_RMS = 1e-4


def delta_si_sdr(clean, degraded, restored) -> float:
    """SI-SDR gain of ``restored`` over ``degraded`` in dB.

    Examples
    --------
    >>> w = 2 * np.pi * 10 * np.arange(1000) / 1000  # ten whole periods: sin ⟂ cos
    >>> x = np.sin(w); e = np.cos(w)
    >>> round(delta_si_sdr(x, x + e, x + 0.1 * e), 6)  # error amplitude ÷10 → +20 dB
    20.0
    """
    return metrics.si_sdr(clean, restored) - metrics.si_sdr(clean, degraded)


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of its Student-t confidence interval (NaN half-width for n < 2).

    Examples
    --------
    >>> m, h = mean_ci([1.0, 2.0, 3.0])
    >>> m, round(h, 4)
    (2.0, 2.4841)
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    if v.size < 2:
        return float(v.mean()), float("nan")
    half = stats.t.ppf(0.5 + confidence / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return float(v.mean()), float(half)


def score_clip(clean, estimate, n_fft: int = 2048) -> dict:
    """SI-SDR (dB), ℓ1 and LSD (dB) of one estimate."""
    return {"si_sdr_db": metrics.si_sdr(clean, estimate), "l1": metrics.l1(clean, estimate),
            "lsd_db": metrics.lsd(clean, estimate, n_fft=n_fft)}


def _numpy_mono(a) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64).reshape(-1)


def evaluate_methods(pairs, methods: dict, sample_rate: int, progress: bool = False) -> dict:
    """Score every method on every ``(y, x)`` pair.

    Parameters
    ----------
    pairs : iterable of (degraded, clean)
        Arrays or tensors of one clip each (any shape that flattens to mono).
    methods : dict of name → callable(y, sample_rate) → x̂
        Include ``"identity"`` to get the degraded input's own scores.
    sample_rate : int

    Returns
    -------
    dict
        Per method: means of ``si_sdr_db``, ``l1``, ``lsd_db``, ``delta_si_sdr_db``
        with ``*_ci95`` half-widths, ``n_clips``, and ``per_clip`` lists;
        plus ``"skipped_silent"``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = np.sin(np.arange(8192) * 0.03); y = x + 0.1 * rng.standard_normal(8192)
    >>> out = evaluate_methods([(y, x)], {"identity": lambda y, sr: y, "oracle": lambda y, sr: x},
    ...                        8000)
    >>> out["identity"]["delta_si_sdr_db"], out["oracle"]["lsd_db"]
    (0.0, 0.0)
    """
    per = {name: {"si_sdr_db": [], "l1": [], "lsd_db": [], "delta_si_sdr_db": []}
           for name in methods}
    skipped = 0
    for y, x in tqdm(list(pairs), desc="evaluate", disable=not progress, unit="clip"):
        y, x = _numpy_mono(y), _numpy_mono(x)
        if np.sqrt(np.mean(x ** 2)) < SILENT_RMS:
            skipped += 1
            continue
        base = metrics.si_sdr(x, y)
        for name, method in methods.items():
            est = np.asarray(method(y, sample_rate), dtype=np.float64).reshape(-1)
            if est.shape != x.shape:
                raise ValueError(f"method {name!r} returned {est.size} samples "
                                 f"for a {x.size}-sample clip")
            s = score_clip(x, est)
            for key, value in s.items():
                per[name][key].append(value)
            per[name]["delta_si_sdr_db"].append(s["si_sdr_db"] - base)
    out = {"skipped_silent": skipped}
    for name, lists in per.items():
        entry = {"n_clips": len(lists["l1"])}
        for key, values in lists.items():
            entry[key], entry[f"{key}_ci95"] = mean_ci(values)
        entry["per_clip"] = lists
        out[name] = entry
    return out

"""Checks and length fitting shared by everything that takes a single waveform.

A private leaf module (it imports nothing from the rest of ``thesis_lib``) so
that packages which must not depend on each other — ``metrics``, ``emulator``,
``calibration``, ``data`` and ``denoise`` — validate a waveform the same way and
word their errors alike: the caller names the input and says how to fix it.
"""

from __future__ import annotations

import numpy as np

#: Default hint when a waveform has more than one axis.
MONO_HINT = "mix the channels down to mono first"


def as_waveform(x, *, name: str = "waveform", min_samples: int = 1, squeeze: bool = False,
                layout: str = MONO_HINT, fix: str = "clean the input first") -> np.ndarray:
    """Return ``x`` as a contiguous, finite 1-D float64 array or raise ``ValueError``.

    Parameters
    ----------
    x : array_like
        The waveform.
    name : str
        How the error messages name the input (a file name, ``"reference"``…).
    min_samples : int
        Fewest samples accepted.
    squeeze : bool
        Drop length-1 axes first, so that ``(1, N)`` or ``(N, 1)`` pass.
    layout, fix : str
        The advice given when ``x`` is not 1-D and when it holds NaN or inf.

    Examples
    --------
    >>> as_waveform([1, 2, 3]).dtype.name
    'float64'
    >>> as_waveform([[0.5, 0.25]], squeeze=True).tolist()
    [0.5, 0.25]
    >>> as_waveform([0.0, float("inf")], name="take.wav")
    Traceback (most recent call last):
    ...
    ValueError: take.wav: 1 samples are NaN or inf; clean the input first
    """
    arr = np.asarray(x, dtype=np.float64)
    if squeeze and arr.ndim != 1:
        arr = np.squeeze(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D waveform, got shape {np.shape(x)}; {layout}")
    if arr.size < min_samples:
        raise ValueError(f"{name} has {arr.size} samples; give at least {min_samples}")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise ValueError(f"{name}: {bad} samples are NaN or inf; {fix}")
    return np.ascontiguousarray(arr)


def check_sample_rate(rate, *, name: str = "sample rate") -> float:
    """Return ``rate`` as a float after checking it is one positive, finite number of Hz.

    Examples
    --------
    >>> check_sample_rate(48000)
    48000.0
    >>> check_sample_rate(-1)
    Traceback (most recent call last):
    ...
    ValueError: sample rate must be a positive number of Hz (got -1)
    """
    ok = np.isscalar(rate) and not isinstance(rate, (str, bytes, bool))
    if not (ok and np.isfinite(float(rate)) and float(rate) > 0):
        raise ValueError(f"{name} must be a positive number of Hz (got {rate!r})")
    return float(rate)


def fit_length(x, n: int) -> np.ndarray:
    """``x`` (float64) cut to ``n`` samples or zero-padded at the end up to ``n``.

    Examples
    --------
    >>> fit_length([1, 2, 3], 2).tolist(), fit_length([1, 2], 4).tolist()
    ([1.0, 2.0], [1.0, 2.0, 0.0, 0.0])
    """
    x = np.asarray(x, dtype=np.float64)
    return x[:n] if x.size >= n else np.pad(x, (0, n - x.size))

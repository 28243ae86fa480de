"""Oracle restorations: what a linear filter or a [0, 1] mask could do knowing the clean clip.

Both oracles see the clean reference ``x`` as well as the degraded clip ``y``,
so they are not methods but ceilings: they tell how much of a degradation a
given *family* of restorations can undo.

* :func:`oracle_linear_filter` — the best time-invariant linear filter per clip:
  in every STFT bin ``f`` one complex gain ``H(f) = Σ_t X·conj(Y) / Σ_t |Y|²``
  (the least-squares fit of ``X`` by ``H·Y`` over the clip's frames, i.e. the
  clip's own Wiener filter). It can amplify, so it can invert a low-pass such as
  the beam's, up to where noise dominates.
* :func:`oracle_ratio_mask` — a time-varying real mask ``M(t, f) = min(|X| / |Y|, 1)``
  on the degraded STFT. It can only attenuate: bins the beam has weakened stay
  weak, which is why it gains little on this degradation even though it may
  change from frame to frame.

The STFT is a Hann window of ``n_fft`` samples with hop ``n_fft / 4`` (a
constant-overlap-add pair, so an all-pass gain returns the input exactly).
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.signal import istft, stft

#: Default STFT size: 2048 samples (46 ms at 44.1 kHz, 21.5 Hz bins), the LSD window.
N_FFT = 2048


def _check_pair(clean, degraded) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(clean, dtype=np.float64).reshape(-1)
    y = np.asarray(degraded, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"clean and degraded clips differ in length ({x.size} vs {y.size} "
                         "samples); pass aligned clips of equal length")
    return x, y


def _spectra(signal: np.ndarray, n_fft: int) -> np.ndarray:
    if signal.size < n_fft:
        raise ValueError(f"a clip of {signal.size} samples is shorter than n_fft={n_fft}; "
                         "pass a longer clip or a smaller n_fft")
    return stft(signal, window="hann", nperseg=n_fft, noverlap=n_fft - n_fft // 4)[2]


def _synthesis(spectra: np.ndarray, n_fft: int, length: int) -> np.ndarray:
    out = istft(spectra, window="hann", nperseg=n_fft, noverlap=n_fft - n_fft // 4)[1]
    return out[:length]


def oracle_filter_response(clean, degraded, *, n_fft: int = N_FFT) -> np.ndarray:
    """Complex gain per STFT bin of the least-squares filter from ``degraded`` to ``clean``.

    Returns ``H`` of shape ``(n_fft // 2 + 1,)``; bins where the degraded clip
    has no energy get gain 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(8192)
    >>> bool(np.allclose(oracle_filter_response(x, 0.5 * x, n_fft=256), 2.0))
    True
    """
    x, y = _check_pair(clean, degraded)
    big_x, big_y = _spectra(x, n_fft), _spectra(y, n_fft)
    num = np.sum(big_x * np.conj(big_y), axis=1)
    den = np.sum(np.abs(big_y) ** 2, axis=1)
    tiny = 1e-12 * max(float(den.max()), 1e-300)
    return np.where(den > tiny, num / np.maximum(den, tiny), 0.0)


def oracle_linear_filter(clean, degraded, *, n_fft: int = N_FFT) -> np.ndarray:
    """``degraded`` filtered by :func:`oracle_filter_response` (same length as the input).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.standard_normal(4096)
    >>> bool(np.allclose(oracle_linear_filter(x, x, n_fft=256), x))
    True
    """
    x, y = _check_pair(clean, degraded)
    h = oracle_filter_response(x, y, n_fft=n_fft)
    return _synthesis(h[:, None] * _spectra(y, n_fft), n_fft, y.size)


def oracle_ratio_mask(clean, degraded, *, n_fft: int = N_FFT) -> np.ndarray:
    """``degraded`` masked by ``min(|X| / |Y|, 1)`` per STFT cell (the degraded phase is kept).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = rng.standard_normal(4096)
    >>> bool(np.allclose(oracle_ratio_mask(x, 3 * x, n_fft=256), x))  # mask 1/3 everywhere
    True
    """
    x, y = _check_pair(clean, degraded)
    big_x, big_y = _spectra(x, n_fft), _spectra(y, n_fft)
    mag_y = np.abs(big_y)
    mask = np.clip(np.abs(big_x) / np.maximum(mag_y, 1e-12), 0.0, 1.0)
    return _synthesis(mask * big_y, n_fft, y.size)


def oracle_methods(pairs, *, n_fft: int = N_FFT) -> dict:
    """The two oracles as ``method(y, sample_rate)`` callables for a known set of clips.

    :func:`~thesis_lib.denoise.evaluate.evaluate_methods` passes a method only the
    degraded clip, so the oracles look the clean reference up by the degraded
    clip's samples (a digest of its float64 values, which survives the copies
    and reshapes the scorer makes).

    Parameters
    ----------
    pairs : iterable of (degraded, clean)
        The clips that will be scored.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = rng.standard_normal(4096); y = 0.5 * x
    >>> m = oracle_methods([(y, x)], n_fft=256)
    >>> bool(np.allclose(m["oracle_linear_filter"](y.copy(), 44100), x))
    True
    """
    clean = {_digest(y): np.asarray(x, dtype=np.float64).reshape(-1) for y, x in pairs}

    def lookup(y):
        try:
            return clean[_digest(y)]
        except KeyError:
            raise ValueError("an oracle was asked to restore a clip whose clean reference it "
                             "was not given; build oracle_methods from the pairs being "
                             "scored") from None

    return {"oracle_linear_filter": lambda y, sr: oracle_linear_filter(lookup(y), y, n_fft=n_fft),
            "oracle_ratio_mask": lambda y, sr: oracle_ratio_mask(lookup(y), y, n_fft=n_fft)}


def _digest(y) -> bytes:
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    data = np.ascontiguousarray(np.asarray(y, dtype=np.float64).reshape(-1))
    return hashlib.blake2b(data.tobytes(), digest_size=16).digest()

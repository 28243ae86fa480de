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

from thesis_lib.metrics import si_sdr

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
    return _clip_filter(_spectra(x, n_fft), _spectra(y, n_fft))


def _clip_filter(big_x: np.ndarray, big_y: np.ndarray) -> np.ndarray:
    """The least-squares gain per bin from the degraded spectra ``big_y`` to ``big_x``."""
    return _least_squares_gain(np.sum(big_x * np.conj(big_y), axis=1),
                               np.sum(np.abs(big_y) ** 2, axis=1))


def _least_squares_gain(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` per bin; 0 where the degraded energy ``den`` is negligible."""
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
    big_y = _spectra(y, n_fft)
    return _synthesis(_clip_filter(_spectra(x, n_fft), big_y)[:, None] * big_y, n_fft, y.size)


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


def fixed_filter_response(pairs, *, n_fft: int = N_FFT) -> np.ndarray:
    """One complex gain per STFT bin fitted on many clips: the best *fixed* linear restorer.

    The least-squares fit of every clean spectrum by ``H · Y`` over all frames of
    all ``pairs`` (degraded, clean), each clip's frames weighted by the inverse of
    its degraded energy so that loud clips do not decide alone (SI-SDR, the
    figure it is judged by, ignores level). Unlike :func:`oracle_filter_response`
    it is fitted once on some clips and applied to others, so it is a method,
    not a ceiling: what a restorer that knows the average degradation, and
    nothing about the clip, achieves.

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> pairs = [(0.5 * x, x) for x in rng.standard_normal((3, 4096))]
    >>> bool(np.allclose(fixed_filter_response(pairs, n_fft=256), 2.0))
    True
    """
    num = den = 0.0
    for degraded, clean in pairs:
        x, y = _check_pair(clean, degraded)
        big_x, big_y = _spectra(x, n_fft), _spectra(y, n_fft)
        weight = 1.0 / max(float(np.sum(np.abs(big_y) ** 2)), 1e-300)
        num = num + weight * np.sum(big_x * np.conj(big_y), axis=1)
        den = den + weight * np.sum(np.abs(big_y) ** 2, axis=1)
    if np.isscalar(den):
        raise ValueError("fixed_filter_response needs at least one (degraded, clean) pair")
    return _least_squares_gain(num, den)


def phase_delay(freqs, response, band) -> np.ndarray:
    """Phase delay ``−arg H(f) / (2πf)`` in seconds of a response over the bins in ``band``.

    The phase is unwrapped along ``band`` (a boolean mask over ``freqs`` that
    excludes 0 Hz), so a pure delay ``τ`` gives ``τ`` at every bin.

    Examples
    --------
    >>> f = np.linspace(0, 8000, 65)
    >>> h = np.exp(-2j * np.pi * f * 50e-6)  # a 50 µs delay
    >>> bool(np.allclose(phase_delay(f, h, f > 0), 50e-6))
    True
    """
    freqs, response = np.asarray(freqs, dtype=float), np.asarray(response)
    return -np.unwrap(np.angle(response[band])) / (2 * np.pi * freqs[band])


def median_phase_delay(freqs, response, band_hz=(500.0, 4000.0)) -> float:
    """Median over the bins of ``band_hz`` (Hz, inclusive) of :func:`phase_delay`, in seconds.

    The median, because a few bins where the response is noise must not move it.

    Examples
    --------
    >>> f = np.fft.rfftfreq(1024, 1 / 44_100)
    >>> round(1e6 * median_phase_delay(f, np.exp(-2j * np.pi * f * 35e-6)), 6)
    35.0
    """
    freqs = np.asarray(freqs, dtype=float)
    band = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
    return float(np.median(phase_delay(freqs, response, band)))


def readout_delay(pairs, *, rate: int, band_hz=(500.0, 4000.0), n_fft: int = N_FFT) -> float:
    """The read-out's constant delay (seconds): median phase delay of per-clip oracle filters.

    For each ``(degraded, clean)`` pair the least-squares filter of
    :func:`oracle_filter_response` is formed and its median phase delay over
    ``band_hz`` taken; the result is the median over pairs. Medians, because a
    clip whose degradation is not close to linear (the emulator with the bias
    off) gives a meaningless phase, and a few such clips must not move the
    estimate. Positive: the restorer must *delay* the degraded signal, i.e. the
    read-out runs ahead of the clean signal.

    Examples
    --------
    >>> rng = np.random.default_rng(5)
    >>> x = rng.standard_normal(16384)
    >>> early = np.roll(x, -3)  # a read-out 3 samples ahead
    >>> round(1e6 * readout_delay([(early, x)], rate=44_100, n_fft=1024))  # 3 / 44.1 kHz
    68
    """
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    delays = [median_phase_delay(freqs, oracle_filter_response(clean, degraded, n_fft=n_fft),
                                 band_hz) for degraded, clean in pairs]
    if not delays:
        raise ValueError("readout_delay needs at least one (degraded, clean) pair")
    return float(np.median(delays))


def apply_response(degraded, response, *, n_fft: int = N_FFT) -> np.ndarray:
    """``degraded`` filtered by a complex gain per STFT bin (same length as the input)."""
    y = np.asarray(degraded, dtype=np.float64).reshape(-1)
    if response.shape != (n_fft // 2 + 1,):
        raise ValueError(f"a response of shape {response.shape} does not fit n_fft={n_fft}; "
                         f"expected ({n_fft // 2 + 1},)")
    return _synthesis(response[:, None] * _spectra(y, n_fft), n_fft, y.size)


def oracle_gain_after_filter(clean, degraded, response, *, n_fft: int = N_FFT,
                             max_gain: float = 1.0) -> np.ndarray:
    """The fixed filter ``response``, then the best real gain in [0, ``max_gain``] per STFT cell.

    The ceiling of the two-stage family the spectral release network belongs
    to: after a fixed complex filter ``Z = H·Y``, each cell is scaled by
    ``clip(Re(X·conj(Z)) / |Z|², 0, max_gain)``, the least-squares real gain of
    that cell given the clean spectrum ``X``.

    Examples
    --------
    >>> rng = np.random.default_rng(5)
    >>> x = rng.standard_normal(4096)
    >>> h = np.full(129, 2.0 + 0j)
    >>> bool(np.allclose(oracle_gain_after_filter(x, x, h, n_fft=256), x))  # gain 1/2
    True
    """
    x, y = _check_pair(clean, degraded)
    big_z = response[:, None] * _spectra(y, n_fft)
    return _synthesis(_best_cell_gain(_spectra(x, n_fft), big_z, max_gain) * big_z, n_fft, y.size)


def _best_cell_gain(big_x: np.ndarray, big_z: np.ndarray, max_gain: float) -> np.ndarray:
    """``clip(Re(X·conj(Z)) / |Z|², 0, max_gain)`` per STFT cell; 0 where ``Z`` is 0."""
    power = np.abs(big_z) ** 2
    gain = np.real(big_x * np.conj(big_z)) / np.maximum(power, 1e-300)
    return np.where(power > 0, np.clip(gain, 0.0, max_gain), 0.0)


#: The restoration families :func:`design_headroom` scores, in the order it reports them.
_DESIGN_FAMILIES = ("input", "fixed_filter", "oracle_linear_filter",
                    "fixed_filter_then_oracle_gain_0_1")


def design_headroom(fit_pairs, test_pairs, *, n_fft: int = N_FFT) -> dict:
    """Mean SI-SDR (dB) of the restoration families behind the spectral release network.

    ``fixed_filter`` is fitted on ``fit_pairs`` and scored on ``test_pairs``;
    the oracles use each test clip's clean reference. Returns per family the
    mean SI-SDR and its gain over the degraded input.
    """
    response = fixed_filter_response(fit_pairs, n_fft=n_fft)
    scores = {name: [] for name in _DESIGN_FAMILIES}
    for degraded, clean in test_pairs:
        x, y = _check_pair(clean, degraded)
        # each clip's two STFTs once, shared by the three restorations
        big_x, big_y = _spectra(x, n_fft), _spectra(y, n_fft)
        big_z = response[:, None] * big_y
        restored = {
            "input": y,
            "fixed_filter": _synthesis(big_z, n_fft, y.size),
            "oracle_linear_filter": _synthesis(_clip_filter(big_x, big_y)[:, None] * big_y,
                                               n_fft, y.size),
            "fixed_filter_then_oracle_gain_0_1":
                _synthesis(_best_cell_gain(big_x, big_z, 1.0) * big_z, n_fft, y.size),
        }
        for name in _DESIGN_FAMILIES:
            scores[name].append(si_sdr(x, restored[name]))
    base = float(np.mean(scores["input"]))
    return {name: {"si_sdr_db": float(np.mean(v)), "delta_si_sdr_db": float(np.mean(v)) - base,
                   "n_clips": len(v)} for name, v in scores.items()}


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

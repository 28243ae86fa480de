"""Classical restoration baselines that need no training pairs.

Every baseline has the signature ``baseline(y, sample_rate, **kw) -> x̂`` with
``y`` and ``x̂`` 1-D float64 arrays of equal length, so the evaluation treats
them and the U-Net alike. This module holds the identity (the degraded input
itself, the reference every gain is measured from), spectral gating and an STFT
Wiener filter; :mod:`.ltas` holds LTAS equalisation and :mod:`.beam` the
physics-aware deconvolution of the beam blur.

References
----------
.. [1] T. Sainburg, M. Thielk, T. Q. Gentner, "Finding, visualizing, and
   quantifying latent structure across diverse animal vocal repertoires", PLoS
   Comput. Biol. 16 (2020) (the ``noisereduce`` spectral gate).
.. [2] I. Irigaray, M. Rocamora, L. W. P. Biscainho, "Noise reduction in analog
   tape audio recordings with deep learning models", AES 2023 (spectral
   subtraction with ``noisereduce`` as the classical baseline, ΔSNR).
.. [3] P. Scalart, J. V. Filho, "Speech enhancement based on a priori signal to
   noise estimation", ICASSP 1996 (Wiener gain from an SNR estimate).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import istft, stft

from thesis_lib._waveform import as_waveform, fit_length


def _as_audio(y) -> np.ndarray:
    # Every baseline names its input and advice alike; the checks themselves are shared.
    return as_waveform(y, name="the signal", layout="baselines take one mono signal; "
                       "mix channels to mono first")


def identity(y, sample_rate: int, **kw) -> np.ndarray:
    """The degraded input unchanged: the score every method is compared with.

    Examples
    --------
    >>> identity([0.5, -0.5], 8000).tolist()
    [0.5, -0.5]
    """
    return _as_audio(y).copy()


def spectral_gating(y, sample_rate: int, stationary: bool = True, prop_decrease: float = 1.0,
                    n_fft: int | None = None, **kw) -> np.ndarray:
    """Spectral gating with ``noisereduce`` (the seed-001 spectral-subtraction baseline).

    The noise statistics are estimated from ``y`` itself (no noise-only clip is
    available for emulated recordings); ``stationary=True`` gates each frequency
    at ``n_std_thresh_stationary`` standard deviations above its mean level.
    ``n_fft`` defaults to noisereduce's 1024 samples at 44.1 kHz, scaled with the
    rate (its mask smoothing needs frames shorter than ~30 ms).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000) + 0.1 * rng.standard_normal(8000)
    >>> spectral_gating(y, 8000).shape
    (8000,)
    """
    # Deferred on purpose: noisereduce imports torch when loaded, and only this
    # baseline needs it.
    import noisereduce

    arr = _as_audio(y)
    if n_fft is None:
        n_fft = max(256, int(2 ** round(np.log2(1024 * sample_rate / 44_100))))
    out = noisereduce.reduce_noise(y=arr, sr=int(sample_rate), stationary=stationary,
                                   prop_decrease=prop_decrease, n_fft=n_fft, n_jobs=1, **kw)
    return np.asarray(out, dtype=np.float64)[:arr.size]


def wiener_filter(y, sample_rate: int, n_fft: int = 2048, noise_quantile: float = 0.1,
                  gain_floor: float = 0.05, noise_psd=None,
                  noise_smooth_bins: int = 65) -> np.ndarray:
    """STFT-domain Wiener filter with a noise spectrum estimated from quiet frames.

    For each bin the noise power ``N(f)`` is the ``noise_quantile`` quantile ``q`` of
    ``|Y(f, t)|²`` over frames (a minimum-statistics estimate: the quietest
    frames are mostly noise) divided by ``−ln(1 − q)``, which removes the bias
    of a low quantile when the noise power in a bin is exponentially distributed
    (complex Gaussian noise), then median-filtered across ``noise_smooth_bins``
    neighbouring bins so that a sustained tone (present in every frame) is not
    mistaken for noise; unless ``noise_psd`` (power per bin, ``n_fft//2+1``
    values) is given. With the a-posteriori SNR ``γ = |Y|²/N`` and the
    maximum-likelihood a-priori SNR ``ξ = max(γ − 1, 0)`` the gain is
    ``max(ξ / (1 + ξ), gain_floor)``; the floor limits musical noise.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> n = 16000
    >>> clean = np.sin(2 * np.pi * 500 * np.arange(n) / 16000)
    >>> noisy = clean + 0.3 * rng.standard_normal(n)
    >>> out = wiener_filter(noisy, 16000)
    >>> bool(np.mean((out - clean) ** 2) < 0.3 * np.mean((noisy - clean) ** 2))
    True
    """
    arr = _as_audio(y)
    if not 0.0 < noise_quantile < 1.0:
        raise ValueError(f"noise_quantile must lie in (0, 1), got {noise_quantile}")
    n_fft = min(n_fft, 2 ** int(np.floor(np.log2(max(arr.size, 16)))))
    _, _, spec = stft(arr, nperseg=n_fft, noverlap=3 * n_fft // 4, window="hann")
    power = np.abs(spec) ** 2
    if noise_psd is None:
        noise = np.quantile(power, noise_quantile, axis=1) / -np.log1p(-noise_quantile)
        noise = median_filter(noise, size=noise_smooth_bins, mode="nearest")[:, None]
    else:
        noise = np.asarray(noise_psd, dtype=np.float64).reshape(-1, 1)
        if noise.shape[0] != power.shape[0]:
            raise ValueError(f"noise_psd has {noise.shape[0]} bins, the STFT has {power.shape[0]}")
    xi = np.maximum(power / np.maximum(noise, 1e-30) - 1.0, 0.0)
    gain = np.maximum(xi / (1.0 + xi), gain_floor)
    _, out = istft(gain * spec, nperseg=n_fft, noverlap=3 * n_fft // 4, window="hann")
    return fit_length(out, arr.size)


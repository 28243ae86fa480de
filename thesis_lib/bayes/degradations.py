"""Degradation chains other than the emulator, to test the model-misfit diagnostic.

The surrogate likelihood only knows the emulator. Recordings degraded in other ways should
be recognisable as "not explained by the emulator" (Terna 2026, §8.4 notes that performance
may otherwise degrade silently). Three foreign chains are implemented on clean audio:

- :func:`di_giovanna_chain` — the chain of Di Giovanna (2025): low-pass at 7 kHz,
  downsample, 8-bit quantisation with TPDF dither, additive noise at a set SNR, upsample.
- :func:`rago_group_a` — group A of Rago (2025): coarse quantisation, tonal stripes
  (stationary interfering tones) and noise.
- :func:`rago_group_b` — group B of Rago (2025): clipping, reverberation, low-pass and
  harmonic distortion.

Each returns a signal of the input's length and rate; randomness comes only from ``seed``.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from thesis_lib._waveform import fit_length

from ._signal import to_rate


def tpdf_quantise(x, bits: int, rng) -> np.ndarray:
    """Quantise to ``bits`` bits on [−1, 1) with triangular (TPDF) dither of ±1 LSB.

    The result lies on the grid of multiples of the step 2/2**bits.
    """
    step = 2.0 / 2 ** int(bits)
    dither = (rng.random(np.shape(x)) - rng.random(np.shape(x))) * step
    q = np.round((np.asarray(x) + dither) / step) * step
    return np.clip(q, -1.0, 1.0 - step)


def add_noise_snr(x, snr_db: float, rng) -> np.ndarray:
    """Add white Gaussian noise whose power is the signal's power divided by 10^(SNR/10)."""
    x = np.asarray(x, dtype=np.float64)
    power = np.mean(x ** 2)
    noise = rng.standard_normal(x.shape)
    noise *= np.sqrt(power / 10 ** (snr_db / 10) / np.mean(noise ** 2))
    return x + noise


def lowpass(x, rate: int, cutoff_hz: float, order: int = 8) -> np.ndarray:
    """Zero-phase Butterworth low-pass."""
    sos = sps.butter(order, cutoff_hz, btype="low", fs=rate, output="sos")
    return sps.sosfiltfilt(sos, x)


def di_giovanna_chain(x, rate: int, *, seed: int, cutoff_hz: float = 7000.0,
                      low_rate: int = 16_000, bits: int = 8, snr_db: float = 30.0):
    """Low-pass → downsample → 8-bit TPDF quantisation → noise at ``snr_db`` → upsample."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    low = to_rate(lowpass(x, rate, cutoff_hz), rate, low_rate)
    peak = max(np.max(np.abs(low)), 1e-12)
    low = tpdf_quantise(low / peak, bits, rng) * peak
    return fit_length(to_rate(add_noise_snr(low, snr_db, rng), low_rate, rate), x.size)


def rago_group_a(x, rate: int, *, seed: int, bits: int = 6, tones_hz=(50.0, 150.0, 1200.0),
                 tone_db: float = -25.0, snr_db: float = 25.0):
    """Quantisation, tonal stripes (fixed tones ``tone_db`` below the signal RMS), noise."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    peak = max(np.max(np.abs(x)), 1e-12)
    q = tpdf_quantise(x / peak, bits, rng) * peak
    t = np.arange(x.size) / rate
    rms = np.sqrt(np.mean(x ** 2))
    amp = rms * 10 ** (tone_db / 20) * np.sqrt(2)
    stripes = sum(amp * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) for f in tones_hz)
    return add_noise_snr(q + stripes, snr_db, rng)


def reverb_ir(rate: int, rt60_s: float, rng) -> np.ndarray:
    """Exponentially decaying noise impulse response (−60 dB at ``rt60_s``), unit energy."""
    n = int(rt60_s * rate)
    env = 10 ** (-3 * np.arange(n) / n)
    ir = rng.standard_normal(n) * env
    ir[0] = 1.0 + abs(ir[0])  # a direct path
    return ir / np.sqrt(np.sum(ir ** 2))


def rago_group_b(x, rate: int, *, seed: int, clip_level: float = 0.5, rt60_s: float = 0.4,
                 cutoff_hz: float = 3500.0, drive: float = 3.0):
    """Clipping at ``clip_level``·peak, reverberation, low-pass, tanh harmonic distortion."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    peak = max(np.max(np.abs(x)), 1e-12)
    y = np.clip(x, -clip_level * peak, clip_level * peak)
    y = sps.fftconvolve(y, reverb_ir(rate, rt60_s, rng))[:x.size]
    y = lowpass(y, rate, cutoff_hz)
    scale = max(np.max(np.abs(y)), 1e-12)
    return np.tanh(drive * y / scale) / np.tanh(drive) * scale


CHAINS = {"di_giovanna_2025": di_giovanna_chain, "rago_2025_A": rago_group_a,
          "rago_2025_B": rago_group_b}



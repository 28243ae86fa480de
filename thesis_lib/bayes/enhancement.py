"""Enhancement factor p_enh(x) ∝ exp(−β L_enh(x)) (Terna 2026, §7.2, eqs. 7.36–7.44).

Four differentiable energies of a batch of waveforms ``(batch, T)`` or ``(batch, 1, T)`` at
``rate`` Hz, each returning one value per batch item:

- :func:`modulation_reward` R_mod (eq. 7.39): energy of the 4–16 Hz modulation spectrum of
  log band envelopes between 300 Hz and 4 kHz; the intelligibility loss is −R_mod (eq. 7.38).
- :func:`brightness_loss` (eqs. 7.40–7.41): squared shortfall of the high-band energy ratio
  below a target B*.
- :class:`HighBandStats` (eq. 7.42): Mahalanobis distance of a high-band embedding (mean and
  spread over frames of log band energies) from its clean-data statistics.
- :func:`harshness_loss` (eqs. 7.43–7.44): squared excess of log-magnitudes over their
  per-frame band mean plus a margin, inside a presence band.

:class:`Enhancement` is the weighted sum of eq. 7.37.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

N_FFT = 512
HOP = 128


def _flat(x):
    x = torch.as_tensor(x)
    return x.reshape(x.shape[0], -1)


def power_spectrogram(x, n_fft: int = N_FFT, hop: int = HOP):
    """|STFT|² with a Hann window, shape ``(batch, freq, frames)``."""
    x = _flat(x)
    window = torch.hann_window(n_fft, dtype=x.dtype)
    spec = torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True)
    return spec.real ** 2 + spec.imag ** 2


def _bins(rate, n_fft, lo, hi):
    f = np.fft.rfftfreq(n_fft, 1.0 / rate)
    return np.flatnonzero((f >= lo) & (f < hi))


def modulation_reward(x, rate: int, *, bands=((300, 700), (700, 1500), (1500, 4000)),
                      mod_band=(4.0, 16.0), eps: float = 1e-3, n_fft: int = N_FFT,
                      hop: int = HOP):
    """R_mod (eq. 7.39): Σ_b energy of the 4–16 Hz modulation spectrum of log|band b|.

    The band envelopes are the STFT band energies (a filter bank h_b), their logarithm
    e_b(t) has its mean removed, and the modulation energy is taken per frame. The floor
    ε of the logarithm is relative (``eps`` times the clip's mean band energy), so that a
    band holding only spectral leakage has a flat envelope instead of a noisy log.
    """
    power = power_spectrogram(x, n_fft, hop)
    floor = eps * power.mean((1, 2))[:, None] * n_fft / 2
    frames = power.shape[-1]
    mod_f = np.fft.rfftfreq(frames, hop / rate)
    keep = torch.as_tensor((mod_f >= mod_band[0]) & (mod_f <= mod_band[1]))
    total = 0.0
    for lo, hi in bands:
        idx = _bins(rate, n_fft, lo, min(hi, rate / 2))
        env = 0.5 * torch.log(floor + power[:, idx].sum(1))
        env = env - env.mean(-1, keepdim=True)
        mod = torch.fft.rfft(env, dim=-1)
        total = total + ((mod.real ** 2 + mod.imag ** 2)[:, keep]).sum(-1) / frames ** 2
    return total


def brightness_ratio(x, rate: int, cutoff_hz: float, n_fft: int = N_FFT, hop: int = HOP):
    """B_r (eq. 7.41): share of spectral energy at or above ``cutoff_hz``."""
    power = power_spectrogram(x, n_fft, hop)
    idx = _bins(rate, n_fft, cutoff_hz, np.inf)
    return power[:, idx].sum((1, 2)) / power.sum((1, 2)).clamp_min(1e-20)


def brightness_loss(x, rate: int, *, target: float, cutoff_hz: float):
    """(max{0, B* − B_r(x)})² (eq. 7.40)."""
    return torch.relu(target - brightness_ratio(x, rate, cutoff_hz)) ** 2


def harshness_loss(x, rate: int, *, band=(2000.0, 5000.0), margin: float = 1.5,
                   eps: float = 1e-8):
    """Σ_t Σ_{f∈H} (max{0, L_{t,f} − L̄_t − ξ})² (eqs. 7.43–7.44), L = natural-log magnitude."""
    power = power_spectrogram(x)
    idx = _bins(rate, N_FFT, band[0], min(band[1], rate / 2))
    log_mag = 0.5 * torch.log(eps + power[:, idx])
    excess = torch.relu(log_mag - log_mag.mean(1, keepdim=True) - margin)
    return (excess ** 2).sum((1, 2))


@dataclass
class HighBandStats:
    """Clean-data statistics (μ*, Σ*) of the high-band embedding φ(x) (eq. 7.42).

    φ(x) holds, for each of ``bands`` equal slices of the spectrum above ``cutoff_hz``, the
    mean and the standard deviation over frames of the log band energy.
    """

    rate: int
    cutoff_hz: float
    mean: torch.Tensor
    precision: torch.Tensor
    bands: int = 4

    @staticmethod
    def embedding(x, rate: int, cutoff_hz: float, bands: int = 4, eps: float = 1e-8):
        power = power_spectrogram(x)
        idx = _bins(rate, N_FFT, cutoff_hz, np.inf)
        feats = []
        for part in np.array_split(idx, bands):
            e = torch.log(eps + power[:, part].mean(1))
            feats += [e.mean(-1), e.std(-1)]
        return torch.stack(feats, 1)

    @classmethod
    def fit(cls, clips, rate: int, cutoff_hz: float, *, bands: int = 4, ridge: float = 1e-2):
        """Estimate μ* and (Σ* + εI)⁻¹ from clean ``clips`` (a list of 1-D arrays)."""
        with torch.no_grad():
            phi = torch.cat([cls.embedding(torch.as_tensor(np.asarray(c))[None].double(), rate,
                                           cutoff_hz, bands) for c in clips])
        if phi.shape[0] < 2:
            raise ValueError("high-band statistics need at least two clean clips")
        cov = torch.cov(phi.T) + ridge * torch.eye(phi.shape[1], dtype=phi.dtype)
        return cls(rate, float(cutoff_hz), phi.mean(0), torch.linalg.inv(cov), bands)

    def __call__(self, x):
        """L_sr(x) = (φ − μ*)ᵀ (Σ* + εI)⁻¹ (φ − μ*) per batch item."""
        phi = self.embedding(x, self.rate, self.cutoff_hz, self.bands)
        d = phi - self.mean.to(phi.dtype)
        return torch.einsum("bi,ij,bj->b", d, self.precision.to(phi.dtype), d)


@dataclass
class Enhancement:
    """L_enh = λ_int L_int + λ_br L_br + λ_sr L_sr + λ_har L_har (eq. 7.37), per batch item."""

    rate: int
    brightness_target: float
    cutoff_hz: float
    high_band: HighBandStats | None = None
    lambda_int: float = 1.0
    lambda_br: float = 1.0
    lambda_sr: float = 1.0
    lambda_har: float = 1.0

    @classmethod
    def from_clean(cls, clips, rate: int, *, cutoff_hz: float | None = None,
                   percentile: float = 25.0, **weights) -> Enhancement:
        """Targets from clean clips: B* is a low percentile of their brightness ratios."""
        cutoff = float(cutoff_hz or rate / 4)
        with torch.no_grad():
            ratios = [float(brightness_ratio(torch.as_tensor(np.asarray(c))[None].double(), rate,
                                             cutoff)) for c in clips]
        return cls(rate, float(np.percentile(ratios, percentile)), cutoff,
                   HighBandStats.fit(clips, rate, cutoff), **weights)

    def __call__(self, x):
        total = -self.lambda_int * modulation_reward(x, self.rate)
        total = total + self.lambda_br * brightness_loss(x, self.rate,
                                                         target=self.brightness_target,
                                                         cutoff_hz=self.cutoff_hz)
        if self.high_band is not None and self.lambda_sr:
            total = total + self.lambda_sr * self.high_band(x)
        return total + self.lambda_har * harshness_loss(x, self.rate)

"""AuralLoss: waveform ℓ1 mixed with a multi-resolution STFT loss (thesis eq. 4.4).

For each STFT setting ``r`` (FFT size, hop, Hann window length) the
multi-resolution term adds the spectral convergence (eq. 2.13)

    SC = ‖ |S(x̂)| − |S(x)| ‖_F / ‖ |S(x)| ‖_F

and the log-magnitude distance (eq. 2.14), here averaged over time-frequency
bins so that settings with different bin counts weigh alike,

    LOG = mean | log(|S(x̂)| + ε) − log(|S(x)| + ε) | ,

and the terms are averaged over the settings and over the batch. The total is
``(1 − α)·mean|x̂ − x| + α·MR-STFT`` with ``α = 0.3``.

The STFTs run in float32 with autocast switched off even when the rest of
training runs in half precision: magnitudes of quiet bins underflow in float16
and the logarithm then returns ``-inf``. ``ε`` sits inside the logarithm for the
same reason. The STFT is centred with reflection padding (``torch.stft``'s
default), the window of ``win_length`` samples is centred in the ``n_fft`` frame.

References
----------
.. [1] R. Yamamoto, E. Song, J.-M. Kim, "Parallel WaveGAN", ICASSP 2020
   (multi-resolution STFT loss and its three default settings).
.. [2] L. Terna, MSc thesis, Politecnico di Torino, 2026, eqs. 2.13, 2.14, 4.4.
"""

from __future__ import annotations

import torch
from torch import nn

#: (n_fft, hop, win_length) of Parallel WaveGAN's multi-resolution loss.
DEFAULT_RESOLUTIONS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))
DEFAULT_ALPHA = 0.3
DEFAULT_EPS = 1e-7


def stft_magnitude(x: torch.Tensor, n_fft: int, hop: int, win_length: int) -> torch.Tensor:
    """Float32 magnitude STFT ``(batch, bins, frames)`` of ``(batch, T)`` or ``(batch, 1, T)``.

    Examples
    --------
    >>> stft_magnitude(torch.ones(2, 1, 4096), 512, 128, 512).shape
    torch.Size([2, 257, 33])
    """
    if x.ndim == 3:
        x = x.squeeze(1)
    x = x.float()
    window = torch.hann_window(win_length, device=x.device, dtype=torch.float32)
    # reflection needs more samples than the half frame; very short inputs are zero-padded
    pad_mode = "reflect" if x.shape[-1] > n_fft // 2 else "constant"
    spec = torch.stft(x, n_fft=n_fft, hop_length=hop, win_length=win_length, window=window,
                      center=True, pad_mode=pad_mode, return_complex=True)
    # clamp before the square root: its gradient is infinite at exactly zero
    return torch.clamp(spec.real ** 2 + spec.imag ** 2, min=1e-14).sqrt()


class MultiResolutionSTFTLoss(nn.Module):
    """Spectral convergence + log-magnitude distance, averaged over STFT settings.

    Parameters
    ----------
    resolutions : sequence of (n_fft, hop, win_length)
    eps : float
        Added to magnitudes inside the logarithm.

    Examples
    --------
    >>> loss = MultiResolutionSTFTLoss()
    >>> x = torch.randn(1, 1, 8000)
    >>> float(loss(x, x))
    0.0
    """

    def __init__(self, resolutions=DEFAULT_RESOLUTIONS, eps: float = DEFAULT_EPS):
        super().__init__()
        self.resolutions = tuple(tuple(int(v) for v in r) for r in resolutions)
        for n_fft, hop, win in self.resolutions:
            if not (0 < hop <= win <= n_fft):
                raise ValueError(f"STFT setting (n_fft={n_fft}, hop={hop}, win={win}) "
                                 "needs 0 < hop ≤ win_length ≤ n_fft")
        self.eps = float(eps)

    def forward(self, estimate: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        device_type = estimate.device.type
        with torch.autocast(device_type=device_type, enabled=False):
            total = estimate.new_zeros((), dtype=torch.float32)
            for n_fft, hop, win in self.resolutions:
                mag_hat = stft_magnitude(estimate, n_fft, hop, win)
                mag = stft_magnitude(target, n_fft, hop, win)
                diff = torch.linalg.vector_norm(mag_hat - mag, dim=(1, 2))
                ref = torch.linalg.vector_norm(mag, dim=(1, 2)).clamp_min(self.eps)
                sc = diff / ref
                log = (torch.log(mag_hat + self.eps)
                       - torch.log(mag + self.eps)).abs().mean(dim=(1, 2))
                total = total + (sc + log).mean()
            return total / len(self.resolutions)


class AuralLoss(nn.Module):
    """``(1 − α)·ℓ1 + α·MR-STFT`` between an estimate and its clean target (eq. 4.4).

    Parameters
    ----------
    alpha : float
        Weight of the spectral term, 0.3 in the thesis baseline.
    resolutions, eps
        Passed to :class:`MultiResolutionSTFTLoss`.

    Examples
    --------
    >>> loss = AuralLoss()
    >>> x = torch.zeros(1, 1, 4000)
    >>> float(loss(x + 0.5, x + 0.5))
    0.0
    >>> round(float(AuralLoss(alpha=0.0)(x + 0.5, x)), 6)  # pure ℓ1
    0.5
    """

    def __init__(self, alpha: float = DEFAULT_ALPHA, resolutions=DEFAULT_RESOLUTIONS,
                 eps: float = DEFAULT_EPS):
        super().__init__()
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
        self.alpha = float(alpha)
        self.stft = MultiResolutionSTFTLoss(resolutions, eps)

    def forward(self, estimate: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if estimate.shape != target.shape:
            raise ValueError(f"estimate {tuple(estimate.shape)} and target {tuple(target.shape)} "
                             "differ in shape; crop both to the same length")
        l1 = (estimate.float() - target.float()).abs().mean()
        if self.alpha == 0.0:
            return (1.0 - self.alpha) * l1
        return (1.0 - self.alpha) * l1 + self.alpha * self.stft(estimate, target)


def aural_loss(estimate: torch.Tensor, target: torch.Tensor, alpha: float = DEFAULT_ALPHA,
               resolutions=DEFAULT_RESOLUTIONS, eps: float = DEFAULT_EPS) -> torch.Tensor:
    """Functional form of :class:`AuralLoss`.

    Examples
    --------
    >>> x = torch.zeros(1, 1, 4000)
    >>> round(float(aural_loss(x + 1.0, x, alpha=0.0)), 6)
    1.0
    """
    return AuralLoss(alpha, resolutions, eps)(estimate, target)


def neg_si_sdr(estimate: torch.Tensor, target: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Negative SI-SDR in dB, averaged over the batch (a differentiable training loss).

    The same definition as :func:`thesis_lib.metrics.si_sdr` (no mean removal):
    the target is scaled by ``α = <x̂, x> / <x, x>`` and the ratio is
    ``‖αx‖² / ‖αx − x̂‖²``. ``eps`` keeps silent crops finite.

    Examples
    --------
    >>> x = torch.sin(torch.arange(4000.0) / 7)[None, None]
    >>> round(float(neg_si_sdr(x + 0.1 * torch.cos(torch.arange(4000.0) / 3), x)), 1)
    -20.0
    """
    if estimate.shape != target.shape:
        raise ValueError(f"estimate {tuple(estimate.shape)} and target {tuple(target.shape)} "
                         "differ in shape; crop both to the same length")
    est = estimate.float().flatten(1)
    ref = target.float().flatten(1)
    alpha = (est * ref).sum(-1, keepdim=True) / (ref.square().sum(-1, keepdim=True) + eps)
    projection = alpha * ref
    ratio = (projection.square().sum(-1) + eps) / ((projection - est).square().sum(-1) + eps)
    return -10.0 * torch.log10(ratio).mean()


class ReleaseLoss(nn.Module):
    """:class:`AuralLoss` plus ``weight`` × negative SI-SDR (dB): the release recipe's loss.

    The aural terms keep the spectrum honest (the log-spectral distance is
    reported beside SI-SDR); the SI-SDR term aims the training at the figure of
    merit the chapters rank methods by.
    """

    def __init__(self, si_sdr_weight: float = 0.05):
        super().__init__()
        self.aural = AuralLoss()
        self.weight = float(si_sdr_weight)

    def forward(self, estimate: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.aural(estimate, target) + self.weight * neg_si_sdr(estimate, target)

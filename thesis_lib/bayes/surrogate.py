"""Surrogate likelihood p_ψ(y | x) = N(y; μ_ψ(x), diag ν_ψ(x)) (Terna 2026, §7.2, eqs. 7.13–7.30).

The emulator F(x, ξ) has no tractable density; a network maps the clean waveform x to
the per-sample mean μ_ψ(x) and log-variance s_ψ(x) of its output, trained by the
heteroscedastic Gaussian negative log-likelihood (eq. 7.27; Kendall & Gal 2017) on fresh
emulator draws. Minimising it minimises the expected KL divergence from the emulator's
conditional distribution to the surrogate (eqs. 7.17–7.22).

The backbone is a small :class:`~thesis_lib.bayes.nets.TinyUNet`; two 1×1 convolutions
are the heads of eq. 7.30. A learned linear FIR path from x to μ carries the part of
the response that is a linear filter (the beam blur and the gain) so the network only
has to learn the non-linear remainder. The log-variance is squashed smoothly into
``[s_min, s_max]`` (a hard clamp would stop its gradient) and ν = exp(s) + ε.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .nets import TinyUNet


def gaussian_nll(y, mu, log_var):
    """½ Σ_t [(y_t − μ_t)² e^{−s_t} + s_t] per batch item (eq. 7.51; sums over all but axis 0)."""
    per = 0.5 * ((y - mu) ** 2 * torch.exp(-log_var) + log_var)
    return per.reshape(per.shape[0], -1).sum(1)


def nll_gradients(y, mu, log_var):
    """Analytic ∂L/∂μ (eq. 7.52) and ∂L/∂s (eq. 7.53) of :func:`gaussian_nll`."""
    inv = torch.exp(-log_var)
    return (mu - y) * inv, 0.5 * (1 - (y - mu) ** 2 * inv)


class Surrogate(nn.Module):
    """μ_ψ(x), s_ψ(x) for waveforms ``(batch, 1, T)`` at the model's rate.

    Parameters
    ----------
    width, depth, kernel, max_width : int
        Backbone shape (:class:`~thesis_lib.bayes.nets.TinyUNet`).
    fir : int
        Taps of the linear path from x to μ (odd).
    s_min, s_max : float
        Bounds of the log-variance in units of ``y_scale²``.
    floor : float
        Variance floor ε in units of ``y_scale²``.
    x_scale, y_scale : float
        Typical amplitudes of clean input and emulator output; the network works on
        ``x / x_scale`` and predicts ``y / y_scale``.

    Examples
    --------
    >>> net = Surrogate(width=4, depth=2)
    >>> mu, s = net(torch.zeros(2, 1, 50))
    >>> mu.shape, bool((s >= net.s_min - 1e-6).all())
    (torch.Size([2, 1, 50]), True)
    """

    def __init__(self, *, width: int = 8, depth: int = 3, kernel: int = 5, fir: int = 31,
                 s_min: float = -12.0, s_max: float = 2.0, floor: float = 1e-6,
                 x_scale: float = 1.0, y_scale: float = 1.0, max_width: int = 32):
        super().__init__()
        if not s_min < s_max:
            raise ValueError(f"need s_min < s_max, got {s_min} and {s_max}")
        self.config = {"width": width, "depth": depth, "kernel": kernel, "fir": fir,
                       "s_min": s_min, "s_max": s_max, "floor": floor, "x_scale": x_scale,
                       "y_scale": y_scale, "max_width": max_width}
        self.s_min, self.s_max, self.floor = float(s_min), float(s_max), float(floor)
        self.register_buffer("x_scale", torch.tensor(float(x_scale)))
        self.register_buffer("y_scale", torch.tensor(float(y_scale)))
        self.body = TinyUNet(width=width, depth=depth, kernel=kernel, max_width=max_width)
        self.linear = nn.Conv1d(1, 1, fir, padding=fir // 2, bias=False)
        self.head_mu = nn.Conv1d(width, 1, 1)
        self.head_s = nn.Conv1d(width, 1, 1)
        nn.init.zeros_(self.head_mu.weight)
        nn.init.zeros_(self.head_mu.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return μ and the log-variance s = log ν (ν includes the floor), both like ``x``."""
        z = x / self.x_scale
        h = self.body(z)
        mu = (self.linear(z) + self.head_mu(h)) * self.y_scale
        span = self.s_max - self.s_min
        s = self.s_min + span * torch.sigmoid(self.head_s(h))
        nu = (torch.exp(s) + self.floor) * self.y_scale ** 2
        return mu, torch.log(nu)

    def gain(self) -> float:
        """DC gain of the linear path, ``y_scale/x_scale · Σ taps`` (the observation's slope)."""
        return float(self.linear.weight.detach().sum() * self.y_scale / self.x_scale)


class SurrogateLikelihood:
    """The surrogate as a likelihood for :func:`thesis_lib.bayes.guidance.guided_sample`.

    ``x_var`` (the variance of x_0 given x_t) widens ν by ``gain²·x_var``, the diagonal
    of J Σ Jᵀ for a unit-shape Jacobian with the surrogate's DC gain: an approximation.

    With ``variance_gradient=False`` (the default for guidance) ν is held fixed when the
    NLL is differentiated, so only the first term of eq. 7.54 guides the sampler (Fisher
    scoring). The second term pushes x towards inputs for which the surrogate predicts
    more noise whenever the residual exceeds the predicted spread — which it always does
    early in the reverse process, where x̂_0 is a crude estimate — and followed
    unchecked it drives the samples away from the data (observed on the chapter's models).
    """

    def __init__(self, surrogate: Surrogate, *, variance_gradient: bool = False):
        self.surrogate = surrogate
        self.gain2 = surrogate.gain() ** 2
        self.variance_gradient = bool(variance_gradient)

    def terms(self, x, y, x_var=None):
        mu, log_var = self.surrogate(x)
        if not self.variance_gradient:
            log_var = log_var.detach()
        nu = torch.exp(log_var)
        if x_var is not None:
            nu = nu + self.gain2 * torch.as_tensor(x_var, dtype=nu.dtype).reshape(-1)[0]
        quad = ((y - mu) ** 2 / nu).reshape(x.shape[0], -1).sum(1)
        return 0.5 * (quad + torch.log(nu).reshape(x.shape[0], -1).sum(1)), quad

    @torch.no_grad()
    def curvature(self, x):
        _, log_var = self.surrogate(x)
        return self.gain2 * torch.exp(-log_var).reshape(x.shape[0], -1).mean(1)

    def terms_and_curvature(self, x, y):
        """``(nll, curvature(x))`` from one forward pass of the surrogate (no ``x_var``)."""
        mu, log_var = self.surrogate(x)
        inv = torch.exp(-log_var.detach())
        if not self.variance_gradient:
            log_var = log_var.detach()
        quad = ((y - mu) ** 2 * torch.exp(-log_var)).reshape(x.shape[0], -1).sum(1)
        nll = 0.5 * (quad + log_var.reshape(x.shape[0], -1).sum(1))
        return nll, self.gain2 * inv.reshape(x.shape[0], -1).mean(1)


def predictive_interval(mu, log_var, level: float = 0.9):
    """Central ``level`` interval of N(μ, ν) per sample."""
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    sd = torch.exp(0.5 * log_var)
    return mu - z * sd, mu + z * sd


def nll_per_sample(surrogate: Surrogate, x, y) -> torch.Tensor:
    """Mean negative log-likelihood per audio sample, 2π constant included (nats)."""
    mu, log_var = surrogate(x)
    n = mu[0].numel()
    return gaussian_nll(y, mu, log_var) / n + 0.5 * math.log(2 * math.pi)

"""Diffusion prior p_θ(x): cosine schedule, ε-prediction network and the reverse samplers.

The forward process adds Gaussian noise, ``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε`` (Terna 2026,
§7.2, eqs. 7.31–7.33), with the cosine schedule of Nichol & Dhariwal (2021). A network
ε_θ(x_t, t) is trained to predict ε (eq. 7.34) and gives the Tweedie estimate
``x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t`` (eq. 7.35).

:func:`reverse_step` is one step of the generalised reverse process on any increasing
subsequence of the training times (Song et al. 2021): ``eta = 1`` is the ancestral DDPM
step of the re-spaced chain (Ho et al. 2020; Nichol & Dhariwal 2021), ``eta = 0`` the
deterministic DDIM step. The samplers take the network as a plain callable
``eps_fn(x_t, t)``, so an analytic score (tests) and a trained network are used alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .nets import TinyUNet


@dataclass(frozen=True)
class Schedule:
    """Cumulative noise levels ``ᾱ_t`` for ``t = 0 … steps`` (``ᾱ_0 = 1``).

    Examples
    --------
    >>> s = Schedule.cosine(1000)
    >>> float(s.alpha_bar[0]), bool(s.alpha_bar[-1] < 1e-4)
    (1.0, True)
    """

    alpha_bar: np.ndarray

    @classmethod
    def cosine(cls, steps: int, offset: float = 0.008, max_beta: float = 0.999) -> Schedule:
        """Cosine schedule ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2)."""
        if int(steps) < 1:
            raise ValueError(f"the diffusion needs at least one step, got steps={steps}")
        t = np.arange(int(steps) + 1) / int(steps)
        f = np.cos((t + offset) / (1 + offset) * np.pi / 2) ** 2
        alpha_bar = f / f[0]
        # per-step β clipped as in Nichol & Dhariwal (2021) so the last step stays finite
        betas = np.clip(1 - alpha_bar[1:] / alpha_bar[:-1], 0.0, max_beta)
        return cls(np.concatenate([[1.0], np.cumprod(1 - betas)]))

    @property
    def steps(self) -> int:
        return self.alpha_bar.size - 1

    def betas(self) -> np.ndarray:
        """Per-step variances β_t, t = 1 … steps (eq. 7.31)."""
        return 1 - self.alpha_bar[1:] / self.alpha_bar[:-1]

    def noise(self, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """Draw from q(x_t | x_0) with the given standard normal ``eps`` (eq. 7.33)."""
        ab = torch.as_tensor(self.alpha_bar, dtype=x0.dtype)[t].reshape(-1, *[1] * (x0.ndim - 1))
        return ab.sqrt() * x0 + (1 - ab).sqrt() * eps

    def timesteps(self, count: int, start: int | None = None) -> list[int]:
        """``count`` evenly spread times from ``start`` (default: the last) down to 1."""
        start = self.steps if start is None else int(start)
        if int(count) < 1:
            raise ValueError(f"the sampler needs at least one step, got steps={count}")
        if not 1 <= start <= self.steps:
            raise ValueError(f"start time must lie in [1, {self.steps}], got {start}")
        ts = np.unique(np.round(np.linspace(1, start, min(int(count), start))).astype(int))
        return [int(v) for v in ts[::-1]]


def x0_from_eps(x_t, eps, alpha_bar: float):
    """Tweedie estimate x̂_0 from the predicted noise (eq. 7.35)."""
    return (x_t - (1 - alpha_bar) ** 0.5 * eps) / alpha_bar ** 0.5


def eps_from_x0(x_t, x0, alpha_bar: float):
    """Noise consistent with ``x_t`` and a (possibly guided) ``x0``."""
    return (x_t - alpha_bar ** 0.5 * x0) / (1 - alpha_bar) ** 0.5


def reverse_step(x_t, x0, alpha_bar: float, alpha_bar_prev: float, eta: float, noise):
    """One step from time t to the previous time of the subsequence, given ``x̂_0``.

    ``eta = 1`` samples the DDPM posterior q(x_prev | x_t, x̂_0) of the re-spaced chain
    (eq. 7.50), ``eta = 0`` is the deterministic DDIM update.
    """
    eps = eps_from_x0(x_t, x0, alpha_bar)
    sigma = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar)
                   * (1 - alpha_bar / alpha_bar_prev)) ** 0.5
    direction = max(1 - alpha_bar_prev - sigma ** 2, 0.0) ** 0.5
    out = alpha_bar_prev ** 0.5 * x0 + direction * eps
    return out + sigma * noise if sigma > 0 else out


class EpsNet(nn.Module):
    """ε-prediction network ε_θ(x_t, t): a :class:`TinyUNet` with a time embedding.

    Examples
    --------
    >>> net = EpsNet(width=4, depth=2)
    >>> net(torch.zeros(2, 1, 40), torch.tensor([3, 7])).shape
    torch.Size([2, 1, 40])
    """

    def __init__(self, *, width: int = 8, depth: int = 4, kernel: int = 5, time_dim: int = 32,
                 max_width: int = 32):
        super().__init__()
        self.config = {"width": width, "depth": depth, "kernel": kernel, "time_dim": time_dim,
                       "max_width": max_width}
        self.body = TinyUNet(width=width, depth=depth, kernel=kernel, time_dim=time_dim,
                             max_width=max_width)
        self.head = nn.Conv1d(width, 1, 1)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x_t, torch.as_tensor(t).float()))


class Prior:
    """A trained ε-network, its schedule and the amplitude ``scale`` of its training data.

    ``clip`` bounds |x̂_0| in units of ``scale`` during sampling (the "clipped denoised"
    estimate of Ho et al. 2020). Near t = T, ᾱ_t is tiny and eq. 7.35 divides the residual
    of an imperfect ε_θ by √ᾱ_t: without a bound the first estimates are orders of magnitude
    larger than any audio and the chain never recovers.
    """

    def __init__(self, net: EpsNet, schedule: Schedule, scale: float, clip: float | None = 12.0):
        self.net, self.schedule, self.scale = net.eval(), schedule, float(scale)
        self.clip = None if clip is None else float(clip)

    def eps(self, x_t, t):
        return self.net(x_t, t)


def diffusion_loss(net, schedule: Schedule, x0: torch.Tensor, generator=None) -> torch.Tensor:
    """Monte-Carlo estimate of the ε-prediction objective (eq. 7.34), t ~ U{1 … T}."""
    t = torch.randint(1, schedule.steps + 1, (x0.shape[0],), generator=generator)
    eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    x_t = schedule.noise(x0, t, eps)
    return torch.mean((net(x_t, t) - eps) ** 2)


@torch.no_grad()
def sample_prior(eps_fn, schedule: Schedule, shape, *, steps: int | None = None,
                 eta: float = 1.0, generator=None, dtype=torch.float32) -> torch.Tensor:
    """Unconditional samples of the prior with ``steps`` reverse steps (all by default)."""
    ts = schedule.timesteps(steps or schedule.steps)
    x = torch.randn(shape, generator=generator, dtype=dtype)
    ab = schedule.alpha_bar
    for i, t in enumerate(ts):
        t_prev = ts[i + 1] if i + 1 < len(ts) else 0
        x0 = x0_from_eps(x, eps_fn(x, torch.full((shape[0],), t)), ab[t])
        x = reverse_step(x, x0, ab[t], ab[t_prev], eta,
                         torch.randn(shape, generator=generator, dtype=dtype))
    return x

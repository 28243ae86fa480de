"""Guided reverse diffusion: posterior samples of x given y (Terna 2026, §7.2, eqs. 7.45–7.57).

The posterior p(x | y) ∝ p_sur(y | x) · p_enh(x) · p_θ(x) (eq. 7.45) is sampled by running
the prior's reverse process with the gradient of the energy
``L_tot = L_NLL + β_t L_enh`` (eq. 7.46) evaluated at the prior's estimate x̂_0(x_t).
Three ways of injecting that gradient are offered (``mode``):

``"exact"``
    The score of the noisy-marginal likelihood p(y | x_t) is added to the prior score,
    ``ε ← ε + √(1 − ᾱ_t) ∇_{x_t} L``, with L the negative log of
    N(y; A x̂_0, Σ_y + A Σ_{0|t} Aᵀ) — the covariance of x_0 given x_t (``x0_var``)
    widens the likelihood. For a Gaussian prior and a linear Gaussian observation this
    gradient is the exact conditional score, so the reverse process samples the exact
    posterior as the number of steps grows (tested against the closed form).
``"dps"``
    Diffusion posterior sampling (Chung et al. 2023): Σ_{0|t} is dropped (the likelihood
    is evaluated at the point estimate x̂_0, which makes it too sharp at large t) and the
    step is normalised by the whitened residual norm, ``x_prev ← x_prev − ζ ∇_{x_t} L / ‖r‖``
    (eq. 7.56 with DPS's step rule). Needs one backward pass through the prior per step.
``"x0"``
    The update of eq. 7.49, ``x̂_0 ← x̂_0 − λ_t ∇_{x̂_0} L``, without the prior's Jacobian
    (no backward pass through ε_θ: the cheapest option on a CPU). The step
    ``λ_t = ζ / (1/r_t² + c)``, with ``c`` the likelihood's Gauss–Newton curvature and r_t² the
    variance of x_0 given x_t, is a Kalman update for a unit-gain observation.

The enhancement weight follows ``β_t = β*·g(t)`` with ``g(t) = 1 − t/T`` (eq. 7.57): zero
at the start of the reverse process, β* at its end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .diffusion import Schedule, eps_from_x0, reverse_step, x0_from_eps

MODES = ("exact", "dps", "x0")


class LinearGaussian:
    """Observation ``y = x Aᵀ + n``, ``n ~ N(0, noise_var·I)``, for batches of flat vectors.

    ``terms(x, y, x_var)`` returns the negative log-likelihood (without the 2π constant)
    of N(y; x Aᵀ, noise_var·I + A V Aᵀ) per batch item, with V = ``x_var`` (a vector: a
    diagonal, or a matrix), and the squared whitened residual.
    """

    def __init__(self, A: torch.Tensor, noise_var: float):
        self.A = torch.as_tensor(A, dtype=torch.float64)
        self.noise_var = float(noise_var)

    def mean(self, x):
        return x @ self.A.T

    def curvature(self, x):
        return torch.full((x.shape[0],), float((self.A ** 2).sum(0).mean()) / self.noise_var,
                          dtype=x.dtype)

    def terms(self, x, y, x_var=None):
        m = self.A.shape[0]
        cov = self.noise_var * torch.eye(m, dtype=x.dtype)
        if x_var is not None:
            V = torch.as_tensor(x_var, dtype=x.dtype)
            V = torch.diag(V) if V.ndim == 1 else V
            cov = cov + self.A @ V @ self.A.T
        chol = torch.linalg.cholesky(cov)
        r = (y - self.mean(x)).T
        w = torch.linalg.solve_triangular(chol, r, upper=False)
        quad = (w ** 2).sum(0)
        return 0.5 * quad + torch.log(torch.diagonal(chol)).sum(), quad


def enhancement_weight(beta_star: float, t: int, steps: int) -> float:
    """β_t = β*·g(t), g(t) = 1 − t/T (eq. 7.57)."""
    return float(beta_star) * (1.0 - t / steps)


@dataclass(frozen=True)
class GuidanceSettings:
    """How the reverse process is run and guided (the options of :func:`guided_sample`).

    Parameters
    ----------
    steps : int
        Number of reverse steps (a subsequence of the schedule's times).
    mode : {"exact", "dps", "x0"}
        How the likelihood gradient enters (see the module notes).
    zeta : float
        Guidance strength (1 for ``"exact"``).
    eta : float
        1 for ancestral (DDPM) steps, 0 for deterministic DDIM steps.
    beta_star : float
        Final enhancement weight β* (eq. 7.57).
    t_start : int, optional
        First time of the reverse process (default: the schedule's last); a warm start
        noises its initial estimate to this time.
    clip_x0 : float, optional
        Bound on |x̂_0| before guidance (see :class:`~thesis_lib.bayes.diffusion.Prior`);
        none by default, which the exactness tests require.
    """

    steps: int
    mode: str = "dps"
    zeta: float = 1.0
    eta: float = 1.0
    beta_star: float = 0.0
    t_start: int | None = None
    clip_x0: float | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"guidance mode must be one of {MODES}, got {self.mode!r}")
        if int(self.steps) < 1:
            raise ValueError(f"the sampler needs at least one step, got steps={self.steps}")


def guided_sample(eps_fn, schedule: Schedule, likelihood, y, *, shape,
                  settings: GuidanceSettings, x0_var=None, enhancement=None, x_init=None,
                  generator=None, dtype=torch.float32, progress=None) -> torch.Tensor:
    """Draw ``shape[0]`` posterior samples given observation ``y``.

    Parameters
    ----------
    eps_fn : callable
        ε_θ(x_t, t) of the prior (a network or an analytic function).
    schedule : Schedule
        The prior's noise schedule.
    likelihood : object
        Has ``terms(x, y, x_var) -> (nll, squared whitened residual)`` per batch item and
        ``curvature(x)`` (the ``"x0"`` mode's Gauss–Newton scale), e.g. :class:`LinearGaussian`
        or :class:`thesis_lib.bayes.surrogate.SurrogateLikelihood`. An optional
        ``terms_and_curvature(x, y)`` returning both from one evaluation is used by the
        ``"x0"`` mode when present (it spares a forward pass per step).
    y : tensor
        The observation (broadcast over the batch).
    shape : tuple
        Shape of the batch of samples, ``(K, …)``.
    settings : GuidanceSettings
        Steps, guidance mode and strength, DDPM/DDIM, enhancement weight, start time.
    x0_var : callable, optional
        ``x0_var(t)``: variance (vector) or covariance (matrix) of x_0 given x_t under the
        prior; required by ``"exact"``; in ``"x0"`` it sets the Kalman step.
    enhancement : callable, optional
        ``L_enh(x) -> (batch,)`` differentiable enhancement energy (eq. 7.37).
    x_init : tensor, optional
        Warm start: noise this estimate to ``settings.t_start`` and reverse from there
        (SDEdit).
    generator : torch.Generator, optional
        Source of all randomness: equal seeds give equal samples.
    dtype : torch.dtype
        Precision of the chain.
    progress : callable, optional
        Called once per step (a progress bar's ``update``).

    Notes
    -----
    The prior network is evaluated under :func:`torch.no_grad` whenever no gradient has
    to flow through it (``"x0"`` mode), which is what makes that mode cheap on a CPU.
    """
    mode, zeta, eta = settings.mode, float(settings.zeta), float(settings.eta)
    if mode == "exact" and x0_var is None:
        raise ValueError("mode 'exact' needs x0_var, the covariance of x_0 given x_t")
    if int(shape[0]) < 1:
        raise ValueError(f"need at least one posterior sample (K ≥ 1), got K={shape[0]}")
    ab = schedule.alpha_bar
    ts = schedule.timesteps(settings.steps, settings.t_start)
    x = torch.randn(shape, generator=generator, dtype=dtype)
    if x_init is not None:
        if settings.t_start is None:
            raise ValueError("a warm start needs t_start, the time to start reversing from")
        x_init = torch.as_tensor(x_init, dtype=dtype).expand(shape)
        x = ab[ts[0]] ** 0.5 * x_init + (1 - ab[ts[0]]) ** 0.5 * x
    y = torch.as_tensor(y, dtype=dtype)
    joint = getattr(likelihood, "terms_and_curvature", None)
    for i, t in enumerate(ts):
        t_prev = ts[i + 1] if i + 1 < len(ts) else 0
        beta_t = (enhancement_weight(settings.beta_star, t, schedule.steps)
                  if enhancement else 0.0)
        tt = torch.full((shape[0],), t)
        var = x0_var(t) if x0_var is not None else None
        if mode == "x0":
            with torch.no_grad():
                x0 = _clip(x0_from_eps(x, eps_fn(x, tt), ab[t]), settings.clip_x0)
            x0 = x0.requires_grad_(True)
            if joint is not None:
                nll, curv = joint(x0, y)
            else:
                nll, _ = likelihood.terms(x0, y, None)
                curv = likelihood.curvature(x0.detach())
            total = nll + (beta_t * enhancement(x0) if beta_t else 0.0)
            (grad,) = torch.autograd.grad(total.sum(), x0)
            r2 = float(var.mean()) if var is not None else math.inf
            curv = curv.detach().reshape(-1, *[1] * (x.ndim - 1))
            with torch.no_grad():
                x0 = x0.detach() - zeta * grad / (1.0 / r2 + curv)
                noise = torch.randn(shape, generator=generator, dtype=dtype)
                x = reverse_step(x, x0, ab[t], ab[t_prev], eta, noise)
        else:
            x = x.detach().requires_grad_(True)
            eps = eps_fn(x, tt)
            x0 = _clip(x0_from_eps(x, eps, ab[t]), settings.clip_x0)
            nll, quad = likelihood.terms(x0, y, var if mode == "exact" else None)
            total = nll + (beta_t * enhancement(x0) if beta_t else 0.0)
            (grad,) = torch.autograd.grad(total.sum(), x)
            noise = torch.randn(shape, generator=generator, dtype=dtype)
            with torch.no_grad():
                if mode == "exact":
                    eps = eps + (1 - ab[t]) ** 0.5 * zeta * grad
                    x0 = x0_from_eps(x, eps, ab[t])
                    x = reverse_step(x, x0, ab[t], ab[t_prev], eta, noise)
                else:
                    norm = quad.detach().clamp_min(1e-12).sqrt()
                    norm = norm.reshape(-1, *[1] * (x.ndim - 1))
                    x = reverse_step(x, x0, ab[t], ab[t_prev], eta, noise) - zeta * grad / norm
            x = x.detach()
        if progress is not None:
            progress()
    return x.detach()


def _clip(x0, bound):
    return x0 if bound is None else x0.clamp(-bound, bound)


def gaussian_x0_variance(schedule: Schedule, data_var: float):
    """``t ↦ Var(x_0 | x_t)`` for a prior with i.i.d. N(·, data_var) samples (scalar tensor).

    The Π-GDM-style widening used by the ``"x0"`` mode for a learned prior: exact for a
    white Gaussian prior, an approximation otherwise.
    """
    def var(t):
        a = schedule.alpha_bar[t]
        return torch.tensor([data_var * (1 - a) / (a * data_var + 1 - a)], dtype=torch.float64)
    return var


__all__ = [
    "MODES",
    "GuidanceSettings",
    "LinearGaussian",
    "enhancement_weight",
    "eps_from_x0",
    "gaussian_x0_variance",
    "guided_sample",
]

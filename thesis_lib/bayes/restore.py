"""Restoration of whole recordings by posterior sampling, and the model files it reads.

:class:`Restorer` holds a trained surrogate and prior. It resamples a recording to the
internal rate, cuts it into overlapping windows, draws K posterior samples per window
with :func:`~thesis_lib.bayes.guidance.guided_sample` (all K in one batch), joins sample k
of neighbouring windows with the raised-cosine crossfade of
:mod:`thesis_lib.denoise.inference` and returns the posterior mean, the per-sample
standard deviation and the samples at the recording's rate.

A warm start (Terna 2026, §7.2 leaves the initialisation open) noises an initial estimate,
by default the supervised U-Net's output, to an intermediate time and reverses from there
(SDEdit, Meng et al. 2022).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from thesis_lib._atomic import atomic_path
from thesis_lib._paths import BAYES_RELEASE
from thesis_lib._waveform import fit_length
from thesis_lib.denoise.inference import chunk_starts, crossfade_weights

from ._signal import check_observation, to_rate
from .diffusion import EpsNet, Prior, Schedule
from .draws import RATE
from .guidance import GuidanceSettings, gaussian_x0_variance, guided_sample
from .surrogate import Surrogate, SurrogateLikelihood

#: Released Bayesian models (surrogate + prior in one file), used by ``thesis restore``.
RELEASE_MODELS = BAYES_RELEASE


class ScaledLikelihood:
    """The surrogate seen from the prior's units: x_phys = scale · x_prior."""

    def __init__(self, likelihood: SurrogateLikelihood, scale: float):
        self.likelihood, self.scale = likelihood, float(scale)

    def terms(self, x, y, x_var=None):
        var = None if x_var is None else x_var * self.scale ** 2
        return self.likelihood.terms(x * self.scale, y, var)

    def curvature(self, x):
        return self.likelihood.curvature(x * self.scale) * self.scale ** 2

    def terms_and_curvature(self, x, y):
        nll, curv = self.likelihood.terms_and_curvature(x * self.scale, y)
        return nll, curv * self.scale ** 2


def save_models(path, surrogate: Surrogate, prior: Prior, extra: dict | None = None) -> Path:
    """Write both models and their shapes to one file, atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save({"format": "thesis_lib.bayes/1", "surrogate": surrogate.state_dict(),
                    "surrogate_config": surrogate.config, "prior": prior.net.state_dict(),
                    "prior_config": prior.net.config, "diffusion_steps": prior.schedule.steps,
                    "scale": prior.scale, "clip": prior.clip, "rate": RATE, **(extra or {})}, tmp)
    return path


def load_models(path=RELEASE_MODELS) -> tuple[Surrogate, Prior, dict]:
    """Read a file written by :func:`save_models`; a missing or foreign file raises clearly."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Bayesian model file {path} does not exist; train one with "
                                "python -m thesis_lib.bayes.release or pass --models")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
        surrogate = Surrogate(**state["surrogate_config"])
        surrogate.load_state_dict(state["surrogate"])
        net = EpsNet(**state["prior_config"])
        net.load_state_dict(state["prior"])
    except (KeyError, RuntimeError, TypeError, EOFError) as exc:
        raise ValueError(f"{path} is not a thesis_lib.bayes model file ({exc}); "
                         "save models with thesis_lib.bayes.restore.save_models") from exc
    prior = Prior(net, Schedule.cosine(int(state["diffusion_steps"])), float(state["scale"]),
                  state.get("clip", 12.0))
    return surrogate.eval(), prior, state


class Restorer:
    """Posterior sampling for recordings of any length (mono, internal rate handled here).

    Parameters
    ----------
    surrogate, prior
        Trained models (their weights are frozen: ``requires_grad`` is switched off).
    samples : int
        K, the number of posterior samples.
    steps : int
        Reverse diffusion steps.
    mode, zeta, eta
        Guidance options of :func:`~thesis_lib.bayes.guidance.guided_sample`.
    enhancement, beta_star
        Optional enhancement energy and its final weight.
    warm_start : float or None
        With an initial estimate passed to :meth:`__call__`, the fraction of the diffusion
        time to start from (0.4: start at t = 0.4·T).
    window_s, overlap_s : float
        Window and crossfade lengths in seconds at the internal rate.
    """

    def __init__(self, surrogate: Surrogate, prior: Prior, *, samples: int = 8,
                 steps: int = 50, mode: str = "x0", zeta: float = 1.0, eta: float = 1.0,
                 enhancement=None, beta_star: float = 0.0, warm_start: float | None = None,
                 window_s: float = 1.0, overlap_s: float = 0.125):
        if int(samples) < 1:
            raise ValueError(f"--samples must be at least 1 (K ≥ 1), got {samples}")
        if int(steps) < 1:
            raise ValueError(f"--steps must be at least 1, got {steps}")
        if warm_start is not None and not 0 < warm_start <= 1:
            raise ValueError(f"warm start fraction must lie in (0, 1], got {warm_start}")
        self.surrogate, self.prior = surrogate.eval(), prior
        # guidance differentiates with respect to the signal only; frozen weights spare
        # autograd the weight gradients (about half the cost of each backward pass)
        for p in (*surrogate.parameters(), *prior.net.parameters()):
            p.requires_grad_(False)
        self.samples, self.steps, self.mode = int(samples), int(steps), mode
        self.zeta, self.eta = float(zeta), float(eta)
        self.enhancement, self.beta_star = enhancement, float(beta_star)
        self.warm_start = warm_start
        self.window = round(window_s * RATE)
        self.overlap = min(round(overlap_s * RATE), self.window // 2)
        self.likelihood = ScaledLikelihood(SurrogateLikelihood(surrogate), prior.scale)
        self.x0_var = gaussian_x0_variance(prior.schedule, 1.0)

    def _window(self, y, init, seed, progress):
        k, n = self.samples, y.size
        kw = {}
        if init is not None:
            t0 = max(1, round(self.warm_start * self.prior.schedule.steps))
            kw = {"x_init": torch.tensor(init / self.prior.scale, dtype=torch.float32)[None, None],
                  "t_start": t0}
        enh = None
        if self.enhancement is not None and self.beta_star:
            scale = self.prior.scale

            def enh(v):
                return self.enhancement(v * scale)

        settings = GuidanceSettings(steps=self.steps, mode=self.mode, zeta=self.zeta,
                                    eta=self.eta, beta_star=self.beta_star,
                                    t_start=kw.pop("t_start", None), clip_x0=self.prior.clip)
        out = guided_sample(self.prior.eps, self.prior.schedule, self.likelihood,
                            torch.tensor(y, dtype=torch.float32)[None, None], shape=(k, 1, n),
                            settings=settings, x0_var=self.x0_var, enhancement=enh,
                            generator=torch.Generator().manual_seed(seed), progress=progress,
                            **kw)
        return out[:, 0].numpy().astype(np.float64) * self.prior.scale

    def sample(self, y, *, init=None, seed: int = 0, progress=None) -> np.ndarray:
        """K posterior samples ``(K, T)`` of a mono observation ``y`` at the internal rate."""
        y = check_observation(y, name="observation")
        if init is not None and self.warm_start is None:
            raise ValueError("an initial estimate needs warm_start (the start fraction)")
        n = y.size
        length = min(self.window, n)
        starts = chunk_starts(n, length, self.overlap)
        out = np.zeros((self.samples, n))
        weight = np.zeros(n)
        seeds = np.random.SeedSequence(int(seed)).generate_state(len(starts))
        last = len(starts) - 1
        for i, s in enumerate(starts):
            part = self._window(y[s:s + length], None if init is None else init[s:s + length],
                                int(seeds[i]), progress)
            w = crossfade_weights(length, self.overlap if length == self.window else 0,
                                  i > 0, i < last)
            out[:, s:s + length] += w * part
            weight[s:s + length] += w
        return out / np.maximum(weight, 1e-12)

    def total_steps(self, n: int) -> int:
        """Reverse steps for an ``n``-sample internal-rate signal (for a progress bar)."""
        per = self.steps
        if self.warm_start is not None:
            per = len(self.prior.schedule.timesteps(
                self.steps, max(1, round(self.warm_start * self.prior.schedule.steps))))
        return per * len(chunk_starts(n, min(self.window, n), self.overlap))

    def __call__(self, y, rate: int, *, init=None, seed: int = 0, progress=None) -> dict:
        """Restore mono ``y`` recorded at ``rate``: mean, sd and samples at ``rate``."""
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"Restorer takes one channel at a time, got shape {y.shape}")
        y16 = to_rate(y, rate, RATE)
        init16 = None if init is None else to_rate(init, rate, RATE)[:y16.size]
        samples16 = self.sample(y16, init=init16, seed=seed, progress=progress)
        samples = np.stack([fit_length(to_rate(s, RATE, rate), y.size) for s in samples16])
        mean = samples.mean(0)
        sd = samples.std(0, ddof=1) if self.samples > 1 else np.zeros_like(mean)
        return {"mean": mean, "sd": sd, "samples": samples}



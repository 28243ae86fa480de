"""Training loops of the surrogate (Algorithm 1 of Terna 2026, §7.2) and the diffusion prior.

:func:`fit` is the one optimisation loop (Adam, cosine decay, gradient clipping) with an
optional checkpoint file: a run that is stopped and restarted with the same arguments
continues from its last checkpoint instead of starting over. :func:`surrogate_batches`
draws a fresh emulator realisation for every clip crop at every step, and
:func:`clean_batches` cuts random crops of clean clips for the prior.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch

from thesis_lib._atomic import atomic_path

from .diffusion import EpsNet, Prior, Schedule, diffusion_loss
from .draws import ClipDraws
from .surrogate import Surrogate, gaussian_nll


def fit(model, loss_fn, batch_fn, *, steps: int, lr: float = 1e-3, checkpoint=None,
        every: int = 100, max_seconds: float | None = None, log=None) -> dict:
    """Minimise ``loss_fn(batch_fn(step))`` over ``model``'s parameters for ``steps`` steps.

    Parameters
    ----------
    checkpoint : path, optional
        Where model and optimiser state are written (atomically) every ``every`` steps and
        at the end; an existing file is resumed from.
    max_seconds : float, optional
        Stop early after this wall time (the state is saved, so a later call continues).

    Returns
    -------
    dict
        ``step`` reached, ``losses`` (mean per logging interval) and ``seconds`` of
        training, summed over the runs a resumed training took.
    """
    if int(steps) < 1:
        raise ValueError(f"training needs steps ≥ 1, got {steps}")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: 0.5 * (1 + math.cos(math.pi * min(k, steps) / steps)))
    step, losses, earlier_s = 0, [], 0.0
    if checkpoint is not None and Path(checkpoint).is_file():
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        step, losses = state["step"], state["losses"]
        earlier_s = state.get("seconds", 0.0)
    t0 = time.perf_counter()
    running = []
    model.train()
    while step < steps:
        loss = loss_fn(batch_fn(step))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        running.append(float(loss.detach()))
        stop = max_seconds is not None and time.perf_counter() - t0 > max_seconds
        if step % every == 0 or step == steps or stop:
            losses.append(float(np.mean(running)))
            running = []
            if log is not None:
                log(f"step {step}/{steps} loss {losses[-1]:.4f}")
            if checkpoint is not None:
                _save(checkpoint, model, opt, sched, step, losses,
                      earlier_s + time.perf_counter() - t0)
        if stop:
            break
    model.eval()
    return {"step": step, "losses": losses, "seconds": earlier_s + time.perf_counter() - t0}


def _save(path, model, opt, sched, step, losses, seconds):
    with atomic_path(path) as tmp:
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "step": step, "losses": losses,
                    "seconds": seconds}, tmp)


def surrogate_batches(clips: list[ClipDraws], *, batch: int, crop: int, seed: int,
                      crops_per_draw: int = 4):
    """``step ↦ (x, y)`` crops with fresh emulator draws at every step (Algorithm 1, line 4).

    Each draw is a whole clip; ``crops_per_draw`` crops at independent random positions
    are cut from it, so the noise of every crop is new at every step while the readout
    runs ``crops_per_draw`` times less often. The draw seeds are a function of
    (seed, step, slot), so a resumed run sees the same data.
    """
    def make(step):
        rng = np.random.default_rng([seed, step])
        xs, ys = [], []
        while len(xs) < batch:
            c = clips[int(rng.integers(len(clips)))]
            y = c.draw(int(rng.integers(2 ** 31)))
            for _ in range(min(crops_per_draw, batch - len(xs))):
                start = int(rng.integers(0, max(1, c.clean.size - crop + 1)))
                xs.append(c.clean[start:start + crop])
                ys.append(y[start:start + crop])
        return (torch.tensor(np.stack(xs), dtype=torch.float32)[:, None],
                torch.tensor(np.stack(ys), dtype=torch.float32)[:, None])
    return make


def clean_batches(signals: list[np.ndarray], *, batch: int, crop: int, seed: int, scale: float):
    """``step ↦ x_0`` random crops of clean clips divided by ``scale``, random polarity."""
    def make(step):
        rng = np.random.default_rng([seed, step, 1])
        out = []
        for _ in range(batch):
            s = signals[int(rng.integers(len(signals)))]
            start = int(rng.integers(0, max(1, s.size - crop + 1)))
            out.append(s[start:start + crop] * rng.choice([-1.0, 1.0]))
        return torch.tensor(np.stack(out) / scale, dtype=torch.float32)[:, None]
    return make


def train_surrogate(clips: list[ClipDraws], *, steps: int, batch: int = 8, crop: int = 4096,
                    seed: int = 0, width: int = 16, depth: int = 3, lr: float = 3e-3,
                    checkpoint=None, max_seconds=None, log=None):
    """Train a :class:`Surrogate` on fresh draws; returns ``(model, history)``."""
    probe = surrogate_batches(clips, batch=16, crop=crop, seed=seed + 7919)(0)
    x_scale = float(probe[0].std()) or 1.0
    y_scale = float(probe[1].std()) or 1.0
    torch.manual_seed(seed)
    model = Surrogate(width=width, depth=depth, x_scale=x_scale, y_scale=y_scale,
                      s_max=float(np.log(linear_residual_variance(*probe, x_scale, y_scale)))
                      + S_MAX_MARGIN)
    init_linear_path(model, *probe)
    batches = surrogate_batches(clips, batch=batch, crop=crop, seed=seed)

    def loss(b):
        x, y = b
        return gaussian_nll(y, *model(x)).mean() / x.shape[-1]

    history = fit(model, loss, batches, steps=steps, lr=lr, checkpoint=checkpoint,
                  max_seconds=max_seconds, log=log)
    return model, history


#: Upper bound of the surrogate's log-variance above that of the best linear filter's
#: residual (≈ ×4.5). The emulator's noise variance is bounded (tape noise ∝ p(1 − p) ≤ ¼,
#: constant measurement noise), and the residual of a linear fit already contains the noise
#: and the non-linearity; an unbounded ν lets inputs far outside the training range
#: "explain" any observation as noise, which guidance then exploits.
S_MAX_MARGIN = 1.5


def linear_residual_variance(x, y, x_scale, y_scale, taps: int = 31) -> float:
    """Variance (in units of ``y_scale²``) of y minus its least-squares linear filter of x."""
    design, rhs = _lagged(x / x_scale, taps), (y / y_scale)[:, 0].double().reshape(-1, 1)
    w = torch.linalg.lstsq(design, rhs).solution
    return float((rhs - design @ w).var())


def _lagged(z, taps):
    half = taps // 2
    z = z[:, 0].double()
    padded = torch.nn.functional.pad(z, (half, half))
    return torch.stack([padded[:, k:k + z.shape[1]] for k in range(taps)], -1).reshape(-1, taps)


def init_linear_path(model: Surrogate, x: torch.Tensor, y: torch.Tensor) -> None:
    """Start μ's linear FIR path at the least-squares filter from x to y, ν at the residual.

    The emulator's mean response is close to a linear filter (gain and beam blur); starting
    from the best such filter, and from a variance equal to its residual, spares the NLL the
    slow early phase where a tiny initial variance makes every residual look enormous.
    """
    taps = model.linear.weight.shape[-1]
    design = _lagged(x / model.x_scale, taps)
    rhs = (y / model.y_scale)[:, 0].double().reshape(-1, 1)
    w = torch.linalg.lstsq(design, rhs).solution[:, 0]
    resid = float((rhs[:, 0] - design @ w).var())
    with torch.no_grad():
        # Conv1d is a correlation: tap k multiplies z[t + k - half], as in the design matrix
        model.linear.weight.copy_(w.float().reshape(1, 1, taps))
        s0 = float(np.log(max(resid, 1e-8)))
        frac = (min(max(s0, model.s_min + 0.1), model.s_max - 0.1) - model.s_min)
        frac /= model.s_max - model.s_min
        model.head_s.bias.fill_(float(np.log(frac / (1 - frac))))
        model.head_s.weight.zero_()  # ν starts uniform; training makes it depend on x


def train_prior(signals: list[np.ndarray], *, steps: int, batch: int = 8, crop: int = 4096,
                seed: int = 0, width: int = 16, depth: int = 4, diffusion_steps: int = 200,
                lr: float = 2e-3, checkpoint=None, max_seconds=None, log=None):
    """Train an :class:`EpsNet` prior on clean clips; returns ``(prior, history)``.

    Clips are divided by their pooled RMS (kept as ``prior.scale``) so that the data
    variance is one, the level the cosine schedule assumes.
    """
    pooled = np.concatenate(signals)
    scale = float(np.sqrt(np.mean(pooled ** 2))) or 1.0
    # the bound on x̂_0 during sampling: a little above the loudest training sample
    clip = 1.1 * float(np.max(np.abs(pooled))) / scale
    torch.manual_seed(seed)
    net = EpsNet(width=width, depth=depth)
    schedule = Schedule.cosine(diffusion_steps)
    gen = torch.Generator().manual_seed(seed)
    batches = clean_batches(signals, batch=batch, crop=crop, seed=seed, scale=scale)
    history = fit(net, lambda x0: diffusion_loss(net, schedule, x0, gen), batches, steps=steps,
                  lr=lr, checkpoint=checkpoint, max_seconds=max_seconds, log=log)
    return Prior(net, schedule, scale, clip), history


"""Training loop of the denoiser (thesis §4.5), resumable and safe to interrupt.

Adam with weight decay, a cosine learning-rate schedule stepped per batch,
gradient clipping at norm 1.0, automatic mixed precision with a gradient scaler
on CUDA only, optional ``torch.compile``, a validation pass and a checkpoint at
the end of every epoch, TensorBoard scalars (losses, learning rate, RMS and peak
of estimate and target).

Interruptions: on SIGTERM (what SLURM sends at the wall-time limit), when the
``max_minutes`` budget is spent or ``max_steps`` is reached, the loop finishes
the current step, saves a checkpoint that records the epoch and the position in
the epoch, and returns. Calling :func:`train` again with the same output folder
resumes from that step: the batch order and the crops are pure functions of
``(seed, epoch, index)``, so an interrupted and resumed run follows the same
trajectory as an uninterrupted one. A finished run is not trained again.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from .batches import CroppedPairs, EpochSampler, collate_shortest, ignore_sigterm
from .checkpoint import read_checkpoint, save_checkpoint
from .config import RUNTIME_SETTINGS, TrainConfig, changed_settings, preset
from .loss import AuralLoss
from .schedule import warmup_cosine
from .stopping import StopFlag
from .unet import UNet1d, UNetConfig

# The settings, schedule, data walk and signal flag live in their own modules
# (config, schedule, batches, stopping); they stay importable from here, where
# callers have always found them.
__all__ = ["BEST_NAME", "CHECKPOINT_NAME", "RUNTIME_SETTINGS", "CroppedPairs", "EpochSampler",
           "StopFlag", "TrainConfig", "TrainResult", "apply_gradients", "collate_shortest",
           "evaluate_loss", "pick_device", "preset", "train", "warmup_cosine"]

CHECKPOINT_NAME = "checkpoint.pt"
BEST_NAME = "best.pt"


def apply_gradients(loss, model, optimizer, scaler, grad_clip: float) -> None:
    """Backward pass and one optimiser step: AMP loss scaling, then clipping at ``grad_clip``."""
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()


def pick_device(requested: str | None = None) -> torch.device:
    """``requested`` if given, else CUDA when available, else CPU."""
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class TrainResult:
    status: str  # "finished", "interrupted" or "already finished"
    step: int
    epoch: int
    checkpoint: Path
    best: Path
    metrics: dict


class _Run:
    """The mutable state of one training run: network, optimiser, schedule, counters.

    ``state`` holds what a checkpoint records besides the weights (step, epoch,
    position in the epoch, metrics); :meth:`checkpoint` and :meth:`resume` write
    and read it, so an interrupted run continues on the same trajectory.
    """

    def __init__(self, config: TrainConfig, n_train: int, device: torch.device):
        self.config, self.device = config, device
        torch.manual_seed(config.seed)
        self.model = UNet1d(UNetConfig(**config.model)).to(device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr,
                                          weight_decay=config.weight_decay)
        total_steps = max(1, config.epochs * math.ceil(n_train / config.batch_size))
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda step: warmup_cosine(step, total_steps, config.warmup_steps,
                                       config.min_lr_ratio))
        self.use_amp = bool(config.amp and device.type == "cuda")
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.state = {"step": 0, "epoch": 0, "batch_in_epoch": 0,
                      "metrics": {"history": [], "best_val_loss": float("inf")}}

    def resume(self, path: Path) -> bool:
        """Load the checkpoint at ``path``; True when it records a finished run."""
        saved = read_checkpoint(path)
        if saved["model_config"] != self.config.model:
            raise ValueError(f"{path} holds a different network ({saved['model_config']}); "
                             "use another --out folder or delete the checkpoint to start over")
        changed = changed_settings(saved.get("train_config", {}), self.config.to_dict())
        if changed:
            raise ValueError(f"{path} was trained with other settings ({', '.join(changed)}); "
                             "use another --out folder or delete the checkpoint to start over")
        self.model.load_state_dict(saved["state_dict"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        self.scaler.load_state_dict(saved["scaler"])
        self.state = {k: saved[k] for k in self.state}
        return bool(saved.get("finished"))

    def weights(self) -> dict:
        """What ``best.pt`` holds: the network, its settings and the counters."""
        return {"model_config": self.config.model, "state_dict": self.model.state_dict(),
                "train_config": self.config.to_dict(), **self.state}

    def checkpoint(self, path: Path, finished: bool = False) -> None:
        """Save everything needed to resume (or to know the run is finished)."""
        save_checkpoint(path, {**self.weights(), "optimizer": self.optimizer.state_dict(),
                               "scheduler": self.scheduler.state_dict(),
                               "scaler": self.scaler.state_dict(), "finished": finished,
                               "device": str(self.device)})


def train(config: TrainConfig, train_set, val_set, out_dir, device=None, on_step=None,
          log=print, progress: bool = False) -> TrainResult:
    """Train (or resume training) a :class:`UNet1d` on paired ``(y, x)`` clips.

    Parameters
    ----------
    config : TrainConfig
    train_set, val_set : Dataset
        Items ``(y, x)`` as float tensors ``(1, T)`` (degraded, clean).
    out_dir : path
        Receives ``checkpoint.pt`` (latest), ``best.pt`` (lowest validation loss)
        and ``tensorboard/``. An existing ``checkpoint.pt`` is resumed.
    device : str or torch.device, optional
        Defaults to CUDA when available.
    on_step : callable, optional
        Called as ``on_step(step, loss)`` after every optimiser step (tests use it
        to send SIGTERM mid-run).
    log : callable
        Receives one line per epoch and on resume/stop.
    progress : bool
        Show a tqdm bar over the batches of each epoch (updated at most every
        30 s when the output is not a terminal, e.g. a SLURM log).

    Returns
    -------
    TrainResult
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = pick_device(str(device) if device is not None else None)
    ckpt_path, best_path = out_dir / CHECKPOINT_NAME, out_dir / BEST_NAME
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(f"empty training ({len(train_set)}) or validation ({len(val_set)}) split; "
                         "generate paired data first (`thesis pairs`) and check --data")
    run = _Run(config, len(train_set), device)
    state = run.state
    if ckpt_path.exists():
        finished = run.resume(ckpt_path)
        state = run.state
        if finished:
            log(f"[train] {ckpt_path} is finished (step {state['step']}); nothing to do")
            return TrainResult("already finished", state["step"], state["epoch"], ckpt_path,
                               best_path, state["metrics"])
        log(f"[train] resuming from {ckpt_path} at step {state['step']} (epoch {state['epoch']})")

    runner = run.model
    if config.compile and hasattr(torch, "compile"):
        try:
            runner = torch.compile(run.model)
        except Exception as exc:  # noqa: BLE001 - compile is an optional speed-up
            log(f"[train] torch.compile unavailable ({exc}); running eagerly")
    loss_fn = AuralLoss(alpha=config.alpha, eps=config.loss_eps)
    writer = _writer(out_dir / "tensorboard")
    train_view = CroppedPairs(train_set, config.segment_length, config.seed)
    t_start = time.monotonic()

    def should_stop(stop) -> bool:
        minutes = (time.monotonic() - t_start) / 60
        return bool(stop.raised or (config.max_steps and state["step"] >= config.max_steps)
                    or (config.max_minutes and minutes >= config.max_minutes))

    status = "finished"
    with StopFlag() as stop:
        while state["epoch"] < config.epochs:
            value = _train_epoch(run, runner, train_view, loss_fn, writer, on_step,
                                 lambda: should_stop(stop), progress)
            if value is None:
                status = "interrupted"
                break
            val = evaluate_loss(runner, val_set, loss_fn, device, run.use_amp)
            _end_epoch(run, value, val, writer, best_path, log)
            run.checkpoint(ckpt_path)
        if status == "interrupted":
            log(f"[train] stopping at step {state['step']}; saved {ckpt_path}, re-run to resume")
        run.checkpoint(ckpt_path, finished=status == "finished")
    if writer:
        writer.close()
    return TrainResult(status, state["step"], state["epoch"], ckpt_path, best_path,
                       state["metrics"])


def _train_epoch(run: _Run, runner, train_view, loss_fn, writer, on_step, stop_now,
                 progress) -> float | None:
    """One epoch (or its rest, after a resume); the last batch loss, or None when stopped."""
    config, state, device = run.config, run.state, run.device
    epoch = state["epoch"]
    train_view.epoch = epoch
    sampler = EpochSampler(len(train_view), config.seed, epoch,
                           start=state["batch_in_epoch"] * config.batch_size)
    loader = DataLoader(train_view, batch_size=config.batch_size, sampler=sampler,
                        num_workers=config.num_workers, pin_memory=device.type == "cuda",
                        worker_init_fn=ignore_sigterm if config.num_workers else None,
                        collate_fn=collate_shortest)
    run.model.train()
    bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch",
               disable=not progress, mininterval=1 if sys.stderr.isatty() else 30)
    value = float("nan")
    for y, x in bar:
        y, x = y.to(device, non_blocking=True), x.to(device, non_blocking=True)
        run.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.float16, enabled=run.use_amp):
            loss = loss_fn(runner(y), x)
        apply_gradients(loss, run.model, run.optimizer, run.scaler, config.grad_clip)
        run.scheduler.step()
        state["step"] += 1
        state["batch_in_epoch"] += 1
        value = float(loss.detach())
        bar.set_postfix(loss=f"{value:.4f}", refresh=False)
        if writer and state["step"] % config.log_every == 0:
            writer.add_scalar("loss/train", value, state["step"])
            writer.add_scalar("lr", run.scheduler.get_last_lr()[0], state["step"])
        if on_step is not None:
            on_step(state["step"], value)
        if stop_now():
            return None
    return value


def _end_epoch(run: _Run, train_loss: float, val: dict, writer, best_path: Path, log) -> None:
    """Count the epoch, log and record its losses, and keep the best weights."""
    state = run.state
    state["epoch"] += 1
    state["batch_in_epoch"] = 0
    entry = {"epoch": state["epoch"], "step": state["step"], "train_loss": train_loss, **val}
    state["metrics"]["history"].append(entry)
    log(f"[train] epoch {state['epoch']}/{run.config.epochs} step {state['step']} "
        f"train {train_loss:.4f} val {val['val_loss']:.4f}")
    if writer:
        for key, v in entry.items():
            if key not in ("epoch", "step"):
                writer.add_scalar(key.replace("_", "/", 1), v, state["epoch"])
    if val["val_loss"] < state["metrics"]["best_val_loss"]:
        state["metrics"]["best_val_loss"] = val["val_loss"]
        save_checkpoint(best_path, run.weights())


@torch.no_grad()
def evaluate_loss(model, dataset, loss_fn, device, use_amp=False) -> dict:
    """Mean loss over the whole clips of ``dataset`` plus RMS and peak of estimates and targets."""
    was_training = model.training
    model.eval()
    total, count, stats = 0.0, 0, np.zeros(4)
    for i in range(len(dataset)):
        y, x = CroppedPairs(dataset, None)[i]
        y, x = y[None].to(device), x[None].to(device)
        with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
            est = model(y)
        total += float(loss_fn(est.float(), x))
        count += 1
        stats += [float(est.float().pow(2).mean().sqrt()), float(est.abs().max()),
                  float(x.pow(2).mean().sqrt()), float(x.abs().max())]
    model.train(was_training)
    stats /= max(count, 1)
    return {"val_loss": total / max(count, 1), "val_rms_estimate": stats[0],
            "val_peak_estimate": stats[1], "val_rms_target": stats[2], "val_peak_target": stats[3]}


def _writer(folder):
    try:
        # deferred on purpose: tensorboard loads slowly and a run without it still trains
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is a pinned dependency; tolerate its absence anyway
        return None
    return SummaryWriter(log_dir=str(folder))

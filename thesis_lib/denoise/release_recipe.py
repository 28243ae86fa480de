"""Release training recipe: the release network on fresh degradations, on a time budget.

One command trains a release network — by default the
:class:`~thesis_lib.denoise.spectral_net.SpectralNet`, or the waveform
:class:`~thesis_lib.denoise.release_net.ReleaseNet` (``--architecture``) — on pairs
drawn on the fly by :class:`~thesis_lib.denoise.onthefly.DegradationPool` from
the training tracks of the real-audio corpus (and, optionally, folders of clean
clips such as the embedded corpus's training split). The schedule is defined in
*training seconds*, not steps: a linear warm-up, then a cosine that reaches its
floor when ``minutes`` of training have been spent. So the recipe ends in the
same wall time on two CPU cores as on a GPU, and a GPU, when one is lent, simply
takes more steps in it. On CPU a training second is a second of the process's
CPU time divided by its threads, so a run on a shared, busy machine takes the
steps the recipe means, only later.

Resumable: ``checkpoint.pt`` in the run folder (written atomically every
``save_every_minutes`` and on SIGTERM/SIGINT or ``--stop-after``) holds the
weights, optimiser, step, training seconds spent and the pool's generation; a
re-run of the same command continues where it stopped, across sessions.
Validation: every ``val_every_minutes`` the mean SI-SDR of the fixed 5-s
excerpts of the *validation* tracks, degraded with default emulator parameters
(seeded, cached in the run folder); the best weights go to ``best.pt``.

Usage::

    nice -n 19 python -m thesis_lib.denoise.release_recipe --real CACHE --out RUN \\
        [--minutes 90] [--stop-after MIN] [--threads 2] [--device cuda] [--export PT]
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from thesis_lib import metrics
from thesis_lib._digest import file_sha256

from .checkpoint import build_network, read_checkpoint, save_checkpoint
from .loss import AuralLoss, ReleaseLoss
from .onthefly import DegradationPool, ParamRanges
from .release_net import ReleaseNetConfig
from .spectral_net import SpectralNetConfig
from .train import StopFlag, apply_gradients, pick_device

RATE = 44_100


@dataclass
class RecipeConfig:
    """Everything that shapes a release run; stored in its checkpoints."""

    minutes: float = 90.0            #: training time the schedule spans
    batch_size: int = 4              #: small batches: on CPU the number of updates limits
    crop: int = 32_768               #: samples per training crop (0.74 s, 128 STFT frames)
    lr: float = 2e-3
    warmup_steps: int = 50
    min_lr_ratio: float = 0.02
    weight_decay: float = 1e-5
    grad_clip: float = 1.0
    pool_size: int = 96
    clip_seconds: float = 3.0
    refresh: int = 3                 #: clips redrawn every ``refresh_every`` steps
    refresh_every: int = 10
    excerpts_per_track: int = 2      #: random 30-s stretches of each source track kept in memory
    inference_chunk: int = 65_536    #: overlap-add chunk of the exported model
    seed: int = 0
    save_every_minutes: float = 5.0
    val_every_minutes: float = 10.0
    si_sdr_weight: float = 0.05      #: weight of −SI-SDR (dB) beside the aural loss; 0: aural only
    #: the spectral net's filter starts as a pure delay of this many µs (0: all-pass, the
    #: release's setting); None: the read-out delay measured on the first pool
    #: (:func:`~thesis_lib.denoise.oracle.readout_delay`), which a 70-minute run tried
    filter_delay_us: float | None = 0.0
    #: a fine-tuning stage starts from these weights (a run's ``best.pt``) instead of a fresh
    #: network; its own warm-up and cosine then span ``minutes``. Recorded with the file's
    #: sha256 so a resumed or re-read run knows what it grew from.
    init: dict | None = None
    model: dict = field(default_factory=lambda: SpectralNetConfig().to_dict())
    ranges: dict = field(default_factory=lambda: ParamRanges().to_dict())

    def to_dict(self) -> dict:
        return asdict(self)


#: Network shapes ``--architecture`` chooses from (the first is the default).
ARCHITECTURES = {"spectral_net": SpectralNetConfig, "release_net": ReleaseNetConfig}

#: Overrides of ``--smoke``: a few minutes that show whether the loss falls (not a release).
SMOKE = dict(batch_size=4, crop=16_384, pool_size=16, clip_seconds=2.0, refresh=2,
             refresh_every=10, warmup_steps=20, val_every_minutes=1.0, save_every_minutes=1.0)


def lr_factor(seconds: float, step: int, config: RecipeConfig) -> float:
    """Warm-up over the first steps, then a cosine over the training-time budget.

    Examples
    --------
    >>> c = RecipeConfig(minutes=10, warmup_steps=10, min_lr_ratio=0.0)
    >>> lr_factor(0, 4, c), lr_factor(300, 50, c), lr_factor(600, 99, c)
    (0.5, 0.5, 0.0)
    """
    warm = min(1.0, (step + 1) / max(1, config.warmup_steps))
    progress = min(1.0, seconds / (60.0 * config.minutes))
    cosine = config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi
                                                                                  * progress))
    return warm * cosine


def load_sources(real_cache, clean_dirs=(), *, per_track: int = 2, seconds: float = 30.0,
                 seed: int = 0) -> list[np.ndarray]:
    """Clean mono float32 tracks at 44.1 kHz: random stretches of the real training tracks.

    Only the ``train`` split of :mod:`thesis_lib.data.real_audio` is read; every
    WAV/FLAC file under ``clean_dirs`` is added whole (resampled to 44.1 kHz).
    """
    import soundfile as sf

    from thesis_lib.data.audio import resample, to_mono
    from thesis_lib.data.real_audio import read_excerpt, split_tracks

    rng = np.random.default_rng(seed)
    out = []
    if real_cache:
        for path in split_tracks(real_cache, "train"):
            duration = sf.info(str(path)).duration
            for _ in range(per_track):
                start = float(rng.uniform(0, max(0.0, duration - seconds)))
                out.append(read_excerpt(path, start, seconds, RATE).astype(np.float32))
    for folder in clean_dirs:
        files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in (".wav", ".flac"))
        if not files:
            raise FileNotFoundError(f"--clean-dir {folder} holds no WAV or FLAC files")
        for path in files:
            audio, rate = sf.read(str(path), dtype="float32", always_2d=False)
            out.append(np.asarray(resample(to_mono(audio), rate, RATE), dtype=np.float32))
    if not out:
        raise ValueError("no clean audio: pass --real CACHE and/or --clean-dir DIR")
    return out


def validation_pairs(real_cache, run_dir: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Default-parameter degradations of the validation tracks' fixed excerpts (cached)."""
    from .headroom import real_pairs
    return real_pairs(real_cache, run_dir / "val_pairs", split="val", rate=RATE)


@torch.no_grad()
def validate(model, pairs, device) -> float:
    """Mean SI-SDR (dB) of the model's restorations of ``pairs``."""
    model.eval()
    scores = []
    for y, x in pairs:
        est = model(torch.as_tensor(y, dtype=torch.float32, device=device)[None, None])
        scores.append(metrics.si_sdr(np.asarray(x, np.float64),
                                     est[0, 0].double().cpu().numpy()))
    model.train()
    return float(np.mean(scores))


def train_release(config: RecipeConfig, sources, val_pairs, out_dir, *, device=None,
                  stop_after_minutes: float | None = None, log=print) -> dict:
    """Train (or resume) a release network; returns the run's state.

    Stops when ``config.minutes`` of training are spent (``finished``), when
    ``stop_after_minutes`` of this call are spent, or on SIGTERM/SIGINT
    (``interrupted``: re-run to resume).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = pick_device(str(device) if device is not None else None)
    ckpt, best = out_dir / "checkpoint.pt", out_dir / "best.pt"
    torch.manual_seed(config.seed)
    model = build_network(config.model).to(device)
    if config.init:
        model.load_state_dict(_init_weights(config.init))
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state = {"step": 0, "seconds": 0.0, "generation": 0, "best_val_si_sdr": -math.inf,
             "history": [], "filter_delay_us": None}
    if ckpt.exists():
        saved = read_checkpoint(ckpt)
        if saved["train_config"] != config.to_dict():
            raise ValueError(f"{ckpt} was trained with other settings; use another --out "
                             "folder or delete it to start over")
        model.load_state_dict(saved["state_dict"])
        opt.load_state_dict(saved["optimizer"])
        state = {k: saved.get(k, state[k]) for k in state}
        if saved.get("finished"):
            log(f"[release] {ckpt} is finished ({state['step']} steps)")
            return {**state, "status": "finished"}
        log(f"[release] resuming at step {state['step']} ({state['seconds'] / 60:.1f} min)")
    ranges = ParamRanges(**{k: tuple(v) if isinstance(v, list) else v
                            for k, v in config.ranges.items()})
    t0 = time.monotonic()
    pool = DegradationPool(sources, size=config.pool_size,
                           clip_samples=int(config.clip_seconds * RATE), rate=RATE,
                           ranges=ranges, seed=config.seed, generation=state["generation"])
    log(f"[release] pool of {config.pool_size} clips built in {time.monotonic() - t0:.0f} s")
    if state["step"] == 0 and hasattr(model, "set_delay") and not config.init:
        state["filter_delay_us"] = _start_delay_us(config, pool)
        model.set_delay(1e-6 * state["filter_delay_us"], RATE)
        log(f"[release] filter starts as a {state['filter_delay_us']:.1f} µs delay")
    loss_fn = ReleaseLoss(config.si_sdr_weight) if config.si_sdr_weight else AuralLoss()
    amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)

    def save(finished=False):
        state["generation"] = pool.generation
        save_checkpoint(ckpt, {"model_config": config.model, "state_dict": model.state_dict(),
                               "train_config": config.to_dict(), "optimizer": opt.state_dict(),
                               "finished": finished, "device": str(device), **state})

    clock = _training_clock(device)
    status = "finished"
    session_start = time.monotonic()
    last_save = last_val = state["seconds"]
    emu_before = pool.emulator_seconds
    model.train()
    with StopFlag((signal.SIGTERM, signal.SIGINT)) as stop:
        while state["seconds"] < 60.0 * config.minutes:
            tick = clock()
            if state["step"] % config.refresh_every == 0 and state["step"]:
                pool.refresh(config.refresh)
            rng = np.random.default_rng((config.seed, state["step"]))
            y, x = pool.batch(config.batch_size, config.crop, rng)
            y, x = y.to(device), x.to(device)
            for group in opt.param_groups:
                group["lr"] = config.lr * lr_factor(state["seconds"], state["step"], config)
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                loss = loss_fn(model(y), x)
            apply_gradients(loss, model, opt, scaler, config.grad_clip)
            state["step"] += 1
            state["seconds"] += clock() - tick
            value = float(loss.detach())
            if state["step"] % 20 == 0:
                state["history"].append({"step": state["step"], "minutes":
                                         round(state["seconds"] / 60, 2), "loss": value})
                log(f"[release] step {state['step']} {state['seconds'] / 60:.1f} min "
                    f"loss {value:.4f}")
            if state["seconds"] - last_val >= 60 * config.val_every_minutes:
                score = validate(model, val_pairs, device)
                last_val = state["seconds"]
                state["history"].append({"step": state["step"], "val_si_sdr_db": score,
                                         "minutes": round(state["seconds"] / 60, 2)})
                log(f"[release] validation SI-SDR {score:.2f} dB at step {state['step']}")
                if score > state["best_val_si_sdr"]:
                    state["best_val_si_sdr"] = score
                    save_checkpoint(best, {"model_config": config.model,
                                           "state_dict": model.state_dict(),
                                           "train_config": _inference_config(config), **state})
            if state["seconds"] - last_save >= 60 * config.save_every_minutes:
                save()
                last_save = state["seconds"]
            spent = (time.monotonic() - session_start) / 60
            if stop.raised or (stop_after_minutes and spent >= stop_after_minutes):
                status = "interrupted"
                break
        if status == "finished":
            score = validate(model, val_pairs, device)
            state["history"].append({"step": state["step"], "val_si_sdr_db": score})
            if score > state["best_val_si_sdr"]:
                state["best_val_si_sdr"] = score
                save_checkpoint(best, {"model_config": config.model,
                                       "state_dict": model.state_dict(),
                                       "train_config": _inference_config(config), **state})
        save(finished=status == "finished")
    share = (pool.emulator_seconds - emu_before) / max(1e-9, time.monotonic() - session_start)
    log(f"[release] {status} at step {state['step']} ({state['seconds'] / 60:.1f} min of "
        f"{config.minutes}); emulator share of this session {100 * share:.0f} %")
    return {**state, "status": status}


def _init_weights(init: dict) -> dict:
    """The float32 weights of ``init["path"]``, checked against its recorded sha256."""
    path = Path(init["path"])
    if not path.is_file():
        raise FileNotFoundError(f"--init {path}: no such checkpoint; pass the best.pt of the "
                                "run this stage continues")
    digest = file_sha256(path)
    if digest != init["sha256"]:
        raise ValueError(f"--init {path} has changed since this run started (sha256 {digest[:12]}"
                         f"… ≠ {init['sha256'][:12]}…); use another --out folder")
    return {k: v.float() if torch.is_floating_point(v) else v
            for k, v in read_checkpoint(path)["state_dict"].items()}


def _init_option(text: str | None, model: dict) -> dict | None:
    """``--init PT`` as the config's record (path and sha256); the shapes must match."""
    if text is None:
        return None
    path = Path(text).resolve()
    if not path.is_file():
        raise SystemExit(f"error: --init {text}: no such file; pass a finished run's best.pt")
    saved = read_checkpoint(path)
    if saved["model_config"] != model:
        raise SystemExit(f"error: --init {text} holds another network shape than "
                         "--architecture builds; pass a checkpoint of the same architecture")
    return {"path": str(path), "sha256": file_sha256(path)}


def _start_delay_us(config: RecipeConfig, pool: DegradationPool) -> float:
    """The configured start delay of the spectral filter, or the pool's read-out delay."""
    if config.filter_delay_us is not None:
        return float(config.filter_delay_us)
    from .oracle import readout_delay
    pairs = [(y, x) for y, x in zip(pool.ys, pool.xs, strict=True) if np.any(y)]
    return 1e6 * readout_delay(pairs, rate=RATE)


def _filter_delay_option(text: str) -> float | None:
    if text == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise SystemExit(f"error: --filter-delay-us {text!r} is neither a number of "
                         "microseconds nor 'auto'") from None


def _training_clock(device):
    """Seconds that count against the budget: wall time on a GPU, CPU time ÷ threads on CPU.

    On a shared machine the wall clock also counts the time other processes hold
    the cores, which would end the schedule after fewer steps than the recipe
    means; the process's CPU time divided by the torch threads is the time two
    dedicated cores would have taken.
    """
    if device.type == "cuda":
        return time.monotonic
    threads = max(1, torch.get_num_threads())
    return lambda: time.process_time() / threads


def _inference_config(config: RecipeConfig) -> dict:
    # Denoiser reads the rate and its overlap-add chunk from train_config
    return {**config.to_dict(), "sample_rate": RATE, "segment_length": config.inference_chunk}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", required=True, help="folder set up by thesis_lib.data.real_audio")
    parser.add_argument("--clean-dir", action="append", default=[],
                        help="extra folder of clean WAV/FLAC training clips (repeatable)")
    parser.add_argument("--out", required=True, help="run folder (resumed when it exists)")
    parser.add_argument("--minutes", type=float, default=90.0, help="training-time budget")
    parser.add_argument("--stop-after", type=float, default=None,
                        help="leave after this many minutes of this session (re-run to resume)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    parser.add_argument("--device", default=None, help="torch device (default: cuda if present)")
    parser.add_argument("--architecture", choices=sorted(ARCHITECTURES), default="spectral_net",
                        help="network to train (default: spectral_net)")
    parser.add_argument("--filter-delay-us", default="0", metavar="US|auto",
                        help="start of the spectral net's filter: a pure delay in µs (default 0, "
                             "all-pass) or 'auto', the read-out delay measured on the first pool")
    parser.add_argument("--init", default=None, metavar="PT",
                        help="fine-tune: start from this checkpoint's weights (a run's best.pt)")
    parser.add_argument("--lr", type=float, default=RecipeConfig.lr,
                        help=f"peak learning rate (default {RecipeConfig.lr:g})")
    parser.add_argument("--si-sdr-weight", type=float, default=RecipeConfig.si_sdr_weight,
                        help="weight of −SI-SDR (dB) beside the aural loss (default "
                             f"{RecipeConfig.si_sdr_weight:g}; 0: aural loss only)")
    parser.add_argument("--default-share", type=float, default=0.0,
                        help="share of training clips degraded with the default emulator "
                             "parameters instead of random ones (default 0)")
    parser.add_argument("--smoke", action="store_true",
                        help="small pool, batches, crops; validation every minute (learning check)")
    parser.add_argument("--export", default=None, metavar="PT",
                        help="after a finished run, write best.pt with float16 weights to PT")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not 0.0 <= args.default_share <= 1.0:
        raise SystemExit(f"error: --default-share {args.default_share} is not a probability; "
                         "pass a value in [0, 1]")
    if args.lr <= 0 or args.si_sdr_weight < 0:
        raise SystemExit("error: --lr must be positive and --si-sdr-weight not negative")
    model = ARCHITECTURES[args.architecture]().to_dict()
    config = RecipeConfig(minutes=args.minutes, model=model, lr=args.lr,
                          si_sdr_weight=args.si_sdr_weight,
                          ranges=ParamRanges(default_share=args.default_share).to_dict(),
                          filter_delay_us=_filter_delay_option(args.filter_delay_us),
                          init=_init_option(args.init, model), **(SMOKE if args.smoke else {}))
    out = Path(args.out)
    sources = load_sources(args.real, args.clean_dir, per_track=config.excerpts_per_track,
                           seed=config.seed)
    val = validation_pairs(args.real, out)
    print(f"[release] {len(sources)} source stretches, {len(val)} validation excerpts; "
          f"config {json.dumps(config.to_dict())}", flush=True)
    result = train_release(config, sources, val, out, device=args.device,
                           stop_after_minutes=args.stop_after,
                           log=lambda line: print(line, flush=True))
    if args.export:
        if result["status"] != "finished":
            raise SystemExit(f"error: the run in {out} has not finished; re-run the same "
                             "command to resume it before --export")
        from .checkpoint import export_release
        path = export_release(out / "best.pt", args.export, half=True)
        print(f"[release] {path} sha256 {file_sha256(path)}")
    return result


if __name__ == "__main__":
    main()

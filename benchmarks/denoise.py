"""Speed of the denoiser: CPU inference real-time factor and (on CUDA) training throughput.

Prints one JSON object (and writes it to ``--out`` if given):

* ``cpu_inference``: for the released checkpoint (if present) and for the
  ``quick`` and ``full`` architectures of :func:`thesis_lib.denoise.config.preset`
  (random weights: speed does not depend on them), the real-time factor
  ``audio seconds / wall seconds`` of :class:`~thesis_lib.denoise.inference.Denoiser`
  with its default settings on a ``--seconds`` recording at 44.1 kHz, with
  ``--threads`` torch threads (the release target is ≥ 50× on 2 cores), plus the
  multiply-accumulates per audio second of each network;
* ``settings`` (unless ``--no-sweep``): where the time goes — the same
  recording under other settings (chunk length, chunks per call, ``no_grad``
  instead of ``inference_mode``, the ``Conv1d`` layout instead of channels-last
  2-D, channels-last without frozen traces, bfloat16 autocast, one thread), each with its
  real-time factor and its largest deviation from the default output relative
  to the output's peak, measured in the same run;
* ``gpu_training`` (only when CUDA is available): clips per second of full
  training steps (forward, AuralLoss, backward, clipping, Adam) on 5-s clips at
  batch 16 with AMP, for the ``full`` architecture, after warm-up;
* ``recording`` (unless ``--no-recording``): the thesis U-Net release
  (``unet_release.pt``), the waveform release network (``release_net.pt``) and the
  spectral release network (``spectral_release.pt``) — random weights of an
  architecture whose file is absent: speed does not depend on them — side by
  side, each in a fresh subprocess restoring a
  ``--recording-seconds`` (3 minutes by default) **stereo** 44.1 kHz recording
  with ``--threads`` threads through :class:`~thesis_lib.denoise.inference.Denoiser`:
  wall-clock real-time factor, CPU seconds per audio second (less sensitive to
  other processes on a shared machine than the wall clock), and the child's peak
  resident memory (``ru_maxrss`` from ``os.wait4``);
* ``cpu_training`` (unless ``--no-training``): training throughput on the CPU
  with ``--threads`` threads, in crops and audio seconds per second, of the
  release recipe's step (batch 8 × 32768 samples, AuralLoss, AdamW) for both
  release networks and of the thesis U-Net's step at the same batch.

The host's load average is recorded beside the timings: the machine may be shared.

Usage: ``python benchmarks/denoise.py [--threads 2] [--seconds 30] [--no-sweep]
[--recording-seconds 180] [--no-recording] [--no-training] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _common import add_out_argument, emit

from thesis_lib.denoise.checkpoint import RELEASE_CHECKPOINT, load_denoiser, macs_per_second
from thesis_lib.denoise.config import preset
from thesis_lib.denoise.fast import ChannelsLastUNet
from thesis_lib.denoise.inference import Denoiser
from thesis_lib.denoise.loss import AuralLoss
from thesis_lib.denoise.release_net import ReleaseNet
from thesis_lib.denoise.spectral_net import SpectralNet
from thesis_lib.denoise.speed import measure_speed
from thesis_lib.denoise.unet import UNet1d, UNetConfig

RATE = 44_100
#: Where each release network ships once trained (see data_manifests/models.yml).
RELEASE_FILES = {"release_net": RELEASE_CHECKPOINT.with_name("release_net.pt"),
                 "spectral_net": RELEASE_CHECKPOINT.with_name("spectral_release.pt")}
RELEASE_NETS = {"release_net": ReleaseNet, "spectral_net": SpectralNet}


def timed(
    denoiser, audio, repeats: int = 2, context=contextlib.nullcontext
) -> tuple[float, np.ndarray]:
    """Best wall time of ``repeats`` runs (after a short warm-up) and the output."""
    with context():
        denoiser(audio[:RATE], RATE)
        best, out = float("inf"), None
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = denoiser(audio, RATE)
            best = min(best, time.perf_counter() - t0)
    return best, out


class _NoGradDenoiser(Denoiser):
    """The pre-optimisation call path: ``torch.no_grad`` and the ``Conv1d`` network."""

    @torch.no_grad()
    def _run(self, batch):
        y = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))[:, None]
        return self.model(y)[:, 0].numpy()


def _bf16():
    return torch.autocast("cpu", dtype=torch.bfloat16)


def inference_report(name, model, train_config, seconds: float, threads: int, sweep: bool) -> dict:
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, int(seconds * RATE))
    den = Denoiser(model=model, train_config=train_config)
    wall, reference = timed(den, audio)
    entry = {
        "audio_s": seconds,
        "wall_s": round(wall, 3),
        "real_time_factor": round(seconds / wall, 2),
        "chunk": den.chunk,
        "overlap": den.overlap,
        "batch_size": den.batch_size,
        "parameters": model.count_parameters(),
        "gmac_per_audio_s": round(macs_per_second(model, RATE) / 1e9, 3),
    }
    if not sweep:
        return entry
    peak = float(np.max(np.abs(reference)))

    def eager_channels_last():
        d = Denoiser(model=model, train_config=train_config)
        d.runner = ChannelsLastUNet(model)
        return d

    variants = {
        "before (Conv1d layout, no_grad, 1 chunk per call)": (
            lambda: _NoGradDenoiser(
                model=model, train_config=train_config, batch_size=1, channels_last=False
            ),
            None,
        ),
        "Conv1d layout": (
            lambda: Denoiser(model=model, train_config=train_config, channels_last=False),
            None,
        ),
        "channels-last, not frozen": (eager_channels_last, None),
        "1 chunk per call": (
            lambda: Denoiser(model=model, train_config=train_config, batch_size=1),
            None,
        ),
        "4 chunks per call": (
            lambda: Denoiser(model=model, train_config=train_config, batch_size=4),
            None,
        ),
        "chunk x2 (changes the output)": (
            lambda: Denoiser(
                model=model, train_config=train_config, chunk_seconds=2 * den.chunk / RATE
            ),
            None,
        ),
        "bfloat16 autocast": (lambda: den, _bf16),
        "1 thread": (lambda: den, "threads1"),
    }
    entry["settings"] = {}
    repeats = 2 if wall < 5 else 1  # slow networks: one timed run per setting
    for label, (make, ctx) in variants.items():
        if ctx == "threads1":
            torch.set_num_threads(1)
            w, out = timed(make(), audio, repeats)
            torch.set_num_threads(threads)
        else:
            w, out = timed(make(), audio, repeats, context=ctx or contextlib.nullcontext)
        entry["settings"][label] = {
            "real_time_factor": round(seconds / w, 2),
            "max_abs_diff_over_peak": float(np.max(np.abs(out - reference)) / peak),
        }
        print(f"[bench] {name} {label}: {seconds / w:.2f}x", flush=True)
    return entry


def gpu_training_throughput(
    model_config: dict, steps: int = 20, batch: int = 16, clip_samples: int = 5 * RATE
) -> dict:
    device = torch.device("cuda")
    model = UNet1d(UNetConfig(**model_config)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=3e-5)
    scaler = torch.amp.GradScaler("cuda")
    loss_fn = AuralLoss()
    y = torch.randn(batch, 1, clip_samples, device=device) * 0.2
    x = torch.randn(batch, 1, clip_samples, device=device) * 0.2

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = loss_fn(model(y), x)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    return {
        "device": torch.cuda.get_device_name(0),
        "batch": batch,
        "clip_samples": clip_samples,
        "steps": steps,
        "wall_s": round(wall, 3),
        "clips_per_s": round(steps * batch / wall, 2),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
    }


def _recording_model(name: str):
    """The network and train_config of a side-by-side entry, and where its weights came from."""
    if name == "thesis_unet_release":
        model, meta = load_denoiser(RELEASE_CHECKPOINT)
        return model, meta["train_config"], str(RELEASE_CHECKPOINT.name)
    path = RELEASE_FILES[name]
    if path.exists():
        model, meta = load_denoiser(path)
        return model, meta["train_config"], str(path.name)
    torch.manual_seed(0)
    model = RELEASE_NETS[name]().eval()
    with torch.no_grad():  # zero-initialised layers would make it the identity
        for p in model.parameters():
            if not p.any():
                p.normal_(0.0, 0.02)
    return model, {"sample_rate": RATE, "segment_length": 65_536}, "random (untrained)"


def child_recording(name: str, seconds: float, threads: int) -> dict:
    """Restore a stereo recording once after a warm-up; wall and CPU seconds (runs in a child)."""
    torch.set_num_threads(threads)
    model, train_config, weights = _recording_model(name)
    den = Denoiser(model=model, train_config=train_config)
    # the warm-up runs each batch shape the recording will use, so that tracing and
    # freezing (once per shape) happen before the clock starts
    speed = measure_speed(den, seconds=seconds, channels=2, sample_rate=RATE, seed=0,
                          warm_up="every_batch_shape")
    count = model.count_parameters() if hasattr(model, "count_parameters") else None
    return {
        "weights": weights,
        "audio_s": seconds,
        "channels": speed["channels"],
        "threads": speed["threads"],
        "wall_s": round(speed["wall_s"], 2),
        "real_time_factor": round(speed["real_time_factor"], 2),
        "cpu_s_per_audio_s": round(speed["cpu_s"] / seconds, 4),
        "real_time_factor_from_cpu_time": round(speed["real_time_factor_from_cpu_time"], 2),
        "chunk": den.chunk,
        "batch_size": den.batch_size,
        "parameters": count,
        "gmac_per_audio_s_per_channel": round(macs_per_second(model, RATE) / 1e9, 3),
    }


def recording_report(seconds: float, threads: int) -> dict:
    """Each model in its own subprocess, so its peak RSS is its own."""
    out = {}
    for name in ("thesis_unet_release", "release_net", "spectral_net"):
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            name,
            "--recording-seconds",
            str(seconds),
            "--threads",
            str(threads),
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            out[name] = {"error": f"child exited with {proc.returncode}"}
            continue
        entry = json.loads(stdout.strip().splitlines()[-1])
        entry["peak_rss_mib"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports KiB
        out[name] = entry
        print(
            f"[bench] {name}: {entry['real_time_factor']}x wall, "
            f"{entry['real_time_factor_from_cpu_time']}x from CPU time, "
            f"{entry['peak_rss_mib']} MiB",
            flush=True,
        )
    return out


def _train_steps(model, steps: int, batch: int, crop: int) -> float:
    """Wall seconds of ``steps`` training steps after one warm-up step."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = AuralLoss()
    y, x = torch.randn(batch, 1, crop) * 0.2, torch.randn(batch, 1, crop) * 0.2
    t0 = 0.0
    for i in range(steps + 1):
        if i == 1:
            t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss_fn(model(y), x).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return time.perf_counter() - t0


def cpu_training_throughput(
    threads: int, steps: int = 3, batch: int = 8, crop: int = 32_768
) -> dict:
    """Crops and audio seconds per second of CPU training steps, both architectures."""
    torch.set_num_threads(threads)
    out = {}
    nets = {
        "release_net": ReleaseNet,
        "spectral_net": SpectralNet,
        "thesis_unet": lambda: UNet1d(UNetConfig(**preset("full").model)),
    }
    for name, make in nets.items():
        torch.manual_seed(0)
        wall = _train_steps(make().train(), steps, batch, crop)
        out[name] = {
            "batch": batch,
            "crop_samples": crop,
            "steps": steps,
            "wall_s": round(wall, 2),
            "crops_per_s": round(steps * batch / wall, 2),
            "audio_s_per_s": round(steps * batch * crop / RATE / wall, 2),
        }
        print(f"[bench] training {name}: {out[name]['crops_per_s']} crops/s", flush=True)
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--models",
        default="release,quick,full",
        help="comma-separated subset of release, quick, full",
    )
    parser.add_argument("--no-sweep", action="store_true", help="only the default settings")
    parser.add_argument(
        "--recording-seconds",
        type=float,
        default=180.0,
        help="length of the stereo recording of the side-by-side run",
    )
    parser.add_argument("--no-recording", action="store_true", help="skip the side-by-side run")
    parser.add_argument("--no-training", action="store_true", help="skip CPU training speed")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    add_out_argument(parser)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child_recording(args.child, args.recording_seconds, args.threads)))
        return {}
    torch.set_num_threads(args.threads)
    report = {
        "host": platform.node(),
        "torch": torch.__version__,
        "threads": args.threads,
        "load_average_before": list(os.getloadavg()),
        "cpu_inference": {},
    }
    torch.manual_seed(0)
    models = {}
    if not args.no_recording:
        report["recording"] = recording_report(args.recording_seconds, args.threads)
    if not args.no_training:
        report["cpu_training"] = cpu_training_throughput(args.threads)
    for name in filter(None, args.models.split(",")):
        if name == "release":
            if RELEASE_CHECKPOINT.exists():
                model, meta = load_denoiser(RELEASE_CHECKPOINT)
                models[name] = (model, meta["train_config"])
        else:
            cfg = preset(name)
            model = UNet1d(UNetConfig(**cfg.model)).eval()
            torch.nn.init.normal_(model.head.weight, std=0.01)  # not the identity
            models[name] = (model, cfg.to_dict())
    for name, (model, train_config) in models.items():
        report["cpu_inference"][name] = inference_report(
            name, model, train_config, args.seconds, args.threads, not args.no_sweep
        )
    report["load_average_after"] = list(os.getloadavg())
    if torch.cuda.is_available():
        report["gpu_training"] = gpu_training_throughput(preset("full").model)
    return emit(report, args.out)


if __name__ == "__main__":
    main()

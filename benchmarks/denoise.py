"""Speed of the denoiser: CPU inference real-time factor and (on CUDA) training throughput.

Prints one JSON object (and writes it to ``--out`` if given):

* ``cpu_inference``: for the released checkpoint (if present) and for the
  ``full`` / ``quick`` architectures, the real-time factor
  ``audio seconds / wall seconds`` of overlap-add inference of a 30-s
  recording at 44.1 kHz with ``--threads`` torch threads (target ≥ 50× on 2 cores);
* ``gpu_training`` (only when CUDA is available): clips per second of full
  training steps (forward, AuralLoss, backward, clipping, Adam) on 5-s clips at
  batch 16 with AMP, for the ``full`` architecture, after warm-up.

Usage: ``python benchmarks/denoise.py [--threads 2] [--seconds 30] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

from thesis_lib.denoise.checkpoint import RELEASE_CHECKPOINT, load_denoiser
from thesis_lib.denoise.inference import Denoiser
from thesis_lib.denoise.loss import AuralLoss
from thesis_lib.denoise.train import PRESETS
from thesis_lib.denoise.unet import UNet1d, UNetConfig
from thesis_lib.provenance import write_json_atomic


def inference_rtf(model, seconds: float, rate: int = 44_100, repeats: int = 2) -> dict:
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, int(seconds * rate))
    den = Denoiser(model=model, sample_rate=rate)
    den(audio[: rate], rate)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        den(audio, rate)
        best = min(best, time.perf_counter() - t0)
    return {"audio_s": seconds, "wall_s": round(best, 3), "real_time_factor": round(seconds / best, 2),
            "parameters": model.count_parameters()}


def gpu_training_throughput(model_config: dict, steps: int = 20, batch: int = 16,
                            clip_samples: int = 5 * 44_100) -> dict:
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
    return {"device": torch.cuda.get_device_name(0), "batch": batch, "clip_samples": clip_samples,
            "steps": steps, "wall_s": round(wall, 3), "clips_per_s": round(steps * batch / wall, 2),
            "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    report = {"host": platform.node(), "torch": torch.__version__, "threads": args.threads,
              "cpu_inference": {}}
    models = {name: UNet1d(UNetConfig(**PRESETS[name].model)).eval() for name in ("full", "quick")}
    if RELEASE_CHECKPOINT.exists():
        models["release"] = load_denoiser(RELEASE_CHECKPOINT)[0]
    for name, model in models.items():
        report["cpu_inference"][name] = inference_rtf(model, args.seconds)
    if torch.cuda.is_available():
        report["gpu_training"] = gpu_training_throughput(PRESETS["full"].model)
    print(json.dumps(report, indent=2))
    if args.out:
        write_json_atomic(args.out, report)
    return report


if __name__ == "__main__":
    main()

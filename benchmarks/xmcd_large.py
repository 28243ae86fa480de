"""Memory and time of `thesis mask` and `thesis extract` on a large compressed detector.

Writes a series of a few scan files, each one stack of 4 x FRAMES frames of a
SIZE x SIZE uint32 detector in acquisition order with per-frame helicity and
magnetisation labels (the ``stack`` layout of :mod:`thesis_lib.xmcd.foreign`),
compressed with bitshuffle-LZ4 as Eiger file writers do. Then runs mask and
extract through that layout, each in its own subprocess, and prints JSON with
each stage's peak resident memory (``ru_maxrss``) and wall time.

    PYTHONPATH=. python benchmarks/xmcd_large.py [--size 2048] [--frames 20] [--files 3]

The acceptance case is the default: 2048 x 2048, 4 x 20 frames per file, peak
RSS <= 1.5 GB in each stage.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
from _common import ROOT, add_out_argument, emit

from thesis_lib.xmcd.foreign import FILTERS, LAYOUT_TEXT

COMBOS = ((1, 1), (-1, 1), (1, -1), (-1, -1))

_STAGE = r"""
import json, resource, sys, time
from thesis_lib.mask.files import write_mask, write_waveform
from thesis_lib.xmcd.layout import load_layout
stage, series, layout, out = sys.argv[1:5]
t0 = time.perf_counter()
if stage == "mask":
    write_mask(series, out, layout=load_layout(layout))
else:
    write_waveform(series, sys.argv[5], out, layout=load_layout(layout))
print(json.dumps({"wall_s": time.perf_counter() - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_series(folder: Path, size: int, frames: int, files: int, seed: int = 0) -> float:
    """Write the series frame by frame (the writer never holds a whole stack); returns bytes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    smag = 60.0 * (np.exp(-((yy - 0.5) ** 2 + (xx - 0.4) ** 2) / 0.002)
                   - np.exp(-((yy - 0.5) ** 2 + (xx - 0.6) ** 2) / 0.002))
    s0 = 2000.0 + 500.0 * np.sin(6 * xx) * np.cos(4 * yy)
    grain = rng.integers(0, 8, (size, size)).astype(np.float32)
    for t in range(files):
        s_t = 0.6 + 0.4 * np.sin(2 * np.pi * t / max(files, 2))   # no sign flip: a clear mask
        labels = [hm for hm in COMBOS for _ in range(frames)]
        order = rng.permutation(len(labels))
        with h5py.File(folder / f"pos_{t:04d}.h5", "w") as h5:
            m = h5.create_group("entry/measurement")
            ds = m.create_dataset("frames", (len(labels), size, size), dtype=np.uint32,
                                  chunks=(1, size, size), **FILTERS["bitshuffle-lz4"])
            for k, i in enumerate(order):
                h, mm = labels[i]
                # counting noise stand-in: the grain pattern moved by the frame index
                frame = s0 + h * mm * s_t * smag + np.roll(grain, k, axis=1)
                ds[k] = np.rint(frame).astype(np.uint32)
            m["helicity"] = np.array([labels[i][0] for i in order], np.int8)
            m["field_sign"] = np.array([labels[i][1] for i in order], np.int8)
            m["x"] = 25.0 * t
            m["x"].attrs["units"] = "um"
            m["time"] = 2000.0
            m["time"].attrs["units"] = "ms"
    return sum(p.stat().st_size for p in folder.glob("*.h5"))


def run_stage(*args) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _STAGE, *map(str, args)], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2048, help="detector side in pixels")
    ap.add_argument("--frames", type=int, default=20, help="frames per (h, m) block")
    ap.add_argument("--files", type=int, default=3, help="scan positions")
    ap.add_argument("--workdir", default=None,
                    help="where to write the series (default: a temporary folder)")
    add_out_argument(ap)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        series = tmp / "series"
        series.mkdir()
        t0 = time.perf_counter()
        stored = write_series(series, args.size, args.frames, args.files)
        t_write = time.perf_counter() - t0
        layout = tmp / "layout.yml"
        layout.write_text(LAYOUT_TEXT["stack"])
        mask = run_stage("mask", series, layout, tmp / "mask.npz")
        extract = run_stage("extract", series, layout, tmp / "waveform.npz", tmp / "mask.npz")
        with np.load(tmp / "waveform.npz") as w:
            s = w["s"].tolist()
    raw = args.files * 4 * args.frames * args.size ** 2 * 4
    return emit({
        "detector": f"{args.size}x{args.size}", "frames_per_block": args.frames,
        "files": args.files, "dtype": "uint32", "filter": "bitshuffle-lz4",
        "raw_mb_per_file": round(raw / args.files / 2**20, 1),
        "stored_mb_per_file": round(stored / args.files / 2**20, 1),
        "write_s": round(t_write, 1),
        "mask_peak_rss_mb": round(mask["peak_rss_mb"], 1), "mask_wall_s": round(mask["wall_s"], 1),
        "extract_peak_rss_mb": round(extract["peak_rss_mb"], 1),
        "extract_wall_s": round(extract["wall_s"], 1),
        "limit_mb": 1536, "s": [round(v, 3) for v in s],
        "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
    }, args.out)


if __name__ == "__main__":
    main()

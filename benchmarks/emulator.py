"""Speed of the forward emulator: seconds per 5-s 48 kHz clip, per engine and Preisach size.

Prints (and with ``--out PATH`` writes) JSON with a top-level ``results`` list of
records ``{engine, N, seconds_per_clip, ...}``. Both engines are measured in the
same run so their ratio is meaningful on a loaded machine. The brute-force
``hysterons`` engine is timed on a short excerpt of the clip (``--excerpt-segments``
tape segments) and scaled linearly to the full clip (its cost is exactly
proportional to the number of segments); records say so (``scaled_from_segments``).
Numba compile time is measured separately (first warm-up of the process).

Usage::

    python benchmarks/emulator.py --out build/bench/emulator.json
    python benchmarks/emulator.py --sizes 250 --repeats 1     # one size only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from thesis_lib.emulator import Emulator, EmulatorParams  # noqa: E402


def test_clip(seconds=5.0, sr=48000, seed=0):
    """A deterministic music-like clip: a few harmonic notes with envelopes and a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = np.zeros_like(t)
    for k, f0 in enumerate((220.0, 261.6, 329.6, 392.0, 523.3)):
        onset = k * seconds / 5
        env = np.clip((t - onset) * 20, 0, 1) * np.exp(-np.clip(t - onset, 0, None) * 0.8)
        for h in range(1, 5):
            x += env * 0.3 / h * np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi))
    x += 0.01 * rng.standard_normal(t.size)
    return 0.8 * x / np.max(np.abs(x)), sr


def run(sizes, repeats=2, excerpt_segments=40, seconds=5.0, brute=True):
    x, sr = test_clip(seconds)
    t0 = time.perf_counter()
    first = Emulator(EmulatorParams(preisach_n=100), cache_dir=False)
    build_s = time.perf_counter() - t0
    compile_s = first.warmup()
    results, ratios = [], []
    for n in sizes:
        emu = Emulator(EmulatorParams(preisach_n=n), cache_dir=False)
        emu.warmup()
        best, timings = np.inf, None
        for _ in range(repeats):
            t0 = time.perf_counter()
            emu(x, sr, seed=1)
            elapsed = time.perf_counter() - t0
            if elapsed < best:
                best, timings = elapsed, dict(emu.last_timings)
        total = sum(v for k, v in timings.items() if k != "total")
        shares = {k: round(100.0 * v / total, 2) for k, v in timings.items() if k != "total"}
        segments = emu.segment_positions(x.size / sr).size
        ev = {"engine": "everett", "N": n, "seconds_per_clip": round(best, 4),
              "hysteresis_seconds": round(timings["hysteresis"], 4),
              "hysteresis_share_pct": shares["hysteresis"], "stage_shares_pct": shares,
              "n_hysterons": emu.model.size, "segments": int(segments),
              "scaled_from_segments": None}
        results.append(ev)
        print(json.dumps(ev), flush=True)
        if not brute:
            continue
        bf = Emulator(EmulatorParams(preisach_n=n, engine="hysterons"), cache_dir=False)
        positions = emu.segment_positions(x.size / sr)
        mid = positions.size // 2
        excerpt = positions[mid: mid + excerpt_segments]
        kw = bf.field_kwargs(x)
        bf.operator.record(x, sr, positions=excerpt[:2], **kw)  # compile outside the timing
        _, brute_s = bf.operator.record(x, sr, positions=excerpt, **kw)
        hyst = brute_s * positions.size / excerpt.size
        other = best - timings["hysteresis"]
        rec = {"engine": "hysterons", "N": n, "seconds_per_clip": round(hyst + other, 4),
               "hysteresis_seconds": round(hyst, 4),
               "hysteresis_share_pct": round(100.0 * hyst / (hyst + other), 2),
               "n_hysterons": bf.model.size, "segments": int(positions.size),
               "scaled_from_segments": int(excerpt.size)}
        results.append(rec)
        ratio = {"N": n, "hysterons_over_everett": round(rec["seconds_per_clip"] / best, 1),
                 "hysteresis_only_ratio": round(hyst / timings["hysteresis"], 1)}
        ratios.append(ratio)
        print(json.dumps(rec), json.dumps(ratio), flush=True)
    return {
        "benchmark": "emulator",
        "clip": {"seconds": seconds, "sample_rate": sr, "kind": "synthetic harmonic notes"},
        "one_core": True,
        "model_build_seconds": round(build_s, 4),
        "compile_seconds": round(compile_s, 3),
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR"),
        "host": {"platform": platform.platform(), "cpus": os.cpu_count(),
                 "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "results": results,
        "ratios": ratios,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="also write the JSON here")
    ap.add_argument("--sizes", nargs="+", default=["100", "250", "500", "1000", "fine"],
                    help="Preisach sizes N (integers) or 'fine'")
    ap.add_argument("--repeats", type=int, default=2, help="timed runs per size (best kept)")
    ap.add_argument("--excerpt-segments", type=int, default=40,
                    help="tape segments the brute-force engine is timed on")
    ap.add_argument("--seconds", type=float, default=5.0, help="clip length")
    ap.add_argument("--no-brute", action="store_true", help="skip the hysterons engine")
    args = ap.parse_args(argv)
    sizes = [s if s == "fine" else int(s) for s in args.sizes]
    out = run(sizes, args.repeats, args.excerpt_segments, args.seconds, not args.no_brute)
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        from thesis_lib.provenance import write_json_atomic
        write_json_atomic(args.out, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

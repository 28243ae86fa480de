"""Runtime of the emulator per clip, per engine and Preisach size (Tables 6.1-6.2 columns).

One implementation serves ``benchmarks/emulator.py`` and the ``preisach_ablation``
chapter. Both engines are timed in the same process so their ratio is meaningful
on a loaded machine. The brute-force ``hysterons`` engine is timed on an excerpt of
``excerpt_segments`` tape segments and scaled linearly to the clip (its cost is
exactly proportional to the number of segments); its records say so
(``scaled_from_segments``). Numba compile time is measured separately.
"""

from __future__ import annotations

import json
import os
import platform
import time

import numpy as np

from .emulator import Emulator
from .params import EmulatorParams


def harmonic_clip(seconds=5.0, sr=48000, seed=0):
    """A deterministic music-like clip: a few harmonic notes with envelopes and a little noise.

    Examples
    --------
    >>> x, sr = harmonic_clip(0.1)
    >>> x.shape, sr, float(np.max(np.abs(x))) <= 0.8
    ((4800,), 48000, True)
    """
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


def time_engines(sizes, repeats=2, excerpt_segments=40, seconds=5.0, brute=True, clip=None,
                 verbose=True, base_params=None):
    """Seconds per clip of the Everett engine (and the scaled brute force) for each N in ``sizes``.

    ``clip`` is ``(x, sample_rate)``; by default a synthetic harmonic clip of ``seconds``.
    Returns the benchmark JSON document (top-level ``results`` list).
    """
    base = base_params or EmulatorParams()
    x, sr = (harmonic_clip(seconds) if clip is None else clip)
    t0 = time.perf_counter()
    first = Emulator(base.replace(preisach_n=100), cache_dir=False)
    build_s = time.perf_counter() - t0
    compile_s = first.warmup()
    results, ratios = [], []
    for n in sizes:
        emu = Emulator(base.replace(preisach_n=n), cache_dir=False)
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
        if verbose:
            print(json.dumps(ev), flush=True)
        if not brute:
            continue
        bf = Emulator(base.replace(preisach_n=n, engine="hysterons"), cache_dir=False)
        positions = emu.segment_positions(x.size / sr)
        mid = positions.size // 2
        excerpt = positions[mid: mid + excerpt_segments]
        drive, head = bf.drive_and_head(x, sr)
        bf.operator.record(drive, head, excerpt[:2])  # compile outside the timing
        t0 = time.perf_counter()
        bf.operator.record(drive, head, excerpt)
        brute_s = time.perf_counter() - t0
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
        if verbose:
            print(json.dumps(rec), json.dumps(ratio), flush=True)
    return {
        "benchmark": "emulator",
        "clip": {"seconds": x.size / sr, "sample_rate": sr,
                 "kind": "synthetic harmonic notes" if clip is None else "given clip"},
        "one_core": True,
        "model_build_seconds": round(build_s, 4),
        "compile_seconds": round(compile_s, 3),
        "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR"),
        "host": {"platform": platform.platform(), "cpus": os.cpu_count(),
                 "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "results": results,
        "ratios": ratios,
    }

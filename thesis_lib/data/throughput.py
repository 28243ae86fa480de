"""Throughput of paired generation measured as the cluster runs it: K worker processes.

Thesis Table 6.1 reports seconds per clip (mean ± sd over workers), aggregate clips
per hour and the share of wall time spent in the hysteresis stage. This module
reproduces that measurement on one machine: it launches ``K`` independent
``thesis pairs --which-fraction k/K`` processes (what a SLURM array does), each
with one thread, waits for all of them, and aggregates their per-clip timing logs.
Per-clip seconds include reading the clean clip and writing the degraded one;
process start-up and the emulator's warm-up are excluded from the per-clip
numbers but included in the aggregate wall time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .pairs import read_timings

__all__ = ["ThroughputResult", "measure_throughput", "summarise_timings"]

_REPO = Path(__file__).resolve().parents[2]


@dataclass
class ThroughputResult:
    """Table 6.1 numbers of one generation run."""

    workers: int
    clips: int
    wall_s: float
    sec_per_clip: float
    sec_per_clip_sd: float
    clips_per_hour: float
    clips_per_hour_all_workers: float
    clips_per_hour_wall: float
    hysteresis_share_pct: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def summarise_timings(records, wall_s: float) -> ThroughputResult:
    """Aggregate per-clip records (:func:`thesis_lib.data.read_timings`) into Table 6.1 numbers.

    ``sec_per_clip`` is the mean over workers of each worker's mean clip time
    and ``sec_per_clip_sd`` their standard deviation. ``clips_per_hour`` is
    ``3600 / sec_per_clip``, one worker's steady rate — the definition that
    reproduces the thesis's own pairs of numbers (3600 / 91.9245 s = 39.163
    clips/hour). ``clips_per_hour_all_workers`` multiplies it by the number of
    workers; ``clips_per_hour_wall`` divides every clip by the wall time of the
    whole run, start-up and warm-up included.

    Examples
    --------
    >>> recs = [{"worker": "1-of-2", "seconds": 1.0, "stages": {"hysteresis": 0.9}},
    ...         {"worker": "2-of-2", "seconds": 3.0, "stages": {"hysteresis": 2.7}}]
    >>> r = summarise_timings(recs, wall_s=3.6)
    >>> r.sec_per_clip, r.sec_per_clip_sd, r.clips_per_hour, r.clips_per_hour_all_workers
    (2.0, 1.0, 1800.0, 3600.0)
    >>> r.clips_per_hour_wall, round(r.hysteresis_share_pct, 6)
    (2000.0, 90.0)
    """
    if not records:
        raise ValueError("no timing records: did the generation run write any clip?")
    by_worker = {}
    for r in records:
        by_worker.setdefault(r["worker"], []).append(float(r["seconds"]))
    means = np.array([np.mean(v) for v in by_worker.values()])
    total = sum(float(r["seconds"]) for r in records)
    hyst = [float((r.get("stages") or {}).get("hysteresis", np.nan)) for r in records]
    share = None if np.all(np.isnan(hyst)) else float(100.0 * np.nansum(hyst) / total)
    return ThroughputResult(workers=len(by_worker), clips=len(records), wall_s=float(wall_s),
                            sec_per_clip=float(means.mean()), sec_per_clip_sd=float(means.std()),
                            clips_per_hour=3600.0 / float(means.mean()),
                            clips_per_hour_all_workers=(3600.0 * len(by_worker)
                                                        / float(means.mean())),
                            clips_per_hour_wall=3600.0 * len(records) / wall_s,
                            hysteresis_share_pct=share)


def measure_throughput(clean_root, out_root, workers: int = 2, mode: str = "emulator",
                       params=None, seed: int = 0,
                       timeout_s: float | None = None) -> ThroughputResult:
    """Generate ``clean_root`` into a fresh ``out_root`` with ``workers`` processes and time it.

    Parameters
    ----------
    clean_root, out_root : path
        Clean clip tree; destination (must not exist yet, so nothing is skipped).
    workers : int
        Number of concurrent single-threaded ``thesis pairs`` processes (K).
    mode : {"emulator", "stand-in"}
        The physics emulator (``--apply-transforms``) or the cheap stand-in.
    params : path, optional
        Emulator parameters JSON.
    seed : int
        Global seed.
    timeout_s : float, optional
        Kill the workers and raise after this many seconds.
    """
    out_root = Path(out_root)
    if out_root.exists() and any(out_root.iterdir()):
        raise FileExistsError(f"{out_root} is not empty; a throughput run needs a fresh folder")
    flag = {"emulator": ["--apply-transforms"], "stand-in": ["--stand-in"]}.get(mode)
    if flag is None:
        raise ValueError(f"mode {mode!r}: choose 'emulator' or 'stand-in'")
    if params is not None:
        flag = flag + ["--params", str(params)]
    pythonpath = os.pathsep.join(filter(None, [str(_REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath}
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        env[var] = "1"
    commands = [[sys.executable, "-m", "thesis_lib.cli", "pairs", "--clean", str(clean_root),
                 "--out", str(out_root), "--which-fraction", f"{k}/{workers}", "--seed", str(seed),
                 *flag] for k in range(1, workers + 1)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    failures = []
    try:
        for k, proc in enumerate(procs, start=1):
            remaining = (None if timeout_s is None
                         else max(1.0, timeout_s - (time.perf_counter() - t0)))
            _, err = proc.communicate(timeout=remaining)
            if proc.returncode != 0:
                failures.append(f"worker {k}/{workers} exited {proc.returncode}: "
                                f"{err.strip()[-800:]}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    wall = time.perf_counter() - t0
    if failures:
        raise RuntimeError("; ".join(failures))
    return summarise_timings(read_timings(out_root), wall)

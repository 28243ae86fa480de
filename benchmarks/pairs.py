"""Paired clips per hour on this machine (default 2 worker processes), I/O included.

Builds a small clean set from the embedded corpus (cached under --work), then runs
K = --workers concurrent `thesis pairs` processes, once with the physics emulator
(default parameters, N = 250) and once with the cheap stand-in transform, and prints
JSON with the Table 6.1 numbers of each run and their ratio. Issue 6 target: >= 5,000
paired clips/hour on 2 cores (compared with `clips_per_hour_all_workers`, the steady rate of
all workers, I/O included; `clips_per_hour_wall` also counts process start-up and warm-up).
The stand-in run measures the generator's own overhead (decode, seed, write), the emulator
run the physics.

    python benchmarks/pairs.py [--workers 2] [--tracks 4] [--out build/bench/pairs.json]
"""

import argparse
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from _common import add_out_argument, emit

from thesis_lib.data import make_clips, render_corpus
from thesis_lib.data.throughput import measure_throughput


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2,
                    help="concurrent worker processes (default 2)")
    ap.add_argument("--tracks", type=int, default=4, help="corpus tracks, 6 clips each (default 4)")
    ap.add_argument("--subset", default="classical", choices=("classical", "mixed"))
    ap.add_argument("--modes", default="emulator,stand-in",
                    help="comma-separated: emulator, stand-in")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "thesis-bench-pairs"),
                    help="cache folder for tracks and clean clips")
    add_out_argument(ap)
    args = ap.parse_args(argv)
    work = Path(args.work)
    tracks = render_corpus(work / f"tracks-{args.subset}", args.subset, tracks=args.tracks)
    clean = make_clips(work / f"tracks-{args.subset}", work / f"clean-{args.subset}-{args.tracks}")
    result = {"benchmark": "pairs", "workers": args.workers, "subset": args.subset,
              "tracks": len(tracks), "cpus": os.cpu_count(), "platform": platform.platform(),
              "runs": {}}
    for mode in args.modes.split(","):
        out = work / f"pairs-{mode}"
        shutil.rmtree(out, ignore_errors=True)
        result["runs"][mode] = measure_throughput(clean, out, workers=args.workers,
                                                  mode=mode).to_dict()
    runs = result["runs"]
    if {"emulator", "stand-in"} <= set(runs):
        # measured in the same run, so the ratio is meaningful on a shared machine
        result["emulator_sec_per_clip_over_stand_in"] = (runs["emulator"]["sec_per_clip"]
                                                         / runs["stand-in"]["sec_per_clip"])
    result["target_clips_per_hour_all_workers"] = 5000
    for mode, run in runs.items():
        result[f"{mode}_meets_target"] = run["clips_per_hour_all_workers"] >= 5000
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

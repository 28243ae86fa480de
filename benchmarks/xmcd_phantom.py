"""Speed of the synthetic beamline: where the time of `thesis phantom` goes.

Prints JSON: seconds per file for generating the frames (scene, Poisson and
read noise) and for writing the NeXus file, and the wall time of writing a
few series with one and with two worker processes (their ratio is the
parallel speed-up, measured in this one run).

    PYTHONPATH=. python benchmarks/xmcd_phantom.py [--detector 128] [--series s6,s7,s8,reference]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import add_out_argument, emit

from thesis_lib.xmcd.phantom import PhantomConfig, SyntheticSeries, load_manifest, write_phantom
from thesis_lib.xmcd.writer import Acquisition, write_scan


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detector", type=int, default=128)
    ap.add_argument("--series", default="s6,s7,s8,reference")
    ap.add_argument("--files", type=int, default=40, help="files timed for the per-file breakdown")
    add_out_argument(ap)
    args = ap.parse_args(argv)
    specs = load_manifest()
    config = PhantomConfig(detector=args.detector)
    ser = SyntheticSeries(specs["s2"], config)
    n = min(args.files, ser.n_files)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        frames = [ser.frames(t) for t in range(n)]
        t_frames = (time.perf_counter() - t0) / n
        t0 = time.perf_counter()
        for t, f in enumerate(frames):
            write_scan(Path(tmp) / f"scan_{t:05d}.nxs", f, position_um=float(t),
                       acquisition=Acquisition(integration_s=6.0), pixel_mask=ser.scene.pixel_mask,
                       saturation_value=4095)
        t_write = (time.perf_counter() - t0) / n
        wall = {}
        for workers in (1, 2):
            out = Path(tmp) / f"w{workers}"
            t0 = time.perf_counter()
            write_phantom(out, args.series, detector=args.detector, config=config, workers=workers)
            wall[workers] = time.perf_counter() - t0
    n_files = sum(specs[s].n_positions(config.tape_speed_m_s) for s in args.series.split(","))
    return emit({
        "detector": args.detector, "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
        "s2_frames_s_per_file": round(t_frames, 4), "s2_write_s_per_file": round(t_write, 4),
        "series": args.series, "files": n_files,
        "wall_s_1_worker": round(wall[1], 2), "wall_s_2_workers": round(wall[2], 2),
        "speedup_2_workers": round(wall[1] / wall[2], 2),
    }, args.out)


if __name__ == "__main__":
    main()

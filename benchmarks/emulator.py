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
import sys

from _common import add_out_argument, emit

from thesis_lib.emulator.speed import time_engines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_out_argument(ap)
    ap.add_argument("--sizes", nargs="+", default=["100", "250", "500", "1000", "fine"],
                    help="Preisach sizes N (integers) or 'fine'")
    ap.add_argument("--repeats", type=int, default=2, help="timed runs per size (best kept)")
    ap.add_argument("--excerpt-segments", type=int, default=40,
                    help="tape segments the brute-force engine is timed on")
    ap.add_argument("--seconds", type=float, default=5.0, help="clip length")
    ap.add_argument("--no-brute", action="store_true", help="skip the hysterons engine")
    args = ap.parse_args(argv)
    sizes = [s if s == "fine" else int(s) for s in args.sizes]
    out = time_engines(sizes, args.repeats, args.excerpt_segments, args.seconds, not args.no_brute)
    emit(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``thesis pairs``: generate the degraded side of a paired dataset (one fraction of it)."""

from __future__ import annotations

import json
import math
import sys

from ._checks import check_output_dir, fraction_arg, int_range


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "pairs", help="degrade clean clips into a mirrored paired tree (one k/K fraction)",
        description="For every clean clip of fraction k/K write its degraded counterpart at the "
                    "same relative path under --out (thesis §4.3). Per-clip seeds make any "
                    "partition of the work byte-identical; finished clips are skipped on re-run; "
                    "per-clip timing goes to OUT/logs/timing_k-of-K.jsonl. Prints a JSON "
                    "summary; mean_seconds_per_clip is null when no clip was generated.")
    p.add_argument("--clean", required=True, help="clean clip tree ({train,val,test}/…/*.wav)")
    p.add_argument("--out", required=True, help="degraded tree to write (params.json, logs/)")
    p.add_argument("--which-fraction", type=fraction_arg, default=(1, 1), metavar="k/K",
                   help="generate only fraction k of K (round-robin over the sorted clips); "
                        "a SLURM array 1-K passes k=$SLURM_ARRAY_TASK_ID (default 1/1)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--apply-transforms", action="store_true",
                      help="degrade with the physics emulator (thesis_lib.emulator)")
    mode.add_argument("--stand-in", action="store_true",
                      help="degrade with the cheap deterministic stand-in (tests, pipeline checks)")
    p.add_argument("--seed", type=int_range(0), default=0,
                   help="global seed s0 of eq. 4.3, an integer >= 0 (default 0)")
    p.add_argument("--params", default=None, metavar="P.json",
                   help="emulator parameters JSON (default: the emulator's defaults)")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.data import StandInDegradation, generate_pairs
    from thesis_lib.data.pairs import load_emulator
    if args.params and not args.apply_transforms:
        raise ValueError("--params only applies with --apply-transforms")
    check_output_dir(args.out, inputs=(args.clean, args.params))
    transform = None
    if args.apply_transforms:
        transform = load_emulator(args.params)
    elif args.stand_in:
        transform = StandInDegradation()
    report = generate_pairs(args.clean, args.out, transform=transform,
                            which_fraction=args.which_fraction, seed=args.seed, progress=True)
    summary = {"fraction": "/".join(map(str, report.fraction)), "total_clips": report.total_clips,
               "assigned": report.assigned, "generated": report.generated,
               "skipped": report.skipped,
               # no clip timed (all skipped): null, since NaN is not JSON
               "mean_seconds_per_clip": None if math.isnan(report.mean_seconds)
               else report.mean_seconds}
    print(json.dumps(summary, allow_nan=False), file=sys.stdout)
    return 0

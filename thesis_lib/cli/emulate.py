"""``thesis emulate``: run the forward emulator F(x, ξ) on one WAV file.

    thesis emulate IN.wav OUT.wav [--params P.json] [--seed S]
                   [--engine everett|hysterons] [--preisach-n 100|250|500|1000|fine]

The output is a float32 WAV at the emulator's output rate with the duration of
the input; stereo input is mixed down to mono. ``OUT.params.json`` beside it
records every parameter and the code version. An existing OUT.wav is kept
unless ``--overwrite`` is given (re-runs skip finished work).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def register(subparsers):
    p = subparsers.add_parser(
        "emulate", help="simulate the XMCD readout of a tape recording of a WAV file",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="clean input audio (WAV/FLAC readable by soundfile)")
    p.add_argument("output", help="where to write the degraded float32 WAV")
    p.add_argument("--params", help="EmulatorParams JSON (as written by EmulatorParams.to_json); "
                                    "defaults to DESIGN.md §4 values")
    p.add_argument("--seed", type=int, default=0, help="clip seed (see thesis eq. 4.3); default 0")
    p.add_argument("--engine", choices=["everett", "hysterons"],
                   help="hysteresis engine (overrides the params file); hysterons is the slow reference")
    p.add_argument("--preisach-n", help="coarse Preisach size N (100, 250, 500, 1000) or 'fine'")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(func=run)


def run(args) -> int:
    import soundfile as sf

    from thesis_lib.emulator import Emulator, EmulatorParams
    from thesis_lib.provenance import atomic_path

    src, dst = Path(args.input), Path(args.output)
    if not src.is_file():
        raise FileNotFoundError(f"input audio {src} does not exist; give a WAV file")
    if dst.exists() and not args.overwrite:
        print(f"{dst} exists; skipping (use --overwrite to replace it)")
        return 0
    params = EmulatorParams.from_json(args.params) if args.params else EmulatorParams()
    changes = {}
    if args.engine:
        changes["engine"] = args.engine
    if args.preisach_n:
        n = args.preisach_n
        changes["preisach_n"] = n if n == "fine" else int(n) if n.isdigit() else n
    params = params.replace(**changes)
    try:
        x, sr = sf.read(str(src), dtype="float64", always_2d=True)
    except RuntimeError as exc:
        raise ValueError(f"cannot read {src} as audio ({exc}); convert it to WAV first") from exc
    x = x.mean(axis=1)
    if x.size < 2 or not np.isfinite(x).all():
        raise ValueError(f"{src} is empty or contains NaN/inf samples; give a clean audio file")
    emu = Emulator(params)
    y = emu(x, sr, args.seed)
    with atomic_path(dst) as tmp:
        sf.write(str(tmp), y.astype(np.float32), params.output_rate, subtype="FLOAT", format="WAV")
    params.to_json(dst.with_suffix(".params.json"))
    t = emu.last_timings
    print(f"wrote {dst} ({y.size} samples at {params.output_rate} Hz, "
          f"{t.get('total', 0):.2f} s, hysteresis {t.get('hysteresis', 0):.2f} s)")
    return 0

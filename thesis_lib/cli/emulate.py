"""``thesis emulate``: run the forward emulator F(x, ξ) on one WAV file.

    thesis emulate IN.wav OUT.wav [--params P.json] [--seed S]
                   [--engine everett|hysterons] [--preisach-n 100|250|500|1000|fine]

The output is a float32 WAV at the emulator's output rate with the duration of
the input; stereo input is mixed down to mono. ``OUT.params.json`` beside it
records every parameter and the code version. An existing OUT.wav is kept
unless ``--overwrite`` is given (re-runs skip finished work); OUT (or its
``.params.json``) may never be the input or the parameter file. The same
input, parameters and seed give byte-identical files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._checks import check_output, int_range

_preisach_size = int_range(2, 4000)


def _preisach_n(text):
    # the sizes EmulatorParams accepts: an integer grid N, or the fine (unbinned) model
    if text == "fine":
        return text
    try:
        return _preisach_size(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"got {text!r}; give an integer from 2 to 4000 "
                                         "(e.g. 100, 250, 500, 1000) or 'fine'") from None


def register(subparsers):
    p = subparsers.add_parser(
        "emulate", help="simulate the XMCD readout of a tape recording of a WAV file",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="clean input audio (WAV/FLAC readable by soundfile)")
    p.add_argument("output", help="where to write the degraded float32 WAV (a file name)")
    p.add_argument("--params", help="EmulatorParams JSON (as written by EmulatorParams.to_json); "
                                    "defaults to the values of thesis_lib.emulator.EmulatorParams")
    p.add_argument("--seed", type=int_range(0), default=0,
                   help="clip seed (see thesis eq. 4.3), an integer >= 0; default 0")
    p.add_argument("--engine", choices=["everett", "hysterons"],
                   help="hysteresis engine (overrides the params file); hysterons is the slow "
                        "reference")
    p.add_argument("--preisach-n", type=_preisach_n, metavar="N",
                   help="coarse Preisach size N from 2 to 4000 (100, 250, 500, 1000 are the "
                        "thesis's), or 'fine' (overrides the params file)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(func=run)


def run(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.data.audio import read_audio, to_mono, write_wav
    from thesis_lib.emulator import Emulator, EmulatorParams

    src, dst = Path(args.input), Path(args.output)
    if not src.is_file():
        raise FileNotFoundError(f"input audio {src} does not exist; give a WAV file")
    sidecar = dst.with_suffix(".params.json")
    inputs = (src, args.params)
    check_output(dst, inputs=inputs, option="OUT")
    check_output(sidecar, inputs=inputs, option="OUT's parameter record")
    if dst.exists() and not args.overwrite:
        print(f"{dst} exists; skipping (use --overwrite to replace it)")
        return 0
    params = EmulatorParams.from_json(args.params) if args.params else EmulatorParams()
    changes = {k: v for k, v in (("engine", args.engine), ("preisach_n", args.preisach_n))
               if v is not None}
    params = params.replace(**changes)
    audio, rate = read_audio(src, dtype="float64")
    x = to_mono(audio)
    if x.size < 2:
        raise ValueError(f"{src} holds {x.size} sample(s); give a recording of at least 2")
    emu = Emulator(params)
    y = emu(x, rate, args.seed)
    write_wav(dst, y.astype("float32"), params.output_rate)
    params.to_json(sidecar)
    t = emu.last_timings
    print(f"wrote {dst} ({y.size} samples at {params.output_rate} Hz, "
          f"{t.get('total', 0):.2f} s, hysteresis {t.get('hysteresis', 0):.2f} s)")
    return 0

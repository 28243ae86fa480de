"""``thesis calibrate``: emulator scan step and beam FWHM from a measured waveform (§6.3)."""

from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from ._checks import check_output, float_list, int_range
from ._layout import add_layout_option, resolve_layout


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate", help="fit the emulator's scan step and beam FWHM to a measured waveform",
        description="Record the series' test tone once with the emulator, simulate the scan for "
                    "a grid of (step, beam FWHM) and then a finer grid around the best point, "
                    "align each simulation to WAVEFORM (lag by cross-correlation, optional gain), "
                    "score it (rho, NRMSE, E_rel, LSD, HF mismatch) and keep the point with the "
                    "largest rho; then fit the beam to the spectrum of the tape noise left "
                    "after the tone (Whittle likelihood). Reads only WAVEFORM and the experiment "
                    "log. Writes "
                    "calib.json with step_um, beam_fwhm_um (null when the data do not identify "
                    "the beam), step_identified / beam_identified with their 95 % "
                    "profile-likelihood intervals (step_interval_um, beam_interval_um), metrics, "
                    "the alignment and both score surfaces.")
    p.add_argument("waveform", metavar="WAVEFORM.npz",
                   help="measured waveform (array `s`, one value per scan position), e.g. from "
                        "`thesis extract`")
    p.add_argument("--series-meta", required=True, metavar="SERIES.yml",
                   help="the series' experiment log (tape_speed_m_s, test_tone_hz, step_um, "
                        "beam_um), or the series folder holding series.yml")
    p.add_argument("--out", required=True, help="output calib.json")
    p.add_argument("--step-factors", type=float_list(0, low_open=True), default=None,
                   metavar="F1,F2,...",
                   help="coarse step grid as multiples (> 0) of the nominal step "
                        "(default 0.80..1.20 in 17 points)")
    p.add_argument("--beams", type=float_list(0, low_open=True), default=None,
                   metavar="B1,B2,...",
                   help="coarse beam-FWHM grid in µm, each > 0 "
                        "(default 8,12,16,20,26,32,40,50,60,80)")
    p.add_argument("--no-refine", action="store_true",
                   help="skip the finer grid around the coarse optimum")
    p.add_argument("--gain", choices=("lsq", "none"), default="lsq",
                   help="after the lag, fit an affine gain by least squares (lsq, default) or "
                        "only match means (none: the waveform is already in units of M/M_s)")
    p.add_argument("--seed", type=int_range(0), default=0,
                   help="seed of the simulated tape noise, >= 0 (default 0)")
    p.add_argument("--overwrite", action="store_true",
                   help="recompute even if OUT already holds this calibration")
    add_layout_option(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.calibration.files import parameter_lines, read_series_meta, write_calibration
    from thesis_lib.calibration.inputs import load_waveform
    from thesis_lib.calibration.search import (
        BEAMS_UM,
        REFINE_LEVELS,
        REFINE_POINTS,
        STEP_FACTORS,
        SearchSettings,
    )

    meta = Path(args.series_meta)
    check_output(args.out, option="--out",
                 inputs=(args.waveform, meta, meta / "series.yml" if meta.is_dir() else None))
    load_waveform(args.waveform)            # bad inputs fail before the progress bar starts
    layout = resolve_layout(args)
    read_series_meta(args.series_meta, layout)
    search = SearchSettings(step_factors=args.step_factors or STEP_FACTORS,
                            beams_um=args.beams or BEAMS_UM, refine=not args.no_refine,
                            gain=args.gain)
    total = (len(search.step_factors) * len(search.beams_um)
             + (0 if args.no_refine else REFINE_LEVELS * REFINE_POINTS**2))
    with tqdm(total=total, desc="calibrate", unit="point") as bar:
        out = write_calibration(args.waveform, args.series_meta, args.out,
                                overwrite=args.overwrite, progress=bar.update, layout=layout,
                                search=search, seed=args.seed)
    doc = json.loads(out.read_text())
    for line in parameter_lines(doc):
        print(line)
    m = doc["metrics"]
    print(f"match: rho {m['rho']:.3f}, NRMSE {m['nrmse']:.3f}, E_rel {m['e_rel']:.3f}, "
          f"LSD {m['lsd_db']:.1f} dB, HF mismatch {m['hf_mismatch']:.3f}")
    noise = doc.get("beam_noise", {})
    if "interval_um" in noise:
        lo, hi = noise["interval_um"]
        print(f"beam from the tape-noise spectrum: {lo:.1f}-{hi:.1f} µm (95 %), "
              f"{'identified' if noise['identified'] else 'not identified'}; expected sd "
              f"{noise['crb_sd_um']:.3g} µm")
    print(f"calibration written to {out}")
    return 0


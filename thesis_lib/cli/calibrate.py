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
                    "smallest objective; then fit the beam to the spectrum of the tape noise left "
                    "after the tone (Whittle likelihood). Reads only WAVEFORM and the experiment "
                    "log. Writes "
                    "calib.json with beam_fwhm_um, step_um, metrics, the alignment, "
                    "profile-likelihood intervals and both score surfaces.")
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
    p.add_argument("--unidentified-beam", choices=("nominal", "best"), default="nominal",
                   help="beam to report when the data do not constrain it: the log's nominal "
                        "beam (default) or the objective's minimiser")
    p.add_argument("--seed", type=int_range(0), default=0,
                   help="seed of the simulated tape noise, >= 0 (default 0)")
    p.add_argument("--overwrite", action="store_true",
                   help="recompute even if OUT already holds this calibration")
    add_layout_option(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.calibration.files import read_series_meta, write_calibration
    from thesis_lib.calibration.inputs import load_waveform
    from thesis_lib.calibration.search import BEAMS_UM, REFINE_LEVELS, REFINE_POINTS, STEP_FACTORS

    meta = Path(args.series_meta)
    check_output(args.out, option="--out",
                 inputs=(args.waveform, meta, meta / "series.yml" if meta.is_dir() else None))
    load_waveform(args.waveform)            # bad inputs fail before the progress bar starts
    layout = resolve_layout(args)
    read_series_meta(args.series_meta, layout)
    settings = {"gain": args.gain, "unidentified_beam": args.unidentified_beam, "seed": args.seed,
                "refine": not args.no_refine}
    steps = args.step_factors or list(STEP_FACTORS)
    beams = args.beams or list(BEAMS_UM)
    settings.update(step_factors=steps, beams_um=beams)
    total = len(steps) * len(beams) + (0 if args.no_refine else REFINE_LEVELS * REFINE_POINTS**2)
    with tqdm(total=total, desc="calibrate", unit="point") as bar:
        out = write_calibration(args.waveform, args.series_meta, args.out,
                                overwrite=args.overwrite, progress=bar.update, layout=layout,
                                **settings)
    doc = json.loads(out.read_text())
    m = doc["metrics"]
    print(f"step {doc['step_um']:.2f} µm, beam FWHM {doc['beam_fwhm_um']:.1f} µm "
          f"({doc['beam_source']}); rho {m['rho']:.3f}, NRMSE {m['nrmse']:.3f}, "
          f"E_rel {m['e_rel']:.3f}, LSD {m['lsd_db']:.1f} dB, HF mismatch {m['hf_mismatch']:.3f}")
    noise = doc.get("beam_noise", {})
    if "interval_um" in noise:
        lo, hi = noise["interval_um"]
        print(f"beam from the tape-noise spectrum: {lo:.1f}-{hi:.1f} µm (95 %), "
              f"{'identified' if noise['identified'] else 'not identified'}; expected sd "
              f"{noise['crb_sd_um']:.3g} µm")
    print(f"calibration written to {out}")
    return 0

"""``thesis extract``: waveform of a scan series by signed aggregation (eqs. 3.2/3.4)."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from ._checks import check_output
from ._layout import add_layout_option, resolve_layout


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "extract", help="waveform s_t of a scan series with a stored mask",
        description="For every file of SERIES_DIR (scan order): dichroic image, phase-"
                    "correlation shift against the mask's reference, and s_t = Σ M·D_t with "
                    "the static or moving mask. Writes an .npz with `s` (one value per file) "
                    "and `shift_px` (T×2 estimated footprint displacement (dy, dx) from the mean "
                    "position of the reference files, which `thesis mask` aligns and stores; "
                    "zeros when registration is off).")
    p.add_argument("series_dir", metavar="SERIES_DIR", help="folder of per-position NeXus files")
    p.add_argument("--mask", required=True, help="mask .npz written by `thesis mask`")
    p.add_argument("--register", choices=("auto", "on", "off"), default="auto",
                   help="moving mask: by the decision rule of §3.3 (auto, default), always "
                        "(on) or never (off)")
    p.add_argument("--out", required=True, help="output .npz file")
    p.add_argument("--overwrite", action="store_true", help="recompute even if OUT is up to date")
    add_layout_option(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.mask.files import write_waveform
    from thesis_lib.xmcd.layout import as_layout

    layout = resolve_layout(args)
    folder = Path(args.series_dir)
    scans = as_layout(layout).scan_files(folder) if folder.is_dir() else []
    # every file of the folder counts as an input, block files and linked data files too
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    check_output(args.out, option="--out", inputs=[args.mask, args.series_dir, *files])
    with tqdm(total=len(scans) or None, desc="extract", unit="file") as bar:
        try:
            out = write_waveform(args.series_dir, args.mask, args.out, register=args.register,
                                 overwrite=args.overwrite, progress=bar.update, layout=layout)
        except ValueError as exc:
            # deferred on purpose: `thesis --help` imports every verb module; the library loads in
            # seconds
            from ._diagnose import flat_file_message
            raise ValueError(flat_file_message(args.series_dir, layout) or str(exc)) from exc
    print(f"waveform written to {out}")
    return 0

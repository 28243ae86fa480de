"""``thesis mask``: build the signed pixel mask of a reference acquisition (thesis ch. 3)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._checks import check_output, float_range, int_range
from ._layout import add_layout_option, resolve_layout


def _fit_sample(text):
    if text in ("auto", "all"):
        return text
    try:
        return int_range(1)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"got {text!r}; give auto, all or a pixel count "
                                         ">= 1") from None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "mask", help="signed detector mask from a reference acquisition",
        description="Cluster the 5-D pixel features of the reference dichroic image (thesis "
                    "eqs. 3.6-3.12), rank the clusters by mean contrast (§3.6) and write the "
                    "signed mask to an .npz file (array `mask`, float64 H×W; binary masks in "
                    "{-1, 0, +1}). Re-running with the same inputs and options does nothing.")
    p.add_argument("--reference", required=True,
                   help="reference acquisition: one NeXus file, or a folder of them (their "
                        "pixel-wise median dichroic image is used)")
    p.add_argument("--method", choices=("kmeans", "gmm", "dbscan"), default="kmeans",
                   help="clustering back-end (thesis §5.1 settings; default kmeans)")
    p.add_argument("--weighted", action="store_true",
                   help="write the weighted mask of §3.7 (values in [-1, 1]; kmeans or gmm)")
    p.add_argument("--out", required=True, help="output .npz file")
    p.add_argument("--radius", type=int_range(1), default=7,
                   help="half-width r of the local-statistics window in pixels, >= 1 (default 7)")
    p.add_argument("--seed", type=int_range(0), default=0,
                   help="clustering seed, >= 0 (default 0)")
    p.add_argument("--smooth-sigma", type=float_range(0), default=0.0,
                   help="Gaussian smoothing of the weighted mask in pixels, >= 0 (default 0 = off)")
    p.add_argument("--gate-gamma", type=float_range(0, low_open=True), default=1.0,
                   help="exponent γ > 0 of the amplitude gate, eq. 3.20 (default 1)")
    p.add_argument("--refine", choices=("contrast", "none"), default="contrast",
                   help="contrast (default): drop pixels of an extreme cluster whose own contrast "
                        "is nearer the next cluster's mean (removes the halo the window features "
                        "put around thin lobes); none: the thesis's §3.6 rule")
    p.add_argument("--fit-sample", type=_fit_sample, default="auto",
                   help="pixels k-means / GMM are fitted on before labelling every pixel: auto "
                        "(default; all pixels up to 200000, else a seeded 200000-pixel "
                        "subsample), all (the exact full fit), or a number")
    p.add_argument("--overwrite", action="store_true", help="rebuild even if OUT is up to date")
    add_layout_option(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.mask.files import write_mask

    if args.weighted and args.method == "dbscan":
        raise ValueError("--weighted needs soft memberships: use --method kmeans or gmm")
    reference = Path(args.reference)
    # every file of a reference folder counts as an input, whatever the layout calls a scan
    check_output(args.out, option="--out", inputs=[reference, *(
        sorted(p for p in reference.iterdir() if p.is_file()) if reference.is_dir() else [])])
    extra = {}
    if args.method != "dbscan":
        fit = args.fit_sample
        extra["cluster_kwargs"] = {"fit_sample": None if fit == "all" else fit}
    layout = resolve_layout(args)
    try:
        out = write_mask(args.reference, args.out, method=args.method, weighted=args.weighted,
                         radius=args.radius, seed=args.seed, overwrite=args.overwrite,
                         smooth_sigma=args.smooth_sigma, gate_gamma=args.gate_gamma,
                         refine=None if args.refine == "none" else args.refine,
                         layout=layout, **extra)
    except ValueError as exc:
        # deferred on purpose: `thesis --help` imports every verb module; the library loads in
        # seconds
        from ._diagnose import flat_reference_message
        raise ValueError(flat_reference_message(args.reference, layout) or str(exc)) from exc
    print(f"mask written to {out}")
    return 0

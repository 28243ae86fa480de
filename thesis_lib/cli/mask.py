"""``thesis mask``: build the signed pixel mask of a reference acquisition (thesis ch. 3)."""

from __future__ import annotations

from ._layout import add_layout_option, resolve_layout


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
    p.add_argument("--radius", type=int, default=7,
                   help="half-width r of the local-statistics window in pixels (default 7)")
    p.add_argument("--seed", type=int, default=0, help="clustering seed (default 0)")
    p.add_argument("--smooth-sigma", type=float, default=0.0,
                   help="Gaussian smoothing of the weighted mask in pixels (default 0 = off)")
    p.add_argument("--gate-gamma", type=float, default=1.0,
                   help="exponent γ of the amplitude gate, eq. 3.20 (default 1)")
    p.add_argument("--refine", choices=("contrast", "none"), default="contrast",
                   help="contrast (default): drop pixels of an extreme cluster whose own contrast "
                        "is nearer the next cluster's mean (removes the halo the window features "
                        "put around thin lobes); none: the thesis's §3.6 rule")
    p.add_argument("--fit-sample", default="auto",
                   help="pixels k-means / GMM are fitted on before labelling every pixel: auto "
                        "(default; all pixels up to 200000, else a seeded 200000-pixel "
                        "subsample), all (the exact full fit), or a number")
    p.add_argument("--overwrite", action="store_true", help="rebuild even if OUT is up to date")
    add_layout_option(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from thesis_lib.mask.files import write_mask

    if args.weighted and args.method == "dbscan":
        raise ValueError("--weighted needs soft memberships: use --method kmeans or gmm")
    extra = {}
    if args.method != "dbscan":
        fit = args.fit_sample
        if fit not in ("auto", "all"):
            try:
                fit = int(fit)
            except ValueError:
                raise ValueError(f"--fit-sample must be auto, all or a number, got {fit!r}") from None
        extra["cluster_kwargs"] = {"fit_sample": None if fit == "all" else fit}
    out = write_mask(args.reference, args.out, method=args.method, weighted=args.weighted,
                     radius=args.radius, seed=args.seed, overwrite=args.overwrite,
                     smooth_sigma=args.smooth_sigma, gate_gamma=args.gate_gamma,
                     refine=None if args.refine == "none" else args.refine,
                     layout=resolve_layout(args), **extra)
    print(f"mask written to {out}")
    return 0

"""Speed of Table 5.1: features + k-means, GMM and DBSCAN masks on a 1024² reference.

Prints one JSON object (and writes it to ``--out`` if given) with the wall time of
each stage on a synthetic-beamline reference acquisition of ``--detector`` pixels
per side: the 5-D features (eqs. 3.6–3.12), each back-end with the thesis settings
(k-means K=3 n_init=10; GMM K=3 full; DBSCAN ε=0.75 minPts=25, bounded-memory
subsample of ``--dbscan-max-fit`` pixels) run the library's default way — k-means
and the GMM fitted on a seeded subsample of ``AUTO_FIT_SAMPLE`` (200 000) pixels,
then applied to every pixel — including mask establishment (thesis rule and
contrast refinement), their sum against the 30-s target on 2 cores, and the peak
resident memory. With ``--exact-fit`` k-means and the GMM are timed a second time
fitted on every pixel, with the agreement of the two masks. The machine's load
average is recorded: on a shared machine the absolute times are inflated, the
shares are not. The reference is generated once into ``--data-dir`` and reused.

Usage: ``python benchmarks/mask.py [--detector 1024] [--data-dir build/data/bench]
[--exact-fit] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

from _common import add_out_argument, emit

from thesis_lib.mask.clustering import cluster
from thesis_lib.mask.establish import establish_mask
from thesis_lib.mask.features import pixel_features
from thesis_lib.mask.quality import detector_metrics, truth_metrics
from thesis_lib.mask.study import BACKENDS
from thesis_lib.xmcd import read_series, reference_image
from thesis_lib.xmcd.phantom import read_ground_truth, write_phantom

TARGET_S = 30.0


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", type=int, default=1024, help="pixels per side (default 1024)")
    parser.add_argument("--data-dir", default="build/data/bench",
                        help="where the synthetic reference is generated and cached")
    parser.add_argument("--dbscan-max-fit", type=int, default=20_000,
                        help="subsample size of the bounded DBSCAN (default 20000)")
    parser.add_argument("--exact-fit", action="store_true",
                        help="also time k-means/GMM fitted on every pixel and compare the masks")
    parser.add_argument("--seed", type=int, default=0)
    add_out_argument(parser)
    args = parser.parse_args(argv)

    root = Path(args.data_dir) / f"mask_{args.detector}"
    t0 = time.perf_counter()
    # the folder is a cache: a reference left by another phantom version is regenerated
    write_phantom(root, series="reference", detector=args.detector, seed=args.seed, workers=1,
                  overwrite=True)
    t_data = time.perf_counter() - t0
    ref, valid = reference_image(read_series(root / "reference"), how="median")
    truth = read_ground_truth(root / "reference")["footprint"]

    t0 = time.perf_counter()
    feats = pixel_features(ref, valid, radius=7)
    times = {"features": time.perf_counter() - t0}
    metrics, masks = {}, {}
    runs = [(m, m, {}) for m in BACKENDS]
    if args.exact_fit:
        runs += [(f"{m}_exact_fit", m, {"fit_sample": None}) for m in ("kmeans", "gmm")]
    for name, method, extra in runs:
        kwargs = {**BACKENDS[method], **extra}
        if method == "dbscan":
            kwargs["max_fit"] = args.dbscan_max_fit
        t0 = time.perf_counter()
        result = cluster(feats, method, seed=args.seed, **kwargs)
        try:
            est = establish_mask(result, ref, feats.valid)
            refined = establish_mask(result, ref, feats.valid, refine="contrast")
        except ValueError as exc:       # e.g. DBSCAN finding one cluster
            times[name] = time.perf_counter() - t0
            metrics[name] = {"error": str(exc)}
            continue
        times[name] = time.perf_counter() - t0
        masks[name] = refined.mask
        m = detector_metrics(est.mask, ref, valid)
        metrics[name] = {"fit_sample": result.params.get("fit_sample"),
                         "area_fraction": m["area_fraction"], "components": m["components"],
                         "polarity_gap": m["polarity_gap"],
                         "signed_iou_vs_truth": truth_metrics(est.mask, truth)["signed_iou"],
                         "refined_signed_iou_vs_truth":
                             truth_metrics(refined.mask, truth)["signed_iou"]}
    if args.exact_fit:
        for method in ("kmeans", "gmm"):
            exact = f"{method}_exact_fit"
            if method in masks and exact in masks:
                metrics[method]["refined_signed_iou_vs_exact_fit"] = truth_metrics(
                    masks[method], masks[exact])["signed_iou"]
    total = sum(times[k] for k in ("features", *BACKENDS))
    result = {
        "benchmark": "mask Table 5.1",
        "detector": [int(s) for s in ref.shape],
        "valid_pixels": int(valid.sum()),
        "seconds": {k: round(v, 3) for k, v in times.items()},
        "total_seconds": round(total, 3),
        "total_seconds_exact_fit": (round(total - times["kmeans"] - times["gmm"] + times[
            "kmeans_exact_fit"] + times["gmm_exact_fit"], 3) if args.exact_fit else None),
        "target_seconds": TARGET_S,
        "total_over_target": round(total / TARGET_S, 3),
        "share_of_total": {k: round(times[k] / total, 3) for k in ("features", *BACKENDS)},
        "load_average_1min": round(os.getloadavg()[0], 2),
        "dbscan_max_fit": args.dbscan_max_fit,
        "metrics": metrics,
        "data_generation_seconds": round(t_data, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "host": {"cpus": os.cpu_count(), "platform": platform.platform(),
                 "affinity": len(os.sched_getaffinity(0))},
    }
    return emit(result, args.out)


if __name__ == "__main__":
    main()

"""``thesis phantom``: write the synthetic XMCD acquisitions of Table 5.2 with ground truth."""

from __future__ import annotations

import os
import time

from tqdm import tqdm

from thesis_lib.provenance import profile_names

from ._checks import check_memory, check_output_dir, int_range

#: Bytes per detector pixel one worker holds at its peak, rounded up: the float64 scene
#: layers and expected-count images plus the frame stacks of one acquisition.
BYTES_PER_PIXEL = 8 * 32


def register(subparsers):
    p = subparsers.add_parser(
        "phantom",
        help="write synthetic XMCD scan series (Table 5.2) with their ground truth",
        description="Write the synthetic beamline's acquisitions: OUT/<series_id>/ with one "
                    "NeXus file per scan position, series.yml (experiment log) and "
                    "ground_truth.npz (footprint, "
                    "true magnetisation per file, drift, beam, step), and OUT/reference/. Finished "
                    "series are skipped on re-runs.")
    p.add_argument("--series", default="all",
                   help="'all' (every series and the reference) or comma-separated ids, "
                        "e.g. s1,s4,reference")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--profile", choices=profile_names(), default="quick",
                   help="detector size and frames per acquisition from section xmcd_phantom "
                        "of data_manifests/profiles.yml")
    p.add_argument("--detector", type=int_range(8), default=None,
                   help="detector pixels per side, >= 8 (overrides the profile; quick 128, full "
                        "1024); sizes whose memory exceeds what is available are refused")
    p.add_argument("--seed", type=int_range(0), default=0,
                   help="noise seed (counting, read noise, gain fluctuations), >= 0")
    p.add_argument("--geometry-seed", type=int_range(0), default=2022,
                   help="seed of everything in the ground truth (scene, drift, step/beam errors, "
                        "tape), >= 0")
    p.add_argument("--noise-free", action="store_true",
                   help="store expected counts (float64) without Poisson/read noise or gain "
                        "fluctuations")
    p.add_argument("--workers", type=int_range(1), default=None,
                   help="parallel processes, >= 1 (default: CPU count)")
    p.add_argument("--manifest", default=None,
                   help="series manifest (default: data_manifests/xmcd_table_5_2.yml)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace series written earlier with other settings")
    p.set_defaults(func=run)


def run(args) -> int:
    # deferred on purpose: `thesis --help` imports every verb module; the library loads in seconds
    from thesis_lib.xmcd.phantom import MANIFEST, load_manifest, profile_config, write_phantom

    manifest = args.manifest or MANIFEST
    check_output_dir(args.out, inputs=(manifest,))
    config = profile_config(args.profile, geometry_seed=args.geometry_seed,
                            noise=not args.noise_free)
    detector = args.detector or config.detector
    wanted = args.series
    total = (len(load_manifest(manifest)) if wanted == "all"
             else len([w for w in wanted.split(",") if w.strip()]))
    # write_phantom runs at most one worker per series
    workers = min(args.workers or os.cpu_count() or 1, max(total, 1))
    check_memory(workers * BYTES_PER_PIXEL * detector**2,
                 f"--detector {detector} with {workers} worker(s)",
                 "give a smaller --detector or fewer --workers")
    t0 = time.perf_counter()
    with tqdm(desc="phantom series", unit="series", total=total) as bar:
        def tick(sid):
            bar.set_postfix_str(sid)
            bar.update()
        written = write_phantom(args.out, series=wanted, detector=detector, seed=args.seed,
                                config=config, workers=args.workers, overwrite=args.overwrite,
                                manifest=manifest, on_done=tick)
    for sid, folder in written.items():
        print(f"{sid}: {folder}")
    print(f"wrote {len(written)} series in {time.perf_counter() - t0:.1f} s")
    return 0

"""Train the released U-Net checkpoint end to end on one GPU node.

Renders the embedded corpus (both subsets), cuts 5-s clips at 48 kHz, degrades them with the
default emulator on every CPU core, trains the U-Net on CUDA within a time budget, exports the
float16 release checkpoint and scores it on the release's own test split. Every track that the
book's `quick` or `full` denoiser chapter holds out (validation or test, seed 0) is kept out of
the training split here too, so the book can evaluate the shipped model on its test split.

Usage (what produced data_manifests/models/unet_release.pt; see data_manifests/models.yml)::

    python slurm/gpu_release.py --work /tmp/release --out OUT --tracks 96 --train-minutes 4
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from thesis_lib.data import generate_pairs, make_clips, select_tracks, split_tracks, write_wav
from thesis_lib.data.corpus import render_track
from thesis_lib.provenance import profile_names, profile_section

SUBSETS = ("classical", "mixed")


def book_heldout_names(seed: int = 0) -> set[str]:
    """Names of the tracks that any book profile puts in its validation or test split."""
    names = set()
    for subset in SUBSETS:
        for profile in profile_names():
            size = profile_section(profile, "paired_corpus")
            chosen = sorted(spec.name for spec in select_tracks(subset, size.tracks, seed=seed))
            split = split_tracks(range(len(chosen)), seed=seed)
            names |= {chosen[i] for i in split["val"] + split["test"]}
    return names


def _render(job):
    spec, folder, duration_s = job
    path = Path(folder) / f"{spec.name}.wav"
    if not path.exists():
        write_wav(path, render_track(spec, duration_s=duration_s), 44_100)
    return str(path)


def _degrade(job):
    clean, degraded, k, K, seed = job
    from thesis_lib.emulator import Emulator, EmulatorParams
    report = generate_pairs(clean, degraded, transform=Emulator(EmulatorParams()),
                            which_fraction=(k, K), seed=seed)
    return report.generated


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True, help="scratch folder for audio and pairs")
    ap.add_argument("--out", required=True, help="folder for the checkpoint, scalars and metrics")
    ap.add_argument("--tracks", type=int, default=96, help="tracks per subset")
    ap.add_argument("--train-minutes", type=float, default=4.0)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--segment", type=int, default=65_536)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda", help="cpu for a dry run of the whole recipe")
    args = ap.parse_args()
    work, out = Path(args.work), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    timings = {}

    t0 = time.perf_counter()
    heldout = book_heldout_names(args.seed)
    jobs = []
    for subset in SUBSETS:
        specs = select_tracks(subset, args.tracks, seed=args.seed)
        trainable = [s for s in specs if s.name not in heldout]
        split = split_tracks(range(len(trainable)), seed=args.seed + 1)
        for name in ("train", "val", "test"):
            folder = work / "tracks" / name / subset
            folder.mkdir(parents=True, exist_ok=True)
            jobs += [(trainable[i], str(folder), 30.0) for i in split[name]]
    with ProcessPoolExecutor(args.workers) as pool:
        list(pool.map(_render, jobs, chunksize=1))
    timings["render_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    clean, degraded = work / "clean", work / "degraded"
    make_clips(work / "tracks", clean, clip_s=5.0, rate=48_000)
    timings["clips_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    K = args.workers
    with ProcessPoolExecutor(K) as pool:
        jobs = [(str(clean), str(degraded), k, K, args.seed) for k in range(1, K + 1)]
        list(pool.map(_degrade, jobs))
    timings["pairs_s"] = time.perf_counter() - t0

    import torch

    from thesis_lib.data import PairedAudioDataset
    from thesis_lib.denoise.checkpoint import export_release
    from thesis_lib.denoise.evaluate import score_clip
    from thesis_lib.denoise.inference import Denoiser
    from thesis_lib.denoise.train import preset, train

    config = preset("full", lr=args.lr, batch_size=args.batch_size, segment_length=args.segment,
                    max_minutes=args.train_minutes, num_workers=min(8, args.workers),
                    seed=args.seed, log_every=50)
    hardware = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    train_set = PairedAudioDataset(degraded, clean, split="train", target_rate=44_100)
    val_set = PairedAudioDataset(degraded, clean, split="val", target_rate=44_100)
    t0 = time.perf_counter()
    result = train(config, train_set, val_set, work / "run", device=args.device, log=print)
    timings["train_s"] = time.perf_counter() - t0
    best = work / "run" / "best.pt"
    if not best.exists():  # the budget ended before a validation pass
        best = work / "run" / "checkpoint.pt"
    release = export_release(best, out / "unet_release.pt", half=True,
                             extra={"hardware": hardware,
                                    "train_seconds": timings["train_s"],
                                    "heldout_book_tracks": sorted(heldout)})
    shutil.copytree(work / "run" / "tensorboard", out / "tensorboard", dirs_exist_ok=True)

    denoiser = Denoiser(release, device=args.device)
    test_set = PairedAudioDataset(degraded, clean, split="test", target_rate=44_100)
    rows = []
    for i in range(len(test_set)):
        y, x = (t.numpy().reshape(-1).astype(np.float64) for t in test_set[i])
        xhat = denoiser(y, 44_100)
        rows.append({"relpath": str(test_set.relpaths[i]),
                     "degraded": score_clip(x, y), "unet": score_clip(x, xhat)})
    summary = {m: {k: float(np.mean([r[m][k] for r in rows])) for k in rows[0][m]}
               for m in ("degraded", "unet")} if rows else {}
    doc = {"timings": timings, "n_train_clips": len(train_set), "n_val_clips": len(val_set),
           "n_test_clips": len(test_set), "train_result": str(result), "test_summary": summary,
           "test_rows": rows, "config": config.to_dict(), "device": hardware}
    (out / "release_metrics.json").write_text(json.dumps(doc, indent=2, default=str))
    print(json.dumps({"timings": timings, "test_summary": summary}, indent=2))


if __name__ == "__main__":
    main()

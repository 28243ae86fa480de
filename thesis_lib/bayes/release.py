"""Release recipe of the Task 3 models: the quick chapter's networks, trained for longer.

The ``quick`` profile of the ``bayes_restoration`` chapter trains its surrogate and its
prior for about two minutes each, enough to run the pipeline but not to learn the music:
the prior sees each training sample a handful of times. This recipe keeps everything the
chapter fixes — the training split of the embedded corpora, the network sizes, the
diffusion schedule, the sampler — and changes only the training budget (steps, clips of
the surrogate, wall-time cap), so the shipped file is a drop-in replacement that the
chapter's sampler and scores use unchanged. Both trainings checkpoint; re-running the same
command resumes, across sessions.

Usage::

    nice -n 19 python -m thesis_lib.bayes.release --data-dir build/data --out RUN \\
        [--surrogate-steps 1600] [--prior-steps 12000] [--minutes 90] [--threads 1]

The defaults are the shipped release's settings (``data_manifests/models.yml``).

``RUN/models.pt`` is the result (the format of :func:`~.restore.save_models`), to be
copied to ``data_manifests/models/bayes_release.pt`` and recorded in
``data_manifests/models.yml``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import torch

from thesis_lib.emulator import Emulator, EmulatorParams

from .experiment import bayes_profile, corpus_splits, models_for


def train_release(data_dir, out, *, surrogate_steps: int, prior_steps: int, minutes: float,
                  seed: int = 0, log=None):
    """Train (or resume) the release surrogate and prior; returns the training history."""
    splits, _ = corpus_splits(data_dir, "quick", seed=seed, limits={"val": 0, "test": 0})
    train_pairs = [(y, x) for _, y, x in splits["train"]]
    profile = dataclasses.replace(bayes_profile("quick"), surrogate_steps=surrogate_steps,
                                  prior_steps=prior_steps, minutes=minutes,
                                  train_clips=len(train_pairs))
    _, _, training = models_for(train_pairs, Emulator(EmulatorParams()), profile, out,
                                seed=seed, log=log)
    return training


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m thesis_lib.bayes.release",
        description="Train the Task 3 release models (surrogate likelihood and diffusion "
                    "prior) on the quick chapter's training clips; resumable.")
    parser.add_argument("--data-dir", default="build/data",
                        help="the book's data folder (its task2 corpora are made if missing)")
    parser.add_argument("--out", required=True, help="run folder; models.pt is written there")
    parser.add_argument("--surrogate-steps", type=int, default=1600)
    parser.add_argument("--prior-steps", type=int, default=12000)
    parser.add_argument("--minutes", type=float, default=90.0,
                        help="wall-time cap of each training (a capped run resumes later)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("surrogate_steps", "prior_steps", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be ≥ 1")
    if (Path(args.out) / "models.pt").exists():
        parser.error(f"{args.out}/models.pt exists; choose another --out (nothing is "
                     "overwritten)")
    torch.set_num_threads(args.threads)
    training = train_release(args.data_dir, args.out, surrogate_steps=args.surrogate_steps,
                             prior_steps=args.prior_steps, minutes=args.minutes,
                             seed=args.seed, log=lambda line: print(line, flush=True))
    for name in ("surrogate", "prior"):
        h = training[name]
        print(f"{name}: {h['step']} steps in {h['seconds'] / 60:.1f} min, "
              f"final loss {h['losses'][-1]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Wall time of `thesis restore`'s sampler: a 5-s recording, K posterior samples.

Uses the models given by --models (default: the chapter's retrained quick models if present,
else the shipped ``data_manifests/models/bayes_release.pt``, else untrained networks of the
same shape, whose cost is the same) and prints JSON with the seconds per second of audio.
"""

from __future__ import annotations

import argparse
import os
import time

import _common
import numpy as np
import torch

from thesis_lib.bayes.diffusion import EpsNet, Prior, Schedule
from thesis_lib.bayes.restore import RELEASE_MODELS, Restorer, load_models
from thesis_lib.bayes.surrogate import Surrogate


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None,
                        help="surrogate + prior file (default: see the module docstring)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    _common.add_out_argument(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.models is not None and not os.path.isfile(args.models):
        parser.error(f"--models {args.models}: no such file; pass a models.pt of the "
                     "bayes_restoration chapter or data_manifests/models/bayes_release.pt")
    candidates = ([args.models] if args.models else
                  ["build/data/task3/models_quick_seed0/models.pt", str(RELEASE_MODELS)])
    found = next((path for path in candidates if os.path.isfile(path)), None)
    if found:
        surrogate, prior, _ = load_models(found)
        source = found
    else:
        surrogate = Surrogate()
        prior = Prior(EpsNet(), Schedule.cosine(200), 0.1)
        source = "untrained networks of the default shape"
    restorer = Restorer(surrogate, prior, samples=args.samples, steps=args.steps)
    rate = 48_000
    y = 0.05 * np.random.default_rng(0).standard_normal(int(args.seconds * rate))
    t0, c0 = time.perf_counter(), time.process_time()
    restorer(y, rate, seed=0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return _common.emit({"benchmark": "restore", "models": source, "seconds_audio": args.seconds,
                         "samples": args.samples, "steps": args.steps,
                         "threads": args.threads, "wall_s": round(wall, 2),
                         # CPU seconds of all threads: on a shared machine the wall time
                         # depends on the load, this much less
                         "cpu_s": round(cpu, 2),
                         "s_per_s_audio": round(wall / args.seconds, 2),
                         "cpu_count": os.cpu_count(),
                         "load_avg_1min": round(os.getloadavg()[0], 2)}, args.out)


if __name__ == "__main__":
    main()

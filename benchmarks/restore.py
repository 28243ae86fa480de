"""Wall time of `thesis restore`'s sampler: a 5-s recording, K posterior samples.

Uses the models given by --models (default: the shipped
``data_manifests/models/bayes_release.pt``, the models `thesis restore` loads) and prints
JSON with the seconds per second of audio.
"""

from __future__ import annotations

import argparse
import os
import time

import _common
import numpy as np
import torch

from thesis_lib.bayes.restore import RELEASE_MODELS, Restorer, load_models


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
    source = args.models or str(RELEASE_MODELS)
    if not os.path.isfile(source):
        parser.error(f"--models {source}: no such file; pass a models.pt written by "
                     "python -m thesis_lib.bayes.release or the bayes_restoration chapter")
    surrogate, prior, _ = load_models(source)
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

"""How far a restoration is from what the degradation allows: methods beside the two oracles.

Scores, on the same held-out clips, the degraded input, classical baselines, any
number of trained denoisers and the oracle linear filter and ratio mask of
:mod:`thesis_lib.denoise.oracle`. Clips come from the embedded corpus's test
split (the tracks every released model holds out), degraded by the emulator
with default parameters unless others are given.

Run as ``python -m thesis_lib.denoise.headroom --data DIR [--checkpoint NAME=PATH ...]``;
it prints one JSON object of means and 95 % confidence half-widths.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .baselines import identity, wiener_filter
from .beam import beam_wiener
from .evaluate import evaluate_methods
from .oracle import oracle_methods

SUMMARY_KEYS = ("si_sdr_db", "lsd_db", "l1", "delta_si_sdr_db")


def headroom_scores(pairs, sample_rate: int, methods: dict, *, n_fft: int = 2048) -> dict:
    """Scores of ``methods``, the degraded input and both oracles on ``pairs``.

    Parameters
    ----------
    pairs : list of (degraded, clean)
    sample_rate : int
    methods : dict of name → callable(y, sample_rate) → x̂

    Returns
    -------
    dict
        Per method: the means of :data:`SUMMARY_KEYS`, their ``*_ci95``
        half-widths and ``n_clips``; ``"input"`` is the degraded clip itself.
    """
    pairs = list(pairs)
    everything = {"input": identity, **methods, **oracle_methods(pairs, n_fft=n_fft)}
    scores = evaluate_methods(pairs, everything, sample_rate)
    out = {}
    for name in everything:
        entry = scores[name]
        summary = {k: round(float(entry[k]), 3) for k in SUMMARY_KEYS}
        summary.update({f"{k}_ci95": round(float(entry[f"{k}_ci95"]), 3) for k in SUMMARY_KEYS})
        summary["n_clips"] = entry["n_clips"]
        out[name] = summary
    return out


def _parse_checkpoints(items) -> dict:
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"error: --checkpoint {item!r} must read NAME=PATH, "
                             "e.g. --checkpoint release=data_manifests/models/unet_release.pt")
        out[name] = Path(path)
    return out


def main(argv=None) -> dict:
    from thesis_lib.denoise.experiment import clips, prepare_pairs

    from .inference import Denoiser

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="cache folder for tracks, clips and pairs")
    parser.add_argument("--subsets", default="classical,mixed")
    parser.add_argument("--profile", default="full", choices=("quick", "full"))
    parser.add_argument("--limit", type=int, default=None, help="clips per subset (default all)")
    parser.add_argument("--checkpoint", action="append", default=[],
                        help="NAME=PATH of a trained denoiser to score (repeatable)")
    parser.add_argument("--rate", type=int, default=44_100, help="scoring sample rate")
    args = parser.parse_args(argv)
    checkpoints = _parse_checkpoints(args.checkpoint)
    for name, path in checkpoints.items():
        if not path.is_file():
            raise SystemExit(f"error: --checkpoint {name}={path}: no such file; give the path "
                             "of a trained checkpoint")
    pairs = []
    for subset in args.subsets.split(","):
        corpus = prepare_pairs(args.data, subset, args.profile, splits=["test"])
        pairs += clips(corpus.split("test", args.rate), args.limit)
    methods = {"wiener": wiener_filter,
               "beam_wiener": lambda y, sr: beam_wiener(y, sr)}
    for name, path in checkpoints.items():
        methods[name] = Denoiser(path)
    result = {"clips": len(pairs), "rate": args.rate, "profile": args.profile,
              "subsets": args.subsets, "scores": headroom_scores(pairs, args.rate, methods)}
    json.dump(result, sys.stdout, indent=2)
    print()
    return result


if __name__ == "__main__":
    main()

"""How far a restoration is from what the degradation allows: methods beside the two oracles.

Scores, on the same held-out clips, the degraded input, classical baselines, any
number of trained denoisers and the oracle linear filter and ratio mask of
:mod:`thesis_lib.denoise.oracle`. Clips come either from the embedded corpus's
test split (``--data DIR``: the tracks every released model holds out) or from
the fixed 5-s excerpts of the held-out *real* recordings of
:mod:`thesis_lib.data.real_audio` (``--real CACHE``). Real excerpts are read at
the emulator's 48 kHz, degraded with per-excerpt seeds (eq. 4.3 of the thesis,
keyed by the excerpt's name) and both members resampled to the scoring rate;
the pairs are cached in ``--pairs-cache`` so a re-run scores the same clips.

Run as ``python -m thesis_lib.denoise.headroom (--data DIR | --real CACHE)
[--checkpoint NAME=PATH ...] [--emulator KEY=VALUE ...]``; it prints one JSON object of
means and 95 % confidence half-widths.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from thesis_lib._atomic import atomic_path
from thesis_lib.data.audio import resample
from thesis_lib.data.real_audio import evaluation_excerpts
from thesis_lib.emulator import Emulator, EmulatorParams
from thesis_lib.emulator.params import clip_seed

from .baselines import identity, wiener_filter
from .beam import beam_wiener
from .evaluate import evaluate_methods, mean_ci
from .experiment import clips, params_tag, prepare_pairs
from .inference import Denoiser
from .oracle import design_headroom, oracle_methods

SUMMARY_KEYS = ("si_sdr_db", "lsd_db", "l1", "delta_si_sdr_db")

#: Emulator settings of the generalisation table: the defaults and one change at a time.
GENERALISATION_SETTINGS = {
    "default": {},
    "beam_15um": {"beam_fwhm_um": 15.0},
    "beam_40um": {"beam_fwhm_um": 40.0},
    "noise_x2": {"noise_scale": 0.4},
    "bias_off": {"bias_mode": "off"},
}


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
        ``si_sdr_minus_oracle_linear_db`` (with ``_ci95``) is the mean per-clip
        SI-SDR difference to the oracle linear filter: a paired comparison, far
        tighter than the two methods' own intervals, since both score the same clips.
    """
    pairs = list(pairs)
    everything = {"input": identity, **methods, **oracle_methods(pairs, n_fft=n_fft)}
    scores = evaluate_methods(pairs, everything, sample_rate)
    oracle = np.asarray(scores["oracle_linear_filter"]["per_clip"]["si_sdr_db"])
    out = {}
    for name in everything:
        entry = scores[name]
        summary = {k: round(float(entry[k]), 3) for k in SUMMARY_KEYS}
        summary.update({f"{k}_ci95": round(float(entry[f"{k}_ci95"]), 3) for k in SUMMARY_KEYS})
        summary["n_clips"] = entry["n_clips"]
        paired = np.asarray(entry["per_clip"]["si_sdr_db"]) - oracle
        diff, ci = mean_ci(paired)
        summary["si_sdr_minus_oracle_linear_db"] = round(float(diff), 3)
        summary["si_sdr_minus_oracle_linear_db_ci95"] = round(float(ci), 3)
        out[name] = summary
    return out


def real_pairs(real_cache, pairs_cache, *, params=None, split: str = "test",
               rate: int = 44_100, seconds: float = 5.0, seed: int = 0) -> list:
    """``(degraded, clean)`` pairs of the fixed excerpts of real recordings, at ``rate``.

    The degraded clips of one emulator setting are cached as one ``.npz`` in
    ``pairs_cache`` (named by :func:`~thesis_lib.denoise.experiment.params_tag`).
    """

    params = params or EmulatorParams()
    tag = "default" if params == EmulatorParams() else params_tag(params)
    path = Path(pairs_cache) / f"real_{split}_{seconds:g}s_{rate}_{tag}_seed{seed}.npz"
    if path.is_file():
        with np.load(path) as data:
            return list(zip(data["degraded"], data["clean"], strict=True))
    excerpts = evaluation_excerpts(real_cache, split, seconds=seconds, rate=params.output_rate)
    emu = Emulator(params)
    ys, xs = [], []
    for name, x in excerpts:
        y = emu(x, params.output_rate, clip_seed(seed, name, 0))
        ys.append(np.asarray(resample(y, params.output_rate, rate), dtype=np.float32))
        xs.append(np.asarray(resample(x, params.output_rate, rate), dtype=np.float32))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, degraded=np.stack(ys), clean=np.stack(xs),
                     names=np.array([n for n, _ in excerpts]))
    return list(zip(ys, xs, strict=True))


def _parse_emulator(items):
    changes = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"error: --emulator {item!r} must read KEY=VALUE, "
                             "e.g. --emulator beam_fwhm_um=40")
        default = getattr(EmulatorParams(), key, None)
        changes[key] = type(default)(value) if isinstance(default, (int, float)) and \
            not isinstance(default, bool) else value
    try:
        return EmulatorParams().replace(**changes) if changes else None
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"error: --emulator: {exc}") from None


def _parse_checkpoints(items) -> dict:
    out = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"error: --checkpoint {item!r} must read NAME=PATH, "
                             "e.g. --checkpoint release=data_manifests/models/unet_release.pt")
        out[name] = Path(path)
    return out


def _design_table(args) -> dict:
    split_pairs = {}
    for split in ("val", "test"):
        if args.real:
            split_pairs[split] = real_pairs(args.real, args.pairs_cache or
                                            Path(args.real) / "pairs", split=split,
                                            rate=args.rate)
        else:
            split_pairs[split] = [pair for subset in args.subsets.split(",") for pair in
                                  clips(prepare_pairs(args.data, subset, args.profile,
                                                      splits=[split]).split(split, args.rate))]
    return design_headroom(split_pairs["val"], split_pairs["test"][:args.limit])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="cache folder for embedded tracks, clips and pairs")
    source.add_argument("--real", help="folder set up by thesis_lib.data.real_audio")
    parser.add_argument("--pairs-cache", default=None,
                        help="where degraded real excerpts are cached (default REAL/pairs)")
    parser.add_argument("--emulator", action="append", default=[],
                        help="KEY=VALUE emulator parameter for the real excerpts (repeatable)")
    parser.add_argument("--subsets", default="classical,mixed")
    parser.add_argument("--profile", default="full", choices=("quick", "full"))
    parser.add_argument("--limit", type=int, default=None,
                        help="clips per subset, or real excerpts in all (default all)")
    parser.add_argument("--checkpoint", action="append", default=[],
                        help="NAME=PATH of a trained denoiser to score (repeatable)")
    parser.add_argument("--rate", type=int, default=44_100, help="scoring sample rate")
    parser.add_argument("--table", choices=("headroom", "generalisation", "design"),
                        default="headroom",
                        help="generalisation: every setting of GENERALISATION_SETTINGS in turn; "
                             "design: the fixed-filter study of oracle.design_headroom (fitted "
                             "on the validation clips, scored on the test clips)")
    args = parser.parse_args(argv)
    checkpoints = _parse_checkpoints(args.checkpoint)
    for name, path in checkpoints.items():
        if not path.is_file():
            raise SystemExit(f"error: --checkpoint {name}={path}: no such file; give the path "
                             "of a trained checkpoint")
    denoisers = {name: Denoiser(path) for name, path in checkpoints.items()}
    if args.table == "design":
        result = {"rate": args.rate, "design": _design_table(args)}
        json.dump(result, sys.stdout, indent=2)
        print()
        return result
    if args.table == "generalisation":
        if not args.real:
            raise SystemExit("error: --table generalisation needs --real CACHE (held-out real "
                             "recordings)")
        settings = {name: EmulatorParams().replace(**changes) if changes else None
                    for name, changes in GENERALISATION_SETTINGS.items()}
    else:
        settings = {"given": _parse_emulator(args.emulator)}
    result = {"rate": args.rate, "source": f"real:{args.real}" if args.real else
              f"embedded:{args.subsets}:{args.profile}", "settings": {}}
    for label, params in settings.items():
        pairs = []
        if args.real:
            pairs = real_pairs(args.real, args.pairs_cache or Path(args.real) / "pairs",
                               params=params, rate=args.rate)[:args.limit]
        else:
            for subset in args.subsets.split(","):
                corpus = prepare_pairs(args.data, subset, args.profile, splits=["test"],
                                       emulator_params=params)
                pairs += clips(corpus.split("test", args.rate), args.limit)
        beam = (params or EmulatorParams()).beam_fwhm_um
        methods = {"wiener": wiener_filter,
                   # the classical inverse filter is told the true beam width
                   "beam_wiener": lambda y, sr, beam=beam: beam_wiener(y, sr, beam_fwhm_um=beam),
                   **denoisers}
        result["settings"][label] = {
            "clips": len(pairs),
            "emulator_changes": GENERALISATION_SETTINGS.get(label, args.emulator),
            "scores": headroom_scores(pairs, args.rate, methods)}
    json.dump(result, sys.stdout, indent=2)
    print()
    return result


if __name__ == "__main__":
    main()

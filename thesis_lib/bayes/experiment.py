"""The Task 3 chapter's experiment: profiles, cached training, per-clip evaluation.

The chapter trains the surrogate and the prior on the training split of the book's paired
corpora (the clips of the ``denoiser`` chapter), scores every method on the test split and
recalibrates the posterior intervals by conformal scales fitted on held-out clips that are
not scored with them (split conformal: validation → test; cross-conformal: each held-out
track from the others). Trained models are saved in
``data_dir/task3`` and reused on re-execution.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from thesis_lib._waveform import fit_length
from thesis_lib.metrics import lsd, si_sdr
from thesis_lib.provenance import profile_section

from ._signal import to_rate
from .draws import RATE, ClipDraws
from .misfit import MisfitReference, misfit_score, roc_auc
from .posterior import (
    ConformalScale,
    coverage,
    cross_conformal_scales,
    crps_ensemble,
    interval_factor,
    spread_skill,
    tile_rank_correlation,
)
from .restore import load_models, save_models
from .training import train_prior, train_surrogate

#: Rate at which the chapter's corpora are generated and degraded (the emulator's rate)
GEN_RATE = 48_000


@dataclass(frozen=True)
class BayesProfile:
    """Sizes of one chapter profile (training steps, sampler settings)."""

    surrogate_steps: int
    prior_steps: int
    train_clips: int
    crop: int
    batch: int
    width: int
    diffusion_steps: int
    samples: int
    steps: int
    calibration_draws: int
    minutes: float  # wall-time cap per model

    def to_dict(self) -> dict:
        return asdict(self)


def bayes_profile(name: str) -> BayesProfile:
    """The ``bayes_restoration`` section of profile ``name`` in ``data_manifests/profiles.yml``."""
    return BayesProfile(**profile_section(name, "bayes_restoration")._asdict())


def models_for(train_pairs, emulator, profile: BayesProfile, run_dir, *, seed: int = 0,
               log=None, shipped=None):
    """Train (or load, when ``run_dir/models.pt`` exists) the surrogate and the prior.

    ``train_pairs`` are ``(y, x)`` clips at the emulator's rate; only the clean x are used:
    the surrogate sees fresh emulator draws, never the stored degraded files. ``shipped``
    names a model file (e.g. :data:`~.restore.RELEASE_MODELS`) that is loaded instead,
    whatever ``run_dir`` holds (an earlier retraining there does not shadow a newer
    release); its training history is returned as recorded.
    """
    run_dir = Path(run_dir)
    final = run_dir / "models.pt"
    source = final if shipped is None else Path(shipped)
    if shipped is not None or final.is_file():
        surrogate, prior, state = load_models(source)
        return surrogate, prior, state["training"]
    rate = emulator.params.output_rate
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(train_pairs))[:profile.train_clips]
    t0 = time.perf_counter()
    draws = [ClipDraws(emulator, train_pairs[i][1], rate) for i in chosen]
    hysteresis_s = time.perf_counter() - t0
    surrogate, h_sur = train_surrogate(draws, steps=profile.surrogate_steps, batch=profile.batch,
                                       crop=profile.crop, seed=seed, width=profile.width,
                                       checkpoint=run_dir / "surrogate.ckpt",
                                       max_seconds=profile.minutes * 60, log=log)
    clean16 = [to_rate(x, rate, RATE) for _, x in train_pairs]
    prior, h_pri = train_prior(clean16, steps=profile.prior_steps, batch=profile.batch,
                               crop=profile.crop, seed=seed, width=profile.width,
                               diffusion_steps=profile.diffusion_steps,
                               checkpoint=run_dir / "prior.ckpt",
                               max_seconds=profile.minutes * 60, log=log)
    training = {"surrogate": h_sur, "prior": h_pri, "hysteresis_s": hysteresis_s,
                "train_clips_surrogate": len(draws), "train_clips_prior": len(clean16),
                "profile": profile.to_dict()}
    save_models(final, surrogate, prior, {"training": training})
    return surrogate, prior, training


def surrogate_calibration(surrogate, emulator, pairs, draws: int, *, seed: int = 0,
                          level: float = 0.9) -> dict:
    """Compare μ_ψ, ν_ψ with the mean and variance of ``draws`` fresh emulator outputs.

    Returns the per-sample empirical and predicted variances (pooled over clips), the
    median variance ratio and the fraction of fresh draws inside the surrogate's
    central ``level`` predictive interval.
    """
    from scipy.stats import norm

    rate = emulator.params.output_rate
    z = norm.ppf(0.5 + level / 2)
    emp_var, pred_var, inside, emp_mean, pred_mean = [], [], [], [], []
    for i, (_, x) in enumerate(pairs):
        clip = ClipDraws(emulator, x, rate)
        ys = clip.draws([int(s) for s in np.random.SeedSequence([seed, i]).generate_state(draws)])
        with torch.no_grad():
            mu, log_var = surrogate(torch.tensor(clip.clean, dtype=torch.float32)[None, None])
        mu, var = mu[0, 0].numpy().astype(float), np.exp(log_var[0, 0].numpy().astype(float))
        emp_var.append(ys.var(0, ddof=1))
        pred_var.append(var)
        emp_mean.append(ys.mean(0))
        pred_mean.append(mu)
        inside.append(np.mean(np.abs(ys - mu) <= z * np.sqrt(var)))
    emp_var, pred_var = np.concatenate(emp_var), np.concatenate(pred_var)
    return {"empirical_var": emp_var, "predicted_var": pred_var,
            "median_var_ratio": float(np.median(pred_var / emp_var)),
            "coverage": float(np.mean(inside)),
            "mean_error_rms": float(np.sqrt(np.mean((np.concatenate(emp_mean)
                                                     - np.concatenate(pred_mean)) ** 2))),
            "draw_sd_rms": float(np.sqrt(np.mean(emp_var)))}


def score(clean16, estimate16, samples16=None, sd16=None) -> dict:
    """SI-SDR and LSD of an estimate at the internal rate; calibration scores of samples.

    With ``samples16``, ``estimate16`` is their mean and ``sd16`` (computed when not
    given) their per-sample standard deviation.
    """
    out = {"si_sdr_db": si_sdr(clean16, estimate16),
           "lsd_db": lsd(clean16, estimate16, n_fft=512)}
    if samples16 is not None and samples16.shape[0] > 1:
        sd = samples16.std(0, ddof=1) if sd16 is None else sd16
        out.update(coverage=coverage(clean16, estimate16, sd, k=samples16.shape[0]),
                   crps=crps_ensemble(clean16, samples16),
                   spread_skill=spread_skill(clean16, samples16),
                   tile_rank_corr=tile_rank_correlation(clean16, samples16))
    return out


def paired_difference(rows, method: str, reference: str, key: str = "si_sdr_db"):
    """Mean over clips of ``key`` of ``method`` minus that of ``reference`` on the same clip,
    with the half-width of its 95 % interval (:func:`mean_ci95`).

    Clips are matched by their ``(split, clip)``; the paired interval is much narrower than
    the two unpaired ones when the clips differ more from each other than the methods do.
    """
    def by_clip(name):
        return {(r["split"], r["clip"]): r[key] for r in rows if r["method"] == name}

    ours, theirs = by_clip(method), by_clip(reference)
    if not ours or ours.keys() != theirs.keys():
        raise ValueError(f"{method!r} and {reference!r} must be scored on the same clips")
    return mean_ci95([ours[clip] - theirs[clip] for clip in ours])


def mean_ci95(values) -> tuple[float, float]:
    """Mean and the half-width of its 95 % Student-t interval."""
    from scipy.stats import t

    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return float(v.mean()), float("nan")
    return float(v.mean()), float(t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))


SUMMARY_KEYS = ("lsd_db", "coverage", "coverage_conformal", "coverage_cross", "crps",
                "spread_skill", "tile_rank_corr", "runtime_s_per_s")


def summarise_methods(rows, methods) -> dict:
    """Per method: mean SI-SDR with its 95 % interval, clip count and mean of each score.

    A score a method does not have (e.g. coverage of a point estimate) is ``None``.
    """
    summary = {}
    for name in methods:
        picked = [r for r in rows if r["method"] == name]
        if not picked:
            raise ValueError(f"no evaluated clips for method {name!r}")
        m, ci = mean_ci95([r["si_sdr_db"] for r in picked])
        summary[name] = {"si_sdr_db": m, "si_sdr_ci95": ci, "n_clips": len(picked),
                         **{key: (float(np.mean([r[key] for r in picked]))
                                  if key in picked[0] else None) for key in SUMMARY_KEYS}}
    return summary


def spread_over_tracks(tracks, limit: int | None = None) -> list[int]:
    """Indices of up to ``limit`` clips drawn from their tracks in turn, in input order.

    The first clip of every track is taken, then the second, and so on, so that a
    limited held-out set spans as many tracks as it can (the exchangeable unit of the
    cross-conformal scale) instead of filling up with the clips of the first track.

    Examples
    --------
    >>> spread_over_tracks(["a", "a", "a", "b", "b", "c"], 4)
    [0, 1, 3, 5]
    >>> spread_over_tracks(["a", "a", "a"], 2), spread_over_tracks(["a", "b"])
    ([0, 1], [0, 1])
    """
    tracks = list(tracks)
    if limit is not None and limit < 0:
        raise ValueError(f"the clip limit must be ≥ 0 or None, got {limit}")
    seen: dict = {}
    turn = []
    for i, track in enumerate(tracks):
        turn.append((seen.get(track, 0), i))
        seen[track] = seen.get(track, 0) + 1
    chosen = sorted(turn)[:len(tracks) if limit is None else limit]
    return sorted(i for _, i in chosen)


def corpus_splits(data_dir, profile: str, *, seed: int = 0, limits=None):
    """The chapter's clips of both embedded corpora: ``{split: [(subset, y, x)]}`` and tracks.

    ``limits`` maps a split to the number of clips kept per corpus, drawn from its tracks
    in turn (:func:`spread_over_tracks`); a split it does not name keeps every clip. The
    corpora are generated by :func:`~thesis_lib.denoise.experiment.prepare_pairs` at 48 kHz
    (the ``quick`` data for the ``quick`` profile, the ``full`` data otherwise).
    """
    from thesis_lib.data import parse_clip_name
    from thesis_lib.denoise.experiment import clips, prepare_pairs

    limits = dict(limits or {})
    splits = {name: [] for name in ("train", "val", "test")}
    tracks = {name: [] for name in splits}
    for subset in ("classical", "mixed"):
        corpus = prepare_pairs(data_dir, subset, "quick" if profile == "quick" else "full",
                               gen_rate=GEN_RATE, seed=seed)
        for name in splits:
            dataset = corpus.split(name, None)
            names = [parse_clip_name(rel)[0] for rel in dataset.relpaths]
            pairs = clips(dataset)
            for i in spread_over_tracks(names, limits.get(name)):
                splits[name].append((subset, *pairs[i]))
                tracks[name].append(names[i])
    return splits, tracks


def unseen_clips(corpora) -> tuple[list, list[str]]:
    """One clip of every work of the unseen corpora: ``(subset, y, x)`` and track names.

    ``corpora`` are :func:`~thesis_lib.denoise.experiment.prepare_unseen_pairs`
    results; the clip cutter filed their tracks under train/val/test, which does not
    matter here (no model saw any of them), so all splits are pooled and the first
    clip of each track is kept (:func:`spread_over_tracks`).
    """
    from thesis_lib.data import parse_clip_name
    from thesis_lib.denoise.experiment import clips

    chosen, names = [], []
    for corpus in corpora:
        for split in ("train", "val", "test"):
            if not (Path(corpus.degraded) / split).is_dir():   # a few works fill few splits
                continue
            dataset = corpus.split(split, None)
            tracks = [parse_clip_name(rel)[0] for rel in dataset.relpaths]
            keep = spread_over_tracks(tracks, len(set(tracks)))
            pairs = clips(dataset)
            chosen += [(corpus.subset, *pairs[i]) for i in keep]
            names += [tracks[i] for i in keep]
    return chosen, names


def recalibrate(val_rows, test_rows, methods, *, level: float = 0.9) -> dict:
    """Split-conformal and track-grouped cross-conformal scales of every posterior method.

    Split conformal: a scale per method fitted on ``val_rows`` and applied to
    ``test_rows``; each test row of the method gains ``coverage_conformal``. It assumes
    that validation and test clips are exchangeable, which fails when each split holds
    the clips of a few different tracks.

    Cross-conformal (when the rows carry a ``"track"``): the validation and test rows,
    both held out from training, are pooled and grouped by track; each track's rows are
    rescaled by the scale fitted on the other tracks' rows, every track weighing the same
    (:func:`~.posterior.cross_conformal_scales`). Each of those rows gains
    ``coverage_cross`` and ``cross_width_ratio``, the rescaled half-width over the raw
    Student-t one (below one: the raw interval was narrowed).

    Returns ``{"split": {method: ConformalScale}, "cross": {method: {track:
    ConformalScale}}}`` (``"cross"`` empty when the rows carry no track).
    """
    split, cross = {}, {}
    for name in methods:
        val = [r for r in val_rows if r["method"] == name]
        test = [r for r in test_rows if r["method"] == name]
        split[name] = ConformalScale.fit([r["clean"] for r in val], [r["mean"] for r in val],
                                         [r["sd"] for r in val], level=level)
        for r in test:
            r["coverage_conformal"] = split[name].coverage(r["clean"], r["mean"], r["sd"])
        held_out = val + test
        if not held_out or any("track" not in r for r in held_out):
            continue
        cross[name] = cross_conformal_scales([r["clean"] for r in held_out],
                                             [r["mean"] for r in held_out],
                                             [r["sd"] for r in held_out],
                                             [r["track"] for r in held_out], level=level)
        for r in held_out:
            scale = cross[name][r["track"]]
            r["coverage_cross"] = scale.coverage(r["clean"], r["mean"], r["sd"])
            r["cross_width_ratio"] = scale.q / interval_factor(level, r["samples"].shape[0])
    return {"split": split, "cross": cross}


def track_coverage(rows, methods) -> list[dict]:
    """Per method and track: clips, split, raw and cross-conformal coverage, width ratio.

    ``rows`` are held-out rows after :func:`recalibrate`; coverages are means over the
    track's clips.
    """
    out = []
    for name in methods:
        picked = [r for r in rows if r["method"] == name]
        for track in dict.fromkeys(r["track"] for r in picked):
            mine = [r for r in picked if r["track"] == track]
            out.append({"method": name, "track": track, "split": mine[0]["split"],
                        "n_clips": len(mine),
                        **{key: float(np.mean([r[key] for r in mine]))
                           for key in ("coverage", "coverage_cross", "cross_width_ratio")}})
    return out


def recalibration_summary(val_rows, test_rows, methods) -> list[dict]:
    """Per posterior method: raw, split-conformal and cross-conformal 90 % coverage.

    ``val_rows`` and ``test_rows`` have been through :func:`recalibrate`. Each row holds
    the raw coverage on the test clips and on all held-out clips, the split-conformal
    coverage on the test clips, the cross-conformal coverage on the test clips and on all
    held-out clips (mean over clips), the mean of the per-track cross-conformal coverages
    (``cross_tracks``) with the half-width of its 95 % Student-t interval (the track is the
    exchangeable unit), and the number of clips and tracks.
    """
    out = []
    for name in methods:
        test = [r for r in test_rows if r["method"] == name]
        held = [r for r in val_rows if r["method"] == name] + test
        per_track = track_coverage(held, [name])
        # the interval's centre and width come from the same unit, the track
        track_mean, ci = mean_ci95([t["coverage_cross"] for t in per_track])
        out.append({"method": name,
                    "raw_test": float(np.mean([r["coverage"] for r in test])),
                    "raw_held_out": float(np.mean([r["coverage"] for r in held])),
                    "split_test": float(np.mean([r["coverage_conformal"] for r in test])),
                    "cross_test": float(np.mean([r["coverage_cross"] for r in test])),
                    "cross_held_out": float(np.mean([r["coverage_cross"] for r in held])),
                    "cross_tracks": track_mean, "cross_ci95_tracks": ci, "clips": len(held),
                    "tracks": len(per_track)})
    return out


def evaluate_clips(clips, restorers: dict, denoiser, *, split: str, excerpt_samples: int,
                   gen_rate: int, seed: int = 0, tracks=None) -> list[dict]:
    """Score the degraded input, the supervised denoiser and every restorer on ``clips``.

    ``clips`` are ``(subset, y, x)`` at ``gen_rate``; the central ``excerpt_samples`` of
    each is restored. Scores are taken at the models' internal rate (:func:`score`); each
    posterior row keeps its ``clean`` reference and ``samples`` for recalibration and
    figures, and every row its runtime per second of audio. ``tracks`` (one name per
    clip) is kept as each row's ``"track"``, the grouping of the cross-conformal scale.
    """
    if tracks is not None and len(tracks) != len(clips):
        raise ValueError(f"tracks must name the source of each of the {len(clips)} clips, "
                         f"got {len(tracks)} names")
    rows = []
    for i, (subset, y, x) in enumerate(clips):
        start = max(0, (x.size - excerpt_samples) // 2)
        y48, x48 = y[start:start + excerpt_samples], x[start:start + excerpt_samples]
        clean16, y16 = to_rate(x48, gen_rate, RATE), to_rate(y48, gen_rate, RATE)
        seconds = y48.size / gen_rate
        common = {"split": split, "clip": i, "subset": subset,
                  **({} if tracks is None else {"track": tracks[i]})}
        t0 = time.perf_counter()
        unet48 = denoiser(y48, gen_rate)
        unet_s = time.perf_counter() - t0
        unet16 = to_rate(unet48, gen_rate, RATE)
        rows.append({**common, "method": "degraded input", "runtime_s_per_s": 0.0,
                     **score(clean16, y16)})
        rows.append({**common, "method": "U-Net (released)", "runtime_s_per_s": unet_s / seconds,
                     **score(clean16, unet16)})
        for name, restorer in restorers.items():
            init = unet16[:y16.size] if restorer.warm_start else None
            t0 = time.perf_counter()
            samples = restorer.sample(y16, init=init, seed=seed + 1000 * i)
            wall = time.perf_counter() - t0
            mean, sd = samples.mean(0), samples.std(0, ddof=1)
            rows.append({**common, "method": name, "runtime_s_per_s": wall / seconds,
                         "clean": clean16, "samples": samples, "mean": mean, "sd": sd,
                         **score(clean16, mean, samples, sd)})
    return rows


def _observer(surrogate, denoiser, gen_rate: int):
    """``y48 ↦ misfit_score`` with the clean signal estimated by ``denoiser``."""
    def observe(y48):
        x16 = to_rate(denoiser(y48, gen_rate), gen_rate, RATE)
        y16 = to_rate(y48, gen_rate, RATE)
        n = min(x16.size, y16.size)
        return misfit_score(surrogate, y16[:n], x16[:n])
    return observe


def _draw_seeds(seed: int, clip: int, draws: int) -> list[int]:
    return [int(s) for s in np.random.SeedSequence([seed, 7919, clip]).generate_state(draws)]


def misfit_statistics(surrogate, denoiser, clips, chains: dict, *, gen_rate: int,
                      emulator=None, draws: int = 0, seed: int = 0) -> dict:
    """Misfit scores of emulator outputs and of the clean clips through each foreign chain.

    The clean signal of an observation is estimated by ``denoiser``; a foreign output is
    rescaled to the emulator output's RMS, so that level alone does not give it away.
    With ``emulator`` and ``draws`` > 0, every clip adds ``draws`` fresh emulator outputs
    to the emulator population and ``draws`` further seeds of every chain to its population.
    Returns ``{"emulator" | chain name: [misfit_score dict per recording]}``.
    """
    observe = _observer(surrogate, denoiser, gen_rate)
    stats = {"emulator": [], **{name: [] for name in chains}}
    for i, (_, y, x) in enumerate(clips):
        extra = _draw_seeds(seed, i, draws) if emulator is not None and draws else []
        ys = [y]
        if extra:
            clip = ClipDraws(emulator, x, gen_rate)
            ys += [fit_length(clip.emulate(s), y.size) for s in extra]
        stats["emulator"] += [observe(v) for v in ys]
        rms = np.sqrt(np.mean(y ** 2))
        for name, chain in chains.items():
            for k in range(1 + len(extra)):
                f = chain(x, gen_rate, seed=seed + i + 1000 * k)
                stats[name].append(observe(f * rms / np.sqrt(np.mean(f ** 2))))
    return stats


def misfit_reference(surrogate, denoiser, clips, emulator, *, gen_rate: int, draws: int = 3,
                     seed: int = 0) -> tuple[MisfitReference, np.ndarray]:
    """Fit the misfit reference on emulator outputs of ``clips`` only.

    Uses each clip's stored emulator output and ``draws`` fresh ones (seeds distinct from
    those of :func:`misfit_statistics`); no foreign chain is involved. Returns the
    reference and the feature rows it was fitted on.
    """
    if emulator.params.output_rate != gen_rate:
        raise ValueError(f"the emulator writes at {emulator.params.output_rate} Hz but the "
                         f"clips are at {gen_rate} Hz; build it with output_rate={gen_rate}")
    observe = _observer(surrogate, denoiser, gen_rate)
    rows = []
    for i, (_, y, x) in enumerate(clips):
        clip = ClipDraws(emulator, x, gen_rate)
        ys = [y] + [fit_length(clip.emulate(s), y.size)
                    for s in _draw_seeds(seed + 1, i, draws)]
        rows += [observe(v)["features"] for v in ys]
    rows = np.array(rows)
    return MisfitReference.fit(rows), rows


def misfit_table(stats: dict, reference: MisfitReference) -> tuple[dict, list[dict]]:
    """Scores of every population and one row per foreign chain with its ROC AUCs.

    ``stats`` comes from :func:`misfit_statistics`. Each row holds the chain's recording
    count, the AUC of the residual-shape score (``reference``'s Mahalanobis distance), of
    the two-sided |log mean r²| and of the one-sided NLL excess, and the chain's lowest
    shape score. Returns ``(scores per population, rows)``.
    """
    scores = {name: reference.score([v["features"] for v in vals])
              for name, vals in stats.items()}
    emulator = stats["emulator"]

    def auc(key, name):
        return roc_auc([v[key] for v in stats[name]], [v[key] for v in emulator])

    rows = [{"chain": name, "n": len(scores[name]),
             "auc": roc_auc(scores[name], scores["emulator"]),
             "auc_r2": auc("score", name), "auc_excess": auc("excess", name),
             "min_score": float(np.min(scores[name]))}
            for name in stats if name != "emulator"]
    return scores, rows

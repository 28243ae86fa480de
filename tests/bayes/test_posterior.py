"""Posterior summaries and calibration scores against planted ground truth."""

import numpy as np
import pytest
from scipy.stats import norm

from thesis_lib.bayes.posterior import (
    ConformalScale,
    coverage,
    cross_conformal_scales,
    crps_ensemble,
    spread_skill,
    summarise,
    tile_rank_correlation,
)


def calibrated_ensemble(rng, n=20_000, k=16, sd=None):
    """Truth and K samples exchangeable with it: a calibrated ensemble by construction."""
    sd = np.full(n, 0.5) if sd is None else sd
    centre = rng.standard_normal(n)
    draws = centre + sd * rng.standard_normal((k + 1, n))
    return draws[0], draws[1:]


def test_calibrated_ensemble_scores():
    rng = np.random.default_rng(0)
    clean, samples = calibrated_ensemble(rng)
    s = summarise(samples)
    assert abs(coverage(clean, s["mean"], s["sd"], k=16) - 0.9) < 0.015
    inside = (clean >= s["lower"]) & (clean <= s["upper"])
    assert abs(inside.mean() - 0.9) < 0.015
    # the Gaussian quantile alone ignores that mean and sd come from 16 samples
    assert coverage(clean, s["mean"], s["sd"]) < 0.88
    assert abs(spread_skill(clean, samples) - 1.0) < 0.05


def test_crps_matches_gaussian_closed_form():
    # CRPS of N(0, σ²) at x: σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π]
    rng = np.random.default_rng(1)
    x = np.array([0.3, -1.2, 2.0])
    sigma = 0.7
    samples = sigma * rng.standard_normal((20_000, 3))
    z = x / sigma
    exact = sigma * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))
    assert abs(crps_ensemble(x, samples) - exact.mean()) < 0.01


def test_under_dispersed_ensemble_is_detected_and_conformal_scale_repairs_it():
    rng = np.random.default_rng(2)
    clean, samples = calibrated_ensemble(rng)
    centre = samples.mean(0)
    shrunk = centre + 0.4 * (samples - centre)           # spread shrunk 2.5-fold
    s = summarise(shrunk)
    assert coverage(clean, s["mean"], s["sd"], k=16) < 0.6
    assert spread_skill(clean, shrunk) < 0.5
    half = clean.size // 2
    cal = ConformalScale.fit([clean[:half]], [s["mean"][:half]], [s["sd"][:half]])
    assert abs(cal.coverage(clean[half:], s["mean"][half:], s["sd"][half:]) - 0.9) < 0.02
    assert 2.0 < cal.sd_factor < 3.2


def test_tile_correlation_high_when_spread_tracks_error_low_when_not():
    rng = np.random.default_rng(3)
    n = 16_384
    envelope = np.repeat(rng.uniform(0.01, 1.0, n // 512), 512)     # error level varies in time
    clean, samples = calibrated_ensemble(rng, n=n, k=8, sd=envelope)
    assert tile_rank_correlation(clean, samples) > 0.7
    flat = samples.mean(0) + 0.3 * rng.standard_normal((8, n))    # spread unrelated to error
    assert abs(tile_rank_correlation(clean, flat)) < 0.2


def test_bad_sample_arrays_raise():
    with pytest.raises(ValueError, match="K ≥ 1"):
        summarise(np.zeros((0, 10)))
    with pytest.raises(ValueError, match="K ≥ 2"):
        spread_skill(np.zeros(5), np.zeros((1, 5)))


def _rows(rng, method, clips, *, spread, n=2000, k=8, tracks=None, split="test"):
    """Posterior rows whose samples are ``spread`` times narrower than their error.

    ``spread`` is one number or one per clip; ``tracks`` names each clip's track.
    """
    rows = []
    for i, narrow in enumerate(np.broadcast_to(spread, (clips,))):
        clean = rng.standard_normal(n)
        centre = clean + rng.standard_normal(n)           # error sd 1
        samples = centre + narrow * rng.standard_normal((k, n))
        rows.append({"method": method, "split": split, "clip": i, "clean": clean,
                     "samples": samples, "mean": samples.mean(0), "sd": samples.std(0, ddof=1),
                     "si_sdr_db": float(i), "coverage": 0.5,
                     **({} if tracks is None else {"track": tracks[i]})})
    return rows


def test_recalibrate_fits_on_validation_and_restores_test_coverage():
    from thesis_lib.bayes.experiment import recalibrate, summarise_methods

    rng = np.random.default_rng(7)
    val = _rows(rng, "post", 6, spread=0.5)
    test = _rows(rng, "post", 6, spread=0.5) + [{"method": "input", "clip": 0,
                                                 "si_sdr_db": 3.0}]
    scales = recalibrate(val, test, ["post"])
    assert scales["cross"] == {}                        # rows without a track: no grouping
    # the samples' sd is half the error sd: the Gaussian-equivalent factor is 2, a little
    # more because the sd of K = 8 samples scatters (2.31–2.39 over 15 seeds)
    assert 2.0 < scales["split"]["post"].sd_factor < 2.7
    summary = summarise_methods(test, ["post", "input"])
    assert abs(summary["post"]["coverage_conformal"] - 0.9) < 0.02    # 0.895–0.909
    assert summary["post"]["si_sdr_db"] == pytest.approx(2.5)      # mean of clips 0 … 5
    assert summary["post"]["n_clips"] == 6
    assert summary["input"]["coverage"] is None and np.isnan(summary["input"]["si_sdr_ci95"])
    with pytest.raises(ValueError, match="no evaluated clips"):
        summarise_methods(test, ["missing"])


def _grouped_scores(rng, factors, sizes):
    """Clips whose error sd is ``factor`` times their predicted sd, one clip per group."""
    clean, means, sds = [], [], []
    for c, n in zip(factors, sizes, strict=True):
        sd = rng.uniform(0.2, 2.0, n)                  # heteroscedastic predicted sd
        means.append(rng.standard_normal(n))
        sds.append(sd)
        clean.append(means[-1] + c * sd * rng.standard_normal(n))
    return clean, means, sds


def test_cross_conformal_is_nominal_over_exchangeable_groups_where_one_group_is_not():
    rng = np.random.default_rng(11)
    groups = 40
    factors = np.exp(0.35 * rng.standard_normal(groups))     # true sd / predicted sd per group
    sizes = rng.integers(200, 4000, groups)                   # groups of very unequal size
    clean, means, sds = _grouped_scores(rng, factors, sizes)
    names = [f"track{g}" for g in range(groups)]
    scales = cross_conformal_scales(clean, means, sds, names)
    assert set(scales) == set(names)
    assert all(scales[g].n == sizes.sum() - sizes[i] for i, g in enumerate(names))
    per_group = [scales[g].coverage(c, m, s)
                 for g, c, m, s in zip(names, clean, means, sds, strict=True)]
    # mean over groups: 0.898–0.899 over seeds 0–19, while single groups range over
    # 0.30–0.59 (the between-group spread of the factors)
    assert abs(np.mean(per_group) - 0.9) < 0.01
    assert np.ptp(per_group) > 0.15
    # a scale fitted on the tightest group and applied to the widest is not calibrated
    # (coverage 0.14–0.40 over seeds 0–19; the other way round 1.00)
    low, high = np.argmin(factors), np.argmax(factors)
    one = ConformalScale.fit([clean[low]], [means[low]], [sds[low]])
    assert one.coverage(clean[high], means[high], sds[high]) < 0.75
    assert ConformalScale.fit([clean[high]], [means[high]], [sds[high]]).coverage(
        clean[low], means[low], sds[low]) > 0.98


def test_cross_conformal_weighs_groups_equally_not_by_size():
    rng = np.random.default_rng(12)
    # two tight groups of 500 samples and one group, three times too wide, of 20 000
    clean, means, sds = _grouped_scores(rng, [1.0, 1.0, 3.0], [500, 500, 20_000])
    scales = cross_conformal_scales(clean, means, sds, ["a", "b", "wide"])
    # group b's scale comes from a (factor 1) and the wide group with equal weight: the
    # 0.9 quantile of an equal mixture of |N(0, 1)| and |N(0, 9)|, 3.85 by root finding
    # (fitted: 3.81–3.89 over seeds 0–19)
    assert abs(scales["b"].q - 3.85) < 0.12
    # weighted by samples the wide group would dominate (0.9 quantile of |N(0, 9)|: 4.93;
    # fitted 4.85–4.98)
    pooled = ConformalScale.fit(clean[::2], means[::2], sds[::2])
    assert pooled.q > 4.5


def test_unit_weights_reproduce_the_split_conformal_rank():
    rng = np.random.default_rng(13)
    clean, means, sds = _grouped_scores(rng, [1.0, 2.0], [301, 99])
    scores = np.sort(np.concatenate([np.abs(c - m) / s
                                     for c, m, s in zip(clean, means, sds, strict=True)]))
    fitted = ConformalScale.fit(clean, means, sds, weights=[1.0, 1.0])
    assert fitted.q == scores[int(np.ceil(401 * 0.9)) - 1] == ConformalScale.fit(
        clean, means, sds).q


def test_conformal_inputs_are_checked():
    rng = np.random.default_rng(14)
    clean, means, sds = _grouped_scores(rng, [1.0, 1.0], [10, 10])
    with pytest.raises(ValueError, match="one per clip"):
        ConformalScale.fit(clean, means, sds, weights=[1.0])
    with pytest.raises(ValueError, match="one per clip"):
        ConformalScale.fit(clean, means, sds, weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="at least two groups"):
        cross_conformal_scales(clean, means, sds, ["a", "a"])
    with pytest.raises(ValueError, match="one group per clip"):
        cross_conformal_scales(clean, means, sds, ["a"])


def test_recalibrate_cross_conformal_repairs_what_split_conformal_cannot():
    from thesis_lib.bayes.experiment import recalibrate, summarise_methods, track_coverage

    rng = np.random.default_rng(8)
    # 24 tracks with iid spread/error ratios, two clips each; the split is not random: the
    # 12 widest tracks are the validation split, the 12 narrowest the test split
    spreads = np.sort(np.exp(0.4 * rng.standard_normal(24)))[::-1]
    val = _rows(rng, "post", 24, spread=np.repeat(spreads[:12], 2), n=1000,
                tracks=[f"v{i // 2}" for i in range(24)], split="val")
    test = _rows(rng, "post", 24, spread=np.repeat(spreads[12:], 2), n=1000,
                 tracks=[f"t{i // 2}" for i in range(24)])
    scales = recalibrate(val, test, ["post"])
    assert set(scales["cross"]["post"]) == {f"v{i}" for i in range(12)} | {
        f"t{i}" for i in range(12)}
    # fitted on the wide tracks, the split scale is too narrow for the test tracks
    # (0.66–0.78 over seeds 0–19)
    assert summarise_methods(test, ["post"])["post"]["coverage_conformal"] < 0.8
    # each track rescaled from the other 23: 0.897–0.900 over seeds 0–19
    held_out = summarise_methods(val + test, ["post"])["post"]
    assert abs(held_out["coverage_cross"] - 0.9) < 0.01
    per_track = track_coverage(val + test, ["post"])
    assert len(per_track) == 24 and all(t["n_clips"] == 2 for t in per_track)
    assert np.mean([t["coverage_cross"] for t in per_track]) == pytest.approx(
        held_out["coverage_cross"])
    # the raw interval is widened on the narrow (test) tracks, narrowed on the wide ones
    assert all(t["cross_width_ratio"] > 1 for t in per_track if t["split"] == "test")


def test_recalibration_summary_reads_the_rows_it_summarises():
    from thesis_lib.bayes.experiment import recalibrate, recalibration_summary, track_coverage

    rng = np.random.default_rng(9)
    val = _rows(rng, "post", 4, spread=0.5, n=1500, tracks=["a", "a", "b", "b"], split="val")
    test = _rows(rng, "post", 4, spread=0.5, n=1500, tracks=["c", "c", "d", "d"])
    recalibrate(val, test, ["post"])
    (row,) = recalibration_summary(val, test, ["post"])
    assert row["clips"] == 8 and row["tracks"] == 4
    assert row["raw_test"] == 0.5                                 # planted by _rows
    # the spread is half the error everywhere, so every track is exchangeable: split and
    # cross-conformal both cover at the nominal rate (over seeds 0–19: split 0.891–0.909,
    # cross 0.899–0.901, its interval over tracks ± 0.003–0.018)
    assert abs(row["split_test"] - 0.9) < 0.03
    assert abs(row["cross_held_out"] - 0.9) < 0.01
    assert 0 < row["cross_ci95_tracks"] < 0.05
    # the interval's centre is the mean of the per-track coverages, the unit of its width
    per_track = track_coverage(val + test, ["post"])
    assert row["cross_tracks"] == pytest.approx(np.mean([t["coverage_cross"] for t in per_track]))


def test_held_out_clips_are_spread_over_their_tracks():
    from thesis_lib.bayes.experiment import spread_over_tracks

    tracks = [f"t{i // 6}" for i in range(36)]                 # 6 tracks of 6 clips
    picked = spread_over_tracks(tracks, 8)
    assert len(picked) == 8 and picked == sorted(picked)
    # every track gives one clip before any gives a third; two tracks give a second
    counts = np.bincount([int(tracks[i][1:]) for i in picked], minlength=6)
    assert sorted(counts) == [1, 1, 1, 1, 2, 2]
    assert spread_over_tracks(tracks) == list(range(36))
    assert spread_over_tracks(["x"] * 5, 4) == [0, 1, 2, 3]     # one track: the first clips
    with pytest.raises(ValueError, match="≥ 0"):
        spread_over_tracks(tracks, -1)

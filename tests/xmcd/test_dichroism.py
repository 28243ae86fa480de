"""Double difference on phantom data: exact cancellation without noise, Poisson variance with it."""

from dataclasses import replace

import numpy as np
import pytest

from thesis_lib.xmcd import (
    COMBINATIONS,
    double_difference,
    read_series,
    reference_image,
    shot_noise_std,
)
from thesis_lib.xmcd.phantom import SyntheticSeries


def test_noise_free_double_difference_is_four_s_smag_exposure(tmp_path, tiny_spec, tiny_config):
    """Background, dark current and (unit) gains cancel; only 4 s_t S_mag e remains."""
    ser = SyntheticSeries(tiny_spec, replace(tiny_config, detector=48, noise=False))
    series = read_series(ser.write(tmp_path / "t1"))
    checked = 0
    for t, scan in enumerate(series.files):
        D, valid = double_difference(scan)
        expected = 4 * ser.s_true[t] * ser.magnetic_term(t) * ser.count_time_s
        np.testing.assert_allclose(D[valid], expected[valid], rtol=0, atol=1e-9)
        assert np.all(D[~valid] == 0)
        checked += valid.sum()
    assert checked > 0.8 * len(series) * 48 * 48
    # the magnetic term is a few per cent of the background it rides on
    assert np.abs(ser.magnetic_term(0)).max() > 100 * 1e-9


def test_sign_convention_positive_where_s_times_smag_positive(tmp_path, tiny_spec, tiny_config):
    ser = SyntheticSeries(tiny_spec, replace(tiny_config, noise=False))
    series = read_series(ser.write(tmp_path / "t1"))
    t = int(np.argmax(np.abs(ser.s_true)))
    D, valid = double_difference(series.files[t])
    sign = np.sign(ser.s_true[t] * ser.magnetic_term(t))
    strong = valid & (np.abs(ser.magnetic_term(t)) > 0.5 * np.abs(ser.magnetic_term(t)).max())
    assert strong.sum() > 10 and np.all(np.sign(D[strong]) == sign[strong])


def test_noisy_double_difference_variance_matches_poisson(tmp_path, tiny_spec, tiny_config):
    """Var(D) = sum over (h, m) of (lambda + read^2 + 1/12) / n_frames, within 5 %."""
    cfg = replace(tiny_config, detector=64, gain_sigma=0.0)
    ser = SyntheticSeries(tiny_spec, cfg)
    series = read_series(ser.write(tmp_path / "t1"))
    ratios = []
    for t, scan in enumerate(series.files):
        D, valid = double_difference(scan)
        lam = ser.expected_counts(t)
        mean = 4 * ser.s_true[t] * ser.magnetic_term(t) * ser.count_time_s
        var = sum(lam[hm] + cfg.read_noise_counts**2 + 1 / 12 for hm in COMBINATIONS) / ser.n_frames
        # leave out pixels whose counts could touch 0 or the full scale
        # (clipping shrinks the variance)
        peak = np.max([lam[hm] for hm in COMBINATIONS], axis=0)
        low = np.min([lam[hm] for hm in COMBINATIONS], axis=0)
        use = valid & (peak + 6 * np.sqrt(peak) < cfg.full_scale) & (low > 50)
        ratios.append(((D - mean) ** 2 / var)[use])
    ratio = np.concatenate(ratios)
    assert ratio.size > 20_000
    assert ratio.mean() == pytest.approx(1.0, abs=0.05)


def test_reference_median_and_frame(tmp_path, tiny_spec, tiny_config):
    ser = SyntheticSeries(tiny_spec, replace(tiny_config, noise=False, drift_px=0.0,
                                             jump_probability=0.0))
    series = read_series(ser.write(tmp_path / "t1"))
    ref, valid = reference_image(series, how="median")
    stack = np.stack([double_difference(f)[0] for f in series.files])
    np.testing.assert_allclose(ref[valid], np.median(stack, axis=0)[valid])
    # without drift D^(t) = 4 s_t e S_mag, so the median follows the median of s_t
    expected = 4 * np.median(ser.s_true) * ser.count_time_s * ser.magnetic_term(0)
    np.testing.assert_allclose(ref[valid], expected[valid], atol=1e-9)
    one, _ = reference_image(series, how="frame", index=3)
    np.testing.assert_array_equal(one, double_difference(series.files[3])[0])
    with pytest.raises(ValueError, match="median"):
        reference_image(series, how="mean")


def test_shot_noise_floor_predicts_off_footprint_scatter(tmp_path, tiny_spec, tiny_config):
    """Off the footprint, D scatters by the counting noise the frames themselves predict."""
    cfg = replace(tiny_config, detector=64, gain_sigma=0.0, read_noise_counts=0.0)
    ser = SyntheticSeries(tiny_spec, cfg)
    series = read_series(ser.write(tmp_path / "t1"))
    z = []
    for t, scan in enumerate(series.files):
        D, valid = double_difference(scan)
        off = valid & (np.abs(ser.magnetic_term(t)) < 1e-6 * np.abs(ser.magnetic_term(t)).max())
        z.append(D[off] / shot_noise_std(scan)[off])
    z = np.concatenate(z)
    assert z.size > 10_000
    assert np.std(z) == pytest.approx(1.0, abs=0.05) and abs(np.mean(z)) < 0.05

import numpy as np
import pytest

from thesis_lib.mask.features import (
    FEATURE_NAMES,
    check_image,
    gradient_magnitude,
    local_moments,
    pixel_features,
)


def brute_moments(X, valid, r):
    H, W = X.shape
    mean = np.zeros_like(X)
    std = np.zeros_like(X)
    for i in range(H):
        for j in range(W):
            win = X[max(i - r, 0):i + r + 1, max(j - r, 0):j + r + 1]
            ok = valid[max(i - r, 0):i + r + 1, max(j - r, 0):j + r + 1]
            vals = win[ok]
            mean[i, j] = vals.mean() if vals.size else 0.0
            std[i, j] = vals.std(ddof=1) if vals.size > 1 else 0.0
    return mean, std


def test_local_moments_equal_a_brute_force_window_loop_with_invalid_pixels():
    rng = np.random.default_rng(3)
    X = rng.normal(5.0, 2.0, (17, 13))
    valid = rng.random(X.shape) > 0.2
    mean, std, _ = local_moments(X, valid, radius=3)
    bm, bs = brute_moments(X, valid, 3)
    np.testing.assert_allclose(mean, bm, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(std, bs, rtol=1e-9, atol=1e-9)


def test_gradient_of_a_ramp_is_its_slope_even_across_a_dead_pixel():
    yy, xx = np.mgrid[0:20, 0:20].astype(float)
    ramp = 0.6 * xx - 0.8 * yy
    valid = np.ones(ramp.shape, bool)
    valid[10, 10] = False
    broken = ramp.copy()
    broken[10, 10] = 1e6  # a hot pixel the valid map flags
    g = gradient_magnitude(broken, valid, radius=2)
    np.testing.assert_allclose(g[2:-2, 2:-2], 1.0, atol=1e-12)


def test_invalid_pixel_values_never_reach_the_features():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 24))
    valid = rng.random(X.shape) > 0.1
    a = pixel_features(X, valid, radius=3)
    Y = X.copy()
    Y[~valid] = 1e9
    b = pixel_features(Y, valid, radius=3)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.values.shape == (valid.sum(), 5)


def test_features_are_standardised_and_keep_raw_meaning():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 30))
    f = pixel_features(X, radius=2)
    np.testing.assert_allclose(f.values.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(f.values.std(axis=0), 1.0, atol=1e-9)
    np.testing.assert_array_equal(f.raw[:, 0], X.ravel())
    np.testing.assert_array_equal(f.raw[:, 1], np.abs(X.ravel()))
    np.testing.assert_array_equal(f.to_image(f.raw[:, 0]), X)


def test_local_mean_separates_a_planted_lobe_from_noise(frame):
    D, truth, valid, _ = frame
    mean, _, _ = local_moments(D, valid, radius=2)
    assert mean[truth == 1].mean() > 0.3 > abs(mean[truth == 0].mean())


@pytest.mark.parametrize("bad, match", [(np.zeros((2, 3, 4)), "2-D"),
                                        (np.full((4, 4), np.nan), "fewer than two")])
def test_bad_images_raise_with_a_fix(bad, match):
    with pytest.raises(ValueError, match=match):
        check_image(bad)


def test_valid_map_of_wrong_shape_raises():
    with pytest.raises(ValueError, match="valid-pixel map"):
        pixel_features(np.zeros((4, 4)), np.ones((3, 4), bool))


def test_raw_columns_follow_feature_names():
    # the column order is published as FEATURE_NAMES; check each column against its definition
    image = np.random.default_rng(3).normal(size=(24, 24))
    f = pixel_features(image, radius=2)
    raw = dict(zip(FEATURE_NAMES, f.raw.T, strict=True))
    assert FEATURE_NAMES[:2] == ("X", "|X|")
    np.testing.assert_array_equal(raw["X"], image.ravel())
    np.testing.assert_array_equal(raw["|X|"], np.abs(image.ravel()))
    assert np.all(raw["local_std"] >= 0) and np.all(raw["grad_mag"] >= 0)
    # a 5x5 box mean of a pixel far from the border
    np.testing.assert_allclose(raw["local_mean"][12 * 24 + 12], image[10:15, 10:15].mean(),
                               rtol=1e-12, atol=1e-12)

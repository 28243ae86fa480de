import numpy as np
import pytest
from scipy import ndimage

from thesis_lib.mask.registration import (
    affine_fit,
    decide_moving_mask,
    estimate_shift,
    footprint_moments,
    register_file,
    similarity,
    translate,
)


def texture(shape=(96, 96), seed=0):
    """Smooth random texture with structure at several scales."""
    rng = np.random.default_rng(seed)
    return ndimage.gaussian_filter(rng.standard_normal(shape), 3.0) * 10


def fourier_shift(image, displacement):
    """Exact sub-pixel translation of a periodic image (content moves by +δ)."""
    F = ndimage.fourier_shift(np.fft.fftn(image), displacement)
    return np.real(np.fft.ifftn(F))


@pytest.mark.parametrize("delta", [(0.3, -0.45), (-1.27, 0.8), (4.6, -3.15), (0.0, 0.0)])
def test_planted_subpixel_displacements_are_recovered_within_a_tenth_of_a_pixel(delta):
    ref = texture()
    rng = np.random.default_rng(1)
    moved = fourier_shift(ref, delta) + 0.05 * ref.std() * rng.standard_normal(ref.shape)
    est = estimate_shift(ref, moved)
    np.testing.assert_allclose(est, delta, atol=0.1)


def test_translating_a_mask_by_the_estimate_realigns_it_with_the_moved_footprint():
    ref = texture(seed=2)
    delta = (2.4, -1.6)
    moved = fourier_shift(ref, delta)
    est = estimate_shift(ref, moved)
    level = 1.5 * ref.std()
    mask = (ref > level).astype(float)
    moved_mask = translate(mask, est)
    truth = (moved > level).astype(float)
    overlap = (moved_mask > 0.5) & (truth > 0)
    assert overlap.sum() / max((truth > 0).sum(), 1) > 0.85  # bilinear edges lose a little
    static_overlap = (mask > 0) & (truth > 0)
    assert overlap.sum() > static_overlap.sum()


def test_translate_is_inverted_by_the_opposite_shift_for_integer_steps():
    x = texture(seed=3)
    back = translate(translate(x, (2, -3)), (-2, 3))
    np.testing.assert_allclose(back[4:-4, 4:-4], x[4:-4, 4:-4])


def test_alignment_improves_every_diagnostic_for_a_shifted_file():
    ref = texture(seed=4)
    moved = (fourier_shift(ref, (1.5, 2.0))
             + 0.1 * ref.std() * np.random.default_rng(0).standard_normal(ref.shape))
    reg = register_file(ref, moved)
    assert reg.improved
    assert reg.after["corr"] > 0.95 > reg.before["corr"]


def test_similarity_of_an_image_with_itself():
    x = texture(seed=5)
    s = similarity(x, x)
    assert s["corr"] == pytest.approx(1.0) and s["ssim"] == pytest.approx(1.0)
    assert s["nrmse"] == 0.0


def test_affine_fit_removes_a_photometric_change_but_not_noise():
    rng = np.random.default_rng(60)  # noise independent of the texture's draws
    ref = texture(seed=6)
    img = 0.7 * ref + 3.0 + 0.5 * rng.standard_normal(ref.shape)
    fit = affine_fit(ref, img)
    assert fit["a"] == pytest.approx(0.7, abs=0.02) and fit["b"] == pytest.approx(3.0, abs=0.05)
    assert fit["nrmse_after"] < fit["nrmse_before"] and 0 < fit["reduction"] < 1


def test_footprint_moments_follow_a_displaced_blob():
    yy, xx = np.mgrid[0:64, 0:64]
    blob = np.exp(-((yy - 20.0) ** 2 + (xx - 40.0) ** 2) / 18.0)
    m = footprint_moments(blob)
    np.testing.assert_allclose(m["centroid"], [20.0, 40.0], atol=1e-6)
    np.testing.assert_allclose(m["spread"], [3.0, 3.0], atol=1e-3)  # σ² = 18 / 2


def test_decision_rule_off_for_static_series_and_on_for_drifting_ones():
    ref = texture(seed=7)
    rng = np.random.default_rng(7)

    def noisy(d):
        return fourier_shift(ref, d) + 0.1 * ref.std() * rng.standard_normal(ref.shape)

    static = [register_file(ref, noisy((0.0, 0.0))) for _ in range(4)]
    assert not decide_moving_mask(static).enabled
    drifting = [register_file(ref, noisy(d)) for d in [(0, 0), (1.2, 0.4), (-2.0, 1.5), (3.0, 0)]]
    decision = decide_moving_mask(drifting)
    assert decision.enabled and decision.shifted_files == 3


def test_images_of_different_shapes_raise():
    with pytest.raises(ValueError, match="same detector"):
        estimate_shift(np.zeros((8, 8)), np.zeros((8, 9)))


@pytest.mark.parametrize("delta", [(7.3, -5.6), (-6.4, 8.7)])
def test_refinement_removes_the_wraparound_bias_of_large_shifts_of_a_cropped_view(delta):
    # a detector sees a window onto a larger sample: content leaves one side and new
    # content enters the other, which periodic correlation cannot match
    rng = np.random.default_rng(5)
    sample = ndimage.gaussian_filter(rng.standard_normal((160, 160)), 2.0)
    moved = ndimage.shift(sample, delta, order=3, mode="nearest")
    view = (slice(48, 112), slice(48, 112))
    ref, img = sample[view], moved[view] + 0.05 * rng.standard_normal((64, 64))
    single = np.abs(estimate_shift(ref, img, refine_iterations=0) - delta).max()
    refined = np.abs(estimate_shift(ref, img) - delta).max()
    assert single > 0.15          # pulled towards zero shift by the unmatched strips
    assert refined < 0.06

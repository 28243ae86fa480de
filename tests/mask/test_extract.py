import numpy as np
import pytest
from scipy import ndimage

from thesis_lib.mask.extract import (
    extract_series,
    load_mask,
    reference_frame,
    reference_registration_image,
    registration_image,
)
from thesis_lib.mask.registration import relative_to_reference
from thesis_lib.mask.waveform import snr_vs_truth

from .conftest import footprint


def fourier_shift(image, displacement):
    return np.real(np.fft.ifftn(ndimage.fourier_shift(np.fft.fftn(image), displacement)))


def make_scans(s_true, shifts, shape=(64, 64), noise_seed=0, noise=0.5):
    """Four (h, m) stacks per position: textured background ± s_t·S_mag, moved by δ_t.

    The background (the sample) is the same for every call; only the noise changes.
    """
    background = 200 + 200 * ndimage.gaussian_filter(
        np.random.default_rng(0).standard_normal(shape), 1.2)
    rng = np.random.default_rng(noise_seed + 1)
    S, truth = footprint(shape, amplitude=6.0)
    scans = []
    for s, d in zip(s_true, shifts, strict=True):
        B, M = fourier_shift(background, d), fourier_shift(S, d)
        scan = {(h, m): (B + h * m * s * M + noise * rng.standard_normal((2,) + shape))
                for h in (1, -1) for m in (1, -1)}
        scan["valid"] = np.ones(shape, bool)
        scans.append(scan)
    return scans, S, truth


def test_planted_drift_is_recovered_and_the_rule_switches_the_moving_mask_on():
    t = np.arange(24)
    s_true = np.sin(2 * np.pi * t / 8)
    rng = np.random.default_rng(3)
    shifts = np.cumsum(rng.normal(0, 0.6, (t.size, 2)), axis=0)
    scans, S, truth = make_scans(s_true, shifts)
    ref_scans, _, _ = make_scans(np.ones(3), np.zeros((3, 2)), noise_seed=9)
    ex = extract_series(scans, truth.astype(float), register="auto",
                        reference_image=reference_registration_image(ref_scans))
    np.testing.assert_allclose(ex.shift_px, shifts, atol=0.1)
    assert ex.decision.enabled and ex.moving
    np.testing.assert_array_equal(ex.s, ex.s_moving)
    moving = snr_vs_truth(ex.s_moving, s_true)["snr_db"]
    static = snr_vs_truth(ex.s_static, s_true)["snr_db"]
    assert moving > static + 6


def test_absolute_shifts_with_a_jump_are_recovered_against_a_drifting_reference():
    # the reference files drift too; the contract measures every displacement from
    # their mean position, so the planted truth is re-expressed from there
    ref_planted = np.array([[0.3, -0.2], [0.1, 0.25], [-0.15, 0.4], [0.35, 0.05]])
    ref_scans, _, _ = make_scans(np.ones(4), ref_planted, noise_seed=9)
    frame = reference_frame(ref_scans)
    np.testing.assert_allclose(frame.file_shift_px, ref_planted - ref_planted.mean(0), atol=0.05)
    t = np.arange(30)
    slow = 0.3 * np.stack([np.sin(t / 5.0), np.cos(t / 7.0)], axis=1)
    jump = np.where(t[:, None] >= 12, np.array([[2.2, -1.6]]), 0.0)   # a rare persistent jump
    planted = slow + jump
    scans, _, truth = make_scans(np.sin(2 * np.pi * t / 10), planted, noise_seed=4)
    ex = extract_series(scans, truth.astype(float), register="on", reference_image=frame.image)
    expected = relative_to_reference(planted, ref_planted)
    assert np.abs(ex.shift_px - expected).max() < 0.1
    # measured from the undisplaced scene instead, every estimate is off by the
    # reference's own mean displacement (0.15, 0.125) px - the constant that had to be
    # removed per series before the reference frame was defined
    offset = (ex.shift_px - planted).mean(axis=0)
    np.testing.assert_allclose(offset, -ref_planted.mean(axis=0), atol=0.02)


def test_static_series_keeps_the_global_mask_and_off_gives_zero_shifts():
    s_true = np.linspace(-1, 1, 10)
    scans, S, truth = make_scans(s_true, np.zeros((10, 2)))
    auto = extract_series(scans, truth, register="auto")
    assert not auto.decision.enabled and not auto.moving
    off = extract_series(scans, truth, register="off", masks={"half": truth * 0.5})
    assert off.decision is None and np.all(off.shift_px == 0)
    np.testing.assert_allclose(off.extra["half"]["static"], 0.5 * off.s)
    # D = 4·s·S_mag (eq. 2.2), so s_t = 4·s_true·Σ truth·S up to the noise: D has
    # std 0.5 per pixel, summed over ~1000 footprint pixels -> std ~16
    np.testing.assert_allclose(off.s, 4 * s_true * np.sum(truth * S), atol=80)


def test_registration_image_is_insensitive_to_the_magnetisation_and_to_gain():
    scans, _, _ = make_scans([1.0, -1.0], np.zeros((2, 2)), noise=0.0)
    a, b = registration_image(scans[0], 0), registration_image(scans[1], 0)
    np.testing.assert_allclose(a, b, atol=1e-9)
    brighter = {k: (3.0 * v + 50.0 if k != "valid" else v) for k, v in scans[0].items()}
    np.testing.assert_allclose(registration_image(brighter, 0), a, atol=1e-9)


def test_registration_image_fills_dead_pixels_and_removes_the_illumination_ramp():
    scans, _, _ = make_scans([0.0], np.zeros((1, 2)), noise=0.0)
    ramp = np.add.outer(np.zeros(64), np.linspace(0, 2000, 64))
    lit = {k: (v + ramp if k != "valid" else v.copy()) for k, v in scans[0].items()}
    lit["valid"][10, 10] = False
    for k in lit:
        if k != "valid":
            lit[k][:, 10, 10] = 0.0   # a dead pixel
    img = registration_image(lit, 0)
    flat = registration_image(scans[0], 0)
    # the dead pixel takes a neighbour's value, not the normalised median 0 ...
    assert abs(img[10, 10] - img[10, 11]) < 0.5
    # ... and most of the ramp is gone (the high-pass keeps only fine structure)
    assert abs(np.polyfit(np.arange(64), img.mean(axis=0), 1)[0]) < 0.01
    assert np.corrcoef(img[20:44, 20:44].ravel(), flat[20:44, 20:44].ravel())[0, 1] > 0.8


def test_bad_mode_shape_and_mask_files_raise(tmp_path):
    scans, _, truth = make_scans([1.0], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="register must be"):
        extract_series(scans, truth, register="maybe")
    with pytest.raises(ValueError, match="differs from the mask"):
        extract_series(scans, np.ones((5, 5)), register="off")
    with pytest.raises(FileNotFoundError, match="thesis mask"):
        load_mask(tmp_path / "absent.npz")
    np.savez(tmp_path / "bad.npz", other=np.zeros(3))
    with pytest.raises(ValueError, match="needs a finite 2-D array"):
        load_mask(tmp_path / "bad.npz")

"""On-the-fly training pairs: fresh draws, parameter ranges, reproducibility, augmentations."""

import numpy as np
import pytest

from thesis_lib.denoise.onthefly import DegradationPool, ParamRanges, tilt
from thesis_lib.emulator import EmulatorParams

RATE = 8_000
FAST = ParamRanges(preisach_n=(100,))


def _sources(seconds: float = 2.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return [0.3 * np.sin(2 * np.pi * 300 * t) + 0.1 * np.sin(2 * np.pi * 1100 * t)]


def test_parameters_are_drawn_inside_their_ranges():
    rng = np.random.default_rng(0)
    ranges = ParamRanges()
    draws = [ranges.draw(rng, EmulatorParams()) for _ in range(300)]
    beams = np.array([p.beam_fwhm_um for p in draws])
    noise = np.array([p.noise_scale for p in draws])
    assert 15.0 <= beams.min() and beams.max() <= 40.0
    assert beams.max() - beams.min() > 20.0  # the range is actually explored
    assert 0.08 <= noise.min() and noise.max() <= 0.5
    modes = [p.bias_mode for p in draws]
    assert 0.45 < modes.count("fixed") / 300 < 0.75  # drawn with probability 0.6
    assert {p.preisach_n for p in draws} == {100, 250, 500}


@pytest.mark.parametrize("share", [0.25, 0.5, 1.0])
def test_a_share_of_draws_keeps_the_default_parameters(share):
    rng = np.random.default_rng(1)
    base = EmulatorParams()
    draws = [ParamRanges(default_share=share).draw(rng, base) for _ in range(400)]
    kept = sum(p == base for p in draws)
    # binomial(400, share): sd at most 10, so ±40 is four standard deviations
    assert abs(kept - 400 * share) <= 40
    assert all(p == base or p.beam_fwhm_um != base.beam_fwhm_um for p in draws)


def test_refresh_gives_new_clips_and_the_seed_reproduces_them():
    a = DegradationPool(_sources(), size=2, clip_samples=4000, rate=RATE, ranges=FAST, seed=3)
    b = DegradationPool(_sources(), size=2, clip_samples=4000, rate=RATE, ranges=FAST, seed=3)
    np.testing.assert_array_equal(a.ys, b.ys)  # same seed and generation: same pool
    first = a.ys.copy()
    a.refresh(1)
    assert not np.allclose(a.ys[0], first[0])  # slot 0 redrawn (new ξ and parameters)
    np.testing.assert_array_equal(a.ys[1], first[1])  # the other slot kept
    assert a.generation == 2


def test_degraded_clip_differs_from_clean_and_matches_its_length():
    pool = DegradationPool(_sources(), size=1, clip_samples=4000, rate=RATE, ranges=FAST)
    y, x = pool.ys[0], pool.xs[0]
    assert y.shape == x.shape == (4000,)
    corr = np.corrcoef(y, x)[0, 1]
    assert 0.3 < corr < 0.999  # related to the clean clip, but degraded
    assert pool.emulator_seconds > 0


def test_tilt_changes_octaves_by_the_requested_decibels():
    t = np.arange(RATE * 2) / RATE
    low, high = np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 2000 * t)
    ratio_db = 20 * np.log10(np.std(tilt(high, RATE, 3.0)) / np.std(tilt(low, RATE, 3.0)))
    assert ratio_db == pytest.approx(3.0, abs=0.05)


def test_level_augmentation_sets_the_clean_peak():
    ranges = ParamRanges(preisach_n=(100,), peak=(0.5, 0.5))
    pool = DegradationPool(_sources(), size=2, clip_samples=4000, rate=RATE, ranges=ranges)
    np.testing.assert_allclose(np.abs(pool.xs).max(axis=1), 0.5, rtol=1e-5)


def test_too_short_sources_are_refused():
    with pytest.raises(ValueError, match="shorter clip length"):
        DegradationPool([np.zeros(100)], size=1, clip_samples=4000, rate=RATE)

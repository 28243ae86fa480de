"""Calibration recovers a planted step and beam from a scan read by independent 2-D beam code."""

import numpy as np
import pytest

from thesis_lib.calibration import SearchSettings, SeriesMeta, calibrate

FAST_GRID = SearchSettings(step_factors=(0.94, 0.97, 1.0, 1.03, 1.06, 1.09),
                           beams_um=(12.0, 20.0, 29.0, 40.0, 60.0), refine_points=5)


@pytest.fixture(scope="module")
def calibration(planted_25um):
    meta = SeriesMeta.from_dict(planted_25um["meta"])
    return calibrate(planted_25um["s"], meta, search=FAST_GRID)


@pytest.mark.slow
def test_planted_step_is_recovered_and_the_unconstrained_beam_is_not_invented(calibration,
                                                                             planted_25um):
    """A planted 25 µm series: the step is found (±0.5 %) with rho >= 0.95.

    The beam is not identifiable from a pure test tone (a 29 µm beam keeps > 99.8 % of a
    1.46 mm wavelength and the gain is free), so the calibration must say so and report no
    beam at all — neither the nominal beam of the log nor an arbitrary minimiser.
    """
    assert calibration.step_um == pytest.approx(planted_25um["step_um"], rel=0.005)
    assert calibration.step_identified
    assert calibration.metrics["rho"] >= 0.95
    assert not calibration.beam_identified
    assert calibration.beam_source == "not identified"
    assert calibration.beam_fwhm_um is None
    assert calibration.to_dict()["parameters"]["beam_fwhm"]["value_um"] is None
    # an unidentified beam may be anywhere in the search, and the interval says so
    assert calibration.beam_interval_um == (min(FAST_GRID.beams_um), max(FAST_GRID.beams_um))
    # the step's 95 % interval contains the planted step and the estimate
    lo, hi = calibration.step_interval_um
    assert lo < planted_25um["step_um"] < hi and lo <= calibration.step_um <= hi
    assert not calibration.beam_noise["identified"]


@pytest.mark.slow
def test_surfaces_and_alignment_are_consistent(calibration, planted_25um):
    grid, fine = calibration.grid, calibration.refined
    assert grid.objective.shape == (6, 5) and fine.objective.shape == (5, 5)
    # the refined grid sits inside the coarse neighbourhood of the coarse optimum
    i, _ = grid.best()
    assert grid.steps_um[max(i - 1, 0)] <= fine.steps_um.min() <= fine.steps_um.max() \
        <= grid.steps_um[min(i + 1, 5)]
    # the search maximises rho: the best scored point is on the last refinement, and the
    # reported match (beam not identified here: the minimiser's beam) is that point's
    best = min(grid.criterion.min(), fine.criterion.min())
    fi, fj = fine.best()
    assert fine.criterion[fi, fj] == pytest.approx(best)
    np.testing.assert_allclose(fine.criterion, 1.0 - fine.metrics["rho"])
    assert calibration.beam_fwhm_best_um == pytest.approx(fine.beams_um[fj])
    assert calibration.step_um == pytest.approx(fine.steps_um[fi])
    assert calibration.metrics["rho"] == pytest.approx(1.0 - best, abs=1e-12)
    # the measurement was inverted and scaled by 250: the gain says so (tape noise aside)
    assert abs(calibration.alignment["gain"]) == pytest.approx(250.0, rel=0.1)
    np.testing.assert_allclose(calibration.measured, planted_25um["s"])
    assert calibration.to_dict()["metrics"].keys() == {"rho", "nrmse", "e_rel", "lsd_db",
                                                       "hf_mismatch"}


def test_bad_search_settings_are_refused(planted_25um):
    meta = SeriesMeta.from_dict(planted_25um["meta"])
    with pytest.raises(ValueError, match="gain"):
        SearchSettings(gain="guess")
    with pytest.raises(ValueError, match="two step factors"):
        SearchSettings(step_factors=(1.0,))
    with pytest.raises(TypeError, match="SearchSettings"):
        calibrate(planted_25um["s"], meta, search={"step_factors": (0.9, 1.0)})


def grainy_scan(tape_noise, step_um=10.0, beam_um=30.0, n=300, seed=8):
    """An emulator-made tape with coarse grain (50 particles per segment), read by the 2-D beam.

    The scan is fine (10 µm) against the beam, so the tape noise left between samples
    is strongly correlated and its spectrum shows the beam; a white floor of 0.005 (M/M_s)
    stands for the detector. ``tape_noise="off"`` writes the same tone without grain.
    """
    from thesis_lib.emulator import Emulator, EmulatorParams
    from thesis_lib.xmcd.tape import TapeProfile, beam_average

    params = EmulatorParams(tape_speed_m_s=0.381, segment_subsamples=4, particles_mean=50.0,
                            tape_noise=tape_noise)
    start, margin = 3000.0, 200.0
    duration = (start + n * step_um + margin) / 0.381e6
    rate = params.output_rate
    drive = 0.5 * np.sin(2 * np.pi * 261.0 * np.arange(int(duration * rate) + 1) / rate)
    tape = Emulator(params, cache_dir=False).record(drive, rate, seed)
    profile = TapeProfile(np.asarray(tape.position_um), np.asarray(tape.magnetisation), "planted")
    s = beam_average(profile, start + step_um * np.arange(n), (beam_um, 25.0))
    s = s + 0.005 * np.random.default_rng(seed).standard_normal(n)
    meta = SeriesMeta(tape_speed_m_s=0.381, test_tone_hz=261.0, step_um=10.0, beam_um=(26.0, 25.0))
    return -250.0 * s + 40.0, meta


NOISE_GRID = SearchSettings(step_factors=(0.96, 0.98, 1.0, 1.02, 1.04),
                            beams_um=(12.0, 26.0, 40.0, 60.0), refine_points=5, refine_levels=2)


@pytest.mark.slow
def test_grainy_tape_identifies_the_planted_beam_through_its_noise_spectrum():
    """The tone cannot see a 30 µm beam, the tape grain can: recovered within 10 %."""
    y, meta = grainy_scan("gaussian")
    cal = calibrate(y, meta, search=NOISE_GRID)
    # two tone cycles in the scan: the tone pins the step to about one per cent
    assert cal.step_um == pytest.approx(10.0, rel=0.015)
    assert not cal.beam_noise["tone_identified"]
    assert cal.beam_source == "noise spectrum" and cal.beam_identified
    assert cal.beam_fwhm_um == pytest.approx(30.0, rel=0.10)
    assert cal.beam_interval_um[0] <= 30.0 <= cal.beam_interval_um[1]


@pytest.mark.slow
def test_without_tape_noise_the_beam_is_reported_as_not_identified():
    """Same tone and floor with the grain switched off: nothing carries the beam."""
    y, meta = grainy_scan("off")
    cal = calibrate(y, meta, search=NOISE_GRID)
    assert cal.step_um == pytest.approx(10.0, rel=0.015)
    assert not cal.beam_noise["identified"]
    assert cal.beam_source == "not identified" and not cal.beam_identified
    assert cal.beam_fwhm_um is None


def test_spectral_samples_count_white_noise_fully_and_blurred_noise_by_the_beam():
    """The effective samples of a residual by its fitted spectrum: about n for a white
    residual; for tape noise blurred by a 30 µm beam and read every 3 µm (each value shares
    its noise with about 15 neighbours), the count n·var / S(0) of the planted noise
    (measured ratio 0.78-1.32 over five seeds)."""
    from thesis_lib.calibration.noise_spectrum import fit_noise_spectrum
    from thesis_lib.calibration.search import spectral_samples
    from thesis_lib.emulator.readout import convolve_beam

    rng = np.random.default_rng(11)
    n, step, segment, beam, floor = 1500, 3.0, 4.0, 30.0, 0.05
    beams = np.linspace(10.0, 60.0, 26)
    white = rng.standard_normal(n)
    fit = fit_noise_spectrum(white, step, beams, segment_um=segment)
    assert spectral_samples(white, fit, step, segment) > 0.85 * n
    u = np.arange(0.0, 8000.0, segment)
    at = 1000.0 + step * np.arange(n)
    for _ in range(3):
        scan = (np.interp(at, u, convolve_beam(rng.standard_normal(u.size), beam, segment))
                + np.sqrt(floor) * rng.standard_normal(n))
        fit = fit_noise_spectrum(scan, step, beams, segment_um=segment)
        planted = n * np.var(scan) / (floor + segment / step)
        assert 0.6 * planted < spectral_samples(scan, fit, step, segment) < 1.6 * planted
        assert planted < 0.2 * n

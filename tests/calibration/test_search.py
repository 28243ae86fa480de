"""Calibration recovers a planted step and beam from a scan read by independent 2-D beam code."""

import numpy as np
import pytest

from thesis_lib.calibration import SeriesMeta, calibrate

FAST_GRID = {"step_factors": (0.94, 0.97, 1.0, 1.03, 1.06, 1.09),
             "beams_um": (12.0, 20.0, 29.0, 40.0, 60.0), "refine_points": 5}


@pytest.fixture(scope="module")
def calibration(planted_25um):
    meta = SeriesMeta.from_dict(planted_25um["meta"])
    return calibrate(planted_25um["s"], meta, **FAST_GRID)


@pytest.mark.slow
def test_planted_step_and_beam_are_recovered(calibration, planted_25um):
    """Acceptance of the issue on a planted 25 µm series: ±10 % on both, rho >= 0.95."""
    assert calibration.step_um == pytest.approx(planted_25um["step_um"], rel=0.005)
    assert calibration.step_identified
    assert calibration.beam_fwhm_um == pytest.approx(planted_25um["beam_um"], rel=0.10)
    assert calibration.beam_source == "data" and calibration.beam_identified
    assert calibration.metrics["rho"] >= 0.95
    lo, hi = calibration.beam_interval_um
    assert lo <= planted_25um["beam_um"] <= hi


@pytest.mark.slow
def test_surfaces_and_alignment_are_consistent(calibration, planted_25um):
    grid, fine = calibration.grid, calibration.refined
    assert grid.objective.shape == (6, 5) and fine.objective.shape == (5, 5)
    # the refined grid sits inside the coarse neighbourhood of the coarse optimum
    i, _ = grid.best()
    assert grid.steps_um[max(i - 1, 0)] <= fine.steps_um.min() <= fine.steps_um.max() \
        <= grid.steps_um[min(i + 1, 5)]
    # the selected point is the best scored one
    assert calibration.objective <= min(grid.objective.min(), fine.objective.min()) + 1e-9
    # the measurement was inverted and scaled by 250: the gain says so (tape noise aside)
    assert abs(calibration.alignment["gain"]) == pytest.approx(250.0, rel=0.1)
    np.testing.assert_allclose(calibration.measured, planted_25um["s"])
    assert calibration.to_dict()["metrics"].keys() == {"rho", "nrmse", "e_rel", "lsd_db",
                                                       "hf_mismatch"}


def test_bad_search_settings_are_refused(planted_25um):
    meta = SeriesMeta.from_dict(planted_25um["meta"])
    with pytest.raises(ValueError, match="unidentified_beam"):
        calibrate(planted_25um["s"], meta, unidentified_beam="guess")
    with pytest.raises(ValueError, match="two step factors"):
        calibrate(planted_25um["s"], meta, step_factors=(1.0,))

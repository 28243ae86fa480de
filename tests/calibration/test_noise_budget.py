"""The noise budget: f4 physics against an emulator-written tape read by the phantom's 2-D beam."""

import numpy as np
import pytest

from thesis_lib.calibration.noise_budget import noise_budget, segment_noise_variance
from thesis_lib.emulator import Emulator, EmulatorParams
from thesis_lib.xmcd.tape import TapeProfile, beam_average


@pytest.fixture(scope="module")
def tone_tape():
    """6 mm of the 261 Hz tone at 0.381 m/s, with the default f4 grain (2000 particles)."""
    params = EmulatorParams(tape_speed_m_s=0.381, segment_subsamples=4)
    rate = params.output_rate
    drive = 0.5 * np.sin(2 * np.pi * 261.0 * np.arange(int(0.016 * rate)) / rate)
    return Emulator(params, cache_dir=False).record(drive, rate, seed=4), params


def test_segment_variance_predicts_the_emulator_grain(tone_tape):
    tape, params = tone_tape
    grain = np.asarray(tape.magnetisation) - np.asarray(tape.remanence)
    predicted = segment_noise_variance(tape.remanence, params.particles_mean)
    # 1524 segments of heteroscedastic noise: the sample variance scatters by ~4 %
    assert grain.var() == pytest.approx(predicted, rel=0.1)
    # and the grain vanishes where the tape is most magnetised
    level = np.abs(np.asarray(tape.remanence))
    strong, weak = level > np.quantile(level, 0.75), level < np.quantile(level, 0.25)
    assert grain[strong].var() < 0.9 * grain[weak].var()


def test_budget_finds_the_planted_floor_and_the_tape_noise_under_the_beam(tone_tape):
    """Scan 170 positions every 25 µm under 26 µm: tape-noise variance of the 2-D readout
    of the grain alone equals the prediction; the planted floor is measured back."""
    tape, params = tone_tape
    u = np.asarray(tape.position_um)
    centres = 600.0 + 25.0 * np.arange(170)

    def read(values):
        return beam_average(TapeProfile(u, np.asarray(values), "t"), centres, (26.0, 25.0))

    truth = read(tape.magnetisation)
    grain_read = truth - read(tape.remanence)
    floor = 0.015 * np.random.default_rng(2).standard_normal(centres.size)
    seg_var = segment_noise_variance(tape.remanence, params.particles_mean)
    b = noise_budget(-80.0 * (truth + floor) + 3.0, truth, step_um=25.0, beam_fwhm_um=26.0,
                     segment_var=seg_var)
    assert b["floor_var"] == pytest.approx(floor.var(), rel=0.02)
    # 170 correlated samples: the sample variance scatters by ~15 %
    assert grain_read.var() == pytest.approx(b["tape_var"], rel=0.3)
    # the s1-like budget leaves the beam far from identified; knowing the floor helps
    assert b["crb_sd_um"] > 26.0
    assert b["crb_sd_floor_known_um"] < b["crb_sd_um"]
    assert b["crb_sd_fine_step_um"] < b["crb_sd_um"]
    # at a 25 µm step even a perfect detector leaves the beam unidentified (sd > 10 %)
    # while the floor is fitted: rho_2 ~ 0.006 is all that separates floor and grain
    assert 2.6 < b["crb_sd_no_floor_um"] < b["crb_sd_um"]


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="one value per position"):
        noise_budget(np.ones(5), np.ones(4), step_um=25.0, beam_fwhm_um=26.0, segment_var=1e-3)

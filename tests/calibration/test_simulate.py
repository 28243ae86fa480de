"""The tone simulator: equivalence with the emulator's scan sampler and the tone's period."""

import numpy as np
import pytest

from thesis_lib.calibration.inputs import SeriesMeta
from thesis_lib.calibration.simulate import ToneSimulator
from thesis_lib.emulator import EmulatorParams
from thesis_lib.emulator.readout import convolve_beam, scan_sample

META = SeriesMeta(tape_speed_m_s=0.381, test_tone_hz=261.0, step_um=50.0)
PARAMS = EmulatorParams(tape_speed_m_s=0.381, preisach_n=100)


@pytest.fixture(scope="module")
def sim():
    return ToneSimulator(META, n_samples=120, max_step_um=60.0, params=PARAMS, offset_periods=2)


def test_vectorised_windows_equal_the_emulator_scan_sampler(sim):
    """Row k of scans() is the emulator's scan_sample of the blurred tape from offset k."""
    W = sim.scans(48.0, 30.0)
    blurred = convolve_beam(sim.magnetisation, 30.0, sim.segment_um)
    for k in (0, 17, W.shape[0] - 1):
        start = int(round((sim.offsets_um[k] - sim.position_um[0]) / sim.segment_um))
        expected = scan_sample(blurred[start:], sim.segment_um, 48.0)[: sim.n_samples]
        np.testing.assert_allclose(W[k], expected, atol=1e-12)
        np.testing.assert_allclose(sim.scan(48.0, 30.0, sim.offsets_um[k]), expected, atol=1e-12)


@pytest.mark.parametrize("step", [40.0, 55.0])
def test_scan_period_is_wavelength_over_step(sim, step):
    w = sim.scans(step, 26.0)[0]
    spectrum = np.abs(np.fft.rfft((w - w.mean()) * np.hanning(w.size), n=8192))
    f_peak = np.fft.rfftfreq(8192)[np.argmax(spectrum)]
    assert f_peak == pytest.approx(step / META.wavelength_um, rel=0.02)


def test_wider_beam_only_smooths(sim):
    """The beam is a unit-area low-pass: the mean stays, the short-scale structure shrinks."""
    narrow, wide = sim.blurred(8.0), sim.blurred(60.0)
    inner = slice(300, -300)
    assert wide[inner].mean() == pytest.approx(narrow[inner].mean(), abs=2e-3)
    assert np.std(np.diff(wide[inner])) < 0.5 * np.std(np.diff(narrow[inner]))


def test_offsets_span_the_requested_periods(sim):
    span = sim.offsets_um[-1] - sim.offsets_um[0] + sim.offset_step_um
    assert span == pytest.approx(2 * META.wavelength_um, abs=sim.offset_step_um)


def test_too_long_a_step_is_refused(sim):
    with pytest.raises(ValueError, match="max_step_um"):
        sim.scans(200.0, 26.0)

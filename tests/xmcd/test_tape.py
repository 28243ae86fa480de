"""Tape magnetisation and its 2-D beam average, against closed-form answers."""

import numpy as np
import pytest

from thesis_lib.xmcd.tape import FWHM_TO_SIGMA, TapeProfile, beam_average, recorded_tape


def _sine(lam, length=20_000.0, du=0.5):
    u = np.arange(0.0, length, du)
    return TapeProfile(u, np.sin(2 * np.pi * u / lam), "test")


@pytest.mark.parametrize("lam", [100.0, 200.0, 730.0])
def test_gaussian_beam_transfer_function(lam):
    """A sine of wavelength lam is attenuated by exp(-2 (pi sigma / lam)^2), phase kept."""
    fwhm = 26.0
    centres = 5000.0 + np.linspace(0, lam, 9)
    s = beam_average(_sine(lam), centres, (fwhm, 25.0), grid_um=0.25, extent_sigma=6)
    gain = np.exp(-2 * (np.pi * fwhm * FWHM_TO_SIGMA / lam) ** 2)
    np.testing.assert_allclose(s, gain * np.sin(2 * np.pi * centres / lam), atol=2e-4)


def test_azimuth_adds_the_across_track_width():
    """Tilted transitions: effective along-track sigma^2 = sx^2 + (sy tan a)^2."""
    lam, fx, fy, az = 150.0, 20.0, 60.0, 20.0
    centre = [33 * lam + lam / 4]        # a crest of the sine
    s = beam_average(_sine(lam), centre, (fx, fy), azimuth_deg=az, grid_um=0.25, extent_sigma=6)
    sigma2 = (fx * FWHM_TO_SIGMA) ** 2 + (fy * FWHM_TO_SIGMA * np.tan(np.deg2rad(az))) ** 2
    assert s[0] == pytest.approx(np.exp(-2 * np.pi**2 * sigma2 / lam**2), abs=2e-4)


def test_uniform_tape_reads_back_unchanged():
    u = np.arange(0.0, 1000.0, 4.0)
    s = beam_average(TapeProfile(u, np.full(u.size, 0.37), "test"), [300.0, 500.0], (26, 25),
                     azimuth_deg=1.0)
    np.testing.assert_allclose(s, 0.37, rtol=1e-12)


def test_beam_beyond_the_tape_is_refused():
    u = np.arange(0.0, 100.0, 1.0)
    with pytest.raises(ValueError, match="record a longer stretch"):
        beam_average(TapeProfile(u, np.zeros(u.size), "test"), [95.0])


def test_emulator_writes_the_tone_at_the_tape_wavelength():
    """The recorded pattern's dominant spatial frequency is f / v; it is odd-symmetric in the
    drive."""
    tape = recorded_tape(261.0, 0.04, 0.381, seed=3)
    assert tape.source == "emulator" and tape.position_um[0] >= 0
    m = tape.magnetisation - tape.magnetisation.mean()
    du = tape.position_um[1] - tape.position_um[0]
    k = np.fft.rfftfreq(m.size, du)
    peak = k[np.argmax(np.abs(np.fft.rfft(m * np.hanning(m.size))))]
    assert peak == pytest.approx(261.0 / 0.381e6, rel=1 / 10)     # 10 cycles: one-bin resolution
    assert 0.5 < np.percentile(np.abs(m), 99) < 1.0
    # same seed, same tape (ground truth must not depend on anything but its seed)
    np.testing.assert_array_equal(recorded_tape(261.0, 0.04, 0.381, seed=3).magnetisation,
                                  tape.magnetisation)


def test_standin_tone_has_the_tape_wavelength():
    """Zero crossings of the stand-in tone are v / (2 f) apart."""
    tape = recorded_tape(261.0, 0.02, 0.381, source="stand-in", grain_noise=0.0, grain_um=1.0)
    sign = np.sign(tape.magnetisation)
    crossings = tape.position_um[np.nonzero(np.diff(sign))[0]]
    assert np.median(np.diff(crossings)) == pytest.approx(0.381e6 / 261 / 2, abs=1.0)
    assert np.abs(tape.magnetisation).max() == pytest.approx(0.8, abs=1e-4)
    assert tape.source == "stand-in"

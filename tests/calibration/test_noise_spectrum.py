"""Spectrum of beam-blurred tape noise, its Whittle fit and the Fisher information of the beam.

The noise is read with the xmcd package's 2-D beam integration (the phantom's readout),
not with the 1-D kernel the model was derived for, so the model is checked against an
independent route.
"""

import numpy as np
import pytest

from thesis_lib.calibration.noise_spectrum import (
    beam_fisher_sd,
    blurred_noise_variance,
    fit_noise_spectrum,
    noise_correlation,
    periodogram,
    residual_spectrum,
    taper_inflation,
)
from thesis_lib.emulator.readout import convolve_beam
from thesis_lib.xmcd.tape import TapeProfile, beam_average

SEGMENT = 4.0


def phantom_read_noise(n, step_um, fwhm_um, seed, segment_var=1.0):
    """White segment noise on a 4 µm grid, read every ``step_um`` by the 2-D beam average."""
    rng = np.random.default_rng(seed)
    length = n * step_um + 400.0
    u = np.arange(0.0, length, SEGMENT)
    tape = TapeProfile(u, np.sqrt(segment_var) * rng.standard_normal(u.size), "white")
    centres = 200.0 + step_um * np.arange(n)
    return beam_average(tape, centres, (fwhm_um, 6.0), grid_um=1.0)


@pytest.fixture(scope="module")
def long_scan():
    """4000 positions every 10 µm under a 30 µm beam (about 2 s of 2-D integration)."""
    return phantom_read_noise(4000, 10.0, 30.0, seed=11)


def test_correlation_and_variance_match_the_phantom_readout(long_scan):
    """Lag-k autocorrelation exp(-(kd)^2 / 4 sigma_e^2) and variance Σw² of the 2-D readout."""
    x = long_scan - long_scan.mean()
    acf = [np.dot(x[:-k], x[k:]) / np.dot(x, x) for k in (1, 2, 3)]
    expected = noise_correlation([1, 2, 3], 10.0, 30.0, segment_um=SEGMENT)
    # standard error of a sample autocorrelation of 4000 correlated samples is ~0.03
    np.testing.assert_allclose(acf, expected, atol=0.04)
    assert x.var() == pytest.approx(blurred_noise_variance(1.0, 30.0, SEGMENT), rel=0.1)


def test_model_spectrum_is_the_averaged_periodogram(long_scan):
    """Averaging the periodogram over 40 blocks of 100 positions gives the model's shape."""
    blocks = long_scan.reshape(40, 100)
    power = np.mean([periodogram(b)[1] for b in blocks], axis=0)
    nu = periodogram(blocks[0])[0]
    model = residual_spectrum(nu, 10.0, 30.0, 0.0, long_scan.var(), segment_um=SEGMENT)
    # 40 exponential ordinates per bin: ~16 % scatter per bin, so compare band averages,
    # over the part of the band within two decades of the peak: below that the untapered
    # periodogram's leakage from low frequencies, not the model, sets the level
    band = model > 0.01 * model[0]
    assert band.sum() >= 20
    for part in np.array_split(np.flatnonzero(band), 3):
        assert power[part].mean() == pytest.approx(model[part].mean(), rel=0.15)
    # the beam is a low-pass: the top of the band carries far less than the bottom
    assert model[-1] < 1e-3 * model[0]


def test_planted_beam_is_recovered_over_a_white_floor():
    """30 µm beam, 10 µm step, white floor of a fifth of the tape-noise variance: found to 10 %."""
    tape = phantom_read_noise(300, 10.0, 30.0, seed=5)
    floor = np.sqrt(0.2 * tape.var()) * np.random.default_rng(6).standard_normal(tape.size)
    fit = fit_noise_spectrum(tape + floor, 10.0, np.arange(8.0, 81.0, 2.0), segment_um=SEGMENT)
    assert fit.identified
    assert fit.fwhm_um == pytest.approx(30.0, rel=0.10)
    assert fit.interval_um[0] <= 30.0 <= fit.interval_um[1]
    # the profile interval and the expected Fisher information agree on the precision
    half_width = 0.5 * (fit.interval_um[1] - fit.interval_um[0])
    assert 0.5 < half_width / (1.96 * fit.crb_sd_um) < 2.0


def test_fisher_sd_predicts_the_spread_of_fits():
    """Cramér-Rao sd from the expected information vs the spread of 30 independent fits.

    The Hann-tapered fit spends information for its lower leakage: its variance is the
    untapered bound times the taper's inflation 35/18 (Dahlhaus 1983). Over 100 fits of
    this design the measured sd was 3.02 untapered and 4.21 tapered against a bound of
    2.68 (2.68·√(35/18) = 3.74); 30 fits scatter their sd by about 15 %.
    """
    rng = np.random.default_rng(21)
    fits = []
    for _ in range(30):
        # 1-D emulator kernel here (fast); the 2-D route is checked above
        tape = convolve_beam(rng.standard_normal(2000), 30.0, 2.0)[300:-300:4]     # 8 µm step
        tape = tape[:200] / tape.std()
        fits.append(fit_noise_spectrum(tape + 0.4 * rng.standard_normal(200), 8.0,
                                       np.arange(14.0, 60.0, 1.0), segment_um=2.0).fwhm_um)
    sd = beam_fisher_sd(200, 8.0, 30.0, 0.16, 1.0, segment_um=2.0) * np.sqrt(taper_inflation(200))
    assert np.mean(fits) == pytest.approx(30.0, abs=2 * sd)
    assert np.std(fits) == pytest.approx(sd, rel=0.5)


def test_a_free_white_floor_hides_the_beam_at_25um_steps():
    """The phantom's s1 budget: 175 positions, 25 µm step, tape noise a tenth of the floor.

    With the floor free the beam is only seen through rho_2 / rho_1 = rho_1^3 (rho_2 ~ 0.006);
    the expected sd exceeds the beam itself many times over. Knowing the floor helps, but
    still leaves the sd above the 10 % acceptance; a 4 µm step over the same tape would not.
    """
    free = beam_fisher_sd(175, 25.0, 26.0, 1.0, 0.1)
    known = beam_fisher_sd(175, 25.0, 26.0, 1.0, 0.1, floor_known=True)
    fine_step = beam_fisher_sd(175 * 25 // 4, 4.0, 26.0, 1.0, 0.1)
    assert free > 5 * 26.0
    assert 2.6 < known < free
    assert fine_step < known
    # no tape noise at all: nothing carries the beam
    assert beam_fisher_sd(175, 25.0, 26.0, 1.0, 0.0) == np.inf


def test_tapered_periodogram_is_unbiased_for_white_noise():
    """400 scans of white noise of variance 2.5: every part of the band averages to 2.5.

    A band of a quarter of the 182 ordinates holds 400·45 exponential ordinates, about half
    of them independent under the Hann taper: a 1 % standard error, 5 % tolerance (the four
    band means measured 1.003, 0.983, 0.994, 1.003 times 2.5).
    """
    rng = np.random.default_rng(8)
    power = np.mean([periodogram(np.sqrt(2.5) * rng.standard_normal(365))[1]
                     for _ in range(400)], axis=0)
    assert power.size == 182
    for part in np.array_split(power, 4):
        assert part.mean() == pytest.approx(2.5, rel=0.05)
    # the plain periodogram is the same estimator without the taper (Parseval: Σ = variance)
    x = rng.standard_normal(365)
    plain = periodogram(x, window="boxcar")[1]
    assert 2.0 * plain.sum() / 365 == pytest.approx(x.var(), rel=1e-9)


def test_taper_removes_the_leakage_bias_of_a_steep_spectrum():
    """A 32 µm beam read every 3 µm over a floor 10⁻⁴ of the tape noise (the fine-sine scan's
    shape, 365 positions): the spectrum falls by many decades across the band and the plain
    periodogram's leakage reads as a narrower beam. These 16 scans measured 27.6 µm (sd 2.6)
    untapered and 32.1 µm (sd 0.9) tapered, so the means carry standard errors of 0.65 and
    0.23 µm: the bounds below sit over four of them from the measured means.
    """
    rng = np.random.default_rng(4)
    u = np.arange(0.0, 2000.0, SEGMENT)
    at = 300.0 + 3.0 * np.arange(365)
    beams = np.arange(10.0, 71.0, 1.0)
    tapered, plain = [], []
    for _ in range(16):
        x = np.interp(at, u, convolve_beam(rng.standard_normal(u.size), 32.0, SEGMENT))
        x = x / x.std() + 0.01 * rng.standard_normal(at.size)
        tapered.append(fit_noise_spectrum(x, 3.0, beams, segment_um=SEGMENT).fwhm_um)
        plain.append(fit_noise_spectrum(x, 3.0, beams, segment_um=SEGMENT,
                                        window="boxcar").fwhm_um)
    assert np.mean(tapered) == pytest.approx(32.0, abs=1.0)
    assert np.mean(plain) < 30.5
    assert abs(np.mean(tapered) - 32.0) < abs(np.mean(plain) - 32.0)


def test_white_noise_alone_is_not_identified():
    rng = np.random.default_rng(3)
    fit = fit_noise_spectrum(rng.standard_normal(175), 25.0, np.linspace(8.0, 80.0, 36))
    assert not fit.identified


def test_too_short_a_residual_is_refused():
    with pytest.raises(ValueError, match="too short"):
        fit_noise_spectrum(np.arange(9.0) % 2, 25.0, [20.0, 30.0], min_frequency=0.3)


def test_zero_frequency_density_is_the_long_run_variance_of_a_scan():
    """Three routes to n·Var(mean of a scan) for blurred white segment noise plus a floor:
    the model's S(0), the closed form φ + σ²_seg·Δℓ/d (the beam kernel sums to one, so each
    segment's noise enters the sum of a scan with weight Δℓ/d), and 1000 simulated scans
    (their estimate has a 4.5 % sd; measured 1.380 against 1.394 for 3000 scans)."""
    from thesis_lib.calibration.noise_spectrum import BeamFromNoise, zero_frequency_density

    step, beam, floor = 3.0, 30.0, 0.05
    tape = blurred_noise_variance(1.0, beam, SEGMENT)
    fit = BeamFromNoise(beam, (20.0, 40.0), True, floor, tape, 1.0, np.array([beam]),
                        np.array([0.0]), 10)
    density = zero_frequency_density(fit, step, SEGMENT)
    assert density == pytest.approx(floor + SEGMENT / step, rel=0.02)
    rng = np.random.default_rng(3)
    u = np.arange(0.0, 8000.0, SEGMENT)
    at = 1000.0 + step * np.arange(1500)
    means = [np.mean(np.interp(at, u, convolve_beam(rng.standard_normal(u.size), beam, SEGMENT))
                     + np.sqrt(floor) * rng.standard_normal(at.size)) for _ in range(1000)]
    assert at.size * np.var(means) == pytest.approx(density, rel=0.15)

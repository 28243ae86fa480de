"""Stages f4-f6 and the optional degradations."""

import numpy as np
import pytest

from thesis_lib.emulator.degradations import aging_tail, dropouts, print_through
from thesis_lib.emulator.measurement_noise import MeasurementNoise, noise_variance
from thesis_lib.emulator.readout import (
    BeamReadout,
    beam_kernel,
    convolve_beam,
    gaussian_mtf,
    resample_to_rate,
)
from thesis_lib.emulator.tape_noise import TapeNoise, tape_noise


@pytest.mark.parametrize("model", ["gaussian", "binomial"])
def test_tape_noise_variance_is_heteroscedastic(model):
    rng = np.random.default_rng(11)
    mean_particles, count = 400.0, 40_000
    for level in (0.0, 0.5, -0.8):
        m = tape_noise(np.full(count, level), mean_particles, 0.4, rng, model)
        p = 0.5 * (1 + level)
        expected = 4 * p * (1 - p) / mean_particles   # 1/N_pack averaged: within 0.2 % here
        # the sample variance of `count` draws has relative sd sqrt(2/count) = 0.7 %
        assert m.var() == pytest.approx(expected, rel=0.04)
        assert m.mean() == pytest.approx(level, abs=5 * np.sqrt(expected / count))
    assert np.all(TapeNoise(model=model)(np.ones(5), rng) == 1.0)


def test_tape_noise_variance_scales_inversely_with_particles():
    rng = np.random.default_rng(2)
    v1 = tape_noise(np.zeros(40_000), 100.0, 0.0, rng).var()
    v4 = tape_noise(np.zeros(40_000), 400.0, 0.0, rng).var()
    assert v1 / v4 == pytest.approx(4.0, rel=0.05)


def test_beam_kernel_unit_area_and_skew():
    # normalised weights sum to one up to the rounding of a sum of n terms (<= n·eps), whose
    # order numpy's SIMD summation picks per CPU
    _, k = beam_kernel(26.0, 4.0)
    assert k.sum() == pytest.approx(1.0, abs=k.size * np.finfo(float).eps)
    s, ks = beam_kernel(26.0, 4.0, skew=3.0)
    assert ks.sum() == pytest.approx(1.0, abs=ks.size * np.finfo(float).eps)
    assert np.sum(s * ks) > 5.0         # a positive skew moves the beam centroid forward


def test_beam_transfer_matches_the_gaussian_mtf():
    spacing, fwhm = 4.0, 26.0
    u = np.arange(20_000) * spacing
    for wavelength in (400.0, 100.0, 50.0, 30.0):
        f = 1.0 / wavelength
        m = np.cos(2 * np.pi * f * u)
        y = convolve_beam(m, fwhm, spacing)[2000:-2000]
        c, s = np.cos(2 * np.pi * f * u[2000:-2000]), np.sin(2 * np.pi * f * u[2000:-2000])
        gain = np.hypot(*np.linalg.lstsq(np.c_[c, s], y, rcond=None)[0])
        assert gain == pytest.approx(gaussian_mtf(f, fwhm), abs=2e-4)


def test_readout_preserves_duration_and_tone_frequency():
    f5 = BeamReadout(fwhm_um=26.0, segment_um=4.0, step_um=4.0, speed=0.1905, rate=48000)
    # a 1 kHz recorded tone: wavelength v/f = 190.5 µm
    u = (np.arange(23_812) + 0.5) * 4.0
    m = np.sin(2 * np.pi * u / 190.5)
    y = f5(m, length=48000 // 2)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    assert y.size == 24000
    assert np.argmax(spectrum) * 48000 / y.size == pytest.approx(1000.0, abs=4)
    assert resample_to_rate(np.zeros(10), 100.0, 200.0, 25).shape == (25,)


def test_measurement_noise_variance_formula():
    s, k, c, area, dt = 0.3, 0.02, 0.01, 650.0, 2.1e-5
    var = noise_variance(s, k, c, area, dt)
    assert var == pytest.approx(s**2 * (k**2 / (area * dt) + c**2), rel=1e-15)
    rng = np.random.default_rng(5)
    f6 = MeasurementNoise(s, k, c, area, dt, mode="constant")
    noise = f6(np.zeros(200_000), rng)
    assert noise.var() == pytest.approx(var, rel=0.02)
    tv = MeasurementNoise(s, k, c, area, dt, mode="time-varying")
    assert tv.variance(np.array([0.0]))[0] == pytest.approx(var, rel=1e-12)
    assert tv.variance(np.array([1.0]))[0] > tv.variance(np.array([0.0]))[0]
    with pytest.raises(ValueError, match="shot-noise"):
        noise_variance(s, k, c, 0.0, dt)


def test_aging_tail_erases_low_coercivity_memory(coarse100):
    from thesis_lib.emulator.engines import PreisachOperator
    op = PreisachOperator(coarse100, "everett")
    tail = aging_tail(0.8)
    a, b = [3.0, -1.0], [3.0, -1.2]
    fresh = op.final(a) - op.final(b)
    aged = op.final(np.concatenate([a, tail])) - op.final(np.concatenate([b, tail]))
    # relaxation forgets part of what was written: two recordings become more alike
    assert abs(aged) < abs(fresh)
    # the relaxed state is stable: aging again changes nothing (wiping-out)
    twice = op.final(np.concatenate([a, tail, tail]))
    assert twice == pytest.approx(op.final(np.concatenate([a, tail])), abs=1e-12)  # rounding
    assert op.final(np.concatenate([a, aging_tail(0.0)])) == op.final(a)


def test_dropouts_and_print_through():
    rng = np.random.default_rng(0)
    m = dropouts(np.ones(50_000), 4.0, 2.0, 40.0, 0.9, rng)
    lost = np.mean(m < 1)
    # expected covered fraction 1 - exp(-rate * mean length) = 1 - exp(-2 * 0.04)
    assert lost == pytest.approx(1 - np.exp(-0.08), rel=0.25)
    assert np.all(m[m < 1] <= 0.1 + 1e-12)       # overlapping spots compound
    pulse = np.zeros(1000)
    pulse[500] = 0.5
    echo = print_through(pulse, 4.0, 0.1905, 0.01, 100 * 4e-6 / 0.1905)
    assert echo[400] == pytest.approx(0.005) and echo[600] == pytest.approx(0.005)
    assert echo[500] == 0.5

"""Scan design: the Cramér-Rao bounds against a Monte-Carlo fit, and their known scalings."""

import numpy as np
import pytest
from scipy import optimize, special

from thesis_lib.calibration.design import (
    FWHM_PER_SIGMA,
    design_map,
    edge_beam_sd,
    edge_rise_um,
    largest_step,
)


def test_edge_bound_matches_the_spread_of_least_squares_fits():
    """Fit (level, height, place, FWHM) to 300 noisy scans of one edge: the FWHM's spread
    matches the bound within the Monte-Carlo error of an sd from 300 draws (±4 % at 1σ;
    measured 0.97-1.11 times the bound over three generator seeds, ±15 % allowed). The
    edge's place is drawn per scan, as the bound averages over it."""
    rng = np.random.default_rng(4)
    beam, step, noise, window = 30.0, 6.0, 0.02, 400.0
    fits = []
    for _ in range(300):
        u = np.arange(-window / 2, window / 2, step) + rng.uniform(0, step)

        def edge(x, c, a, u0, w):
            return c + a * special.ndtr((x - u0) * FWHM_PER_SIGMA / w)

        y = edge(u, 0.0, 1.0, 0.0, beam) + noise * rng.standard_normal(u.size)
        p, _ = optimize.curve_fit(edge, u, y, p0=(0.0, 1.0, 0.0, beam))
        fits.append(p[3])
    bound = edge_beam_sd(step, beam, noise, window_um=window, n_edges=1)
    assert np.std(fits, ddof=1) / beam == pytest.approx(bound, rel=0.15)


def test_edge_bound_scales_with_noise_and_edges_and_grows_with_the_recorded_transition():
    base = edge_beam_sd(3.0, 30.0, 0.01)
    # the information is quadratic in 1/noise and additive over edges: exact scalings
    assert edge_beam_sd(3.0, 30.0, 0.03) == pytest.approx(3 * base, rel=1e-9)
    assert edge_beam_sd(3.0, 30.0, 0.01, n_edges=8) == pytest.approx(base / 2, rel=1e-9)
    assert edge_beam_sd(3.0, 30.0, 0.01, transition_um=26.0) > 1.2 * base


def test_design_map_and_largest_step_agree():
    ratios = np.geomspace(0.05, 3.0, 12)
    sd = design_map(ratios, [0.02])[0]
    r = largest_step(0.02, ratios=ratios)
    assert sd[ratios == r][0] <= 0.10
    assert np.all(sd[ratios > r] > 0.10)
    # the tape grain carries far less about the beam than an edge at any step
    grain = design_map(ratios, [1.0], route="grain")[0]
    assert np.all(grain > sd)
    with pytest.raises(ValueError, match="route"):
        design_map(ratios, [0.02], route="tone")


def test_edge_rise_of_a_gaussian_blurred_square_wave():
    """A square wave blurred by a Gaussian of FWHM w rises over 1.0868 w (10-90 %)."""
    u = np.arange(0.0, 6000.0, 0.5)
    square = np.where(np.sin(2 * np.pi * u / 1460.0) >= 0, 1.0, -1.0)
    sigma = 30.0 / FWHM_PER_SIGMA
    kernel = np.exp(-0.5 * (np.arange(-200.0, 200.5, 0.5) / sigma) ** 2)
    blurred = np.convolve(square, kernel / kernel.sum(), mode="same")
    assert edge_rise_um(u[500:-500], blurred[500:-500]) == pytest.approx(1.0868 * 30.0, rel=0.01)

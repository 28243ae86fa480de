import numpy as np
import pytest

from thesis_lib.metrics import energy_relative_error, l1, l2, nrmse, nrmse_pooled, pearson


def test_pearson_matches_numpy_and_is_affine_invariant():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(2000)
    b = 0.3 * a + rng.standard_normal(2000)
    assert pearson(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)
    assert pearson(a, 5 * b - 7) == pytest.approx(pearson(a, b), abs=1e-12)
    assert pearson(a, -b) == pytest.approx(-pearson(a, b), abs=1e-12)


def test_l1_l2_known_answers():
    ref = np.zeros(4)
    est = np.array([1.0, -1.0, 3.0, -3.0])
    assert l1(ref, est) == pytest.approx(2.0)
    assert l2(ref, est) == pytest.approx(np.sqrt(5.0))


def test_nrmse_scales_with_reference_spread():
    t = np.linspace(0, 1, 1000, endpoint=False)
    ref = np.sin(2 * np.pi * 5 * t)  # std = 1/sqrt(2)
    assert nrmse(ref, ref + 0.1) == pytest.approx(0.1 * np.sqrt(2), rel=1e-9)
    assert nrmse(ref, ref) == 0.0


def test_pooled_nrmse_anticorrelated_is_sqrt2():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(10_000)
    # E[(2a)^2] / (Var a + Var a) -> sqrt(4 E[a^2] / (2 Var a)) = sqrt(2) up to the mean term.
    expected = np.sqrt(4 * np.mean(a**2) / (2 * a.var()))
    assert nrmse_pooled(a, -a) == pytest.approx(expected, rel=1e-12)
    assert nrmse_pooled(a, -a) == pytest.approx(nrmse_pooled(-a, a))


def test_energy_relative_error_sign():
    ref = np.ones(100)
    assert energy_relative_error(ref, 0.5 * ref) == pytest.approx(0.75)
    assert energy_relative_error(ref, 2 * ref) == pytest.approx(-3.0)

import numpy as np
import pytest

from thesis_lib.emulator import analysis
from thesis_lib.emulator.engines import PreisachOperator
from thesis_lib.emulator.readout import gaussian_mtf
from thesis_lib.emulator.speed import harmonic_clip, time_engines


def test_major_loop_saturates_and_forcs_join_it(coarse100):
    op = PreisachOperator(coarse100)
    h, m = analysis.major_loop(op, 100, reversible=False)
    assert m[0] == pytest.approx(1.0) and m[99] == pytest.approx(-1.0)
    curves = analysis.first_order_reversal_curves(op, [-1.0, 0.5], 50, reversible=False)
    for _hr_fields, branch in curves:
        # every FORC ends at positive saturation, on the major loop
        assert branch[-1] == pytest.approx(1.0)
    # a FORC starting at the negative saturation field is the ascending major branch
    (_, lowest), = analysis.first_order_reversal_curves(op, [h[99]], 100, reversible=False)
    assert np.allclose(lowest, m[100:], atol=1e-12)


def test_transfer_curve_is_odd_and_monotone_with_bias(emulator100):
    levels = np.array([-0.6, -0.3, 0.0, 0.3, 0.6])
    curve = analysis.transfer_curve(emulator100, levels)
    assert np.all(np.diff(curve) > 0)
    assert curve[0] == pytest.approx(-curve[-1], abs=0.05)


def test_harmonics_and_thd_known_answer():
    t = np.arange(4000) / 4000
    sig = (np.sin(2 * np.pi * 5 * t) + 0.03 * np.sin(2 * np.pi * 15 * t)
           + 0.04 * np.cos(2 * np.pi * 10 * t))
    assert analysis.total_harmonic_distortion(sig, t, 5.0) == pytest.approx(0.05, rel=1e-9)


def test_measured_beam_transfer_matches_analytic():
    wl = np.array([1000.0, 100.0, 40.0])
    assert np.allclose(analysis.measured_beam_transfer(26.0, 4.0, wl), gaussian_mtf(1 / wl, 26.0),
                       atol=1e-6)


def test_time_engines_reports_both_engines():
    out = time_engines([100], repeats=1, excerpt_segments=3, seconds=0.02, verbose=False)
    engines = {(r["engine"], r["N"]) for r in out["results"]}
    assert engines == {("everett", 100), ("hysterons", 100)}
    assert all(r["seconds_per_clip"] > 0 for r in out["results"])
    brute = [r for r in out["results"] if r["engine"] == "hysterons"][0]
    assert brute["scaled_from_segments"] == 3 and brute["segments"] == round(0.02 * 0.1905 / 4e-6)
    assert harmonic_clip(0.01)[0].size == 480

"""Headroom scoring: methods beside the oracles on the same clips; option parsing."""

import numpy as np
import pytest
from scipy.signal import lfilter

from thesis_lib.denoise.headroom import _parse_emulator, headroom_scores


def test_scores_put_the_oracle_filter_above_the_input_and_a_do_nothing_method():
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(3):
        x = lfilter([1.0], [1.0, -0.9], rng.standard_normal(16_000))  # music-like red spectrum
        y = lfilter([0.5, 0.3, 0.2], [1.0], x) + 0.01 * rng.standard_normal(x.size)
        pairs.append((y, x))
    out = headroom_scores(pairs, 16_000, {"nothing": lambda y, sr: y})
    assert out["input"]["delta_si_sdr_db"] == 0.0
    assert out["nothing"]["si_sdr_db"] == pytest.approx(out["input"]["si_sdr_db"])
    assert out["oracle_linear_filter"]["delta_si_sdr_db"] > 10.0
    assert out["oracle_linear_filter"]["n_clips"] == 3
    # paired with the oracle on the same clips: the oracle against itself is exactly zero, and
    # doing nothing falls short by the oracle's own mean gain (rounded to 1 mdB)
    assert out["oracle_linear_filter"]["si_sdr_minus_oracle_linear_db"] == 0.0
    assert out["oracle_linear_filter"]["si_sdr_minus_oracle_linear_db_ci95"] == 0.0
    assert out["nothing"]["si_sdr_minus_oracle_linear_db"] == pytest.approx(
        -out["oracle_linear_filter"]["delta_si_sdr_db"], abs=2e-3)
    assert 0 < out["nothing"]["si_sdr_minus_oracle_linear_db_ci95"]


def test_emulator_options_are_typed_and_checked():
    params = _parse_emulator(["beam_fwhm_um=40", "bias_mode=off", "preisach_n=100"])
    assert params.beam_fwhm_um == 40.0 and params.bias_mode == "off" and params.preisach_n == 100
    assert _parse_emulator([]) is None
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        _parse_emulator(["beam"])
    with pytest.raises(SystemExit, match="unknown emulator parameter"):
        _parse_emulator(["beam_width=3"])

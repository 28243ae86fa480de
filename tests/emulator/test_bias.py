import numpy as np
import pytest

from thesis_lib.emulator.bias import Bias, bias_amplitude, biased_drive


def test_modes():
    x = np.random.default_rng(0).normal(0, 0.2, 1000)
    assert bias_amplitude(x, "off") == 0.0
    assert bias_amplitude(x, "fixed", 3.0) == 3.0
    assert bias_amplitude(x, "3std") == pytest.approx(3 * x.std())
    with pytest.raises(ValueError, match="bias mode"):
        bias_amplitude(x, "loud")


def test_drive_is_gain_plus_sine():
    t = np.arange(400) / 4e5
    x = np.linspace(-1, 1, 400)
    xb = Bias("fixed", amplitude=2.0, freq_hz=1e5, gain=0.5)(x, t)
    # removing the gain-scaled input leaves a pure 100 kHz sine of amplitude 2
    resid = xb - 0.5 * x
    assert np.allclose(resid, 2.0 * np.sin(2 * np.pi * 1e5 * t), atol=1e-12)
    assert np.allclose(biased_drive(x, t, 1.0, 0.0, 1e5), x)

"""The shared waveform checks: what passes, what fails and how the message reads."""

import numpy as np
import pytest

from thesis_lib._waveform import as_waveform, check_sample_rate, fit_length
from thesis_lib.denoise.baselines import identity
from thesis_lib.emulator.emulator import _validated
from thesis_lib.metrics import si_sdr


def test_as_waveform_returns_contiguous_float64_copy_of_a_strided_view():
    x = np.arange(10, dtype=np.int32)[::2]
    out = as_waveform(x)
    assert out.dtype == np.float64 and out.flags.c_contiguous
    assert out.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]


@pytest.mark.parametrize("bad, needle", [
    (np.zeros((2, 3)), "shape (2, 3); mix the channels down to mono"),
    (np.array([0.0, np.nan, np.inf]), "take.wav: 2 samples are NaN or inf"),
    (np.zeros(0), "has 0 samples; give at least 1"),
])
def test_as_waveform_messages_name_input_and_fix(bad, needle):
    with pytest.raises(ValueError) as err:
        as_waveform(bad, name="take.wav")
    assert needle in str(err.value)


def test_squeeze_accepts_single_channel_2d_only():
    assert as_waveform(np.ones((1, 4)), squeeze=True).shape == (4,)
    with pytest.raises(ValueError, match="1-D"):
        as_waveform(np.ones((2, 4)), squeeze=True)


@pytest.mark.parametrize("rate", [0, -8000, float("nan"), "48000", None, [48000]])
def test_sample_rate_must_be_one_positive_number(rate):
    with pytest.raises(ValueError, match="positive number of Hz"):
        check_sample_rate(rate)


def test_fit_length_cuts_and_pads_with_zeros():
    x = np.arange(1.0, 6.0)
    assert fit_length(x, 3).tolist() == [1.0, 2.0, 3.0]
    assert fit_length(x, 7).tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0]


def test_metrics_emulator_and_baselines_reject_the_same_bad_input_alike():
    # one validator behind three packages: a NaN sample is refused by each, naming the count
    bad = np.array([0.1, np.nan, 0.2, 0.3])
    for call in (lambda: si_sdr(bad, bad), lambda: _validated(bad, 48000),
                 lambda: identity(bad, 48000)):
        with pytest.raises(ValueError, match="1 samples are NaN or inf"):
            call()

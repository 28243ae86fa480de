"""The assembled forward model: API contract, determinism, linearisation by the bias."""

import numpy as np
import pytest

from thesis_lib.emulator import Emulator, EmulatorParams, clip_seed


def test_output_rate_and_duration(emulator100):
    sr = 44100
    x = 0.3 * np.sin(2 * np.pi * 500 * np.arange(2205) / sr)    # 50 ms at 44.1 kHz
    y = emulator100(x, sr, seed=3)
    assert y.dtype == np.float64 and y.shape == (2400,)          # 50 ms at 48 kHz
    tape = emulator100.record(x, sr, seed=3)
    assert np.all(np.abs(tape.magnetisation) <= 1) and tape.segment_um == 4.0
    assert tape.position_um[1] - tape.position_um[0] == pytest.approx(4.0)
    assert set(emulator100.last_timings) >= {"hysteresis", "tape_noise", "degradations"}


def test_record_then_read_is_the_call(emulator100, tone):
    x, sr = tone
    y = emulator100(x, sr, seed=42)
    assert "readout" in emulator100.last_timings and "hysteresis" in emulator100.last_timings
    assert np.array_equal(y, emulator100.read(emulator100.record(x, sr, 42), 42))


def test_same_seed_same_output_other_seed_differs(emulator100, tone):
    x, sr = tone
    s1 = clip_seed(0, "train/000/a.mp3", 0)
    s2 = clip_seed(0, "train/000/a.mp3", 1)
    s3 = clip_seed(0, "train/000/b.mp3", 0)
    a, b = emulator100(x, sr, s1), emulator100(x, sr, s1)
    assert np.array_equal(a, b)
    # a second emulator object (another worker) reproduces it bit for bit
    other = Emulator(EmulatorParams(preisach_n=100), cache_dir=False)
    assert np.array_equal(other(x, sr, s1), a)
    assert not np.allclose(emulator100(x, sr, s2), a)
    assert not np.allclose(emulator100(x, sr, s3), a)


def test_bad_input_is_explained(emulator100):
    with pytest.raises(ValueError, match="NaN"):
        emulator100(np.array([0.0, np.nan, 0.0]), 48000, 0)
    with pytest.raises(ValueError, match="mono"):
        emulator100(np.zeros((2, 100)), 48000, 0)
    with pytest.raises(ValueError, match="sample rate"):
        emulator100(np.zeros(100), 0, 0)


def test_bias_linearises_small_signal_recording():
    """THD of the recorded remanence of a tone: low with AC bias; without bias a dead zone."""
    from thesis_lib.emulator.analysis import recorded_tone_thd
    base = EmulatorParams(preisach_n="fine", tape_noise="off")
    biased = Emulator(base, cache_dir=False)
    unbiased = Emulator(base.replace(bias_mode="off"), cache_dir=False)
    thd_small, amps_small = recorded_tone_thd(biased, amplitude=0.2)
    _, amps_small_off = recorded_tone_thd(unbiased, amplitude=0.2)
    assert thd_small < 0.02 and amps_small[0] > 0.1
    # below the coercivities nothing is written without bias
    assert amps_small_off[0] < 0.01 * amps_small[0]
    thd_mid, _ = recorded_tone_thd(biased, amplitude=0.5)
    thd_mid_off, _ = recorded_tone_thd(unbiased, amplitude=0.5)
    assert thd_mid_off > 5 * thd_mid


def test_params_json_describes_the_run(tmp_path, emulator100):
    path = emulator100.params.to_json(tmp_path / "params.json")
    assert EmulatorParams.from_json(path) == emulator100.params


def _short_wavelength_rms(tape, longest_um=300.0):
    m = tape.magnetisation - tape.magnetisation.mean()
    spectrum = np.abs(np.fft.rfft(m)) * 2 / m.size
    freq = np.fft.rfftfreq(m.size, d=tape.segment_um)
    return float(np.sqrt(np.sum(spectrum[freq > 1 / longest_um] ** 2) / 2))


def test_segment_subsamples_remove_the_aliased_bias_ripple():
    # At 0.381 m/s the 100 kHz bias has a 3.81 um wavelength; sampled once per 4 um segment
    # it aliases into a ripple of period 1 / (1/3.81 - 1/4) = 80 um. Averaging points spread
    # across each segment removes it; the recorded tone itself is unchanged.
    sr = 48_000
    x = 0.5 * np.sin(2 * np.pi * 261.0 * np.arange(int(0.1 * sr)) / sr)
    base = EmulatorParams(tape_speed_m_s=0.381, tape_noise="off", measurement_noise="off",
                          preisach_n=100)
    one = Emulator(base, cache_dir=False).record(x, sr, 0)
    four = Emulator(base.replace(segment_subsamples=4), cache_dir=False).record(x, sr, 0)
    m = one.magnetisation - one.magnetisation.mean()
    spectrum = np.abs(np.fft.rfft(m))
    freq = np.fft.rfftfreq(m.size, d=4.0)
    strongest_short = 1 / freq[np.argmax(np.where(freq > 1 / 300, spectrum, 0))]
    assert abs(strongest_short - 80.2) < 3.0
    assert _short_wavelength_rms(one) > 0.1
    assert _short_wavelength_rms(four) < 0.03
    tone = np.sin(2 * np.pi * one.position_um / (0.381e6 / 261.0))
    assert abs(np.corrcoef(tone, four.magnetisation)[0, 1]) > 0.97


def test_segment_subsamples_is_validated():
    with pytest.raises(ValueError, match="segment_subsamples"):
        EmulatorParams(segment_subsamples=0)

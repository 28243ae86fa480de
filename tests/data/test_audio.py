import numpy as np
import pytest
import soundfile as sf

from thesis_lib.data.audio import Resampler, read_audio, resample, to_mono, write_wav

from .conftest import tone


def _peak_hz(x, rate):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spectrum)]


def test_resample_keeps_frequency_and_duration():
    x = tone(1000.0, 1.0, 44100)
    y = resample(x, 44100, 48000)
    assert y.size == 48000
    assert abs(_peak_hz(y, 48000) - 1000.0) <= 1.0
    # the in-band sine keeps its amplitude (away from the edges)
    assert np.max(np.abs(y[2000:-2000])) == pytest.approx(0.5, rel=0.01)


def test_resampler_is_one_linear_operator():
    r = Resampler(48000, 44100)
    a, b = tone(300.0, 0.1, 48000), tone(700.0, 0.1, 48000, 0.2)
    np.testing.assert_allclose(r(a + b), r(a) + r(b), atol=1e-6)


def test_float32_wav_round_trip_is_exact(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, 1000).astype(np.float32)
    path = write_wav(tmp_path / "x.wav", x, 48000)
    assert sf.info(str(path)).subtype == "FLOAT"
    y, rate = read_audio(path)
    assert rate == 48000 and np.array_equal(y[0], x)
    assert not list(tmp_path.glob(".*.partial*"))


def test_to_mono_averages_channels():
    left, right = tone(100, 0.01, 48000), tone(200, 0.01, 48000)
    np.testing.assert_allclose(to_mono(np.stack([left, right])), (left + right) / 2, rtol=1e-6)


def test_bad_input_names_the_file(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(ValueError, match="broken.wav"):
        read_audio(bad)
    with pytest.raises(ValueError, match="NaN"):
        write_wav(tmp_path / "nan.wav", np.array([0.0, np.nan]), 48000)
    assert not (tmp_path / "nan.wav").exists()

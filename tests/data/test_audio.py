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


def test_float32_and_float64_calls_share_one_resampler():
    # one cached kernel per sample type: a float64 call must not convert the float32 one
    x = tone(440.0, 0.1, 22050)
    r = Resampler(22050, 16000)
    single = r(x.astype(np.float32))
    double = r(x.astype(np.float64))
    again = r(x.astype(np.float32))
    assert single.dtype == again.dtype == np.float32 and double.dtype == np.float64
    assert np.array_equal(single, again)
    # the same filter: they differ by the float32 rounding of the kernel, not by design
    assert np.max(np.abs(single - double)) < 1e-4


def test_inference_resamples_like_the_training_loader():
    # An untrained residual U-Net is the identity, so what `thesis denoise` returns for a
    # recording at another rate is exactly its resampling to the model's rate and back.
    from scipy.signal import resample_poly

    from thesis_lib.denoise.inference import Denoiser
    from thesis_lib.denoise.unet import UNet1d

    x = tone(440.0, 0.5, 22050) + 0.1 * tone(3000.0, 0.5, 22050)
    den = Denoiser(model=UNet1d(depth=2, width=4), sample_rate=16000, chunk_seconds=0.1)
    out = den(x, 22050)
    x = x.astype(np.float64)
    loader_route = resample(resample(x, 22050, 16000), 16000, 22050)[:x.size]
    assert np.max(np.abs(out - loader_route)) < 1e-5          # float32 chunks, same filter
    polyphase = resample_poly(resample_poly(x, 320, 441), 441, 320)[:x.size]
    assert np.max(np.abs(out - polyphase)) > 1e-3             # another filter would show


@pytest.mark.parametrize("rates", [(0, 44100), (48000, -1)])
def test_resampler_refuses_non_positive_rates(rates):
    with pytest.raises(ValueError, match="sample rate must be a positive number of Hz"):
        Resampler(*rates)

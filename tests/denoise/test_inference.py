"""Overlap-add inference: exactness for pointwise maps, seams, any length/rate/channels."""

import numpy as np
import pytest
import soundfile as sf
import torch

from thesis_lib.denoise.checkpoint import save_checkpoint
from thesis_lib.denoise.inference import Denoiser, crossfade_weights, denoise_file, overlap_add
from thesis_lib.denoise.unet import UNet1d

torch.set_num_threads(1)


@pytest.mark.parametrize("n", [1, 50, 255, 256, 257, 1000, 4099])
def test_pointwise_map_is_reproduced_exactly_for_any_length(n):
    x = np.random.default_rng(n).standard_normal(n)
    np.testing.assert_allclose(overlap_add(lambda b: np.tanh(b), x, 256, 64), np.tanh(x), atol=1e-6)


def test_crossfade_of_chunkwise_offsets_has_no_jump():
    # each chunk adds its own constant; the crossfade must blend them without a step
    calls = []

    def offset(batch):
        calls.append(len(calls))
        return batch + len(calls)

    out = overlap_add(offset, np.zeros(2000), 400, 100)
    assert np.max(np.abs(np.diff(out))) < 0.05  # ramps of 100 samples, offsets differ by 1
    assert out[0] == pytest.approx(1.0) and out[-1] == pytest.approx(len(calls))


def test_ramps_sum_to_one():
    w = crossfade_weights(100, 30, True, True)
    np.testing.assert_allclose(w[:30] + w[70:], 1.0)


def _identity_denoiser(rate=8000):
    # an untrained residual U-Net has a zero output layer: exactly the identity map
    return Denoiser(model=UNet1d(depth=2, width=4), sample_rate=rate, chunk_seconds=0.05,
                    overlap_seconds=0.01)


@pytest.mark.parametrize("shape,rate", [((3001,), 8000), ((2777, 2), 8000), ((4410,), 44100)])
def test_identity_network_returns_input_at_input_rate_and_shape(shape, rate):
    t = np.arange(shape[0]) / rate
    audio = np.sin(2 * np.pi * 300 * t)
    if len(shape) == 2:
        audio = np.stack([audio, 0.5 * audio], axis=1)
    den = _identity_denoiser()
    out = den(audio, rate)
    assert out.shape == audio.shape
    if rate == 8000:
        np.testing.assert_allclose(out, audio, atol=1e-5)
    else:  # resampled to 8 kHz and back: a 300 Hz tone survives, away from the edges
        np.testing.assert_allclose(out[200:-200], audio[200:-200], atol=2e-2)


def test_denoise_file_keeps_rate_length_channels(tmp_path):
    net = UNet1d(depth=2, width=4)
    ckpt = save_checkpoint(tmp_path / "m.pt", {"model_config": net.config.to_dict(),
                                                "state_dict": net.state_dict(),
                                                "train_config": {"sample_rate": 16000}})
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, (12345, 2))
    sf.write(tmp_path / "in.wav", audio, 22050)
    out = denoise_file(tmp_path / "in.wav", tmp_path / "out.wav", checkpoint=ckpt, progress=False)
    data, rate = sf.read(out)
    assert rate == 22050 and data.shape == audio.shape


def test_missing_release_checkpoint_says_how_to_get_one(tmp_path, monkeypatch):
    from thesis_lib.denoise import checkpoint as ck
    release = tmp_path / "models" / "unet_release.pt"
    monkeypatch.setattr(ck, "RELEASE_CHECKPOINT", release)
    sf.write(tmp_path / "in.wav", np.zeros(100) + 0.1, 8000)
    with pytest.raises(FileNotFoundError, match="thesis train"):
        denoise_file(tmp_path / "in.wav", tmp_path / "o.wav", checkpoint=release)
    assert not (tmp_path / "o.wav").exists()


def test_bad_audio_is_rejected(tmp_path):
    den = _identity_denoiser()
    with pytest.raises(ValueError, match="NaN"):
        den(np.array([0.0, np.nan, 1.0]), 8000)
    (tmp_path / "bad.wav").write_text("not audio")
    with pytest.raises(ValueError, match="cannot read"):
        denoise_file(tmp_path / "bad.wav", tmp_path / "o.wav", checkpoint=tmp_path / "x.pt")


def test_chunk_defaults_to_training_crop_length():
    net = UNet1d(depth=2, width=4)
    den = Denoiser(model=net, train_config={"segment_length": 1000, "sample_rate": 8000})
    assert (den.chunk, den.overlap, den.sample_rate) == (1000, 125, 8000)
    whole = Denoiser(model=net, train_config={"segment_length": None, "sample_rate": 44100})
    assert whole.chunk == 5 * 44100


@pytest.mark.parametrize("n,chunk,overlap", [(1000, 400, 100), (1001, 400, 100), (4097, 512, 64),
                                             (399, 400, 100), (400, 400, 0)])
def test_chunks_are_full_length_cover_the_signal_and_overlap_enough(n, chunk, overlap):
    from thesis_lib.denoise.inference import chunk_starts
    starts = chunk_starts(n, chunk, overlap)
    length = min(n, chunk)
    assert starts[0] == 0 and starts[-1] + length == n
    # overlap ≥ requested; neighbouring starts: the shifted copy is one shorter (strict=False)
    assert all(b - a <= chunk - overlap for a, b in zip(starts, starts[1:], strict=False))
    # the fewest chunks: one less could not cover n with that overlap
    assert len(starts) == 1 or (len(starts) - 2) * (chunk - overlap) + chunk < n


def test_network_only_sees_real_signal_never_zero_padding():
    # the last chunk used to be zero-padded, which changes a GroupNorm net's statistics
    x = np.random.default_rng(3).standard_normal(1234)
    seen = []

    def record(batch):
        seen.extend(batch)
        return batch

    overlap_add(record, x, 500, 60, batch_size=2)
    assert all(len(c) == 500 for c in seen)
    windows = np.lib.stride_tricks.sliding_window_view(x, 500)
    assert all(np.any(np.all(np.isclose(windows, c, atol=1e-6), axis=1)) for c in seen)


def test_batching_chunks_does_not_change_a_unet_output():
    torch.manual_seed(0)
    net = UNet1d(depth=3, width=4)
    torch.nn.init.normal_(net.head.weight, std=0.1)
    x = np.random.default_rng(5).standard_normal(5000) * 0.3
    one = Denoiser(model=net, sample_rate=8000, chunk_seconds=0.1, batch_size=1)(x, 8000)
    many = Denoiser(model=net, sample_rate=8000, chunk_seconds=0.1, batch_size=7)(x, 8000)
    np.testing.assert_allclose(many, one, rtol=1e-4, atol=1e-6 * np.abs(one).max())


def test_channels_last_default_matches_the_conv1d_network():
    # the fast CPU path must give the network's own output (float32 rounding aside)
    torch.manual_seed(1)
    net = UNet1d(depth=4, width=8, max_width=32, level_equivariant=True)
    torch.nn.init.normal_(net.head.weight, std=0.1)
    x = np.random.default_rng(2).standard_normal(9000) * 0.2
    slow = Denoiser(model=net, sample_rate=8000, chunk_seconds=0.25, channels_last=False,
                    batch_size=1)
    fast = Denoiser(model=net, sample_rate=8000, chunk_seconds=0.25)
    assert fast.runner is not fast.model and slow.runner is slow.model
    a, b = slow(x, 8000), fast(x, 8000)
    assert np.max(np.abs(b - a)) <= 1e-4 * np.max(np.abs(a))


def test_chunks_per_call_follow_the_activation_budget():
    from thesis_lib.denoise.inference import ACTIVATION_BUDGET
    quick = Denoiser(model=UNet1d(depth=2, width=8), train_config={"segment_length": 32768})
    wide = Denoiser(model=UNet1d(depth=2, width=32), train_config={"segment_length": 65536})
    assert ACTIVATION_BUDGET == 2 ** 20
    assert (quick.batch_size, wide.batch_size) == (4, 1)
    assert Denoiser(model=UNet1d(depth=2, width=8), batch_size=3).batch_size == 3


@pytest.mark.parametrize("samples, rate", [(5000, 8000), (399, 8000), (11_025, 44_100)])
def test_warm_up_runs_exactly_the_batch_shapes_of_a_whole_call(samples, rate):
    # the warm-up must trace every shape the timed call will use (else tracing is timed):
    # 5000 samples in 0.1-s chunks at 3 per call end in a partial batch, 399 samples are
    # one short chunk, and 44.1 kHz audio is first resampled to the model's 8 kHz
    den = Denoiser(model=UNet1d(depth=2, width=4), sample_rate=8000, chunk_seconds=0.1,
                   batch_size=3)
    shapes, run = [], den._run

    def record(batch):
        shapes.append(batch.shape)
        return run(batch)

    den._run = record
    den.warm_up(samples, rate)
    warmed, shapes[:] = set(shapes), []
    den(np.random.default_rng(0).uniform(-0.5, 0.5, samples), rate)
    assert warmed == set(shapes)

"""Release network: lengths, locality, MAC count, files (shared checks: test_architectures)."""

import numpy as np
import pytest
import torch

from thesis_lib.denoise.checkpoint import load_denoiser, save_checkpoint
from thesis_lib.denoise.inference import Denoiser
from thesis_lib.denoise.release_net import (
    ReleaseNet,
    ReleaseNetConfig,
    is_release_config,
    macs_per_second,
)

from .conftest import SMALL_RELEASE as SMALL
from .conftest import perturbed


def _perturbed(seed: int = 0) -> ReleaseNet:
    return perturbed(ReleaseNet, SMALL, seed)


@pytest.mark.parametrize("length", [1, 7, 64, 1001, 4096])
def test_output_has_the_input_length(length):
    net = _perturbed()
    with torch.inference_mode():
        assert net(torch.randn(2, 1, length)).shape == (2, 1, length)


def test_output_depends_only_on_nearby_samples():
    # no normalisation across time: changing the far end of a long input leaves the
    # start unchanged, except through the input's RMS, which is held fixed here
    net = _perturbed(2)
    y = torch.randn(1, 1, 8192)
    z = y.clone()
    z[..., -1024:] = torch.flip(y[..., -1024:], dims=[-1])  # same RMS, different samples
    with torch.inference_mode():
        a, b = net(y), net(z)
    torch.testing.assert_close(a[..., :4096], b[..., :4096], rtol=0, atol=1e-6)
    assert (a[..., -512:] - b[..., -512:]).abs().max() > 1e-3


def test_frozen_runner_matches_the_eager_network():
    net = _perturbed(3)
    audio = np.random.default_rng(3).uniform(-0.5, 0.5, 9000)
    kw = dict(model=net, sample_rate=16_000,
              train_config={"sample_rate": 16_000, "segment_length": 2048})
    fast = Denoiser(**kw)(audio, 16_000)
    eager = Denoiser(**kw, channels_last=False)(audio, 16_000)
    np.testing.assert_allclose(fast, eager, atol=1e-5)
    assert np.max(np.abs(fast - audio)) > 1e-3  # the perturbed net is not the identity


def test_mac_count_of_a_single_level_network_is_known():
    net = ReleaseNet(stride=8, widths=(8,), blocks=(1,), bottleneck_dilations=(), kernel=5,
                     expansion=2)
    frames = 100  # per 800 samples
    front = 800 * 8 * 2  # 8 channels × 16 taps at 1/8 of the rate
    block = frames * 8 * 5 + 2 * frames * 8 * 16  # depthwise + two pointwise layers
    back = frames * 8 * 16
    assert macs_per_second(net, rate=800) == front + block + back


def test_checkpoint_round_trip_builds_the_release_net(tmp_path):
    net = _perturbed(4)
    path = save_checkpoint(tmp_path / "r.pt", {"model_config": net.config.to_dict(),
                                               "state_dict": net.state_dict(),
                                               "train_config": {"sample_rate": 16_000}})
    model, meta = load_denoiser(path)
    assert isinstance(model, ReleaseNet) and is_release_config(meta["model_config"])
    y = torch.randn(1, 1, 3000)
    with torch.inference_mode():
        torch.testing.assert_close(model(y), net(y))


def test_invalid_shape_is_refused_with_the_field_named():
    with pytest.raises(ValueError, match="stride=6"):
        ReleaseNetConfig(stride=6)
    with pytest.raises(ValueError, match="one block count per level"):
        ReleaseNetConfig(widths=(8, 16), blocks=(1,))


def test_denoise_file_restores_a_stereo_wav_with_a_release_checkpoint(tmp_path):
    import soundfile as sf

    from thesis_lib.denoise.inference import denoise_file

    net = _perturbed(5)
    ckpt = save_checkpoint(tmp_path / "r.pt", {"model_config": net.config.to_dict(),
                                               "state_dict": net.state_dict(),
                                               "train_config": {"sample_rate": 16_000,
                                                                "segment_length": 4096}})
    audio = np.random.default_rng(5).uniform(-0.3, 0.3, (12_345, 2))
    sf.write(tmp_path / "in.wav", audio, 22_050, subtype="FLOAT")
    out = denoise_file(tmp_path / "in.wav", tmp_path / "out.wav", checkpoint=ckpt,
                       progress=False)
    restored, rate = sf.read(out)
    assert rate == 22_050 and restored.shape == audio.shape
    assert np.all(np.isfinite(restored))
    assert np.max(np.abs(restored - audio)) > 1e-3  # the perturbed network changed it

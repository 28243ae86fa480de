"""What the denoiser architectures share: identity at start, level equivariance, MAC counts.

Each test runs over the architectures (the waveform release network and the
spectral network, and for the operation count also the thesis U-Net), so a
shared path is checked the same way for each.
"""

import numpy as np
import pytest
import torch
from torch import nn

from thesis_lib.denoise import release_net, spectral_net
from thesis_lib.denoise.checkpoint import macs_per_second
from thesis_lib.denoise.inference import Denoiser
from thesis_lib.denoise.release_net import ReleaseNet
from thesis_lib.denoise.spectral_net import SpectralNet
from thesis_lib.denoise.unet import UNet1d

from .conftest import SMALL_RELEASE, SMALL_SPECTRAL, perturbed

# (architecture, small shape, tolerance). Measured over seeds 0-3: the release net returns
# its input to 1.5e-8 (float32 rounding of the input), the spectral net to 1.6e-7 (a float32
# STFT round trip); each tolerance keeps a margin of over 50 for other BLAS/FFT builds
ARCHITECTURES = [
    pytest.param(ReleaseNet, SMALL_RELEASE, 1e-6, id="release_net"),
    pytest.param(SpectralNet, SMALL_SPECTRAL, 1e-5, id="spectral_net"),
]


@pytest.mark.parametrize("architecture, shape, atol", ARCHITECTURES)
def test_fresh_network_is_the_identity_through_overlap_add(architecture, shape, atol):
    # stereo and 20 011 samples, a multiple of no segment, stride or hop: the last
    # window is partial and both channels go through the network
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, size=(20_011, 2))
    den = Denoiser(model=architecture(**shape), sample_rate=16_000,
                   train_config={"sample_rate": 16_000, "segment_length": 4096})
    out = den(audio, 16_000)
    assert out.shape == audio.shape
    np.testing.assert_allclose(out, audio, rtol=0, atol=atol)


@pytest.mark.parametrize("architecture, shape", [
    pytest.param(ReleaseNet, SMALL_RELEASE, id="release_net"),
    pytest.param(SpectralNet, SMALL_SPECTRAL, id="spectral_net"),
])
def test_scaling_the_input_scales_the_output(architecture, shape):
    # no level-dependent step anywhere (normalisation by the input's RMS): f(10 y) = 10 f(y)
    # up to float32 rounding, at most 5.6e-7 of the output's peak over seeds 0-3
    net = perturbed(architecture, shape, seed=1)
    y = torch.randn(1, 1, 4096, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        a, b = net(y), net(10.0 * y)
    assert (b - 10.0 * a).abs().max() <= 1e-5 * (10.0 * a).abs().max()
    assert (a - y).abs().max() > 0.1  # the perturbed net is not the identity (≥ 0.45 measured)


def test_mac_count_of_a_small_thesis_unet_is_known():
    # depth 1, width 2, at 800 samples per second; MACs per sample of each Conv1d
    # (in · out · kernel): full rate 1·2·3 + 2·2·3 (encoder), 4·2·3 (reduce),
    # 4·2·3 + 2·2·3 (decoder), 2·1·1 (head) = 80; half rate 2·4·3 + 4·4·3 = 72 (bottleneck)
    assert macs_per_second(UNet1d(depth=1, width=2), 800) == 800 * 80 + 400 * 72


@pytest.mark.parametrize("architecture, shape, counter", [
    pytest.param(ReleaseNet, SMALL_RELEASE, release_net.macs_per_second, id="release_net"),
    pytest.param(SpectralNet, SMALL_SPECTRAL, spectral_net.macs_per_second, id="spectral_net"),
])
def test_mac_count_dispatches_to_the_architecture_s_own_counter(architecture, shape, counter):
    net = architecture(**shape)
    assert macs_per_second(net, 16_000) == counter(net, 16_000) > 0


def test_mac_count_of_an_unknown_network_is_refused():
    with pytest.raises(ValueError, match="no multiply-accumulate count for a Linear"):
        macs_per_second(nn.Linear(2, 2))

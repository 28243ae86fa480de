"""What every denoiser architecture shares: the identity at start, one MAC-count interface.

Each test runs over the architectures (the waveform release network and the
spectral network, and for the operation count also the thesis U-Net), so a
shared path is checked the same way for each.
"""

import numpy as np
import pytest
from torch import nn

from thesis_lib.denoise import release_net, spectral_net
from thesis_lib.denoise.checkpoint import macs_per_second
from thesis_lib.denoise.inference import Denoiser
from thesis_lib.denoise.release_net import ReleaseNet
from thesis_lib.denoise.spectral_net import SpectralNet
from thesis_lib.denoise.unet import UNet1d

# (architecture, small shape, tolerance). Measured over seeds 0-3: the release net returns
# its input to 1.5e-8 (float32 rounding of the input), the spectral net to 1.6e-7 (a float32
# STFT round trip); each tolerance keeps a margin of over 50 for other BLAS/FFT builds
ARCHITECTURES = [
    pytest.param(ReleaseNet, dict(stride=4, widths=(8, 16), blocks=(1, 0),
                                  bottleneck_dilations=(1, 2)), 1e-6, id="release_net"),
    pytest.param(SpectralNet, dict(n_fft=256, hop=64, width=16, dilations=(1, 2)), 1e-5,
                 id="spectral_net"),
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


def test_mac_count_of_a_small_thesis_unet_is_known():
    # depth 1, width 2, at 800 samples per second; MACs per sample of each Conv1d
    # (in · out · kernel): full rate 1·2·3 + 2·2·3 (encoder), 4·2·3 (reduce),
    # 4·2·3 + 2·2·3 (decoder), 2·1·1 (head) = 80; half rate 2·4·3 + 4·4·3 = 72 (bottleneck)
    assert macs_per_second(UNet1d(depth=1, width=2), 800) == 800 * 80 + 400 * 72


@pytest.mark.parametrize("architecture, shape, counter", [
    pytest.param(ReleaseNet, dict(stride=4, widths=(8, 16), blocks=(1, 0),
                                  bottleneck_dilations=(1, 2)), release_net.macs_per_second,
                 id="release_net"),
    pytest.param(SpectralNet, dict(n_fft=256, hop=64, width=16, dilations=(1, 2)),
                 spectral_net.macs_per_second, id="spectral_net"),
])
def test_mac_count_dispatches_to_the_architecture_s_own_counter(architecture, shape, counter):
    net = architecture(**shape)
    assert macs_per_second(net, 16_000) == counter(net, 16_000) > 0


def test_mac_count_of_an_unknown_network_is_refused():
    with pytest.raises(ValueError, match="no multiply-accumulate count for a Linear"):
        macs_per_second(nn.Linear(2, 2))

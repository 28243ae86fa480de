"""Every released architecture starts as the identity, also through the Denoiser's overlap-add.

One test over both architectures (the release U-Net and the spectral network), so
the overlap-add path is checked the same way for each.
"""

import numpy as np
import pytest

from thesis_lib.denoise.inference import Denoiser
from thesis_lib.denoise.release_net import ReleaseNet
from thesis_lib.denoise.spectral_net import SpectralNet

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

"""Shared pieces of the denoiser tests: small release networks, fresh or perturbed."""

import torch

#: Small shapes of the two release architectures, quick enough for unit tests.
SMALL_RELEASE = dict(stride=4, widths=(8, 16), blocks=(1, 0), bottleneck_dilations=(1, 2))
SMALL_SPECTRAL = dict(n_fft=256, hop=64, width=16, dilations=(1, 2))


def perturbed(architecture, shape: dict, seed: int = 0):
    """A network whose zero-initialised layers get random weights (so it is not the identity)."""
    torch.manual_seed(seed)
    net = architecture(**shape).eval()
    with torch.no_grad():
        for p in net.parameters():
            if not p.any():
                p.normal_(0.0, 0.05)
    return net

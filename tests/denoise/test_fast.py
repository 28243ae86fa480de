"""Channels-last 2-D execution of the U-Net equals the Conv1d network."""

import pytest
import torch

from thesis_lib.denoise.fast import ChannelsLastUNet
from thesis_lib.denoise.unet import UNet1d

torch.set_num_threads(1)


@pytest.mark.parametrize("kwargs,length", [({"depth": 3, "width": 4}, 1001),
                                           ({"depth": 4, "width": 8, "max_width": 16,
                                             "upsample_mode": "nearest"}, 4096),
                                           ({"depth": 2, "width": 4, "residual": False,
                                             "level_equivariant": True}, 37)])
def test_same_output_as_the_conv1d_network(kwargs, length):
    torch.manual_seed(0)
    net = UNet1d(**kwargs)
    for p in net.parameters():  # every weight, the norms' affine terms included, non-trivial
        torch.nn.init.normal_(p, std=0.3)
    y = torch.randn(3, 1, length)
    with torch.inference_mode():
        ref, out = net(y), ChannelsLastUNet(net)(y)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4 * float(ref.abs().max()))


def test_weights_are_a_copy():
    net = UNet1d(depth=2, width=4)
    fast = ChannelsLastUNet(net)
    with torch.no_grad():
        net.head.weight.fill_(1.0)
    y = torch.randn(1, 1, 64)
    with torch.inference_mode():
        assert torch.equal(fast(y), y)  # still the zero head it was built from


def test_bad_shape_is_rejected():
    with pytest.raises(ValueError, match="batch, 1, time"):
        ChannelsLastUNet(UNet1d(depth=2, width=4))(torch.randn(2, 100))


def test_frozen_runner_retraces_for_each_shape():
    # a trace bakes in the padding of its input length; another length must not reuse it
    from thesis_lib.denoise.fast import FrozenRunner
    torch.manual_seed(2)
    net = UNet1d(depth=3, width=4, level_equivariant=True)
    torch.nn.init.normal_(net.head.weight, std=0.2)
    fast = ChannelsLastUNet(net)
    run = FrozenRunner(fast)
    with torch.inference_mode():
        for length in (800, 803, 800, 17):
            y = torch.randn(2, 1, length)
            torch.testing.assert_close(run(y), net(y), rtol=1e-4, atol=1e-5)
    assert sorted(run.traces) == [(2, 1, 17), (2, 1, 800), (2, 1, 803)]

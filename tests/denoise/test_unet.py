"""U-Net shape handling, residual identity at start, and capacity to fit a pair."""

import pytest
import torch

from thesis_lib.denoise.loss import AuralLoss
from thesis_lib.denoise.unet import UNet1d, UNetConfig, crop_to_length, pad_to_multiple

torch.set_num_threads(1)


@pytest.mark.parametrize("length", [1, 7, 255, 1001, 4097])
def test_output_length_equals_input_length(length):
    net = UNet1d(depth=4, width=4)
    with torch.no_grad():
        head = net.head
        torch.nn.init.normal_(head.weight, std=0.1)  # a non-trivial residual
        out = net(torch.randn(2, 1, length))
    assert out.shape == (2, 1, length)


@pytest.mark.parametrize("length,multiple", [(13, 8), (16, 8), (1, 32), (100, 1)])
def test_pad_then_crop_roundtrip(length, multiple):
    x = torch.randn(1, 1, length)
    padded, n = pad_to_multiple(x, multiple)
    assert padded.shape[-1] % multiple == 0 and padded.shape[-1] - length < multiple
    assert torch.equal(crop_to_length(padded, n), x)


def test_untrained_residual_net_is_identity_and_plain_net_is_zero():
    y = torch.randn(1, 1, 500)
    assert torch.equal(UNet1d(depth=2, width=4)(y), y)
    assert torch.count_nonzero(UNet1d(depth=2, width=4, residual=False)(y)) == 0


def test_channels_double_per_level_up_to_cap():
    cfg = UNetConfig(depth=5, width=16, max_width=64)
    assert [cfg.channels(i) for i in range(6)] == [16, 32, 64, 64, 64, 64]


def test_groupnorm_is_affine_and_pooling_halves():
    net = UNet1d(depth=3, width=8)
    norms = [m for m in net.modules() if isinstance(m, torch.nn.GroupNorm)]
    assert norms and all(m.affine for m in norms)
    assert net.multiple == 8


def test_prediction_does_not_leak_across_the_batch():
    net = UNet1d(depth=3, width=4)
    torch.nn.init.normal_(net.head.weight, std=0.1)
    a, b = torch.randn(1, 1, 300), torch.randn(1, 1, 300)
    with torch.no_grad():
        both = net(torch.cat([a, b]))
        assert torch.allclose(both[0:1], net(a), atol=1e-6)


def test_bad_shape_is_rejected():
    with pytest.raises(ValueError, match="mix to mono"):
        UNet1d(depth=2, width=4)(torch.randn(1, 2, 100))


@pytest.mark.slow
def test_overfits_one_pair():
    # One fixed (degraded, clean) pair: a network with enough capacity must memorise it.
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    t = torch.arange(1024) / 8000
    clean = 0.3 * torch.randn(1, 1, 1024, generator=g) + 0.3 * torch.sin(2 * torch.pi * 300 * t)
    degraded = 0.7 * clean + 0.1 * torch.randn(1, 1, 1024, generator=g)
    net = UNet1d(depth=3, width=16)
    loss_fn = AuralLoss(resolutions=((128, 32, 128), (256, 64, 256), (64, 16, 64)))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    start = float(loss_fn(degraded, clean))
    for _ in range(200):
        opt.zero_grad()
        loss = loss_fn(net(degraded), clean)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)  # as in training (§4.5)
        opt.step()
    with torch.no_grad():
        final = float(loss_fn(net(degraded), clean))
        err = float((net(degraded) - clean).abs().mean())
    # 200 Adam steps are chaotic in rounding: another CPU, BLAS or thread count ends elsewhere.
    # Measured over init seeds 0-6 (1 thread) and 2 threads: final/start 0.25-0.37, error
    # ratio 0.28-0.41. The bounds leave a margin of about 0.13 above the worst run and stay far
    # below what no memorisation gives: undoing the 0.7 gain alone leaves the error ratio ~0.97.
    assert final < 0.5 * start
    assert err < 0.55 * float((degraded - clean).abs().mean())


def _random_head(net):
    torch.nn.init.normal_(net.head.weight, std=0.1)
    torch.nn.init.normal_(net.head.bias, std=0.1)
    return net


def test_level_equivariant_net_scales_with_its_input():
    # r(c·y) = c·r(y): a quiet copy of a passage gets a proportionally quiet correction
    torch.manual_seed(0)
    net = _random_head(UNet1d(depth=3, width=4, level_equivariant=True)).eval()
    y = torch.randn(2, 1, 777)
    with torch.no_grad():
        for c in (1e-3, 0.05, 7.0):
            torch.testing.assert_close(net(c * y), c * net(y), rtol=1e-4, atol=1e-6)
        # digital silence stays (nearly) silent: its correction is scaled by the 1e-6 level floor
        assert float(net(torch.zeros(1, 1, 256)).abs().max()) < 1e-5


def test_plain_groupnorm_net_gives_quiet_input_a_loud_correction():
    # the failure level_equivariant removes: GroupNorm discards the input level
    torch.manual_seed(0)
    net = _random_head(UNet1d(depth=3, width=4)).eval()
    y = torch.randn(1, 1, 777)
    with torch.no_grad():
        loud = (net(y) - y).pow(2).mean().sqrt()
        quiet = (net(1e-3 * y) - 1e-3 * y).pow(2).mean().sqrt()
    assert float(quiet) > 0.1 * float(loud)  # far above the 1e-3 that equivariance would give


def test_level_equivariance_keeps_the_thesis_default_off():
    assert UNetConfig().level_equivariant is False
    # a stored config without the field (e.g. the release checkpoint) loads as the thesis net
    stored = {k: v for k, v in UNetConfig().to_dict().items() if k != "level_equivariant"}
    assert UNetConfig(**stored).level_equivariant is False

"""CPU inference of a :class:`~thesis_lib.denoise.unet.UNet1d` as a channels-last 2-D network.

oneDNN, the library behind PyTorch's CPU convolutions, is markedly faster on
``(batch, channels, 1, time)`` tensors stored channels-last (``NHWC``: the
channels of one time step adjacent in memory) than on the ``(batch, channels,
time)`` layout of ``Conv1d``: ``benchmarks/denoise.py`` measures the whole
network both ways. :class:`ChannelsLastUNet` runs the same weights that way:
every ``Conv1d(k)`` becomes a ``Conv2d((1, k))`` view of the same kernel, the
pooling a ``(1, 2)`` max-pool, the linear upsampling a bilinear one whose height
stays 1 (with ``align_corners=False`` and a height scale of one it interpolates
along time only, exactly as the 1-D version), and GroupNorm / LeakyReLU act
elementwise or per group as before. The output equals the 1-D network's up to
float32 rounding (tested).

:class:`FrozenRunner` goes one step further for repeated calls with the same
input shape (overlap-add inference): it traces the network once per shape and
freezes the trace (``torch.jit.freeze``), which lets the JIT fold the weights
into constants and prepack them for oneDNN; ``benchmarks/denoise.py`` measures
what that buys.

References
----------
.. [1] oneDNN developer guide, "Understanding memory formats"
   (https://oneapi-src.github.io/oneDNN/dev_guide_understanding_memory_formats.html).
.. [2] PyTorch documentation, ``torch.jit.freeze``.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .unet import ConvBlock, UNet1d, UpBlock, crop_to_length, pad_to_multiple

_CL = torch.channels_last


def _conv2d(conv: nn.Conv1d) -> nn.Conv2d:
    """A ``Conv2d`` with kernel ``(1, k)`` holding ``conv``'s weights, stored channels-last."""
    out = nn.Conv2d(conv.in_channels, conv.out_channels, (1, conv.kernel_size[0]),
                    padding=(0, conv.padding[0]), bias=conv.bias is not None)
    with torch.no_grad():
        out.weight.copy_(conv.weight.detach()[:, :, None, :])
        if conv.bias is not None:
            out.bias.copy_(conv.bias.detach())
    return out.to(memory_format=_CL)


def _block(block: ConvBlock) -> nn.Sequential:
    layers = []
    for layer in block:
        layers.append(_conv2d(layer) if isinstance(layer, nn.Conv1d) else layer)
    return nn.Sequential(*layers)


class _Up(nn.Module):
    def __init__(self, up: UpBlock):
        super().__init__()
        self.mode = up.mode
        self.reduce = _conv2d(up.reduce)
        self.block = _block(up.block)

    def forward(self, x, skip):
        if self.mode == "linear":
            x = F.interpolate(x, size=(1, skip.shape[-1]), mode="bilinear", align_corners=False)
        else:
            x = F.interpolate(x, size=(1, skip.shape[-1]), mode="nearest")
        x = torch.cat([self.reduce(x), skip], dim=1).contiguous(memory_format=_CL)
        return self.block(x)


class ChannelsLastUNet(nn.Module):
    """Inference copy of a :class:`UNet1d` that computes in channels-last 2-D.

    Parameters
    ----------
    net : UNet1d
        The trained network; its weights are copied (later changes to ``net`` are
        not seen).

    Examples
    --------
    >>> net = UNet1d(depth=3, width=4, level_equivariant=True)
    >>> _ = torch.nn.init.normal_(net.head.weight, std=0.1)
    >>> y = torch.randn(2, 1, 999)
    >>> with torch.inference_mode():
    ...     same = torch.allclose(ChannelsLastUNet(net)(y), net(y), rtol=1e-4, atol=1e-5)
    >>> same
    True
    """

    def __init__(self, net: UNet1d):
        super().__init__()
        self.config = net.config
        self.multiple = net.multiple
        self.encoders = nn.ModuleList(_block(e) for e in net.encoders)
        self.bottleneck = _block(net.bottleneck)
        self.decoders = nn.ModuleList(_Up(d) for d in net.decoders)
        self.head = _conv2d(net.head)
        self.eval()

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if y.ndim != 3 or y.shape[1] != 1:
            raise ValueError(f"expected a (batch, 1, time) tensor, got shape {tuple(y.shape)}")
        level = None
        if self.config.level_equivariant:
            level = y.pow(2).mean(dim=-1, keepdim=True).sqrt().clamp_min(1e-6)
        padded, length = pad_to_multiple(y if level is None else y / level, self.multiple)
        h = padded[:, :, None, :].contiguous(memory_format=_CL)
        skips = []
        for encoder in self.encoders:
            h = encoder(h)
            skips.append(h)
            h = F.max_pool2d(h, (1, 2))
        h = self.bottleneck(h)
        for decoder, skip in zip(self.decoders, reversed(skips), strict=True):
            h = decoder(h, skip)
        correction = crop_to_length(self.head(h)[:, :, 0, :], length)
        if level is not None:
            correction = correction * level
        return y + correction if self.config.residual else correction


class FrozenRunner:
    """Call a module through frozen TorchScript traces, one per input shape.

    A trace records the Python-level decisions of one call (here the padding to
    a multiple of ``2**depth``), so it is only valid for inputs of the shape it
    was traced with; a new shape gets its own trace. Overlap-add inference
    meets two shapes (full batches and the last, smaller one).

    Parameters
    ----------
    module : nn.Module
        The network in eval mode; it is not modified.

    Examples
    --------
    >>> net = ChannelsLastUNet(UNet1d(depth=2, width=4, level_equivariant=True))
    >>> run = FrozenRunner(net)
    >>> y = torch.randn(2, 1, 300)
    >>> bool(torch.allclose(run(y), net(y), atol=1e-6)), len(run.traces)
    (True, 1)
    >>> _ = run(torch.randn(1, 1, 300)); len(run.traces)
    2
    """

    def __init__(self, module: nn.Module):
        self.module = module.eval()
        self.traces = {}

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        key = tuple(y.shape)
        if key not in self.traces:
            with torch.no_grad(), warnings.catch_warnings():
                # the tracer warns that Python values become constants: intended here
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                self.traces[key] = torch.jit.freeze(torch.jit.trace(self.module, y))
        with torch.no_grad():
            return self.traces[key](y)

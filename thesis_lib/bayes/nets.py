"""Small 1-D U-Nets shared by the surrogate likelihood and the diffusion prior.

Both models are waveform-to-waveform maps at one internal rate (Terna 2026, §7.2:
eq. 7.30 for the surrogate, the multi-scale U-Net of the prior). They are kept
small (tens of thousands of parameters) so that they train on a CPU in minutes.

The blocks have no normalisation layer on purpose: the emulator's hysteresis and
noise depend on the absolute level of the drive, so a likelihood network must see
that level, and a diffusion prior must know the noise level of its input, which a
GroupNorm over time would divide out.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of diffusion times ``t`` (any real values), shape ``(batch, dim)``.

    Examples
    --------
    >>> timestep_embedding(torch.tensor([0.0, 10.0]), 8).shape
    torch.Size([2, 8])
    """
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    """Two convolutions with SiLU, an optional additive time embedding and a 1×1 skip."""

    def __init__(self, c_in: int, c_out: int, kernel: int, time_dim: int = 0):
        super().__init__()
        pad = kernel // 2
        self.conv1 = nn.Conv1d(c_in, c_out, kernel, padding=pad)
        self.conv2 = nn.Conv1d(c_out, c_out, kernel, padding=pad)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        self.time = nn.Linear(time_dim, c_out) if time_dim else None

    def forward(self, x, temb=None):
        h = F.silu(self.conv1(x))
        if self.time is not None:
            h = h + self.time(temb)[:, :, None]
        return self.skip(x) + self.conv2(h)


class TinyUNet(nn.Module):
    """Multi-scale 1-D U-Net ``(batch, in_channels, T) → (batch, width, T)`` feature map.

    Parameters
    ----------
    in_channels : int
        Input channels.
    width : int
        Channels of the finest level; each coarser level doubles them, up to ``max_width``.
    max_width : int
        Cap on the channels of any level (keeps the coarse levels cheap).
    depth : int
        Number of stride-2 levels (the time axis is padded to a multiple of ``2**depth``).
    kernel : int
        Convolution kernel length (odd).
    time_dim : int
        Size of the diffusion-time embedding (0: no time input).

    Examples
    --------
    >>> net = TinyUNet(width=4, depth=2)
    >>> net(torch.zeros(3, 1, 37)).shape
    torch.Size([3, 4, 37])
    """

    def __init__(self, *, in_channels: int = 1, width: int = 16, depth: int = 3,
                 kernel: int = 5, time_dim: int = 0, max_width: int = 64):
        super().__init__()
        if depth < 1 or width < 1 or kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"need depth ≥ 1, width ≥ 1 and an odd kernel; got depth={depth}, "
                             f"width={width}, kernel={kernel}")
        self.depth, self.time_dim = depth, time_dim
        if time_dim:
            self.time_mlp = nn.Sequential(nn.Linear(time_dim, 2 * time_dim), nn.SiLU(),
                                          nn.Linear(2 * time_dim, time_dim))
        chans = [min(width * 2 ** i, max(max_width, width)) for i in range(depth + 1)]
        self.inp = nn.Conv1d(in_channels, width, kernel, padding=kernel // 2)
        self.down = nn.ModuleList(ResBlock(chans[i], chans[i], kernel, time_dim)
                                  for i in range(depth))
        self.pool = nn.ModuleList(nn.Conv1d(chans[i], chans[i + 1], 4, stride=2, padding=1)
                                  for i in range(depth))
        self.mid = ResBlock(chans[depth], chans[depth], kernel, time_dim)
        self.up = nn.ModuleList(ResBlock(chans[i + 1] + chans[i], chans[i], kernel, time_dim)
                                for i in reversed(range(depth)))

    @property
    def multiple(self) -> int:
        return 2 ** self.depth

    def forward(self, x: torch.Tensor, t: torch.Tensor | None = None) -> torch.Tensor:
        temb = None
        if self.time_dim:
            if t is None:
                raise ValueError("this network takes a diffusion time t")
            temb = self.time_mlp(timestep_embedding(t.reshape(-1).expand(x.shape[0]),
                                                    self.time_dim))
        length = x.shape[-1]
        h = F.pad(x, (0, (-length) % self.multiple))
        h = self.inp(h)
        skips = []
        for block, pool in zip(self.down, self.pool, strict=True):
            h = block(h, temb)
            skips.append(h)
            h = pool(h)
        h = self.mid(h, temb)
        for block, skip in zip(self.up, reversed(skips), strict=True):
            h = F.interpolate(h, size=skip.shape[-1], mode="nearest")
            h = block(torch.cat([h, skip], dim=1), temb)
        return h[..., :length]


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)

"""Residual 1-D U-Net that maps a degraded mono waveform to a restored one.

Architecture (thesis §2.4): each encoder level is a block of two
``Conv1d(k=3, p=1)`` layers, each followed by an affine ``GroupNorm`` and a
``LeakyReLU``, then ``MaxPool1d(2)``. The decoder mirrors it: interpolation
upsampling by 2 followed by a ``Conv1d`` that halves the channels, concatenation
with the encoder activation of the same scale (skip connection), and another
two-convolution block. A final 1×1 convolution maps the features back to one
channel; the network predicts a residual so that ``x̂ = y + r_θ(y)``.

Because every level halves the time axis, the input length must be a multiple
of ``2**depth``; :func:`pad_to_multiple` / :func:`crop_to_length` do this, and
:class:`UNet1d` applies them itself so any length goes in and comes out.

References
----------
.. [1] O. Ronneberger, P. Fischer, T. Brox, "U-Net: Convolutional networks for
   biomedical image segmentation", MICCAI 2015.
.. [2] D. Stoller, S. Ewert, S. Dixon, "Wave-U-Net: a multi-scale neural network
   for end-to-end audio source separation", ISMIR 2018.
.. [3] L. Terna, MSc thesis, Politecnico di Torino, 2026, §2.4 and §4.4.
.. [4] A. Défossez, N. Usunier, L. Bottou, F. Bach, "Music source separation in
   the waveform domain", arXiv:1911.13254, 2019 (input standardised by its
   deviation, output rescaled by it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class UNetConfig:
    """Shape of a :class:`UNet1d`.

    Parameters
    ----------
    depth : int
        Number of pooling levels; the time axis shrinks by ``2**depth``.
    width : int
        Channels of the first level; each deeper level doubles them, up to
        ``max_width``.
    max_width : int
        Cap on the channel count of any level.
    groups : int
        GroupNorm groups (reduced to a divisor of the channel count if needed).
    negative_slope : float
        Slope of the LeakyReLU for negative inputs.
    upsample_mode : str
        ``torch.nn.functional.interpolate`` mode of the decoder ("linear" or "nearest").
    residual : bool
        Output ``y + r_θ(y)`` (thesis default) instead of ``r_θ(y)``.
    level_equivariant : bool
        Divide each input by its RMS before the network and multiply the
        correction by it afterwards, ``r_θ(y) = σ_y · g_θ(y / σ_y)`` (as Demucs
        does [4]_). Off in the thesis network. GroupNorm discards the input level,
        so without this the correction has the size the network learned for
        typical music whatever the input's level: a near-silent chunk of
        measurement noise receives a music-sized correction. With it, scaling
        the input scales the output by the same factor.
    """

    depth: int = 4
    width: int = 16
    max_width: int = 256
    groups: int = 8
    negative_slope: float = 0.2
    upsample_mode: str = "linear"
    residual: bool = True
    level_equivariant: bool = False

    def __post_init__(self):
        if self.depth < 1 or self.width < 1 or self.max_width < self.width:
            raise ValueError(f"invalid U-Net shape depth={self.depth} width={self.width} "
                             f"max_width={self.max_width}; need depth ≥ 1 and width ≤ max_width")
        if self.upsample_mode not in ("linear", "nearest"):
            raise ValueError("upsample_mode must be 'linear' or 'nearest', "
                             f"got {self.upsample_mode!r}")

    def channels(self, level: int) -> int:
        """Channel count of encoder ``level`` (0 = finest)."""
        return min(self.width * 2 ** level, self.max_width)

    def to_dict(self) -> dict:
        return asdict(self)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, int]:
    """Zero-pad the last axis of ``x`` on the right to a multiple of ``multiple``.

    Returns the padded tensor and the original length (for :func:`crop_to_length`).

    Examples
    --------
    >>> y, n = pad_to_multiple(torch.ones(1, 1, 13), 8)
    >>> y.shape[-1], n, float(y[..., 13:].abs().sum())
    (16, 13, 0.0)
    """
    if multiple < 1:
        raise ValueError(f"multiple must be positive, got {multiple}")
    length = x.shape[-1]
    extra = (-length) % multiple
    if extra:
        x = F.pad(x, (0, extra))
    return x, length


def crop_to_length(x: torch.Tensor, length: int) -> torch.Tensor:
    """Keep the first ``length`` samples of the last axis (undoes :func:`pad_to_multiple`).

    Examples
    --------
    >>> crop_to_length(torch.arange(6.0), 4).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    return x[..., :length]


def _group_count(channels: int, groups: int) -> int:
    # GroupNorm needs the channel count to be divisible by the group count.
    g = min(groups, channels)
    while channels % g:
        g -= 1
    return g


class ConvBlock(nn.Sequential):
    """Two ``Conv1d(k=3, p=1)`` → affine GroupNorm → LeakyReLU stages."""

    def __init__(self, in_channels: int, out_channels: int, groups: int, slope: float):
        layers = []
        for c_in in (in_channels, out_channels):
            layers += [nn.Conv1d(c_in, out_channels, kernel_size=3, padding=1),
                       nn.GroupNorm(_group_count(out_channels, groups), out_channels, affine=True),
                       nn.LeakyReLU(slope)]
        super().__init__(*layers)


class UpBlock(nn.Module):
    """Interpolate ×2, ``Conv1d`` to the skip's width, concatenate the skip, convolve."""

    def __init__(self, in_channels: int, skip_channels: int, groups: int, slope: float, mode: str):
        super().__init__()
        self.mode = mode
        self.reduce = nn.Conv1d(in_channels, skip_channels, kernel_size=3, padding=1)
        self.block = ConvBlock(2 * skip_channels, skip_channels, groups, slope)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        kwargs = {"align_corners": False} if self.mode == "linear" else {}
        x = F.interpolate(x, size=skip.shape[-1], mode=self.mode, **kwargs)
        return self.block(torch.cat([self.reduce(x), skip], dim=1))


class UNet1d(nn.Module):
    """Residual 1-D U-Net ``(batch, 1, T) → (batch, 1, T)`` for any ``T``.

    Parameters
    ----------
    config : UNetConfig, optional
        Depth, width and activation settings; keyword arguments override fields.

    Notes
    -----
    The 1×1 output convolution starts at zero, so an untrained residual network
    is the identity map ``x̂ = y``: training starts from the degraded input and
    can only learn to move away from it where that lowers the loss.

    Examples
    --------
    >>> net = UNet1d(depth=3, width=4)
    >>> y = torch.randn(2, 1, 1001)
    >>> out = net(y)
    >>> out.shape
    torch.Size([2, 1, 1001])
    >>> bool(torch.equal(out, y))  # identity at initialisation
    True
    """

    def __init__(self, config: UNetConfig | None = None, **overrides):
        super().__init__()
        if config is None:
            config = UNetConfig(**overrides)
        elif overrides:
            config = UNetConfig(**{**config.to_dict(), **overrides})
        self.config = config
        c = config
        self.encoders = nn.ModuleList()
        c_in = 1
        for level in range(c.depth):
            self.encoders.append(ConvBlock(c_in, c.channels(level), c.groups, c.negative_slope))
            c_in = c.channels(level)
        self.pool = nn.MaxPool1d(2)
        self.bottleneck = ConvBlock(c_in, c.channels(c.depth), c.groups, c.negative_slope)
        self.decoders = nn.ModuleList(
            UpBlock(c.channels(level + 1), c.channels(level), c.groups, c.negative_slope,
                    c.upsample_mode)
            for level in reversed(range(c.depth)))
        self.head = nn.Conv1d(c.channels(0), 1, kernel_size=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @property
    def multiple(self) -> int:
        """Length granularity of the internal feature maps, ``2**depth``."""
        return 2 ** self.config.depth

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if y.ndim != 3 or y.shape[1] != 1:
            raise ValueError(f"expected a (batch, 1, time) tensor, got shape {tuple(y.shape)}; "
                             "mix to mono and add the channel axis")
        level = None
        if self.config.level_equivariant:
            # the floor keeps digital silence finite: its correction is then ~0
            level = y.pow(2).mean(dim=-1, keepdim=True).sqrt().clamp_min(1e-6)
        padded, length = pad_to_multiple(y if level is None else y / level, self.multiple)
        h = padded
        skips = []
        for encoder in self.encoders:
            h = encoder(h)
            skips.append(h)
            h = self.pool(h)
        h = self.bottleneck(h)
        for decoder, skip in zip(self.decoders, reversed(skips), strict=True):
            h = decoder(h, skip)
        correction = crop_to_length(self.head(h), length)
        if level is not None:
            correction = correction * level
        return y + correction if self.config.residual else correction

    def count_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

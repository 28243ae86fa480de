"""The release denoiser: a small U-Net at 1/8 of the sample rate behind a learned front-end.

Why this shape. The degradation is mostly linear and time-invariant — the
beam's Gaussian low-pass — plus noise and the hysteresis's mild nonlinearity.
The best time-invariant linear filter already recovers most of what can be
recovered (:mod:`thesis_lib.denoise.oracle`); what remains is content- and
level-dependent. Nothing in that calls for full-rate feature maps, which is
where the thesis U-Net spends most of its 17 GMAC per audio second. So:

* a **learned strided front-end** ``Conv(1 → C, 2S taps, stride S)`` maps the
  waveform to ``C`` channels at ``1/S`` of the rate (a learned, redundant
  filterbank, as in Conv-TasNet), and a transposed convolution
  ``(C → 1, 2S taps, stride S)`` maps back; the pair alone is a learnable
  linear filter, so the inverse of the beam is reachable from the first step;
* between them a U-Net of **depthwise-separable residual blocks** (a depthwise
  convolution, then a pointwise two-layer MLP), halving the rate per level, with
  **dilated blocks** at the deepest level to widen the context cheaply; skips
  are summed, not concatenated.

The network predicts a correction, ``x̂ = y + σ·g(y/σ)``, where ``σ`` is the
input chunk's RMS (level equivariance, as in Demucs): quiet and loud recordings
get corrections of their own size. No layer normalises over time, so a chunk's
output depends only on the samples around it and overlap-add inference needs
no particular chunk length. Every block's last layer and the transposed
convolution are zero-initialised, so a fresh network is the identity.

Every convolution is a 2-D one on ``(batch, channels, 1, time)`` tensors kept
channels-last: oneDNN, behind PyTorch's CPU convolutions, runs that layout
several times faster than ``Conv1d``'s (see :mod:`thesis_lib.denoise.fast`),
for training as well as inference. Blocks have no normalisation layer (their
zero-initialised last layer keeps the stack near the identity early in
training): a per-frame channel norm cost more time than the convolutions it
wrapped.

References
----------
.. [1] Y. Luo, N. Mesgarani, "Conv-TasNet", IEEE/ACM TASLP 27(8), 2019 (learned
   strided encoder and transposed-convolution decoder).
.. [2] A. Défossez et al., "Music source separation in the waveform domain",
   arXiv:1911.13254, 2019 (input standardised by its deviation).
.. [3] L. Terna, MSc thesis, Politecnico di Torino, 2026, §2.4 (the thesis U-Net,
   kept unchanged in :mod:`thesis_lib.denoise.unet` for the reproduction tables).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

#: Value of ``model_config["architecture"]`` that marks a release-net checkpoint.
ARCHITECTURE = "release_net"


@dataclass(frozen=True)
class ReleaseNetConfig:
    """Shape of a :class:`ReleaseNet`.

    Parameters
    ----------
    stride : int
        Rate reduction ``S`` of the learned front-end (a power of two).
    widths : tuple of int
        Channels of each U-Net level; level ``i`` runs at ``1 / (S · 2**i)`` of the rate.
    blocks : tuple of int
        Residual blocks per encoder level (the decoder has one per level but the last).
    bottleneck_dilations : tuple of int
        Dilations of the blocks of the deepest level (widen its receptive field).
    kernel : int
        Depthwise kernel length (odd).
    expansion : int
        Hidden channels of a block's pointwise layers, as a multiple of its width.
    """

    stride: int = 8
    widths: tuple = (32, 64, 128)
    blocks: tuple = (1, 1, 0)
    bottleneck_dilations: tuple = (1, 2, 4, 8)
    kernel: int = 5
    expansion: int = 2

    def __post_init__(self):
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        object.__setattr__(self, "blocks", tuple(int(b) for b in self.blocks))
        object.__setattr__(self, "bottleneck_dilations",
                           tuple(int(d) for d in self.bottleneck_dilations))
        problems = []
        if self.stride < 1 or self.stride & (self.stride - 1):
            problems.append(f"stride={self.stride} (a power of two)")
        if not self.widths or len(self.blocks) != len(self.widths):
            problems.append(f"widths={self.widths}, blocks={self.blocks} (one block count per "
                            "level)")
        if self.kernel < 1 or self.kernel % 2 == 0:
            problems.append(f"kernel={self.kernel} (odd)")
        if problems:
            raise ValueError("invalid release-net shape: " + "; ".join(problems))

    def to_dict(self) -> dict:
        """Plain dictionary for a checkpoint, tagged with :data:`ARCHITECTURE`."""
        d = asdict(self)
        d.update({k: list(v) for k, v in d.items() if isinstance(v, tuple)})
        return {"architecture": ARCHITECTURE, **d}

    @classmethod
    def from_dict(cls, d: dict) -> "ReleaseNetConfig":
        return cls(**{k: v for k, v in d.items() if k != "architecture"})


_CL = torch.channels_last


class SeparableBlock(nn.Module):
    """``x + W2·ReLU(W1·DW(x))``: a depthwise convolution, then a pointwise MLP."""

    def __init__(self, channels: int, kernel: int, expansion: int, dilation: int = 1):
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, (1, kernel),
                                   padding=(0, dilation * (kernel // 2)), dilation=(1, dilation),
                                   groups=channels)
        self.expand = nn.Conv2d(channels, expansion * channels, 1)
        self.project = nn.Conv2d(expansion * channels, channels, 1)
        nn.init.zeros_(self.project.weight)  # each block starts as the identity
        nn.init.zeros_(self.project.bias)

    def forward(self, x):
        return x + self.project(F.relu(self.expand(self.depthwise(x))))


class ReleaseNet(nn.Module):
    """Strided-front-end U-Net of depthwise-separable blocks; any input length.

    Input and output have shape ``(batch, 1, T)``; the input is zero-padded to a
    multiple of :attr:`multiple` internally and the output cropped back.

    Examples
    --------
    >>> net = ReleaseNet()
    >>> y = torch.randn(2, 1, 5000)
    >>> bool(torch.equal(net(y), y))  # a fresh network is the identity
    True
    """

    def __init__(self, config: ReleaseNetConfig | None = None, **kwargs):
        super().__init__()
        self.config = cfg = config if config is not None else ReleaseNetConfig(**kwargs)
        s, widths = cfg.stride, cfg.widths
        self.multiple = s * 2 ** (len(widths) - 1)
        #: activation values per input sample at the first level (sizes inference batches)
        self.activation_width = max(1, widths[0] // s)
        self.front = nn.Conv2d(1, widths[0], (1, 2 * s), stride=(1, s), padding=(0, s // 2))
        self.back = nn.ConvTranspose2d(widths[0], 1, (1, 2 * s), stride=(1, s),
                                       padding=(0, s // 2))
        nn.init.zeros_(self.back.weight)
        nn.init.zeros_(self.back.bias)
        last = len(widths) - 1
        self.encoder = nn.ModuleList()
        self.down = nn.ModuleList()
        self.up = nn.ModuleList()
        self.decoder = nn.ModuleList()
        for i, w in enumerate(widths):
            dilations = (1,) * cfg.blocks[i] + (cfg.bottleneck_dilations if i == last else ())
            self.encoder.append(nn.Sequential(*[SeparableBlock(w, cfg.kernel, cfg.expansion, d)
                                                for d in dilations]))
            if i < last:
                self.down.append(nn.Conv2d(w, widths[i + 1], (1, 2), stride=(1, 2)))
                self.up.append(nn.ConvTranspose2d(widths[i + 1], w, (1, 2), stride=(1, 2)))
                self.decoder.append(SeparableBlock(w, cfg.kernel, cfg.expansion))
        self.to(memory_format=_CL)

    def count_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def forward(self, y):
        if y.ndim != 3 or y.shape[1] != 1:
            raise ValueError(f"expected a (batch, 1, time) tensor, got shape {tuple(y.shape)}")
        length = y.shape[-1]
        padded = F.pad(y, (0, (-length) % self.multiple))
        # level equivariance: the correction scales with the input's RMS
        sigma = padded.pow(2).mean(dim=-1, keepdim=True).add(1e-10).sqrt()
        h = self.front((padded / sigma)[:, :, None, :].contiguous(memory_format=_CL))
        skips = []
        for i, block in enumerate(self.encoder):
            h = block(h)
            if i < len(self.down):
                skips.append(h)
                h = self.down[i](h)
        for i in reversed(range(len(self.up))):
            h = self.decoder[i](self.up[i](h) + skips[i])
        correction = self.back(h)[:, :, 0, :length]
        return y + correction * sigma


def is_release_config(model_config: dict) -> bool:
    """Whether a checkpoint's ``model_config`` describes a :class:`ReleaseNet`."""
    return model_config.get("architecture") == ARCHITECTURE


def macs_per_second(model: nn.Module, rate: int = 44_100) -> float:
    """Multiply-accumulates of every convolution per second of audio (counted with hooks).

    Examples
    --------
    >>> net = ReleaseNet(widths=(8,), blocks=(0,), bottleneck_dilations=())
    >>> macs_per_second(net, rate=800)  # per sample: front 8·16/8 and back 8·16/8
    25600.0
    """
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
            # every input element meets every kernel tap of every output channel
            total += inputs[0].numel() * module.out_channels * math.prod(module.kernel_size) \
                // module.groups
        else:
            total += (output.numel() * module.in_channels * math.prod(module.kernel_size)
                      // module.groups)

    kinds = (nn.Conv1d, nn.ConvTranspose1d, nn.Conv2d, nn.ConvTranspose2d)
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    try:
        with torch.inference_mode():
            model(torch.zeros(1, 1, rate))
    finally:
        for h in handles:
            h.remove()
    return float(total)

"""A spectral release denoiser: a learned inverse filter, then a time-varying gain per bin.

Why this shape. Measured on held-out real recordings degraded with the default
emulator (see :mod:`thesis_lib.denoise.headroom` and the denoiser chapter),
one *fixed* complex gain per STFT bin, fitted once on other clips, already
gains about three quarters of what the per-clip oracle linear filter gains, and
an oracle real gain per time–frequency bin on top of that fixed filter gains
more than the per-clip oracle. The degradation is an inverse-filtering problem
(the beam's low-pass) followed by a denoising one (measurement noise and the
hysteresis's residue) whose best gain varies with the music from frame to
frame. So the network is built from exactly those two parts:

1. ``Z = H(f)·Y(t, f)``: a learned complex gain per bin — the inverse of the
   average beam and head response (1 in a fresh network, and where the release
   was trained from; :meth:`SpectralNet.set_delay` starts it at a pure delay);
2. ``X̂ = (M(t, f) + R(t, f))·Z``: a real gain ``M ∈ (0, g_max)`` and a small
   complex correction ``R`` per bin and frame, predicted from the log power of
   ``Z`` by a stack of dilated temporal convolutions over frames. The gain's
   logit is ``a(t)_f + b(t)_f · P(t, f)``, where ``P`` is the bin's own
   normalised log power: the frame code ``h(t)`` sets, per bin, a threshold and a
   slope, so a bin above the noise floor the network infers is passed and one
   below it attenuated (a learned, time-varying Wiener rule).

The network works at the STFT frame rate (``rate / hop``, 172 frames per second
at 44.1 kHz with hop 256), which is why it costs a few hundred million
multiply-accumulates per audio second where a waveform U-Net at full rate costs
tens of billions. A chunk's log power is normalised by its own mean, so a
recording and the same recording 20 dB quieter get the same gains (level
equivariance); a fresh network is the identity up to float32 STFT rounding.

References
----------
.. [1] D. S. Williamson, Y. Wang, D. Wang, "Complex ratio masking for monaural
   speech separation", IEEE/ACM TASLP 24(3), 2016 (complex gains per bin).
.. [2] E. Moliner, V. Välimäki, "A two-stage U-Net for high-fidelity denoising of
   historical recordings", ICASSP 2022 (STFT-domain restoration of old media).
.. [3] N. Wiener, *Extrapolation, Interpolation, and Smoothing of Stationary Time
   Series*, MIT Press, 1949 (the gain rule the mask generalises).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: Value of ``model_config["architecture"]`` that marks a spectral-net checkpoint.
ARCHITECTURE = "spectral_net"


@dataclass(frozen=True)
class SpectralNetConfig:
    """Shape of a :class:`SpectralNet`.

    Parameters
    ----------
    n_fft, hop : int
        STFT size and hop (Hann window of ``n_fft`` samples).
    width : int
        Channels of the frame code.
    dilations : tuple of int
        One residual temporal block per entry, with that dilation (frames).
    kernel : int
        Temporal kernel length of the blocks (odd).
    expansion : int
        Hidden channels of a block's pointwise layers, as a multiple of ``width``.
    max_gain : float
        Upper end of the real gain ``M`` (its lower end is 0).
    """

    n_fft: int = 1024
    hop: int = 256
    width: int = 128
    dilations: tuple = (1, 2, 4, 8, 16, 1, 2, 4)
    kernel: int = 3
    expansion: int = 2
    max_gain: float = 4.0

    def __post_init__(self):
        object.__setattr__(self, "dilations", tuple(int(d) for d in self.dilations))
        problems = []
        if self.n_fft < 16 or self.n_fft % 2:
            problems.append(f"n_fft={self.n_fft} (even, at least 16)")
        if not 0 < self.hop <= self.n_fft // 2:
            problems.append(f"hop={self.hop} (between 1 and n_fft/2, so frames overlap)")
        if self.kernel < 1 or self.kernel % 2 == 0:
            problems.append(f"kernel={self.kernel} (odd)")
        if self.max_gain <= 1.0:
            problems.append(f"max_gain={self.max_gain} (above 1, so the identity is reachable)")
        if problems:
            raise ValueError("invalid spectral-net shape: " + "; ".join(problems))

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1

    def to_dict(self) -> dict:
        """Plain dictionary for a checkpoint, tagged with :data:`ARCHITECTURE`."""
        d = asdict(self)
        d["dilations"] = list(self.dilations)
        return {"architecture": ARCHITECTURE, **d}

    @classmethod
    def from_dict(cls, d: dict) -> "SpectralNetConfig":
        return cls(**{k: v for k, v in d.items() if k != "architecture"})


class TemporalBlock(nn.Module):
    """``h + W2·GELU(W1·DW_d(h))``: a dilated depthwise convolution over frames, then an MLP.

    Works on ``(batch, frames, channels)`` tensors: the pointwise layers are then
    plain matrix products (``nn.Linear``), which BLAS runs markedly faster than
    ``Conv1d`` with unit kernels on the few hundred frames of a chunk, and the
    depthwise convolution is ``kernel`` shifted, weighted copies summed.
    """

    def __init__(self, width: int, kernel: int, expansion: int, dilation: int):
        super().__init__()
        self.dilation = dilation
        self.depthwise = nn.Parameter(torch.zeros(kernel, width))
        with torch.no_grad():
            self.depthwise[kernel // 2] = 1.0  # starts as the identity tap
        self.depthwise_bias = nn.Parameter(torch.zeros(width))
        self.expand = nn.Linear(width, expansion * width)
        self.project = nn.Linear(expansion * width, width)
        nn.init.zeros_(self.project.weight)  # each block starts as the identity
        nn.init.zeros_(self.project.bias)

    def forward(self, h):
        kernel = self.depthwise.shape[0]
        reach = self.dilation * (kernel // 2)
        padded = F.pad(h, (0, 0, reach, reach))
        frames = h.shape[1]
        mixed = self.depthwise_bias + sum(
            self.depthwise[j] * padded[:, j * self.dilation:j * self.dilation + frames]
            for j in range(kernel))
        return h + self.project(F.gelu(self.expand(mixed)))


class SpectralNet(nn.Module):
    """Learned inverse filter and time-varying complex gains on the STFT; any input length.

    Input and output have shape ``(batch, 1, T)`` with ``T ≥ n_fft``.

    Examples
    --------
    >>> net = SpectralNet(width=8, dilations=(1,))
    >>> y = torch.randn(2, 1, 5000)
    >>> bool(torch.allclose(net(y), y, atol=1e-5))  # a fresh network is the identity
    True
    """

    def __init__(self, config: SpectralNetConfig | None = None, **kwargs):
        super().__init__()
        self.config = cfg = config if config is not None else SpectralNetConfig(**kwargs)
        bins = cfg.bins
        #: shortest input the STFT accepts (the Denoiser's minimum chunk)
        self.multiple = cfg.n_fft
        #: activation values per input sample (sizes inference batches)
        self.activation_width = max(1, (cfg.expansion * cfg.width + 4 * bins) // cfg.hop)
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)
        self.filter_re = nn.Parameter(torch.ones(bins))
        self.filter_im = nn.Parameter(torch.zeros(bins))
        self.encode = nn.Linear(bins, cfg.width)
        self.blocks = nn.Sequential(*[TemporalBlock(cfg.width, cfg.kernel, cfg.expansion, d)
                                      for d in cfg.dilations])
        # heads: gain threshold a, gain slope b, complex correction (re, im)
        self.heads = nn.Linear(cfg.width, 4 * bins)
        nn.init.zeros_(self.heads.weight)
        nn.init.zeros_(self.heads.bias)
        # a zero logit offset gives M = 1: logit(1 / max_gain)
        self._gain_offset = -math.log(cfg.max_gain - 1.0)

    def count_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def frequency_response(self, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
        """The learned fixed filter ``H(f)``: bin frequencies (Hz) and complex gains.

        Examples
        --------
        >>> f, h = SpectralNet(n_fft=16, hop=4, width=2, dilations=()).frequency_response(16)
        >>> f[[0, -1]].tolist(), bool(np.all(h == 1))  # a fresh network passes every bin
        ([0.0, 8.0], True)
        """
        freqs = np.fft.rfftfreq(self.config.n_fft, 1.0 / sample_rate)
        with torch.no_grad():
            gains = (self.filter_re.double().cpu().numpy()
                     + 1j * self.filter_im.double().cpu().numpy())
        return freqs, gains

    def set_frequency_response(self, response) -> None:
        """Set the learned fixed filter ``H`` (one complex gain per bin).

        Notes
        -----
        The release recipe does not start from the least-squares fixed filter of
        its training pool: that filter averages over noisier, blurrier draws than
        the default emulator makes, cuts far too much above a few kHz, and a
        network started there begins below the degraded input it should improve.
        It starts from 1, or, on request, from a pure delay (:meth:`set_delay`).
        """
        response = np.asarray(response)
        if response.shape != (self.config.bins,):
            raise ValueError(f"a response of shape {response.shape} does not fit n_fft="
                             f"{self.config.n_fft}; expected ({self.config.bins},)")
        with torch.no_grad():
            self.filter_re.copy_(torch.as_tensor(response.real, dtype=self.filter_re.dtype))
            self.filter_im.copy_(torch.as_tensor(response.imag, dtype=self.filter_im.dtype))

    def set_delay(self, seconds: float, sample_rate: int) -> None:
        """Set ``H`` to a pure delay of ``seconds``: unit gain, phase ``−2πfτ``.

        Why. The emulated read-out runs a constant few tens of microseconds
        ahead of the clean signal whatever the beam, step or Preisach size (the
        release chapter measures it): a phase ramp of about 130° at 10 kHz,
        of which a network trained 35 minutes from ``H = 1`` had learned a
        tenth in its fixed stage. Started at the measured delay, the filter
        begins with the phase right. Measured on held-out real recordings,
        this did not make the trained network better (the release chapter's
        comparison): the shift is not what limits it.

        Examples
        --------
        >>> net = SpectralNet(n_fft=64, hop=16, width=2, dilations=())
        >>> net.set_delay(2 / 8000, 8000)  # two samples
        >>> y = torch.zeros(1, 1, 512); y[0, 0, 200] = 1.0
        >>> int(net(y)[0, 0].argmax())
        202
        """
        freqs = np.fft.rfftfreq(self.config.n_fft, 1.0 / sample_rate)
        self.set_frequency_response(np.exp(-2j * np.pi * freqs * seconds))

    def forward(self, y):
        if y.ndim != 3 or y.shape[1] != 1:
            raise ValueError(f"expected a (batch, 1, time) tensor, got shape {tuple(y.shape)}")
        cfg = self.config
        length = y.shape[-1]
        if length < cfg.n_fft:
            raise ValueError(f"input of {length} samples is shorter than the STFT size "
                             f"{cfg.n_fft}; pass at least {cfg.n_fft} samples")
        spec = torch.stft(y[:, 0].float(), cfg.n_fft, cfg.hop, window=self.window,
                          center=True, return_complex=True)
        z = spec * torch.complex(self.filter_re, self.filter_im)[None, :, None]
        power = z.real.square() + z.imag.square()
        # normalised log power: a level change shifts every bin alike and cancels here
        mean_power = power.mean(dim=(1, 2), keepdim=True)
        log_power = torch.log(power + 1e-6 * mean_power + 1e-20)
        log_power = log_power - log_power.mean(dim=(1, 2), keepdim=True)
        h = self.blocks(self.encode(log_power.transpose(1, 2)))
        threshold, slope, corr_re, corr_im = self.heads(h).transpose(1, 2).chunk(4, dim=1)
        gain = cfg.max_gain * torch.sigmoid(threshold + slope * log_power + self._gain_offset)
        out = z * torch.complex(gain + corr_re, corr_im)
        restored = torch.istft(out, cfg.n_fft, cfg.hop, window=self.window, center=True,
                               length=length)
        return restored[:, None].to(y.dtype)


def is_spectral_config(model_config: dict) -> bool:
    """Whether a checkpoint's ``model_config`` describes a :class:`SpectralNet`."""
    return model_config.get("architecture") == ARCHITECTURE


def macs_per_second(model: SpectralNet, rate: int = 44_100) -> float:
    """Multiply-accumulates per audio second: the convolutions, the gains and both FFTs.

    Each FFT of ``n`` points is counted as ``2 n log2 n`` real multiply-adds per
    frame (split-radix order of magnitude), the gain products as 6 per bin.

    Examples
    --------
    >>> net = SpectralNet(n_fft=16, hop=4, width=2, dilations=())
    >>> round(macs_per_second(net, rate=400))  # 100 frames of 9 bins
    40000
    """
    cfg = model.config
    frames = rate / cfg.hop
    bins = cfg.bins
    block = cfg.width * cfg.kernel + 2 * cfg.width * cfg.expansion * cfg.width
    convs = bins * cfg.width + cfg.width * 4 * bins + len(cfg.dilations) * block
    ffts = 2 * (2 * cfg.n_fft * math.log2(cfg.n_fft))
    return float(frames * (convs + ffts + 6 * bins))

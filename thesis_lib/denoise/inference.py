"""Overlap-add inference: denoise recordings of any length, rate and channel count.

The network sees chunks of ``chunk`` samples that overlap by at least
``overlap`` samples, spread evenly so that the last one ends at the signal's end
(:func:`chunk_starts`): every chunk is real signal, never zero padding, which a
GroupNorm network would read as a change of level. Each chunk's output is
weighted by a window that rises smoothly (a raised-cosine ramp of ``overlap``
samples) at its inner edges and is flat elsewhere; the weighted outputs are
summed and divided by the summed weights, so the crossfade neither changes the
level nor leaves a seam, however much two chunks overlap. Chunks are passed to
the network several at a time, and on CPU the network runs as a channels-last
2-D copy (:mod:`thesis_lib.denoise.fast`); neither changes the result beyond
float32 rounding (tested).

Recordings at another rate than the model's are resampled to it with the
resampler the training data went through (:func:`thesis_lib.data.audio.resample`),
denoised, resampled back and cropped or padded to the input length; each
channel is denoised on its own. A channel whose peak lies below
:data:`SILENCE_FLOOR` is returned as zeros: it carries nothing to restore, and
the network would otherwise add its own low-level noise to digital silence.

References
----------
.. [1] L. Terna, MSc thesis, Politecnico di Torino, 2026, §4.4 and §6.1
   (overlap-add with smooth windows for full-length tracks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from thesis_lib._waveform import fit_length
from thesis_lib.data.audio import read_audio, resample, write_wav

from .checkpoint import DEFAULT_DENOISER, load_denoiser
from .fast import ChannelsLastUNet, FrozenRunner
from .release_net import ReleaseNet
from .unet import UNet1d

#: Default number of first-level activation values per network call (chunks ×
#: chunk length × width): four 32768-sample chunks of the width-8 ``quick`` net, one
#: chunk of the width-32 release net. Larger calls amortise per-call overhead until
#: the activations outgrow the cache; ``benchmarks/denoise.py`` measures both nets
#: with one and four chunks per call.
ACTIVATION_BUDGET = 2 ** 20

#: Peak level below which a channel counts as silence and is returned as zeros:
#: half the step of 24-bit audio (2**-24 of full scale, about -144 dBFS), the
#: quietest signal any fixed-point recording can hold.
SILENCE_FLOOR = 2.0 ** -24


def crossfade_weights(length: int, overlap: int, ramp_in: bool, ramp_out: bool) -> np.ndarray:
    """Flat-top window with raised-cosine ramps of ``overlap`` samples at the chosen ends.

    Examples
    --------
    >>> w = crossfade_weights(8, 4, True, True)
    >>> w[:4] + w[4:]  # the rising and falling ramps of neighbours sum to one
    array([1., 1., 1., 1.])
    """
    w = np.ones(length)
    if overlap > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(overlap) + 0.5) / overlap)
        if ramp_in:
            w[:overlap] = ramp
        if ramp_out:
            w[length - overlap:] *= ramp[::-1]
    return w


def chunk_starts(length: int, chunk: int, overlap: int) -> list[int]:
    """Start indices of the overlap-add chunks of a ``length``-sample signal.

    The fewest chunks that overlap by at least ``overlap`` samples are spread
    evenly from the start to the end of the signal, so every chunk is a full
    ``chunk`` samples of real signal: no zero padding, which would change the
    GroupNorm statistics the network sees in a short last chunk. A signal
    shorter than ``chunk`` is one chunk.

    Examples
    --------
    >>> chunk_starts(1000, 400, 100)
    [0, 300, 600]
    >>> chunk_starts(1001, 400, 100)
    [0, 200, 401, 601]
    >>> chunk_starts(250, 400, 100)
    [0]
    """
    if length <= chunk:
        return [0]
    count = -(-(length - chunk) // (chunk - overlap)) + 1
    return [int(v) for v in np.round(np.linspace(0, length - chunk, count))]


def overlap_add(fn, signal: np.ndarray, chunk: int, overlap: int, progress: bool = False,
                batch_size: int = 1) -> np.ndarray:
    """Apply ``fn`` chunk by chunk and blend the chunks with a smooth crossfade.

    Parameters
    ----------
    fn : callable
        Maps a batch ``(n_chunks, length)`` float32 array to an array of that shape.
        ``length`` is ``chunk`` (or the signal length when it is shorter).
    signal : ndarray, shape (T,)
    chunk, overlap : int
        Chunk length and overlap in samples, ``0 ≤ 2·overlap ≤ chunk``.
    progress : bool
        Show a tqdm progress bar over chunks.
    batch_size : int
        Chunks passed to ``fn`` per call. Any value gives the same result for a
        ``fn`` that treats batch items independently (the U-Net does: GroupNorm
        normalises each item on its own); larger batches amortise per-call cost.

    Notes
    -----
    Chunk positions come from :func:`chunk_starts`. Each chunk's output is
    weighted by :func:`crossfade_weights` (raised-cosine ramps of ``overlap``
    samples at its inner edges) and the weighted sum is divided by the summed
    weights, so the result is exact for a pointwise ``fn`` wherever the chunks
    overlap, by however much.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal(1003)
    >>> bool(np.allclose(overlap_add(lambda b: 2 * b, x, 256, 64), 2 * x))
    True
    """
    signal = np.asarray(signal, dtype=np.float64)
    if chunk < 1 or overlap < 0 or 2 * overlap > chunk:
        raise ValueError(f"need chunk ≥ 1 and 0 ≤ 2·overlap ≤ chunk, got chunk={chunk}, "
                         f"overlap={overlap}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    n = signal.size
    starts = chunk_starts(n, chunk, overlap)
    length = min(chunk, n)
    last = len(starts) - 1
    windows = {(i > 0, i < last): None for i in range(len(starts))}
    for key in windows:
        windows[key] = crossfade_weights(length, overlap if length == chunk else 0, *key)
    out = np.zeros(n)
    weight = np.zeros(n)
    bar = None
    if progress:
        bar = tqdm(total=len(starts), desc="denoise", unit="chunk")
    frames = signal.astype(np.float32)
    for first in range(0, len(starts), batch_size):
        group = starts[first:first + batch_size]
        batch = np.stack([frames[s:s + length] for s in group])
        result = np.asarray(fn(batch), dtype=np.float64)
        if result.shape != batch.shape:
            raise ValueError(f"fn returned shape {result.shape} for a batch of shape {batch.shape}")
        for j, s in enumerate(group):
            i = first + j
            w = windows[(i > 0, i < last)]
            out[s:s + length] += w * result[j]
            weight[s:s + length] += w
        if bar is not None:
            bar.update(len(group))
    if bar is not None:
        bar.close()
    return out / np.maximum(weight, 1e-12)


class Denoiser:
    """A trained denoising network ready to restore whole recordings.

    Parameters
    ----------
    checkpoint : path, optional
        Defaults to the spectral release ``data_manifests/models/spectral_release.pt``.
    device : str
        Torch device for inference (CPU by default).
    chunk_seconds : float, optional
        Overlap-add chunk length at the model's rate. By default the length of
        the training crops (``train_config["segment_length"]``) or 5 s for a
        model trained on whole 5-s clips: GroupNorm normalises over the whole
        input, so chunks of the training length reproduce the statistics the
        network was trained with (longer chunks measurably lower SI-SDR).
    overlap_seconds : float, optional
        Crossfade length; an eighth of the chunk by default.
    batch_size : int, optional
        Chunks per network call (the result does not depend on it; see
        :func:`overlap_add`); by default as many as :data:`ACTIVATION_BUDGET` allows.
    channels_last : bool
        On CPU, run a :class:`~thesis_lib.denoise.fast.ChannelsLastUNet` copy of
        the network through frozen traces (:class:`~thesis_lib.denoise.fast.FrozenRunner`):
        the same output up to float32 rounding, faster.
    model, sample_rate, train_config
        Pass a network directly instead of a checkpoint (tests, chapters).
    """

    def __init__(self, checkpoint=DEFAULT_DENOISER, device: str = "cpu",
                 chunk_seconds: float | None = None, overlap_seconds: float | None = None,
                 model=None, sample_rate: int | None = None, train_config: dict | None = None,
                 batch_size: int | None = None, channels_last: bool = True):
        if model is None:
            model, meta = load_denoiser(checkpoint, device)
            train_config = meta.get("train_config", {}) or {}
        train_config = train_config or {}
        self.model = model.to(device).eval()
        self.device = device
        self.sample_rate = int(sample_rate or train_config.get("sample_rate", 44_100))
        if chunk_seconds is None:
            segment = train_config.get("segment_length")
            chunk = int(segment) if segment else 5 * self.sample_rate
            self.chunk = max(self.model.multiple, chunk)
        else:
            # an explicit length is used as given or refused, never silently changed
            self.chunk = int(round(chunk_seconds * self.sample_rate))
            if self.chunk < self.model.multiple:
                raise ValueError(f"chunk length (--chunk-seconds) {chunk_seconds:g} s is "
                                 f"{self.chunk} samples at {self.sample_rate} Hz; the network "
                                 f"needs at least {self.model.multiple} "
                                 f"({self.model.multiple / self.sample_rate:.2g} s)")
        if overlap_seconds is None:
            self.overlap = self.chunk // 8
        else:
            self.overlap = int(round(overlap_seconds * self.sample_rate))
            if 2 * self.overlap > self.chunk:
                raise ValueError(f"crossfade (--overlap-seconds) {overlap_seconds:g} s is more "
                                 f"than half the chunk ({self.chunk / self.sample_rate:g} s); "
                                 "give a shorter overlap or a longer chunk")
        width = (self.model.config.width if isinstance(self.model, UNet1d)
                 else getattr(self.model, "activation_width", 1))
        self.batch_size = int(batch_size or max(1, ACTIVATION_BUDGET // (self.chunk * width)))
        self.runner = self.model
        if channels_last and torch.device(device).type == "cpu" and isinstance(self.model, UNet1d):
            self.runner = FrozenRunner(ChannelsLastUNet(self.model))
        elif channels_last and torch.device(device).type == "cpu" and isinstance(self.model,
                                                                               ReleaseNet):
            self.runner = FrozenRunner(self.model)  # the release net is channels-last already

    def warm_up(self, length: int, sample_rate: int) -> None:
        """Run the network once on every batch shape a ``length``-sample recording will use.

        The CPU runner traces and freezes the network once per input shape
        (:class:`~thesis_lib.denoise.fast.FrozenRunner`); calling this first keeps
        that one-off cost out of a timed call on a recording of ``length`` samples
        per channel at ``sample_rate``. The output is discarded.
        """
        if int(sample_rate) != self.sample_rate:
            length = _resample(np.zeros(length), sample_rate, self.sample_rate).size
        chunks = len(chunk_starts(length, self.chunk, self.overlap))
        for rows in {min(self.batch_size, chunks), chunks % self.batch_size} - {0}:
            self._run(np.zeros((rows, min(self.chunk, length)), dtype=np.float32))

    @torch.inference_mode()
    def _run(self, batch: np.ndarray) -> np.ndarray:
        y = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))[:, None].to(self.device)
        return self.runner(y)[:, 0].cpu().numpy()

    def __call__(self, audio, sample_rate: int, progress: bool = False) -> np.ndarray:
        """Denoise ``audio`` of shape ``(T,)`` or ``(T, channels)`` recorded at ``sample_rate``.

        Returns an array of the same shape, at the same rate.
        """
        audio = np.asarray(audio, dtype=np.float64)
        if audio.ndim not in (1, 2) or audio.shape[0] == 0:
            raise ValueError("expected audio of shape (samples,) or (samples, channels), "
                             f"got {audio.shape}")
        if not np.all(np.isfinite(audio)):
            raise ValueError("audio contains NaN or infinite samples; clean the file first")
        mono = audio.ndim == 1
        channels = audio[:, None] if mono else audio
        out = np.empty_like(channels)
        for c in range(channels.shape[1]):
            if np.max(np.abs(channels[:, c])) < SILENCE_FLOOR:
                out[:, c] = 0.0
                continue
            sig = _resample(channels[:, c], sample_rate, self.sample_rate)
            restored = overlap_add(self._run, sig, self.chunk, self.overlap, progress,
                                   self.batch_size)
            back = _resample(restored, self.sample_rate, sample_rate)
            out[:, c] = fit_length(back, channels.shape[0])
        return out[:, 0] if mono else out


def denoise_file(src, dst, checkpoint=DEFAULT_DENOISER, device: str = "cpu",
                 progress: bool = True, **kwargs) -> Path:
    """Read ``src`` (any rate and channel count), denoise it, write ``dst`` atomically.

    The output has the input's sample rate, length and channel count, as float32 WAV
    written by :func:`thesis_lib.data.audio.write_wav` (no time stamp: the same input
    and checkpoint give the same bytes).
    """
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise FileNotFoundError(f"input {src} does not exist; give the path of an audio file")
    audio, rate = read_audio(src, dtype="float64")
    samples = audio[0] if audio.shape[0] == 1 else audio.T
    restored = Denoiser(checkpoint, device=device, **kwargs)(samples, rate, progress=progress)
    write_wav(dst, (restored if restored.ndim == 1 else restored.T).astype(np.float32), rate)
    return dst


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    # the training loader's resampler, so the network sees the filter it was trained through
    return resample(x, int(rate_in), int(rate_out))

"""Audio file I/O, channel averaging and resampling shared by the data pipeline.

Decoding goes through ``soundfile`` (libsndfile reads WAV, FLAC, OGG and MP3),
resampling through ``torchaudio``'s windowed-sinc resampler, and writing through
:func:`thesis_lib.provenance.atomic_path` so that an interrupted job never leaves
a truncated file under its final name.

The thesis decodes its MP3 corpus with ``torchaudio`` (§4.1). ``torchaudio``
2.9 delegates decoding to the separate ``torchcodec`` package, which is not a
dependency here, so this module decodes with libsndfile instead and keeps
``torchaudio`` for what the thesis actually relies on it for: resampling.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio
from scipy.io import wavfile

from thesis_lib._waveform import check_sample_rate
from thesis_lib.provenance import atomic_path

__all__ = ["read_audio", "write_wav", "to_mono", "resample", "Resampler", "AUDIO_SUFFIXES"]

#: File name endings treated as audio when folders are scanned (compared lower-case).
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")


def read_audio(path, dtype="float32"):
    """Decode an audio file into a ``(channels, samples)`` array and its sample rate.

    Parameters
    ----------
    path : str or os.PathLike
        File readable by libsndfile (WAV, FLAC, OGG, MP3).
    dtype : {"float32", "float64"}
        Sample type of the returned array (full scale is ±1).

    Returns
    -------
    audio : ndarray, shape (channels, samples)
    rate : int

    Raises
    ------
    ValueError
        If the file cannot be decoded, is empty or contains NaN/inf; the message
        names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tone.wav"
    >>> _ = write_wav(p, np.zeros(480, dtype=np.float32), 48000)
    >>> x, sr = read_audio(p)
    >>> x.shape, sr
    ((1, 480), 48000)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such audio file; check the folder you passed")
    try:
        data, rate = sf.read(str(path), dtype=dtype, always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise ValueError(f"{path}: cannot read it as audio ({exc}); convert it to WAV or FLAC, "
                         "or re-create it") from exc
    if data.shape[0] == 0:
        raise ValueError(f"{path}: contains no samples; re-create or remove it")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{path}: contains NaN or infinite samples; re-create or remove it")
    return np.ascontiguousarray(data.T), int(rate)


def to_mono(audio):
    """Average the channels of a ``(channels, samples)`` array (a 1-D array passes through).

    Examples
    --------
    >>> to_mono(np.array([[1.0, 0.0], [0.0, 1.0]]))
    array([0.5, 0.5])
    """
    audio = np.asarray(audio)
    return audio if audio.ndim == 1 else audio.mean(axis=0)


@lru_cache(maxsize=16)
def _resample_operator(orig_rate: int, new_rate: int,
                       dtype: torch.dtype) -> torchaudio.transforms.Resample:
    # One operator per rate pair and sample type: its sinc kernel is computed once and reused
    # (a shared operator must not be converted in place between float32 and float64 callers).
    return torchaudio.transforms.Resample(orig_rate, new_rate, dtype=dtype)


class Resampler:
    """A fixed ``orig_rate → new_rate`` resampler (torchaudio windowed sinc), numpy or torch in.

    The same instance applied to two signals applies the same linear operator,
    which is what keeps the members of a training pair aligned (thesis §4.5).

    Parameters
    ----------
    orig_rate, new_rate : int
        Sample rates in Hz.

    References
    ----------
    .. [1] torchaudio.transforms.Resample, https://pytorch.org/audio/

    Examples
    --------
    >>> r = Resampler(48000, 44100)
    >>> r(np.zeros(48000, dtype=np.float32)).shape
    (44100,)
    """

    def __init__(self, orig_rate: int, new_rate: int):
        check_sample_rate(orig_rate, name="the original sample rate")
        check_sample_rate(new_rate, name="the new sample rate")
        self.orig_rate, self.new_rate = int(orig_rate), int(new_rate)

    def __call__(self, signal):
        is_numpy = not isinstance(signal, torch.Tensor)
        tensor = torch.from_numpy(np.ascontiguousarray(signal)) if is_numpy else signal
        if self.orig_rate != self.new_rate:
            # float64 input is resampled with a float64 kernel, float32 with a float32 one
            dtype = tensor.dtype if tensor.dtype == torch.float64 else torch.float32
            tensor = _resample_operator(self.orig_rate, self.new_rate, dtype)(tensor.to(dtype))
        return tensor.numpy() if is_numpy else tensor


def resample(signal, orig_rate: int, new_rate: int):
    """Resample ``signal`` (last axis is time) from ``orig_rate`` to ``new_rate`` Hz.

    Examples
    --------
    >>> resample(np.ones(441, dtype=np.float32), 44100, 48000).shape
    (480,)
    """
    return Resampler(orig_rate, new_rate)(signal)


def write_wav(path, audio, rate: int, subtype: str = "FLOAT") -> Path:
    """Write ``audio`` (``(samples,)`` or ``(channels, samples)``) as a WAV file, atomically.

    The default subtype stores 32-bit float samples, which avoids re-quantising
    the clips between pipeline stages (thesis §4.1). Float files are written by
    ``scipy.io.wavfile`` rather than libsndfile because libsndfile stamps a
    ``PEAK`` chunk with the wall-clock time into float WAVs: the same samples
    written twice would differ in bytes, defeating byte-level reproducibility
    checks of generated datasets.
    """
    audio = np.asarray(audio)
    if not np.all(np.isfinite(audio)):
        raise ValueError(f"refusing to write NaN/inf samples to {path}; check the transform")
    frames = audio if audio.ndim == 1 else audio.T
    with atomic_path(path) as tmp:
        if subtype == "FLOAT":
            wavfile.write(tmp, int(rate), np.ascontiguousarray(frames, dtype=np.float32))
        else:
            sf.write(str(tmp), frames, int(rate), subtype=subtype, format="WAV")
    return Path(path)

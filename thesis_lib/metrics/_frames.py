"""Framed magnitude STFT: the one framing used by the LSD and by the LTAS equaliser.

Protocol: a periodic Hann window of ``n_fft`` samples, hop ``n_fft // 4`` unless
given, no centring padding, bins ``0 .. n_fft/2``; a signal shorter than one
window is zero-padded to one frame.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import get_window

from ._validate import as_signal


def stft_magnitude(x, n_fft: int = 2048, hop: int | None = None) -> np.ndarray:
    """Magnitude STFT (frames × bins) in float64 with the protocol above.

    Examples
    --------
    >>> stft_magnitude(np.ones(4096), n_fft=1024).shape
    (13, 513)
    >>> stft_magnitude(np.ones(100), n_fft=256).shape   # padded to one frame
    (1, 129)
    """
    sig = as_signal(x)
    hop = n_fft // 4 if hop is None else hop
    if sig.size < n_fft:
        sig = np.pad(sig, (0, n_fft - sig.size))
    n_frames = 1 + (sig.size - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    window = get_window("hann", n_fft, fftbins=True)
    return np.abs(np.fft.rfft(sig[idx] * window, axis=1))

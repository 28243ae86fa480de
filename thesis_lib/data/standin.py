"""A cheap, deterministic stand-in degradation with the emulator's calling convention.

Paired generation is written against a transform protocol,
``transform(x, sample_rate, seed) -> y``, that :class:`thesis_lib.emulator.Emulator`
implements. :class:`StandInDegradation` implements the same protocol in
milliseconds (soft saturation, a Butterworth low-pass, seeded additive noise),
so the generator, its determinism and its crash safety can be tested, and the
SLURM scripts exercised, without paying for the physics. It is not a model of
the tape; use ``--apply-transforms`` (the emulator) for real pairs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
from scipy import signal as sps

from thesis_lib._waveform import as_waveform

__all__ = ["StandInDegradation"]


@dataclass
class StandInDegradation:
    """``y = lowpass(tanh(drive·x)/tanh(drive)) + noise_std·n``, with ``n`` drawn from ``seed``.

    Parameters
    ----------
    drive : float
        Saturation strength (stands in for the hysteresis non-linearity).
    cutoff_hz : float
        Low-pass corner (stands in for the beam's spatial averaging).
    noise_std : float
        Standard deviation of the additive white noise.
    order : int
        Butterworth order.

    Examples
    --------
    >>> f = StandInDegradation()
    >>> x = np.sin(2 * np.pi * 440 * np.arange(4800) / 48000)
    >>> y1, y2 = f(x, 48000, seed=7), f(x, 48000, seed=7)
    >>> bool(np.array_equal(y1, y2)), y1.dtype.name, y1.shape == x.shape
    (True, 'float64', True)
    >>> bool(np.array_equal(y1, f(x, 48000, seed=8)))
    False
    """

    drive: float = 2.0
    cutoff_hz: float = 6000.0
    noise_std: float = 0.02
    order: int = 4

    def __post_init__(self):
        self.last_timings: dict = {}

    @property
    def name(self) -> str:
        return "stand-in"

    def warmup(self) -> None:
        """Nothing to compile; present for parity with the emulator."""
        self(np.zeros(64), 48000, 0)

    def to_dict(self) -> dict:
        return {"kind": "StandInDegradation", **asdict(self)}

    def __call__(self, x, sample_rate: int, seed: int):
        x = as_waveform(x, name="the input", layout="mix down to mono first",
                        fix="clean the audio first")
        t0 = time.perf_counter()
        saturated = np.tanh(self.drive * x) / np.tanh(self.drive)
        t1 = time.perf_counter()
        cutoff = min(self.cutoff_hz, 0.45 * sample_rate)
        sos = sps.butter(self.order, cutoff, btype="low", fs=sample_rate, output="sos")
        filtered = sps.sosfilt(sos, saturated)
        t2 = time.perf_counter()
        noise = np.random.default_rng(seed).standard_normal(x.size) * self.noise_std
        y = filtered + noise
        t3 = time.perf_counter()
        # "hysteresis" is the key the emulator uses for its dominant stage.
        self.last_timings = {"hysteresis": t1 - t0, "readout": t2 - t1, "noise": t3 - t2}
        return y

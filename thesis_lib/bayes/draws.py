"""Fresh emulator draws y = F(x, ξ) for one clean clip, at the Bayesian models' rate.

Training the surrogate needs a new ξ for every x at every step (Terna 2026, §7.2,
Algorithm 1), and its calibration check needs dozens of draws per clip. The emulator's
costly part, the Preisach hysteresis of the writing stages, does not depend on ξ:
:class:`ClipDraws` runs it once per clip and then repeats only the random stages (tape
noise, dropouts, print-through, beam readout, measurement noise), bit-identical to
``Emulator(x, rate, seed)`` for the same seed (tested).

Everything is resampled to :data:`RATE`, the single internal rate of the surrogate and
the prior: the beam readout low-passes the signal far below 8 kHz, so 16 kHz keeps all
the information the observation carries at a third of the cost of the emulator's 48 kHz.
"""

from __future__ import annotations

import numpy as np

from thesis_lib._waveform import fit_length
from thesis_lib.emulator import Emulator, Tape
from thesis_lib.emulator.degradations import dropouts, print_through
from thesis_lib.emulator.emulator import _streams
from thesis_lib.emulator.tape_noise import tape_noise

from ._signal import to_rate

#: Internal sample rate (Hz) of the surrogate, the prior and the posterior samples.
RATE = 16_000


class ClipDraws:
    """Deterministic writing stage of one clip, then cheap fresh draws of its readout.

    Parameters
    ----------
    emulator : Emulator
    x : ndarray
        Clean clip at ``rate`` Hz.
    rate : int
        Its sample rate.

    Attributes
    ----------
    clean : ndarray
        ``x`` at :data:`RATE` (the surrogate's input).
    """

    def __init__(self, emulator: Emulator, x, rate: int):
        self.emulator = emulator
        self.rate = int(rate)
        self.x = np.asarray(x, dtype=np.float64)
        # the writing stages with a fixed seed: only their deterministic remanence is kept
        self.tape = emulator.record(self.x, self.rate, 0)
        self.clean = to_rate(self.x, self.rate, RATE)

    def emulate(self, seed: int) -> np.ndarray:
        """y = F(x, ξ(seed)) at the emulator's output rate (equals ``emulator(x, rate, seed)``)."""
        p = self.emulator.params
        rngs = _streams(seed)
        m = tape_noise(self.tape.remanence, p.particles_mean, p.packing_fraction,
                       rngs["tape_noise"], p.tape_noise)
        m = dropouts(m, p.segment_um, p.dropout_rate_per_mm, p.dropout_length_um,
                     p.dropout_depth, rngs["dropouts"])
        m = print_through(m, p.segment_um, p.tape_speed_m_s, p.print_through_gain,
                          p.print_through_offset_s)
        tape = Tape(self.tape.position_um, m, self.tape.remanence, self.tape.segment_um,
                    self.tape.duration_s)
        return self.emulator.read(tape, seed)

    def draw(self, seed: int) -> np.ndarray:
        """One fresh observation at :data:`RATE`, cut or padded to the length of :attr:`clean`."""
        y = to_rate(self.emulate(seed), self.emulator.params.output_rate, RATE)
        return fit_length(y, self.clean.size)

    def draws(self, seeds) -> np.ndarray:
        """Stack of :meth:`draw` for each seed, shape ``(len(seeds), T)``."""
        return np.stack([self.draw(s) for s in seeds])



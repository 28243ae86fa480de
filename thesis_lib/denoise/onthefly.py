"""Training pairs drawn on the fly: fresh emulator degradations with randomised parameters.

A network trained on one fixed set of degraded clips learns those clips' noise
draws and the default emulator's exact beam; a real scan has its own beam width,
noise level and bias. So every training pair here is made when needed:

* a clean excerpt is cut at a random place of a random source track, given a
  random spectral tilt (EQ augmentation) and a random peak level (gain
  augmentation: the hysteresis is level-dependent, so the level is set *before*
  the emulator);
* emulator parameters are drawn from :class:`ParamRanges` (beam FWHM, scan step,
  measurement-noise scale and mode, bias mode and amplitude, Preisach N);
* the emulator runs with a new seed ξ every time.

Why a pool. One emulator call costs about 0.1 s per second of audio, as much as
a training step on a few seconds of audio on two CPU cores; making every batch
fresh would halve training speed. :class:`DegradationPool` keeps ``size``
degraded clips, trains on random crops of them, and replaces the oldest
``refresh`` clips every ``refresh_every`` steps, so the emulator takes a fixed,
chosen share of the time (the recipe logs it at the end of each session) and every clip
is seen a bounded number of times before it is replaced by a new draw.

Everything random comes from ``numpy.random.SeedSequence((seed, generation, slot))``,
so a pool is reproducible from its seed and the generation counter alone; a
resumed run rebuilds its pool from the counter it saved.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from thesis_lib.emulator import Emulator, EmulatorParams


@dataclass(frozen=True)
class ParamRanges:
    """Ranges the emulator parameters and augmentations are drawn from.

    Uniform over ``(low, high)`` pairs unless the field says log-uniform;
    choices are drawn with the listed probabilities.
    """

    beam_fwhm_um: tuple = (15.0, 40.0)
    step_um: tuple = (2.0, 6.0)
    noise_scale: tuple = (0.08, 0.5)          #: log-uniform; default 0.2
    time_varying_noise_p: float = 0.3
    bias_modes: tuple = ("fixed", "3std", "off")
    bias_mode_p: tuple = (0.6, 0.2, 0.2)
    bias_amplitude: tuple = (2.0, 4.0)
    preisach_n: tuple = (100, 250, 500)
    peak: tuple = (0.25, 1.0)                 #: peak level of the clean excerpt
    tilt_db_per_octave: tuple = (-2.0, 2.0)   #: EQ augmentation around 1 kHz
    #: probability that a clip keeps the base (default) emulator parameters: the judged
    #: setting then appears in a known share of the draws instead of almost never
    default_share: float = 0.0

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def draw(self, rng: np.random.Generator, base: EmulatorParams) -> EmulatorParams:
        """One random parameter set (fields not listed keep ``base``'s values).

        With probability :attr:`default_share` it is ``base`` itself (no other draw is
        made then, so a share of 0 leaves the random stream as it always was).
        """
        if self.default_share and rng.random() < self.default_share:
            return base
        lo, hi = np.log(self.noise_scale[0]), np.log(self.noise_scale[1])
        mode = self.bias_modes[rng.choice(len(self.bias_modes), p=self.bias_mode_p)]
        return base.replace(
            beam_fwhm_um=float(rng.uniform(*self.beam_fwhm_um)),
            step_um=float(rng.uniform(*self.step_um)),
            noise_scale=float(np.exp(rng.uniform(lo, hi))),
            measurement_noise="time-varying" if rng.random() < self.time_varying_noise_p
            else "constant",
            bias_mode=mode, bias_amplitude=float(rng.uniform(*self.bias_amplitude)),
            preisach_n=int(rng.choice(self.preisach_n)))


def tilt(x: np.ndarray, rate: int, db_per_octave: float) -> np.ndarray:
    """``x`` with a spectral tilt of ``db_per_octave`` around 1 kHz (DC and below 20 Hz flat).

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal(4096)
    >>> bool(np.allclose(tilt(x, 44100, 0.0), x))
    True
    """
    spectrum = np.fft.rfft(x)
    freqs = np.maximum(np.fft.rfftfreq(x.size, 1.0 / rate), 20.0)
    gain = 10 ** (db_per_octave * np.log2(freqs / 1000.0) / 20)
    return np.fft.irfft(spectrum * gain, n=x.size)


class DegradationPool:
    """A refreshing pool of ``(degraded, clean)`` clips made by randomised emulators.

    Parameters
    ----------
    sources : list of 1-D arrays
        Clean mono tracks at ``rate`` (each at least ``clip_samples`` long).
    size : int
        Clips held at once.
    clip_samples : int
        Length of each clip; training crops are shorter and drawn at random positions.
    rate : int
        Sample rate of the sources and of the emulator's output.
    ranges : ParamRanges
    seed : int
    base : EmulatorParams, optional
        Parameters not randomised (defaults otherwise).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> src = [0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)]
    >>> pool = DegradationPool(src, size=2, clip_samples=1600, rate=8000,
    ...                        ranges=ParamRanges(preisach_n=(100,)))
    >>> y, x = pool.batch(3, 800)
    >>> tuple(y.shape), tuple(x.shape), pool.generation
    ((3, 1, 800), (3, 1, 800), 1)
    """

    def __init__(self, sources, *, size: int, clip_samples: int, rate: int = 44_100,
                 ranges: ParamRanges | None = None, seed: int = 0,
                 base: EmulatorParams | None = None, generation: int = 0):
        self.sources = [np.asarray(s, dtype=np.float64) for s in sources
                        if np.asarray(s).size >= clip_samples]
        if not self.sources:
            raise ValueError(f"no source track holds {clip_samples} samples; pass longer "
                             "tracks or a shorter clip length")
        if size < 1:
            raise ValueError(f"pool size must be positive, got {size}")
        self.size, self.clip_samples, self.rate, self.seed = size, clip_samples, rate, seed
        self.ranges = ranges or ParamRanges()
        self.base = (base or EmulatorParams()).replace(output_rate=rate)
        self.generation = generation
        self.emulator_seconds = 0.0
        self.ys = np.zeros((size, clip_samples), dtype=np.float32)
        self.xs = np.zeros((size, clip_samples), dtype=np.float32)
        self._next = 0
        self.refresh(size)

    def make_clip(self, slot: int) -> tuple[np.ndarray, np.ndarray, EmulatorParams]:
        """One fresh ``(y, x, params)`` for ``slot`` of the current generation."""

        ss = np.random.SeedSequence((self.seed, self.generation, slot))
        rng = np.random.default_rng(ss)
        track = self.sources[rng.integers(len(self.sources))]
        start = rng.integers(track.size - self.clip_samples + 1)
        x = tilt(track[start:start + self.clip_samples], self.rate,
                 float(rng.uniform(*self.ranges.tilt_db_per_octave)))
        peak = float(np.max(np.abs(x)))
        if peak < 1e-4:  # a silent stretch: a fresh draw next generation, no emulator cost now
            return np.zeros_like(x), x, self.base
        x *= float(rng.uniform(*self.ranges.peak)) / peak
        params = self.ranges.draw(rng, self.base)
        t0 = time.perf_counter()
        # a new Emulator per draw: the parameters are continuous, so none repeats; the
        # Preisach models behind them are cached in memory by the emulator package
        y = Emulator(params)(x, self.rate, int(rng.integers(2 ** 32)))
        self.emulator_seconds += time.perf_counter() - t0
        return y, x, params

    def refresh(self, count: int) -> None:
        """Replace the ``count`` oldest clips by new draws; advances :attr:`generation`."""
        for _ in range(min(count, self.size)):
            slot = self._next
            y, x, _ = self.make_clip(slot)
            self.ys[slot], self.xs[slot] = y, x
            self._next = (slot + 1) % self.size
        self.generation += 1

    def batch(self, batch_size: int, crop: int, rng: np.random.Generator | None = None):
        """``(y, x)`` float32 tensors ``(batch, 1, crop)`` of random crops of random clips."""
        rng = rng or np.random.default_rng((self.seed, self.generation, 7))
        crop = min(crop, self.clip_samples)
        slots = rng.integers(self.size, size=batch_size)
        starts = rng.integers(self.clip_samples - crop + 1, size=batch_size)
        y = np.stack([self.ys[s, o:o + crop] for s, o in zip(slots, starts, strict=True)])
        x = np.stack([self.xs[s, o:o + crop] for s, o in zip(slots, starts, strict=True)])
        return torch.from_numpy(y)[:, None], torch.from_numpy(x)[:, None]

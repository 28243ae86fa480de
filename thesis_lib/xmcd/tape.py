"""The tape under the beam: recorded magnetisation and its 2-D beam average.

:func:`recorded_tape` gives the remanent magnetisation M/M_s along the tape
after a test tone has been recorded, by default with the emulator's recording
stages f1-f4 (bias, Karlqvist head field, Preisach hysteresis, tape noise;
:mod:`thesis_lib.emulator`), or with a closed-form stand-in. :func:`beam_average` integrates that
magnetisation under a 2-D Gaussian beam footprint (FWHM X along the tape, Y
across it) at each scan position. The 2-D integration is written here on
purpose, independently of the emulator's 1-D read-out stage (f5), so that
calibrating the emulator on phantom data is not an inverse crime: the two
codes share no discretisation. Across the track the recorded pattern is
uniform except for the head azimuth: transitions are tilted by a small angle,
so the beam's Y extent adds a little along-track blur.

References
----------
.. [1] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, §2.3 (f1-f5).
.. [2] J. Kaipio and E. Somersalo, "Statistical inverse problems:
   discretization, model reduction and inverse crimes", J. Comput. Appl. Math.
   198 (2007) 493-504.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


@dataclass(frozen=True)
class TapeProfile:
    """Magnetisation M/M_s in [-1, 1] sampled along the tape (positions in µm)."""

    position_um: np.ndarray
    magnetisation: np.ndarray
    source: str


def recorded_tape(signal_hz, duration, tape_speed, *, start_um=0.0, source="emulator",
                  drive_amplitude=0.5, waveform="sine", seed=0, **standin) -> TapeProfile:
    """Magnetisation written on tape by a test tone (a sine, or a square wave).

    Parameters
    ----------
    signal_hz : float
        Test-tone frequency.
    duration : float
        Seconds of tape to record (length = duration × tape_speed).
    tape_speed : float
        Tape speed in m/s.
    start_um : float
        Tape coordinate of the beginning of the recorded stretch.
    source : {"emulator", "stand-in"}
        ``"emulator"``: the emulator's stages f1-f4 with its default parameters
        at this tape speed, driven by a sine of peak ``drive_amplitude``
        (0.5 gives |M/M_s| up to about 0.75). ``"stand-in"``:
        :func:`standin_tape` (keyword arguments ``standin`` go there).
    waveform : {"sine", "square"}
        Shape of the drive (emulator only): a square wave writes magnetisation edges
        whose read-out spread is the beam itself.
    seed : int
        Seed of the tape noise.

    Returns
    -------
    TapeProfile

    Examples
    --------
    >>> tape = recorded_tape(261.0, 0.005, 0.381, seed=1)
    >>> tape.source, round(float(tape.position_um[1] - tape.position_um[0]), 3)
    ('emulator', 4.0)
    >>> bool(0.5 < np.abs(tape.magnetisation).max() < 1.0)
    True
    """
    if signal_hz <= 0 or duration <= 0 or tape_speed <= 0:
        raise ValueError(f"recorded_tape needs positive frequency, duration and speed, got "
                         f"{signal_hz}, {duration}, {tape_speed}")
    if source == "stand-in":
        return standin_tape(signal_hz, duration, tape_speed, start_um=start_um, seed=seed,
                            **standin)
    if source != "emulator":
        raise ValueError(f"source must be 'emulator' or 'stand-in', not {source!r}")
    from thesis_lib.emulator.analysis import tone_drive  # the emulator loads numba: deferred

    emulator = _emulator(float(tape_speed))
    rate = emulator.params.output_rate
    n = int(np.ceil(duration * rate)) + 1
    drive = tone_drive(signal_hz, n, rate, amplitude=drive_amplitude, waveform=waveform)
    tape = emulator.record(drive, rate, seed)
    return TapeProfile(start_um + np.asarray(tape.position_um, float),
                       np.asarray(tape.magnetisation, float), "emulator")


def standin_tape(signal_hz, duration, tape_speed, *, start_um=0.0, level=0.8, drive=1.5,
                 grain_um=4.0, grain_noise=0.03, seed=0) -> TapeProfile:
    """Closed-form stand-in for the recording stages (no hysteresis model).

    A sine of frequency ``signal_hz`` written at ``tape_speed`` has wavelength
    v/f on the tape; the head-to-tape transfer saturates softly, modelled as
    ``level * tanh(drive * sin) / tanh(drive)``, and tape granularity adds
    independent Gaussian noise of standard deviation ``grain_noise`` per
    ``grain_um`` segment.

    Examples
    --------
    >>> tape = standin_tape(261.0, 0.01, 0.381, grain_noise=0.0)
    >>> wavelength_um = 0.381e6 / 261.0
    >>> i = np.argmin(np.abs(tape.position_um - wavelength_um / 4))   # crest of the sine
    >>> round(float(tape.magnetisation[i]), 3)
    0.8
    """
    length_um = duration * tape_speed * 1e6
    n = int(np.ceil(length_um / grain_um)) + 1
    position = start_um + grain_um * np.arange(n)
    phase = 2 * np.pi * signal_hz * position / (tape_speed * 1e6)
    magnetisation = level * np.tanh(drive * np.sin(phase)) / np.tanh(drive)
    if grain_noise > 0:
        magnetisation = magnetisation + grain_noise * np.random.default_rng(seed).standard_normal(n)
    return TapeProfile(position, np.clip(magnetisation, -1.0, 1.0), "stand-in")


@functools.lru_cache(maxsize=4)
def _emulator(tape_speed):
    # deferred on purpose: the emulator's numba kernels load in seconds; only the emulated tape
    # source needs them
    from thesis_lib.emulator import Emulator, EmulatorParams

    # Four points per segment: at fast tape speeds the bias wavelength approaches the
    # segment length and one point per segment aliases the bias into a spurious
    # ripple (see Emulator.record); real tape has particles all along the segment.
    return Emulator(EmulatorParams(tape_speed_m_s=tape_speed, segment_subsamples=SUBSAMPLES),
                    cache_dir=False)


#: points per emulator segment used when writing the phantom's tape (see ``_emulator``)
SUBSAMPLES = 4


def beam_average(tape: TapeProfile, centres_um, fwhm_um=(26.0, 25.0), *, azimuth_deg=0.0,
                 grid_um=1.0, extent_sigma=4.0) -> np.ndarray:
    """Magnetisation averaged under a 2-D Gaussian beam centred at each scan position.

    The footprint is sampled on a square grid of spacing ``grid_um`` out to
    ``extent_sigma`` standard deviations in X (along the tape) and Y (across);
    the magnetisation at (u, w) is that recorded at ``u + w tan(azimuth)``
    (linear interpolation between tape samples); the weights are normalised to
    sum to one.

    Examples
    --------
    A uniform tape reads back unchanged; a sine of wavelength λ is attenuated
    by the Gaussian's transfer function exp(-2 (π σ / λ)^2):

    >>> u = np.arange(0.0, 5000.0, 0.5)
    >>> lam, fwhm = 400.0, 60.0
    >>> tape = TapeProfile(u, np.sin(2 * np.pi * u / lam), "test")
    >>> s = beam_average(tape, [lam / 4 + 1200.0], (fwhm, 10.0))
    >>> sigma = fwhm * FWHM_TO_SIGMA
    >>> bool(abs(s[0] - np.exp(-2 * (np.pi * sigma / lam) ** 2)) < 1e-3)
    True
    """
    centres = np.atleast_1d(np.asarray(centres_um, dtype=np.float64))
    sx, sy = (float(f) * FWHM_TO_SIGMA for f in fwhm_um)
    du = np.arange(-extent_sigma * sx, extent_sigma * sx + grid_um / 2, grid_um)
    dw = np.arange(-extent_sigma * sy, extent_sigma * sy + grid_um / 2, grid_um)
    weights = np.exp(-0.5 * ((du[:, None] / sx) ** 2 + (dw[None, :] / sy) ** 2))
    weights /= weights.sum()
    along = du[:, None] + dw[None, :] * np.tan(np.deg2rad(azimuth_deg))     # (nu, nw)
    lo, hi = tape.position_um[0], tape.position_um[-1]
    if centres.min() + along.min() < lo or centres.max() + along.max() > hi:
        raise ValueError(f"the beam at {centres.min():.1f}..{centres.max():.1f} µm reaches "
                         f"beyond the recorded tape ({lo:.1f}..{hi:.1f} µm); "
                         "record a longer stretch")
    out = np.empty(centres.size)
    for i, c in enumerate(centres):
        out[i] = np.sum(weights * np.interp(c + along, tape.position_um, tape.magnetisation))
    return out

"""Measurements on the emulator: loops, FORCs, recording transfer curve, THD, beam transfer.

These are the quantities the forward-model chapter plots and the tests check:
the major hysteresis loop and first-order reversal curves (FORCs) of a Preisach
model, the remanence-versus-drive curve of the recording stages with and without
AC bias, the total harmonic distortion of a recorded tone, and the measured
transfer function of the beam readout.

References
----------
.. [1] C. R. Pike, A. P. Roberts, K. L. Verosub, "Characterizing interactions in
   fine magnetic particle systems using first order reversal curves",
   J. Appl. Phys. 85 (1999) (FORCs).
.. [2] H. N. Bertram, *Theory of Magnetic Recording* (1994), ch. 9 (AC-bias recording).
"""

from __future__ import annotations

import numpy as np

from .emulator import Emulator
from .engines import PreisachOperator
from .params import EmulatorParams
from .readout import convolve_beam


def major_loop(operator: PreisachOperator, points: int = 400, reversible: bool = True):
    """Fields and M/M_s of the major loop: descending then ascending between ±1.05·H_max.

    Examples
    --------
    >>> from thesis_lib.emulator import coarse_bin, fine_fit
    >>> op = PreisachOperator(coarse_bin(fine_fit(5000), 30))
    >>> h, m = major_loop(op, 50, reversible=False)
    >>> round(float(m[0]), 9), round(float(m[49]), 9)
    (1.0, -1.0)
    """
    top = 1.05 * operator.model.field_range
    down = np.linspace(top, -top, points)
    fields = np.concatenate([down, down[::-1]])
    m = operator.with_reversible(fields) if reversible else operator.trace(fields)
    return fields, m


def first_order_reversal_curves(operator: PreisachOperator, reversals, points: int = 200,
                                reversible: bool = True):
    """FORCs: saturate positively, descend to each reversal field H_r, then sweep back up.

    Returns a list of ``(fields, M/M_s)`` of the ascending branches.
    """
    top = 1.05 * operator.model.field_range
    curves = []
    for hr in np.atleast_1d(reversals):
        up = np.linspace(hr, top, points)
        fields = np.concatenate([[top], up])
        m = operator.with_reversible(fields) if reversible else operator.trace(fields)
        curves.append((up, m[1:]))
    return curves


def transfer_curve(emulator, levels, duration_s: float = 0.004, sample_rate: int = 48000):
    """Median recorded remanence for constant drives ``levels`` (the recording transfer curve).

    Uses the deterministic stages f1-f3 only (``Tape.remanence``).
    """
    out = []
    n = max(int(duration_s * sample_rate), 8)
    for level in np.atleast_1d(levels):
        tape = emulator.record(np.full(n, float(level)), sample_rate, 0)
        mid = tape.remanence[tape.remanence.size // 4: 3 * tape.remanence.size // 4]
        out.append(float(np.median(mid)))
    return np.array(out)


def harmonic_amplitudes(signal, coordinate, frequency, count: int = 5):
    """Least-squares amplitudes of the first ``count`` harmonics of ``frequency`` (plus a DC term).

    Examples
    --------
    >>> t = np.arange(1000) / 1000
    >>> a = harmonic_amplitudes(0.5 * np.sin(2 * np.pi * 10 * t)
    ...                         + 0.05 * np.cos(2 * np.pi * 30 * t), t, 10.0)
    >>> np.round(a, 6).tolist()
    [0.5, 0.0, 0.05, 0.0, 0.0]
    """
    signal = np.asarray(signal, dtype=np.float64)
    coordinate = np.asarray(coordinate, dtype=np.float64)
    cols = [np.ones_like(coordinate)]
    for h in range(1, count + 1):
        cols += [np.cos(2 * np.pi * h * frequency * coordinate),
                 np.sin(2 * np.pi * h * frequency * coordinate)]
    coef = np.linalg.lstsq(np.column_stack(cols), signal, rcond=None)[0][1:]
    return np.hypot(coef[0::2], coef[1::2])


def total_harmonic_distortion(signal, coordinate, frequency, count: int = 5) -> float:
    """sqrt(Σ_{h≥2} A_h²) / A_1 from :func:`harmonic_amplitudes`."""
    a = harmonic_amplitudes(signal, coordinate, frequency, count)
    return float(np.sqrt(np.sum(a[1:] ** 2)) / a[0])


#: Drive samples over which a square test tone rises from 10 % to 90 % of its swing.
SQUARE_RISE_SAMPLES = 3.0


def tone_drive(signal_hz, n_samples, rate, *, amplitude=0.5, waveform="sine") -> np.ndarray:
    """``n_samples`` of a test-tone drive at ``rate`` Hz: a sine or a square wave of peak
    ``amplitude``.

    Notes
    -----
    The square wave is ``tanh(k sin φ) / tanh(k)``, with ``k`` such that it rises from 10 %
    to 90 % of its swing in :data:`SQUARE_RISE_SAMPLES` samples. A hard-switched square
    would place every edge on the sample grid: with a period that is not a whole number of
    samples, the edges of a recording would then sit up to half a sample (4 µm of tape at
    0.381 m/s and 48 kHz) off their true places, differently from one edge to the next and
    from one recording to another — a jitter a calibration would read as a wider beam.
    The smooth edge is placed by the continuous phase.

    Examples
    --------
    >>> d = tone_drive(261.0, 400, 48000, amplitude=0.5, waveform="square")
    >>> round(float(d[46]), 3), round(float(d[138]), 3)      # plateaus a quarter period in
    (0.5, -0.5)
    >>> int(np.sum(np.abs(d[:184]) < 0.4))                   # two short edges per period
    6
    """
    phase = 2 * np.pi * float(signal_hz) * np.arange(int(n_samples)) / float(rate)
    if waveform == "sine":
        return amplitude * np.sin(phase)
    if waveform == "square":
        # tanh runs from 10 % to 90 % of its swing (-0.8 to 0.8) over ±atanh(0.8) = ±ln(9)/2
        sharpness = np.log(9.0) * float(rate) / (2 * np.pi * float(signal_hz)
                                                  * SQUARE_RISE_SAMPLES)
        sharpness = max(sharpness, 1.0)
        return amplitude * np.tanh(sharpness * np.sin(phase)) / np.tanh(sharpness)
    raise ValueError(f"test-tone waveform must be 'sine' or 'square', not {waveform!r}")


def recorded_tone_thd(emulator, amplitude=0.2, frequency=1000.0, duration_s=0.04,
                      sample_rate=48000, count=5):
    """THD of the noiseless remanence profile written by a sine of ``amplitude`` and
    ``frequency``."""
    x = amplitude * np.sin(2 * np.pi * frequency * np.arange(int(duration_s * sample_rate))
                           / sample_rate)
    tape = emulator.record(x, sample_rate, 0)
    keep = slice(tape.remanence.size // 10, -tape.remanence.size // 10)
    spatial = frequency / (emulator.params.tape_speed_m_s * 1e6)
    amps = harmonic_amplitudes(tape.remanence[keep], tape.position_um[keep], spatial, count)
    return float(np.sqrt(np.sum(amps[1:] ** 2)) / amps[0]), amps


def measured_beam_transfer(fwhm_um, segment_um, wavelengths_um, skew=0.0, length=20_000):
    """Gain of the beam blur for recorded cosines of the given wavelengths (µm)."""
    u = np.arange(length) * segment_um
    inner = slice(length // 10, -length // 10)
    gains = []
    for wl in np.atleast_1d(wavelengths_um):
        f = 1.0 / wl
        y = convolve_beam(np.cos(2 * np.pi * f * u), fwhm_um, segment_um, skew)[inner]
        basis = np.c_[np.cos(2 * np.pi * f * u[inner]), np.sin(2 * np.pi * f * u[inner])]
        gains.append(float(np.hypot(*np.linalg.lstsq(basis, y, rcond=None)[0])))
    return np.array(gains)



def noiseless_readouts(x, sample_rate, sizes, seed=0, base_params=None):
    """Noiseless readout y and remanence M_hist of clip ``x`` for each Preisach size (and 'fine').

    Tape and measurement noise are switched off so that only the hysteresis model
    differs between sizes (the fidelity columns of Table 6.2). Returns
    ``{size: (y, remanence)}`` including ``"fine"``.
    """

    base = (base_params or EmulatorParams()).replace(tape_noise="off", measurement_noise="off")
    out = {}
    for n in list(sizes) + ["fine"]:
        emu = Emulator(base.replace(preisach_n=n))
        tape = emu.record(x, sample_rate, seed)
        out[n] = (emu.read(tape, seed), tape.remanence)
    return out

"""Simulated scan waveforms of the recorded test tone for candidate (step, beam).

The tone is written onto tape once per series with the emulator's recording
stages f1-f4 (:meth:`thesis_lib.emulator.Emulator.record`) on the fixed
segment grid Δℓ (thesis §6.3: Δℓ = head gap = 4 µm, not calibrated). For each
candidate beam FWHM the profile is blurred by the emulator's read-out kernel
(:func:`~thesis_lib.emulator.readout.convolve_beam`) and sampled every
candidate step, one sample per scan position — the resolution of a measured
scan waveform — starting at every candidate tape offset, so that the
alignment can choose the offset afterwards. Sampling between segment centres
uses the same linear interpolation as
:func:`~thesis_lib.emulator.readout.scan_sample`.

Candidate start offsets span several tone periods (:data:`OFFSET_PERIODS`).
The first tone period of the recording is skipped: the tape starts AC-erased
and the hysteresis needs a few field cycles to settle into its periodic
state, while a measured scan sees a stretch in the middle of a long recording.

References
----------
.. [1] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, §2.3 (f5), §6.3.
"""

from __future__ import annotations

import numpy as np

from thesis_lib.emulator import Emulator, EmulatorParams
from thesis_lib.emulator.analysis import tone_drive
from thesis_lib.emulator.readout import convolve_beam, scan_sample

from .inputs import SeriesMeta

#: Peak drive of the test tone (emulator units; a record level the log would state).
DRIVE_AMPLITUDE = 0.5
#: Tone periods of candidate offsets. One period would align the tone; the recorded
#: tape also carries structure far shorter than the tone (tape noise and, in the
#: emulator, an ~80 µm beat of the 100 kHz bias against the Δℓ grid at 0.381 m/s), whose
#: phase relative to the tone changes from period to period, so several are searched.
OFFSET_PERIODS = 6


class ToneSimulator:
    """The test tone of one series recorded once; scan waveforms for any (step, beam).

    Parameters
    ----------
    meta : SeriesMeta
        Tape speed and test-tone frequency come from here.
    n_samples : int
        Scan positions of the measured waveform.
    max_step_um : float
        Largest candidate step; the recording is long enough for ``n_samples``
        positions at this step from any offset within one tone period.
    params : EmulatorParams, optional
        Emulator physics (default: the emulator defaults at the series' tape speed).
    drive_amplitude : float
        Peak of the sine drive.
    offset_step_um : float
        Spacing of the candidate start offsets (default Δℓ, or a quarter of the nominal
        step when that is finer).
    offset_periods : int
        Tone periods spanned by the candidate offsets (see below).
    seed : int
        Seed of the recording's tape noise.

    Examples
    --------
    >>> meta = SeriesMeta(tape_speed_m_s=0.381, test_tone_hz=261.0, step_um=200.0)
    >>> sim = ToneSimulator(meta, n_samples=16, max_step_um=220.0,
    ...                     params=EmulatorParams(tape_speed_m_s=0.381, preisach_n=100))
    >>> waves = sim.scans(step_um=200.0, beam_um=26.0)
    >>> waves.shape == (sim.offsets_um.size, 16)
    True
    >>> bool(0.5 < waves.max() < 1.0)          # |M/M_s| of the recorded tone
    True
    """

    def __init__(self, meta: SeriesMeta, n_samples: int, max_step_um: float,
                 params: EmulatorParams | None = None, drive_amplitude: float = DRIVE_AMPLITUDE,
                 offset_step_um: float | None = None, offset_periods: int = OFFSET_PERIODS,
                 seed: int = 0):
        if params is None:
            # four points per segment: no aliased bias ripple (Emulator.record)
            params = EmulatorParams(tape_speed_m_s=meta.tape_speed_m_s, segment_subsamples=4)
        elif not np.isclose(params.tape_speed_m_s, meta.tape_speed_m_s):
            params = params.replace(tape_speed_m_s=meta.tape_speed_m_s)
        self.meta, self.params, self.n_samples = meta, params, int(n_samples)
        self.segment_um = params.segment_um
        # finer than Δℓ for finely stepped scans: an edge misplaced by half a segment would
        # leave a misfit larger than the beam's effect on it
        self.offset_step_um = float(offset_step_um or min(self.segment_um, meta.step_um / 4))
        wavelength = meta.wavelength_um
        self.lead_in_um = wavelength
        # margin for the widest beam kernel a grid is likely to ask for (6 sigma of 200 um)
        self.margin_um = 600.0
        span = (self.n_samples - 1) * float(max_step_um)
        lag_span = wavelength * max(int(offset_periods), 1)
        length_um = self.lead_in_um + 2 * self.margin_um + lag_span + span
        rate = params.output_rate
        duration = length_um * 1e-6 / meta.tape_speed_m_s
        n = int(np.ceil(duration * rate)) + 1
        drive = tone_drive(meta.test_tone_hz, n, rate, amplitude=drive_amplitude,
                           waveform=meta.signal)
        tape = Emulator(params, cache_dir=False).record(drive, rate, seed)
        self.position_um = np.asarray(tape.position_um, dtype=np.float64)
        self.magnetisation = np.asarray(tape.magnetisation, dtype=np.float64)
        #: the recorded tone without the f4 tape noise (the remanence left by f1-f3)
        self.remanence = np.asarray(tape.remanence, dtype=np.float64)
        # on the segment grid, so that a window starts at a segment centre
        first = self.position_um[0] + self.segment_um * np.ceil(
            (self.lead_in_um + self.margin_um) / self.segment_um)
        #: candidate tape positions of the first scan sample
        self.offsets_um = first + np.arange(0.0, lag_span, self.offset_step_um)
        self._blurred = {}

    def blurred(self, beam_um: float, clean: bool = False) -> np.ndarray:
        """The recorded profile seen through a Gaussian beam of FWHM ``beam_um`` (cached).

        ``clean=True`` blurs the remanence without tape noise: the expected tone, whose
        difference from a measurement is the measurement's own noise only.
        """
        key = (round(float(beam_um), 9), bool(clean))
        if key not in self._blurred:
            if len(self._blurred) > 64:
                self._blurred.clear()
            source = self.remanence if clean else self.magnetisation
            self._blurred[key] = convolve_beam(source, float(beam_um), self.segment_um)
        return self._blurred[key]

    def scans(self, step_um: float, beam_um: float, clean: bool = False) -> np.ndarray:
        """Scan waveforms ``(n_offsets, n_samples)``: row k starts at ``offsets_um[k]``.

        ``clean=True`` scans the tone without the simulation's own tape noise.
        """
        profile = self.blurred(beam_um, clean)
        need = self.offsets_um[-1] + (self.n_samples - 1) * step_um
        if need > self.position_um[-1] - self.margin_um / 2:
            raise ValueError(f"step {step_um} µm exceeds the longest step this simulator was "
                             "recorded for; build it with a larger max_step_um")
        at = self.offsets_um[:, None] + float(step_um) * np.arange(self.n_samples)[None, :]
        return np.interp(at, self.position_um, profile)

    def scans_at(self, step_um: float, beam_um: float, offsets_um, clean: bool = False):
        """Scan waveforms ``(len(offsets_um), n_samples)`` starting at any tape positions
        (between the candidate offsets too: the profile is interpolated linearly)."""
        profile = self.blurred(beam_um, clean)
        at = (np.asarray(offsets_um, dtype=np.float64)[:, None]
              + float(step_um) * np.arange(self.n_samples)[None, :])
        if at.min() < self.position_um[0] or at.max() > self.position_um[-1]:
            raise ValueError("scan offsets beyond the recorded tape; build the simulator with "
                             "a larger max_step_um")
        return np.interp(at, self.position_um, profile)

    def scan(self, step_um: float, beam_um: float, offset_um: float) -> np.ndarray:
        """One scan waveform starting at tape position ``offset_um``.

        Equals the emulator's :func:`~thesis_lib.emulator.readout.scan_sample`
        of the blurred profile whenever the offset lies on the segment grid.
        """
        grid = self.position_um[0] + self.segment_um * np.arange(self.position_um.size)
        start = int(round((offset_um - grid[0]) / self.segment_um))
        if np.isclose(grid[start], offset_um):
            sampled = scan_sample(self.blurred(beam_um)[start:], self.segment_um, step_um)
            if sampled.size >= self.n_samples:
                return sampled[: self.n_samples]
        at = float(offset_um) + float(step_um) * np.arange(self.n_samples)
        return np.interp(at, self.position_um, self.blurred(beam_um))

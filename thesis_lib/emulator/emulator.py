"""The forward emulator F(x, ξ) = f6∘f5∘f4∘f3∘f2∘f1 (thesis eq. 2.5) as one reusable object.

:class:`Emulator` builds the Preisach model and its engine once (thesis §4.3:
the emulator is instantiated once and reused across clips) and maps a clean
clip to its simulated XMCD readout. :meth:`Emulator.record` runs the writing
stages f1-f4 and returns a :class:`Tape`; :meth:`Emulator.read` runs the
readout stages f5-f6 on it; ``emu(x, sr, seed)`` is exactly
``emu.read(emu.record(x, sr, seed), seed)``.

Randomness: every draw of a call comes from ``np.random.SeedSequence(seed)``,
spawned into independent streams (tape noise, dropouts, measurement noise), so
the output of a clip depends only on its seed — with :func:`clip_seed` (eq. 4.3)
any partition of a dataset regenerates it bit for bit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from thesis_lib._waveform import as_waveform, check_sample_rate

from .bias import bias_amplitude
from .degradations import aging_tail, dropouts, print_through
from .engines import PreisachOperator
from .head_field import PEAKS, REFINED, HeadField, karlqvist_kernel, make_drive, make_head
from .measurement_noise import MeasurementNoise
from .params import EmulatorParams
from .preisach import load_model
from .readout import BeamReadout
from .tape_noise import tape_noise

#: Order of the independent random streams spawned from a clip seed.
STREAMS = ("tape_noise", "dropouts", "measurement_noise")


@dataclass
class Tape:
    """A recorded tape patch: magnetisation per segment (output of f1-f4)."""

    position_um: np.ndarray      #: segment centres along the tape
    magnetisation: np.ndarray    #: m = M/M_s after tape noise and degradations, in [−1, 1]
    remanence: np.ndarray        #: M_hist: the ideal Preisach remanence (before f4)
    segment_um: float
    duration_s: float


def _streams(seed):
    children = np.random.SeedSequence(int(seed)).spawn(len(STREAMS))
    pairs = zip(STREAMS, children, strict=True)
    return {name: np.random.default_rng(child) for name, child in pairs}


class Emulator:
    """Forward model of one parameter set.

    Examples
    --------
    >>> p = EmulatorParams(preisach_n=100)
    >>> emu = Emulator(p, cache_dir=False)
    >>> sr = 48000
    >>> x = 0.5 * np.sin(2 * np.pi * 261.0 * np.arange(sr // 50) / sr)
    >>> y = emu(x, sr, seed=1)
    >>> y.shape, y.dtype.name, "hysteresis" in emu.last_timings
    ((960,), 'float64', True)
    >>> bool(np.array_equal(y, emu.read(emu.record(x, sr, 1), 1)))
    True
    """

    def __init__(self, params: EmulatorParams | None = None, cache_dir=None):
        self.params = p = params if params is not None else EmulatorParams()
        self.model = load_model(p.preisach_n, cache_dir)
        self.operator = PreisachOperator(self.model, p.engine, p.erase_decay)
        gap, spacing = p.head_gap_um * 1e-6, p.head_spacing_um * 1e-6
        #: field at the gap centre per unit drive is record_level median coercivities
        self.h0 = p.record_level / float(karlqvist_kernel(0.0, gap, spacing))
        self.readout = BeamReadout(p.beam_fwhm_um, p.segment_um, p.step_um, p.tape_speed_m_s,
                                   p.output_rate, p.beam_skew)
        self.measurement = MeasurementNoise(
            p.noise_scale, p.shot_coefficient, p.noise_floor,
            beam_area_um2=p.beam_fwhm_um * p.beam_height_um,
            dwell_s=p.step_m / p.tape_speed_m_s, mode=p.measurement_noise)
        self.tail = aging_tail(p.aging_field)
        self.last_timings: dict = {}

    # ------------------------------------------------------------------ helpers
    def segment_positions(self, duration_s):
        """Segment centres (metres) of the tape patch written in ``duration_s``."""
        p = self.params
        count = max(1, int(round(p.tape_speed_m_s * duration_s / p.segment_m)))
        return (np.arange(count) + 0.5) * p.segment_m

    def field_kwargs(self, x):
        """Keyword arguments of the head-field stage for drive ``x`` (bias amplitude resolved)."""
        p = self.params
        return dict(gain=p.input_gain, amplitude=bias_amplitude(x, p.bias_mode, p.bias_amplitude),
                    bias_hz=p.bias_freq_hz, h0=self.h0, gap=p.head_gap_um * 1e-6,
                    spacing=p.head_spacing_um * 1e-6, speed=p.tape_speed_m_s,
                    window=p.field_window_um * 1e-6)

    def drive_and_head(self, x, sample_rate):
        """The :class:`~.head_field.Drive` of ``x`` and the :class:`~.head_field.Head` (f1, f2)."""
        kw = self.field_kwargs(x)
        drive = make_drive(x, sample_rate, kw["gain"], kw["amplitude"], kw["bias_hz"])
        head = make_head(kw["h0"], kw["gap"], kw["spacing"], kw["speed"], kw["window"])
        return drive, head

    def field_history(self, x, sample_rate, position_m, mode=None):
        """Field samples seen by the segment at ``position_m`` (f1∘f2 for one segment)."""
        x = _validated(x, sample_rate)
        kw = self.field_kwargs(x)
        mode = self._history_mode() if mode is None else mode
        head = HeadField(kw["h0"], kw["gap"], kw["spacing"], kw["speed"], kw["window"])
        return head.history(x, sample_rate, position_m, kw["amplitude"], kw["bias_hz"],
                            kw["gain"], mode=mode)

    def _history_mode(self):
        return REFINED if self.params.newton_refine else PEAKS

    def warmup(self) -> float:
        """Compile (or load from the numba cache) every kernel; return the seconds it took."""
        t0 = time.perf_counter()
        sr = 48000
        x = 0.1 * np.sin(2 * np.pi * 1000 * np.arange(96) / sr)
        self(x, sr, 0)
        return time.perf_counter() - t0

    # ------------------------------------------------------------------ stages
    def record(self, x, sample_rate, seed) -> Tape:
        """Stages f1-f4: write drive ``x`` (1-D, at ``sample_rate`` Hz) onto tape.

        With ``segment_subsamples = K > 1`` each segment's remanence is the mean
        over K points evenly spread inside it. Why: the remanence left by AC bias
        depends on the bias phase at the moment a point leaves the gap, which
        varies along the tape with the bias wavelength λ_b = v / f_b. One point
        per segment samples that pattern every Δℓ and, when λ_b is close to Δℓ,
        aliases it into a long, spurious ripple (0.381 m/s, 100 kHz: λ_b = 3.81 µm
        against Δℓ = 4 µm gives an 80 µm ripple of amplitude ≈ 0.25). Real
        particles fill the segment, so averaging is the physical choice; the cost
        grows K-fold. At the default 0.1905 m/s the ripple is small and K = 1
        keeps the thesis's discretisation.
        """
        p = self.params
        x = _validated(x, sample_rate)
        duration = x.size / float(sample_rate)
        rngs = _streams(seed)
        positions = self.segment_positions(duration)
        timings = {}
        mode = self._history_mode()
        k = p.segment_subsamples
        offsets = ((np.arange(k) + 0.5) / k - 0.5) * p.segment_m
        points = (positions[:, None] + offsets[None, :]).ravel()
        t0 = time.perf_counter()
        drive, head = self.drive_and_head(x, sample_rate)
        m_points = self.operator.record(drive, head, points, mode=mode, tail=self.tail)
        timings["hysteresis"] = time.perf_counter() - t0
        m_hist = np.asarray(m_points).reshape(positions.size, k).mean(axis=1)
        t0 = time.perf_counter()
        m = tape_noise(m_hist, p.particles_mean, p.packing_fraction, rngs["tape_noise"],
                       p.tape_noise)
        timings["tape_noise"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        m = dropouts(m, p.segment_um, p.dropout_rate_per_mm, p.dropout_length_um,
                     p.dropout_depth, rngs["dropouts"])
        m = print_through(m, p.segment_um, p.tape_speed_m_s, p.print_through_gain,
                          p.print_through_offset_s)
        timings["degradations"] = time.perf_counter() - t0
        self.last_timings = timings
        return Tape(position_um=positions * 1e6, magnetisation=m, remanence=m_hist,
                    segment_um=p.segment_um, duration_s=duration)

    def read(self, tape: Tape, seed) -> np.ndarray:
        """Stages f5-f6: beam readout and measurement noise of a recorded ``tape``."""
        rngs = _streams(seed)
        length = int(round(tape.duration_s * self.params.output_rate))
        timings = {}
        t0 = time.perf_counter()
        y = self.readout(tape.magnetisation, length)
        timings["readout"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        y = self.measurement(y, rngs["measurement_noise"])
        timings["measurement_noise"] = time.perf_counter() - t0
        self.last_timings = {**self.last_timings, **timings} if self._recording else timings
        return y

    _recording = False

    def __call__(self, x, sample_rate, seed) -> np.ndarray:
        """y = F(x, ξ(seed)) at ``params.output_rate`` with the duration of ``x``."""
        t0 = time.perf_counter()
        tape = self.record(x, sample_rate, seed)
        self._recording = True
        try:
            y = self.read(tape, seed)
        finally:
            self._recording = False
        self.last_timings["total"] = time.perf_counter() - t0
        return y


def _validated(x, sample_rate):
    check_sample_rate(sample_rate)
    return as_waveform(x, name="the input", min_samples=2,
                       layout="the emulator takes one mono channel; mix down to mono first",
                       fix="clean the audio first")

"""Grid search and local refinement of scan step and beam FWHM (thesis §6.3).

For a measured scan waveform and its experiment log, :func:`calibrate`

1. records the test tone once (:class:`~.simulate.ToneSimulator`);
2. scores a coarse grid of (step, beam): for each point the simulated scans of the
   noise-free recorded tone (the remanence before the f4 grain: the simulation's own
   grain draw is independent of the measurement's, and a wider beam would score better
   only by smoothing it away) are aligned to the measurement (:func:`~.align.align`: lag
   by correlation, optional gain) and scored (:func:`~.score.match_metrics`,
   :func:`~.score.objective`);
3. refines on finer grids, each spanning the neighbours of the previous
   optimum (:data:`REFINE_LEVELS` levels). The step must be known far more
   finely than the tone needs: a step error δ moves the last of n samples by
   n·δ along the tape, and the short-wavelength structure that carries the
   beam information (tens of µm) must stay in phase over the whole scan;
4. measures what the data constrain — a profile-likelihood interval for each
   parameter (:func:`~.identifiability.profile_interval`);
5. returns the selected operating point with both score surfaces.

The step grid is relative to the nominal step of the log (the stage's
effective step differs from it by a few per cent, which is what calibration
is for); the beam grid is absolute. When the beam's interval spans the whole
searched range the data say nothing about the beam: no beam is then reported
(``beam_fwhm_um = None``, ``beam_source = "not identified"``, the interval the whole
search). Neither the nominal beam of the log nor the objective's minimiser (kept,
labelled, as ``beam_fwhm_best_um``) is a fit the data support.

A second, independent route to the beam is the tape noise: the residual of the
measurement against the *noise-free* simulated tone (aligned at the calibrated
step) is fitted by the Whittle likelihood of beam-blurred tape noise over a white
floor (:func:`~.noise_spectrum.fit_noise_spectrum`). When the tone does not
identify the beam but that profile interval does, the beam is reported from it
(``beam_source = "noise spectrum"``); the fit, its interval and the expected
(Cramér-Rao) standard deviation are always reported under ``beam_noise``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from .align import align
from .identifiability import (
    beam_attenuation,
    effective_samples,
    identified,
    profile_interval,
    profile_threshold,
)
from .inputs import SeriesMeta, validate_waveform
from .noise_spectrum import fit_noise_spectrum, zero_frequency_density
from .score import METRICS, OBJECTIVE_WEIGHTS, match_metrics, objective
from .simulate import ToneSimulator

#: Default coarse grid: steps as multiples of the nominal step, beams in µm.
STEP_FACTORS = tuple(np.round(np.linspace(0.8, 1.2, 17), 4))
BEAMS_UM = (8.0, 12.0, 16.0, 20.0, 26.0, 32.0, 40.0, 50.0, 60.0, 80.0)
REFINE_POINTS = 9
REFINE_LEVELS = 3
#: The best candidate lag is refined on this many sub-steps of the lag grid on either side:
#: a lag quantised to the grid would be traded against the step (a lag error of half a
#: segment over a 4 mm scan tilts the step by 0.05 %, as large as its interval).
LAG_SUBDIVISIONS = 8
#: Beams profiled by the noise-spectrum fit (evenly spread over the searched range).
NOISE_BEAM_POINTS = 36
#: Periodogram ordinates below this many tone harmonics are left out of the noise fit:
#: a tone placed a fraction of a step off leaks there.
NOISE_MIN_HARMONIC = 3.5


@dataclass(frozen=True)
class SearchSettings:
    """How :func:`calibrate` searches (step, beam): grids, refinement, alignment, tone.

    Attributes
    ----------
    step_factors : tuple of float
        Coarse step grid as multiples of the nominal step.
    beams_um : tuple of float
        Coarse beam-FWHM grid (µm).
    refine : bool
        Evaluate ``refine_levels`` successive ``refine_points`` × ``refine_points`` grids,
        each spanning the neighbours of the previous optimum.
    gain : {"lsq", "none"}
        Fit an affine gain after the lag, or only match means.
    weights : tuple of (str, float) pairs, optional
        Objective weights (default :data:`~.score.OBJECTIVE_WEIGHTS`); a dict is accepted.
    drive_amplitude : float, optional
        Peak drive of the recorded tone (default :data:`~.simulate.DRIVE_AMPLITUDE`).
    offset_step_um : float, optional
        Spacing of the candidate lags along the tape (default: Δℓ, or a quarter of the nominal
        step when that is finer — a magnetisation edge must not be misplaced by half a
        segment).
    select : {"rho", "objective"}
        What chooses the operating point and where the refinement goes: the largest ρ
        (default: the Gaussian likelihood that the profile intervals are computed from, so
        the point lies inside its own intervals), or the smallest objective J of §6.3.

    Notes
    -----
    J's spectral tie-breakers compare the measurement's noise floor with a simulation that
    has less of it; on a finely stepped scan they pull the beam towards the narrowest
    searched value (measured on a planted square-wave scan: J chose 8 µm, ρ 32 µm for a
    32 µm beam). J is still reported for every scored point.

    Examples
    --------
    >>> s = SearchSettings(step_factors=(1.0, 0.9), beams_um=(20, 40), weights={"rho": 1.0})
    >>> s.step_factors, s.beams_um, s.weights
    ((0.9, 1.0), (20.0, 40.0), (('rho', 1.0),))
    """

    step_factors: tuple = STEP_FACTORS
    beams_um: tuple = BEAMS_UM
    refine: bool = True
    refine_points: int = REFINE_POINTS
    refine_levels: int = REFINE_LEVELS
    gain: str = "lsq"
    weights: tuple | None = None
    drive_amplitude: float | None = None
    offset_step_um: float | None = None
    select: str = "rho"

    def __post_init__(self):
        set_ = object.__setattr__          # normalise once, so equal settings compare equal
        set_(self, "step_factors", tuple(sorted(float(f) for f in self.step_factors)))
        set_(self, "beams_um", tuple(sorted(float(b) for b in self.beams_um)))
        if isinstance(self.weights, dict):
            set_(self, "weights", tuple(sorted(self.weights.items())))
        if self.select not in ("rho", "objective"):
            raise ValueError(f"select must be 'rho' or 'objective', got {self.select!r}")
        if self.gain not in ("lsq", "none"):
            raise ValueError(f"gain must be 'lsq' or 'none', got {self.gain!r}")
        if len(self.step_factors) < 2 or not self.beams_um or min(self.beams_um) <= 0:
            raise ValueError("the search needs at least two step factors and one positive beam "
                             "FWHM")

    @property
    def weight_dict(self) -> dict | None:
        return None if self.weights is None else dict(self.weights)

    def to_dict(self) -> dict:
        """JSON-ready copy (lists for tuples, weights as a mapping)."""
        out = asdict(self)
        out.update(step_factors=list(self.step_factors), beams_um=list(self.beams_um),
                   weights=self.weight_dict)
        return out


@dataclass
class Surface:
    """Scores on a (step × beam) grid: ``objective`` and each metric, shape (n_steps, n_beams).

    ``criterion`` is what the search minimises (1 − ρ or the objective, see
    :class:`SearchSettings`).
    """

    steps_um: np.ndarray
    beams_um: np.ndarray
    objective: np.ndarray
    metrics: dict
    gain: np.ndarray
    offset_um: np.ndarray
    criterion: np.ndarray

    def best(self):
        """``(i, j)`` of the smallest criterion."""
        return np.unravel_index(int(np.argmin(self.criterion)), self.criterion.shape)

    def to_dict(self) -> dict:
        return {"steps_um": self.steps_um.tolist(), "beams_um": self.beams_um.tolist(),
                "objective": self.objective.tolist(),
                "metrics": {k: v.tolist() for k, v in self.metrics.items()},
                "gain": self.gain.tolist(), "offset_um": self.offset_um.tolist()}


@dataclass
class Calibration:
    """The selected operating point, its match and everything needed to judge it."""

    step_um: float
    beam_fwhm_um: float | None
    beam_source: str
    beam_fwhm_best_um: float
    metrics: dict
    objective: float
    alignment: dict
    step_interval_um: tuple
    beam_interval_um: tuple
    step_identified: bool
    beam_identified: bool
    nominal: dict
    grid: Surface
    refined: Surface
    levels: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    beam_noise: dict = field(default_factory=dict)
    measured: np.ndarray | None = None
    simulated: np.ndarray | None = None

    def parameters(self) -> dict:
        """Per parameter: identified or not, the fitted value (None if not) and the 95 %
        interval, as ``{"step": {...}, "beam_fwhm": {...}}``."""
        return {"step": {"identified": self.step_identified,
                         "value_um": self.step_um if self.step_identified else None,
                         "interval_um": list(self.step_interval_um), "source": "tone"},
                "beam_fwhm": {"identified": self.beam_identified, "value_um": self.beam_fwhm_um,
                              "interval_um": list(self.beam_interval_um),
                              "source": self.beam_source}}

    def to_dict(self, surfaces: bool = True) -> dict:
        """JSON-ready summary (``calib.json``)."""
        out = {"beam_fwhm_um": self.beam_fwhm_um, "step_um": self.step_um,
               "parameters": self.parameters(),
               "segment_um": self.settings.get("segment_um"),
               "beam_source": self.beam_source, "beam_fwhm_best_um": self.beam_fwhm_best_um,
               "metrics": dict(self.metrics), "objective": self.objective,
               "alignment": dict(self.alignment),
               "step_interval_um": list(self.step_interval_um),
               "beam_interval_um": list(self.beam_interval_um),
               "step_identified": self.step_identified, "beam_identified": self.beam_identified,
               "nominal": dict(self.nominal), "settings": dict(self.settings),
               "beam_noise": dict(self.beam_noise)}
        if surfaces:
            out["surface"] = {"grid": self.grid.to_dict(), "refined": self.refined.to_dict(),
                              "levels": [s.to_dict() for s in self.levels]}
            if self.measured is not None:
                out["waveforms"] = {"measured": self.measured.tolist(),
                                    "simulated": self.simulated.tolist()}
        return out


def _score_grid(sim, measured, steps, beams, search, progress):
    gain, weights = search.gain, search.weight_dict
    shape = (len(steps), len(beams))
    J = np.full(shape, np.inf)
    mets = {k: np.full(shape, np.nan) for k in METRICS}
    gains, offsets = np.full(shape, np.nan), np.full(shape, np.nan)
    for i, step in enumerate(steps):
        for j, beam in enumerate(beams):
            a, window = aligned_tone(sim, measured, step, beam, gain)
            m = match_metrics(measured, a.apply(window))
            for k in METRICS:
                mets[k][i, j] = m[k]
            J[i, j] = objective(m, weights)
            gains[i, j], offsets[i, j] = a.gain, a.offset_um
            if progress is not None:
                progress()
    criterion = 1.0 - mets["rho"] if search.select == "rho" else J
    return Surface(np.asarray(steps, float), np.asarray(beams, float), J, mets, gains, offsets,
                   criterion)


def _around(values, k, n):
    """``n`` points spanning the neighbours of ``values[k]`` (one-sided at the ends)."""
    lo = values[max(k - 1, 0)]
    hi = values[min(k + 1, len(values) - 1)]
    return np.linspace(lo, hi, n)


def calibrate(measured, meta: SeriesMeta, *, search: SearchSettings = SearchSettings(),
              params=None, seed: int = 0, progress=None) -> Calibration:
    """Calibrate scan step and beam FWHM of the emulator to a measured scan waveform.

    Parameters
    ----------
    measured : (n,) array_like
        The measured waveform, one value per scan position (any units and sign).
    meta : SeriesMeta
        The experiment log (tape speed, tone, nominal step and beam).
    search : SearchSettings
        Grids, refinement, alignment gain, objective weights, tone drive.
    params : EmulatorParams, optional
        Emulator physics for the recording (Δℓ stays at ``params.segment_um``).
    seed : int
        Seed of the simulated tape noise.
    progress : callable, optional
        Called after each scored grid point.

    Returns
    -------
    Calibration
        ``beam_fwhm_um`` is None (``beam_source = "not identified"``) when neither the tone
        nor the tape-noise spectrum bounds the beam inside the searched range.

    Examples
    --------
    A planted step of 1.04 × nominal is found on a noiseless synthetic scan:

    >>> from thesis_lib.emulator import EmulatorParams
    >>> p = EmulatorParams(tape_speed_m_s=0.381, preisach_n=100)
    >>> meta = SeriesMeta(tape_speed_m_s=0.381, test_tone_hz=261.0, step_um=100.0)
    >>> truth = ToneSimulator(meta, 60, 130.0, params=p, seed=5)
    >>> y = truth.scan(104.0, 30.0, truth.offsets_um[40])
    >>> grid = SearchSettings(step_factors=(0.96, 1.0, 1.04, 1.08), beams_um=(20.0, 40.0),
    ...                       refine_points=3, refine_levels=1)
    >>> cal = calibrate(y, meta, params=p, search=grid)
    >>> round(cal.step_um, 1), cal.metrics["rho"] > 0.999
    (104.0, True)
    """
    if not isinstance(search, SearchSettings):
        raise TypeError("search must be a SearchSettings (e.g. SearchSettings(beams_um=...))")
    step_factors, gain, weights = search.step_factors, search.gain, search.weight_dict
    refine, refine_points, refine_levels = search.refine, search.refine_points, search.refine_levels
    y = validate_waveform(measured, source=f"measured waveform {meta.series_id}".strip())
    steps = meta.step_um * np.asarray(step_factors, dtype=np.float64)
    beams = np.asarray(search.beams_um, dtype=np.float64)
    extra = ({} if search.drive_amplitude is None
             else {"drive_amplitude": search.drive_amplitude})
    max_step = float(steps.max()) * (1.0 + 1.0 / max(len(steps) - 1, 1))
    sim = ToneSimulator(meta, y.size, max_step, params=params, seed=seed,
                        offset_step_um=search.offset_step_um, **extra)
    coarse = _score_grid(sim, y, steps, beams, search, progress)
    i, j = coarse.best()
    levels = []
    prev = coarse
    for _ in range(refine_levels if refine else 0):
        i, j = prev.best()
        prev = _score_grid(sim, y, _around(prev.steps_um, i, refine_points),
                           _around(prev.beams_um, j, refine_points), search, progress)
        levels.append(prev)
    fine = levels[-1] if levels else coarse

    # every scored point, for the selection and the profile intervals
    scored = [coarse] + levels
    pts_step = np.concatenate([np.repeat(s.steps_um, s.beams_um.size) for s in scored])
    pts_beam = np.concatenate([np.tile(s.beams_um, s.steps_um.size) for s in scored])
    pts_rho = np.concatenate([s.metrics["rho"].ravel() for s in scored])
    pts_criterion = np.concatenate([s.criterion.ravel() for s in scored])
    best = int(np.argmin(pts_criterion))
    step_best, beam_best = float(pts_step[best]), float(pts_beam[best])
    # The beam can only be identified if changing it over the searched range moves the
    # (re-aligned) simulation by more than the misfit that remains at the best point.
    beam_effect, residual = beam_sensitivity(sim, y, step_best, beam_best, beams, gain)
    misfit = float(np.sqrt(np.mean(residual ** 2)))
    # the tape noise left after the noise-free tone: its spectrum carries the beam's MTF
    try:
        noise = fit_noise_spectrum(
            noise_residual(sim, y, step_best, meta.beam_fwhm_um, gain), step_best,
            np.linspace(beams.min(), beams.max(), NOISE_BEAM_POINTS), segment_um=sim.segment_um,
            min_frequency=min(NOISE_MIN_HARMONIC * step_best / meta.wavelength_um, 0.25))
        noise_ok, noise_doc = noise.identified, noise.to_dict()
        n_spectrum = spectral_samples(residual, noise, step_best, sim.segment_um)
    except ValueError as exc:           # too few positions for a spectrum: no second route
        noise_ok, noise_doc = False, {"identified": False, "skipped": str(exc)}
        n_spectrum = float("inf")
    # The profile statistic counts independent residuals. What moves the fit of step and
    # beam is the residual's slow part (its spectrum near zero frequency), so the count is
    # the residual's energy over that spectral density. Two estimates of it: the residual's
    # summed autocorrelations (which see unmodelled smooth mismatch, but read low because
    # the fitted step, lag, gain and bias have already absorbed the slowest noise) and the
    # fitted noise spectrum extrapolated to zero frequency (physical beam-blurred tape
    # noise over a white floor, fitted above the tone's leakage). The smaller count, i.e.
    # the larger noise, is used: either underestimate alone held the planted step of a
    # finely stepped sine scan in only 17 of 20 seeds.
    n_autocorr = effective_samples(residual)
    n_eff = min(n_autocorr, n_spectrum)
    fitted = fitted_parameters(gain)
    step_iv = profile_interval(pts_step, pts_rho, n_eff, fitted=fitted)[:2]
    beam_iv = profile_interval(pts_beam, pts_rho, n_eff, fitted=fitted)[:2]
    step_ok = identified(step_iv, (steps.min(), steps.max()))
    tone_ok = identified(beam_iv, (beams.min(), beams.max())) and beam_effect > 2.0 * misfit
    tone_iv = beam_iv
    if tone_ok:
        beam, source = beam_best, "tone"
    elif noise_ok:
        beam, source = noise.fwhm_um, "noise spectrum"
        beam_iv = noise.interval_um
    else:
        # Not identified: the data allow any searched beam, and no value is reported as a
        # fit. (The tone's Wilks interval can still be narrow — it reads the simulation's own
        # tape-noise draw — but the beam moves the simulation by less than the misfit, so
        # that interval means nothing.) The match below uses the objective's minimiser.
        beam, source = None, "not identified"
        beam_iv = (float(beams.min()), float(beams.max()))
    beam_ok = tone_ok or noise_ok

    a, window = aligned_tone(sim, y, step_best, beam_best if beam is None else beam, gain)
    simulated = a.apply(window)
    metrics = match_metrics(y, simulated)
    settings = {**search.to_dict(), "weights": dict(weights or OBJECTIVE_WEIGHTS),
                "refine_levels": refine_levels if refine else 0,
                "segment_um": sim.segment_um, "offset_step_um": sim.offset_step_um,
                "drive_amplitude": extra.get("drive_amplitude", "default"), "seed": seed,
                "n_samples": int(y.size), "n_effective": float(n_eff),
                "n_effective_autocorrelation": float(n_autocorr),
                "n_effective_spectrum": (float(n_spectrum) if np.isfinite(n_spectrum)
                                         else None),
                "fitted_parameters": int(fitted),
                "profile_threshold": profile_threshold(n_eff, fitted=fitted),
                "beam_effect_rms": float(beam_effect), "misfit_rms": float(misfit),
                "beam_interval_tone_um": [float(v) for v in tone_iv]}
    nominal = {"step_um": meta.step_um, "beam_fwhm_um": meta.beam_fwhm_um,
               "wavelength_um": meta.wavelength_um,
               "beam_attenuation_at_tone": float(beam_attenuation(meta.beam_fwhm_um,
                                                                  meta.wavelength_um))}
    return Calibration(step_um=step_best, beam_fwhm_um=None if beam is None else float(beam),
                       beam_source=source,
                       beam_fwhm_best_um=beam_best, metrics=metrics,
                       objective=objective(metrics, weights),
                       alignment={"offset_um": a.offset_um, "lag_samples": a.lag_samples,
                                  "gain": a.gain, "bias": a.bias, "rho": a.rho},
                       step_interval_um=tuple(step_iv), beam_interval_um=tuple(beam_iv),
                       step_identified=step_ok, beam_identified=beam_ok, nominal=nominal,
                       grid=coarse, refined=fine, levels=levels, settings=settings, measured=y,
                       simulated=simulated,
                       beam_noise={**noise_doc, "tone_identified": bool(tone_ok)})


def fitted_parameters(gain: str) -> int:
    """Parameters adjusted at every scored point: step, beam, lag, bias, and the gain unless
    ``gain == "none"``.

    Examples
    --------
    >>> fitted_parameters("lsq"), fitted_parameters("none")
    (5, 4)
    """
    return 4 + int(gain != "none")


def spectral_samples(residual, noise, step_um, segment_um) -> float:
    """Effective samples of ``residual`` by its fitted noise spectrum: Σ r² / S(0).

    ``noise`` is the :class:`~.noise_spectrum.BeamFromNoise` fit of the residual's spectrum;
    S(0) its model density at zero frequency (:func:`~.noise_spectrum.zero_frequency_density`).
    For white noise S(0) is the variance and the count is n; beam-blurred tape noise raises
    S(0) by its correlation length in scan positions and lowers the count accordingly.
    """
    density = zero_frequency_density(noise, step_um, segment_um)
    r = np.asarray(residual, dtype=np.float64)
    return float(np.clip(np.sum((r - r.mean()) ** 2) / density, 3.0, r.size))


def beam_sensitivity(sim, y, step_um, beam_um, beams, gain):
    """How much the beam can change the aligned simulation, and the misfit left at the best point.

    Returns ``(effect, residual)``: the largest RMS difference between the re-aligned
    simulation at ``beam_um`` and at any beam of ``beams`` (same step), and the
    measured-minus-simulated residual at ``beam_um``. Gain and lag are re-fitted for every
    beam, so an effect the gain can absorb does not count.
    """
    def aligned(beam):
        a, window = aligned_tone(sim, y, step_um, beam, gain)
        return a.apply(window)

    best = aligned(beam_um)
    effect = max((float(np.sqrt(np.mean((aligned(b) - best) ** 2)))
                  for b in beams if not np.isclose(b, beam_um)), default=0.0)
    return effect, y - best


def noise_residual(sim, y, step_um, beam_um, gain):
    """The measurement minus the aligned *noise-free* simulated tone (what the tone leaves).

    The simulation's own tape-noise draw would otherwise add to the residual a second,
    independent copy of the very noise whose spectrum is to be fitted.
    """
    a, window = aligned_tone(sim, y, step_um, beam_um, gain)
    return np.asarray(y, dtype=np.float64) - a.apply(window)


def aligned_tone(sim, y, step_um, beam_um, gain):
    """The noise-free simulated tone laid onto ``y``: ``(alignment, window)``.

    The lag is chosen among the simulator's candidate offsets, then refined on
    :data:`LAG_SUBDIVISIONS` sub-steps either side of the best one. The simulation's own
    grain draw is left out: it is independent of the measurement's, and a wider beam would
    score better only by smoothing it away. ``alignment.index`` is the nearest candidate;
    ``offset_um`` and ``lag_samples`` are the refined lag.
    """
    windows = sim.scans(step_um, beam_um, clean=True)
    coarse = align(y, windows, sim.offsets_um, step_um, gain=gain)
    around = coarse.offset_um + sim.offset_step_um * np.linspace(-1.0, 1.0,
                                                                 2 * LAG_SUBDIVISIONS + 1)
    fine_windows = sim.scans_at(step_um, beam_um, around, clean=True)
    fine = align(y, fine_windows, around, step_um, gain=gain)
    if fine.rho <= coarse.rho:
        return coarse, windows[coarse.index]
    window = fine_windows[fine.index]
    return replace(fine, index=coarse.index,
                   lag_samples=float((fine.offset_um - sim.offsets_um[0]) / step_um)), window

"""Grid search and local refinement of scan step and beam FWHM (thesis §6.3).

For a measured scan waveform and its experiment log, :func:`calibrate`

1. records the test tone once (:class:`~.simulate.ToneSimulator`);
2. scores a coarse grid of (step, beam): for each point the simulated scans
   are aligned to the measurement (:func:`~.align.align`: lag by correlation,
   optional gain) and scored (:func:`~.score.match_metrics`,
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
searched range the data say nothing about the beam: the reported beam is then
the nominal one of the experiment log (``beam_source = "nominal"``), and the
objective's own minimiser is kept as ``beam_fwhm_best_um`` — choosing a value
the data cannot distinguish from any other would only report noise.
``unidentified_beam="best"`` reports the minimiser instead.

A second, independent route to the beam is the tape noise: the residual of the
measurement against the *noise-free* simulated tone (aligned at the calibrated
step) is fitted by the Whittle likelihood of beam-blurred tape noise over a white
floor (:func:`~.noise_spectrum.fit_noise_spectrum`). When the tone does not
identify the beam but that profile interval does, the beam is reported from it
(``beam_source = "noise spectrum"``); the fit, its interval and the expected
(Cramér-Rao) standard deviation are always reported under ``beam_noise``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .align import align
from .identifiability import beam_attenuation, effective_samples, identified, profile_interval
from .inputs import SeriesMeta, validate_waveform
from .noise_spectrum import fit_noise_spectrum
from .score import METRICS, OBJECTIVE_WEIGHTS, match_metrics, objective
from .simulate import ToneSimulator

#: Default coarse grid: steps as multiples of the nominal step, beams in µm.
STEP_FACTORS = tuple(np.round(np.linspace(0.8, 1.2, 17), 4))
BEAMS_UM = (8.0, 12.0, 16.0, 20.0, 26.0, 32.0, 40.0, 50.0, 60.0, 80.0)
REFINE_POINTS = 9
REFINE_LEVELS = 3
#: Beams profiled by the noise-spectrum fit (evenly spread over the searched range).
NOISE_BEAM_POINTS = 36
#: Periodogram ordinates below this many tone harmonics are left out of the noise fit:
#: a tone placed a fraction of a step off leaks there.
NOISE_MIN_HARMONIC = 3.5


@dataclass
class Surface:
    """Scores on a (step × beam) grid: ``objective`` and each metric, shape (n_steps, n_beams)."""

    steps_um: np.ndarray
    beams_um: np.ndarray
    objective: np.ndarray
    metrics: dict
    gain: np.ndarray
    offset_um: np.ndarray

    def best(self):
        """``(i, j)`` of the smallest objective."""
        return np.unravel_index(int(np.argmin(self.objective)), self.objective.shape)

    def to_dict(self) -> dict:
        return {"steps_um": self.steps_um.tolist(), "beams_um": self.beams_um.tolist(),
                "objective": self.objective.tolist(),
                "metrics": {k: v.tolist() for k, v in self.metrics.items()},
                "gain": self.gain.tolist(), "offset_um": self.offset_um.tolist()}


@dataclass
class Calibration:
    """The selected operating point, its match and everything needed to judge it."""

    step_um: float
    beam_fwhm_um: float
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

    def to_dict(self, surfaces: bool = True) -> dict:
        """JSON-ready summary (``calib.json``)."""
        out = {"beam_fwhm_um": self.beam_fwhm_um, "step_um": self.step_um,
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


def _score_grid(sim, measured, steps, beams, gain, weights, progress):
    shape = (len(steps), len(beams))
    J = np.full(shape, np.inf)
    mets = {k: np.full(shape, np.nan) for k in METRICS}
    gains, offsets = np.full(shape, np.nan), np.full(shape, np.nan)
    for i, step in enumerate(steps):
        for j, beam in enumerate(beams):
            windows = sim.scans(step, beam)
            a = align(measured, windows, sim.offsets_um, step, gain=gain)
            m = match_metrics(measured, a.apply(windows[a.index]))
            for k in METRICS:
                mets[k][i, j] = m[k]
            J[i, j] = objective(m, weights)
            gains[i, j], offsets[i, j] = a.gain, a.offset_um
            if progress is not None:
                progress()
    return Surface(np.asarray(steps, float), np.asarray(beams, float), J, mets, gains, offsets)


def _around(values, k, n):
    """``n`` points spanning the neighbours of ``values[k]`` (one-sided at the ends)."""
    lo = values[max(k - 1, 0)]
    hi = values[min(k + 1, len(values) - 1)]
    return np.linspace(lo, hi, n)


def calibrate(measured, meta: SeriesMeta, *, step_factors=STEP_FACTORS, beams_um=BEAMS_UM,
              refine: bool = True, refine_points: int = REFINE_POINTS,
              refine_levels: int = REFINE_LEVELS, gain: str = "lsq",
              weights: dict | None = None, unidentified_beam: str = "nominal", params=None,
              drive_amplitude: float | None = None, offset_step_um: float | None = None,
              seed: int = 0, progress=None) -> Calibration:
    """Calibrate scan step and beam FWHM of the emulator to a measured scan waveform.

    Parameters
    ----------
    measured : (n,) array_like
        The measured waveform, one value per scan position (any units and sign).
    meta : SeriesMeta
        The experiment log (tape speed, tone, nominal step and beam).
    step_factors : sequence of float
        Coarse step grid as multiples of the nominal step.
    beams_um : sequence of float
        Coarse beam-FWHM grid.
    refine : bool
        Evaluate ``refine_levels`` successive ``refine_points`` × ``refine_points``
        grids, each spanning the neighbours of the previous optimum.
    gain : {"lsq", "none"}
        Fit an affine gain after the lag, or only match means.
    weights : dict, optional
        Objective weights (default :data:`~.score.OBJECTIVE_WEIGHTS`).
    unidentified_beam : {"nominal", "best"}
        What to report as the beam when the data do not constrain it.
    params : EmulatorParams, optional
        Emulator physics for the recording (Δℓ stays at ``params.segment_um``).
    drive_amplitude : float, optional
        Peak drive of the recorded tone (default :data:`~.simulate.DRIVE_AMPLITUDE`).
    offset_step_um : float, optional
        Spacing of the candidate lags along the tape (default Δℓ).
    seed : int
        Seed of the simulated tape noise.
    progress : callable, optional
        Called after each scored grid point.

    Returns
    -------
    Calibration

    Examples
    --------
    A planted step of 1.04 × nominal is found on a noiseless synthetic scan:

    >>> from thesis_lib.emulator import EmulatorParams
    >>> p = EmulatorParams(tape_speed_m_s=0.381, preisach_n=100)
    >>> meta = SeriesMeta(tape_speed_m_s=0.381, test_tone_hz=261.0, step_um=100.0)
    >>> truth = ToneSimulator(meta, 60, 130.0, params=p, seed=5)
    >>> y = truth.scan(104.0, 30.0, truth.offsets_um[40])
    >>> cal = calibrate(y, meta, params=p, step_factors=(0.96, 1.0, 1.04, 1.08),
    ...                 beams_um=(20.0, 40.0), refine_points=3, refine_levels=1)
    >>> round(cal.step_um, 1), cal.metrics["rho"] > 0.999
    (104.0, True)
    """
    if unidentified_beam not in ("nominal", "best"):
        raise ValueError("unidentified_beam must be 'nominal' or 'best', "
                         f"got {unidentified_beam!r}")
    y = validate_waveform(measured, source=f"measured waveform {meta.series_id}".strip())
    steps = meta.step_um * np.asarray(sorted(step_factors), dtype=np.float64)
    beams = np.asarray(sorted(beams_um), dtype=np.float64)
    if steps.size < 2 or beams.size < 1 or np.any(beams <= 0):
        raise ValueError("the search needs at least two step factors and one positive beam FWHM")
    extra = {} if drive_amplitude is None else {"drive_amplitude": drive_amplitude}
    max_step = float(steps.max()) * (1.0 + 1.0 / max(len(steps) - 1, 1))
    sim = ToneSimulator(meta, y.size, max_step, params=params, seed=seed,
                        offset_step_um=offset_step_um, **extra)
    coarse = _score_grid(sim, y, steps, beams, gain, weights, progress)
    i, j = coarse.best()
    levels = []
    prev = coarse
    for _ in range(refine_levels if refine else 0):
        i, j = prev.best()
        prev = _score_grid(sim, y, _around(prev.steps_um, i, refine_points),
                           _around(prev.beams_um, j, refine_points), gain, weights, progress)
        levels.append(prev)
    fine = levels[-1] if levels else coarse

    # every scored point, for the selection and the profile intervals
    scored = [coarse] + levels
    pts_step = np.concatenate([np.repeat(s.steps_um, s.beams_um.size) for s in scored])
    pts_beam = np.concatenate([np.tile(s.beams_um, s.steps_um.size) for s in scored])
    pts_rho = np.concatenate([s.metrics["rho"].ravel() for s in scored])
    pts_J = np.concatenate([s.objective.ravel() for s in scored])
    best = int(np.argmin(pts_J))
    step_best, beam_best = float(pts_step[best]), float(pts_beam[best])
    # The beam can only be identified if changing it over the searched range moves the
    # (re-aligned) simulation by more than the misfit that remains at the best point.
    beam_effect, residual = beam_sensitivity(sim, y, step_best, beam_best, beams, gain)
    misfit = float(np.sqrt(np.mean(residual ** 2)))
    # The profile statistic counts independent residuals; a residual dominated by model
    # mismatch is smooth, so count the effective number of samples (AR(1) correction).
    n_eff = effective_samples(residual)
    step_iv = profile_interval(pts_step, pts_rho, n_eff)[:2]
    beam_iv = profile_interval(pts_beam, pts_rho, n_eff)[:2]
    step_ok = identified(step_iv, (steps.min(), steps.max()))
    tone_ok = identified(beam_iv, (beams.min(), beams.max())) and beam_effect > 2.0 * misfit
    # the tape noise left after the noise-free tone: its spectrum carries the beam's MTF
    try:
        noise = fit_noise_spectrum(
            noise_residual(sim, y, step_best, meta.beam_fwhm_um, gain), step_best,
            np.linspace(beams.min(), beams.max(), NOISE_BEAM_POINTS), segment_um=sim.segment_um,
            min_frequency=min(NOISE_MIN_HARMONIC * step_best / meta.wavelength_um, 0.25))
        noise_ok, noise_doc = noise.identified, noise.to_dict()
    except ValueError as exc:           # too few positions for a spectrum: no second route
        noise_ok, noise_doc = False, {"identified": False, "skipped": str(exc)}
    tone_iv = beam_iv
    if tone_ok or (unidentified_beam == "best" and not noise_ok):
        beam, source = beam_best, "tone"
    elif noise_ok:
        beam, source = noise.fwhm_um, "noise spectrum"
        beam_iv = noise.interval_um
    else:
        # Not identified: the data allow any searched beam. (The tone's Wilks interval can
        # still be narrow — it reads the simulation's own tape-noise draw — but the beam moves
        # the simulation by less than the misfit, so that interval means nothing.)
        beam, source = meta.beam_fwhm_um, "nominal"
        beam_iv = (float(beams.min()), float(beams.max()))
    beam_ok = tone_ok or noise_ok

    windows = sim.scans(step_best, beam)
    a = align(y, windows, sim.offsets_um, step_best, gain=gain)
    simulated = a.apply(windows[a.index])
    metrics = match_metrics(y, simulated)
    settings = {"gain": gain, "weights": dict(weights or OBJECTIVE_WEIGHTS),
                "step_factors": [float(f) for f in sorted(step_factors)],
                "beams_um": beams.tolist(), "refine": bool(refine), "refine_points": refine_points,
                "refine_levels": refine_levels if refine else 0,
                "segment_um": sim.segment_um, "offset_step_um": sim.offset_step_um,
                "drive_amplitude": extra.get("drive_amplitude", "default"), "seed": seed,
                "n_samples": int(y.size), "n_effective": float(n_eff),
                "beam_effect_rms": float(beam_effect), "misfit_rms": float(misfit),
                "unidentified_beam": unidentified_beam,
                "beam_interval_tone_um": [float(v) for v in tone_iv]}
    nominal = {"step_um": meta.step_um, "beam_fwhm_um": meta.beam_fwhm_um,
               "wavelength_um": meta.wavelength_um,
               "beam_attenuation_at_tone": float(beam_attenuation(meta.beam_fwhm_um,
                                                                  meta.wavelength_um))}
    return Calibration(step_um=step_best, beam_fwhm_um=float(beam), beam_source=source,
                       beam_fwhm_best_um=beam_best, metrics=metrics,
                       objective=objective(metrics, weights),
                       alignment={"offset_um": a.offset_um, "lag_samples": a.lag_samples,
                                  "gain": a.gain, "bias": a.bias, "rho": a.rho},
                       step_interval_um=tuple(step_iv), beam_interval_um=tuple(beam_iv),
                       step_identified=step_ok, beam_identified=beam_ok, nominal=nominal,
                       grid=coarse, refined=fine, levels=levels, settings=settings, measured=y,
                       simulated=simulated,
                       beam_noise={**noise_doc, "tone_identified": bool(tone_ok)})


def beam_sensitivity(sim, y, step_um, beam_um, beams, gain):
    """How much the beam can change the aligned simulation, and the misfit left at the best point.

    Returns ``(effect, residual)``: the largest RMS difference between the re-aligned
    simulation at ``beam_um`` and at any beam of ``beams`` (same step), and the
    measured-minus-simulated residual at ``beam_um``. Gain and lag are re-fitted for every
    beam, so an effect the gain can absorb does not count.
    """
    def aligned(beam):
        windows = sim.scans(step_um, beam)
        a = align(y, windows, sim.offsets_um, step_um, gain=gain)
        return a.apply(windows[a.index])

    best = aligned(beam_um)
    effect = max((float(np.sqrt(np.mean((aligned(b) - best) ** 2)))
                  for b in beams if not np.isclose(b, beam_um)), default=0.0)
    return effect, y - best


def noise_residual(sim, y, step_um, beam_um, gain):
    """The measurement minus the aligned *noise-free* simulated tone (what the tone leaves).

    The simulation's own tape-noise draw would otherwise add to the residual a second,
    independent copy of the very noise whose spectrum is to be fitted.
    """
    windows = sim.scans(step_um, beam_um, clean=True)
    a = align(y, windows, sim.offsets_um, step_um, gain=gain)
    return np.asarray(y, dtype=np.float64) - a.apply(windows[a.index])

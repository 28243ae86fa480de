"""Scan design: how finely must a calibration scan be stepped to know the beam to ±10 %?

Two things on a tape carry the beam FWHM *w* into a scan, and each has a Cramér-Rao
bound for the relative standard deviation of *w* that depends on the step *d* (as d / w)
and on the detector noise:

* **a magnetisation edge** (a recorded square wave): the scan reads c + A Φ((u − u₀)/σ),
  σ = w / 2√(2 ln 2), under white noise of standard deviation σ_n; the edge's level *c*,
  height *A* and place *u₀* are nuisance parameters (:func:`edge_beam_sd`). The noise is
  stated as σ_n / A.
* **the tape grain** (a recorded sine): after the tone, the residual is beam-blurred
  tape noise over a white floor; its Whittle likelihood gives the bound of
  :func:`~.noise_spectrum.beam_fisher_sd`, which the Hann-tapered fit reaches within
  √(35/18) ≈ 1.39 (:func:`grain_beam_sd`). The noise is stated as floor variance /
  tape-noise variance.

:func:`design_map` evaluates either over a grid of step/beam ratios and noise levels — the
book's scan-design figure — and :func:`largest_step` reads from it the coarsest step that
still meets a target.

References
----------
.. [1] S. M. Kay, "Fundamentals of Statistical Signal Processing: Estimation Theory",
   Prentice Hall (1993), ch. 3 (Cramér-Rao bound, nuisance parameters).
.. [2] P. Whittle, "Estimation and information in stationary time series", Ark. Mat. 2
   (1953) 423-434.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .noise_spectrum import beam_fisher_sd, taper_inflation

FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))
#: 10-90 % rise of a Gaussian-blurred step, in standard deviations (2 × 1.2816).
RISE_PER_SIGMA = 2.0 * 1.2815515655446004
#: Sampling phases the edge information is averaged over (the edge's place is unknown).
PHASES = 8
#: Step/beam ratios :func:`largest_step` tries.
RATIOS = tuple(np.round(np.geomspace(0.02, 10.0, 200), 5))


def edge_beam_sd(step_um, beam_um, noise_to_edge, *, window_um=730.0, n_edges=2,
                 transition_um=0.0) -> float:
    """Relative Cramér-Rao sd of the beam FWHM from scanned magnetisation edges.

    Parameters
    ----------
    step_um, beam_um : float
        Scan step and beam FWHM.
    noise_to_edge : float
        White-noise standard deviation over the edge height (plateau to plateau).
    window_um : float
        Scan length around each edge (half a tone period of a square wave: 730 µm for
        261 Hz at 0.381 m/s).
    n_edges : int
        Edges in the scan; their information adds (each has its own place u₀; level and
        height are shared in a real scan, which this bound ignores: slightly pessimistic).
    transition_um : float
        10-90 % rise of the recorded edge itself (known from the recording model, see
        :func:`edge_rise_um`); it adds in quadrature to the beam's and dilutes what the
        edge says about the beam.

    Returns
    -------
    float
        sd(ŵ) / w.

    Notes
    -----
    The Fisher information of (c, A, u₀, w) is JᵀJ / σ_n² with J the exact derivatives of
    the sampled edge, averaged over :data:`PHASES` sampling phases; the sd of w is the
    square root of its diagonal element of the inverse. Cost: O(PHASES · window / step).

    Examples
    --------
    A 30 µm beam stepped every 3 µm with 1 % noise: about one per cent. Stepped every 60 µm
    (twice the beam) at the same noise: several times worse.

    >>> fine = edge_beam_sd(3.0, 30.0, 0.01)
    >>> coarse = edge_beam_sd(60.0, 30.0, 0.01)
    >>> bool(0.005 < fine < 0.015), bool(coarse > 3 * fine)
    (True, True)
    """
    sigma_beam = float(beam_um) / FWHM_PER_SIGMA
    sigma = float(np.hypot(sigma_beam, transition_um / RISE_PER_SIGMA))
    # d sigma / d FWHM: only the beam's share of the edge's width moves with the beam
    dsigma_dw = sigma_beam / (sigma * FWHM_PER_SIGMA)
    info = np.zeros((4, 4))
    for phase in np.arange(PHASES) / PHASES:
        u = (np.arange(-0.5 * window_um, 0.5 * window_um, step_um) + phase * step_um) / sigma
        pdf = np.exp(-0.5 * u**2) / np.sqrt(2 * np.pi)
        # d/dc, d/dA (A = 1), d/du0 and d/dw of c + A Φ((x - u0)/σ), σ = w / FWHM_PER_SIGMA
        jac = np.column_stack([np.ones_like(u), special.ndtr(u), -pdf / sigma,
                               -pdf * u / sigma * dsigma_dw])
        info += jac.T @ jac
    info *= n_edges / (PHASES * float(noise_to_edge) ** 2)
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return float("inf")
    return float(np.sqrt(max(cov[3, 3], 0.0)) / float(beam_um))


def grain_beam_sd(step_um, beam_um, floor_to_tape, *, scan_um=1095.0, segment_um=4.0,
                  min_frequency=0.0, taper="hann") -> float:
    """Expected relative sd of the beam FWHM from the tape grain of a scan ``scan_um`` long.

    ``floor_to_tape`` is the white floor's variance over the tape-noise variance (the
    f4 grain under no beam); see :func:`~.noise_spectrum.beam_fisher_sd`. The result is
    the sd of the fit the calibration actually runs: the Cramér-Rao bound of the
    untapered Whittle likelihood times √:func:`~.noise_spectrum.taper_inflation` of
    ``taper`` (≈ 1.39 for the Hann taper of :func:`~.noise_spectrum.fit_noise_spectrum`;
    ``taper="boxcar"`` gives the bound itself). The taper trades that variance for an
    unbiased spectrum of the steep beam-blurred grain.

    Examples
    --------
    >>> bool(grain_beam_sd(3.0, 30.0, 1.0) < grain_beam_sd(3.0, 30.0, 10.0))
    True
    >>> ratio = grain_beam_sd(3.0, 30.0, 1.0) / grain_beam_sd(3.0, 30.0, 1.0, taper="boxcar")
    >>> round(ratio, 2)
    1.39
    """
    n = max(int(round(scan_um / step_um)), 8)
    sd = beam_fisher_sd(n, float(step_um), float(beam_um), float(floor_to_tape), 1.0,
                        segment_um=segment_um, min_frequency=min_frequency)
    return float(sd / beam_um * np.sqrt(taper_inflation(n, window=taper)))


def design_map(step_over_beam, noise, *, route="edge", beam_um=30.0, **options) -> np.ndarray:
    """Relative beam sd over ``step_over_beam`` × ``noise`` (shape (len(noise), len(steps))).

    ``route="edge"`` uses :func:`edge_beam_sd` (noise = σ_n / edge height), ``"grain"``
    :func:`grain_beam_sd` (noise = floor / tape-noise variance); ``options`` go there.

    Examples
    --------
    >>> m = design_map([0.1, 1.0, 2.0], [0.01, 0.1])
    >>> m.shape, bool(np.all(np.diff(m, axis=0) > 0))      # more noise, larger sd
    ((2, 3), True)
    """
    funcs = {"edge": edge_beam_sd, "grain": grain_beam_sd}
    if route not in funcs:
        raise ValueError(f"route must be 'edge' or 'grain', not {route!r}")
    f = funcs[route]
    return np.array([[f(r * beam_um, beam_um, q, **options) for r in step_over_beam]
                     for q in noise])


def largest_step(noise, *, target=0.10, route="edge", beam_um=30.0,
                 ratios=RATIOS, **options) -> float:
    """Largest step/beam ratio in ``ratios`` whose predicted relative sd is ≤ ``target``.

    Returns 0.0 when none is.

    Examples
    --------
    >>> r = largest_step(0.05)                    # 5 % noise on the edge height
    >>> bool(0.3 < r <= 3.0)
    True
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    sd = design_map(ratios, [noise], route=route, beam_um=beam_um, **options)[0]
    ok = np.flatnonzero(sd <= target)
    return float(ratios[ok].max()) if ok.size else 0.0


def edge_rise_um(position_um, magnetisation) -> float:
    """Median 10-90 % rise (µm) of the edges of a recorded square wave.

    The levels are the 10th and 90th percentiles of the magnetisation; each crossing of
    their mean is one edge.

    Examples
    --------
    >>> u = np.arange(0.0, 4000.0, 1.0)
    >>> m = np.tanh(np.sin(2 * np.pi * u / 1460.0) * 20.0)
    >>> round(edge_rise_um(u, m))                        # 2 atanh(0.8) / 20 rad of 1460 µm
    26
    """
    u = np.asarray(position_um, dtype=np.float64)
    m = np.asarray(magnetisation, dtype=np.float64)
    lo, hi = np.percentile(m, 10), np.percentile(m, 90)
    a, b = lo + 0.1 * (hi - lo), lo + 0.9 * (hi - lo)
    rises = []
    for i in np.flatnonzero(np.diff(np.sign(m - (lo + hi) / 2))):
        j0, j1 = i, i + 1
        while j0 > 0 and a < m[j0] < b:
            j0 -= 1
        while j1 < m.size - 1 and a < m[j1] < b:
            j1 += 1
        if j0 > 0 and j1 < m.size - 1:
            seg, useg = m[j0:j1 + 1], u[j0:j1 + 1]
            if seg[-1] < seg[0]:                      # a falling edge: read it backwards
                seg, useg = seg[::-1], useg[::-1]
            # the 10 % and 90 % crossings, interpolated (the edge is monotone in between)
            rises.append(abs(np.interp(b, seg, useg) - np.interp(a, seg, useg)))
    return float(np.median(rises)) if rises else float("nan")


def describe_sd(sd_um, beam_um) -> str:
    """A beam sd in µm and as a share of the beam, for tables ("> 10 beams" beyond that).

    Examples
    --------
    >>> describe_sd(3.0, 30.0), describe_sd(500.0, 30.0), describe_sd(float("inf"), 30.0)
    ('3.0 µm (10 %)', '> 300 µm', '∞')
    """
    if not np.isfinite(sd_um):
        return "∞"
    if sd_um > 10 * beam_um:
        return f"> {10 * beam_um:.0f} µm"
    return f"{sd_um:.1f} µm ({100 * sd_um / beam_um:.0f} %)"

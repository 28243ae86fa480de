"""The beam from the tape noise: spectrum of a scan residual, Whittle fit, Fisher information.

A test tone is too long on the tape to feel the beam (see :mod:`.identifiability`),
but the tape also carries *granular noise* (stage f4: packing and writing noise,
independent from one Δℓ segment to the next). The beam averages that noise before
the scan samples it, so what is left of a measured scan after the aligned tone is
subtracted — the residual — is the sum of

* the **beam-blurred tape noise**: white segment noise convolved with the beam
  (FWHM *w*, σ = w / 2√(2 ln 2)) and sampled every step *d*. Its autocorrelation at
  a lag of *k* scan positions is ρ_k = exp(−(k d)² / 4σ_e²), with
  σ_e² = σ² + Δℓ²/6 (reading between segment centres by linear interpolation acts as
  a triangular kernel of variance Δℓ²/6); the sampled spectrum is
  τ·(1 + 2 Σ_k ρ_k cos 2πνk), which *is* the beam's |MTF|² folded (aliased) into
  [0, ½] cycles per position;
* a **white floor** (detector counting noise, read noise, gain jitter), variance φ.

:func:`fit_noise_spectrum` fits (φ, τ, w) to the residual's periodogram by the
Whittle likelihood — periodogram ordinates are independent exponentials with the
model spectrum as mean — and profiles the beam: for each beam on a grid, φ and τ are
optimised; Wilks's theorem turns the profile into an interval. :func:`beam_fisher_sd`
gives the expected (Cramér-Rao) standard deviation of the beam from the same
likelihood, to say *before* fitting whether a scan can identify the beam at all.

Why the floor matters: with φ free, the white floor and the tape-noise variance
share lag 0, so the beam is only seen through the ratio of the autocorrelations at
lags 1 and 2 (ρ₂/ρ₁ = ρ₁³). At a 25 µm step a 26 µm beam has ρ₁ ≈ 0.29 and
ρ₂ ≈ 0.007: nearly nothing to measure.

Why a taper: the residual spectrum of a fine scan falls by many decades from zero
frequency to the top of the band (the beam is a low-pass far wider than the step).
The plain periodogram convolves it with the Fejér kernel, whose side lobes fall only
as 1/ν², so power leaking from the low frequencies lifts the high-frequency ordinates
above the true spectrum; the fit reads that lift as a flatter spectrum — a narrower
beam or a larger white floor. :func:`periodogram` therefore tapers the residual with a
Hann window (side lobes falling as 1/ν⁶) and divides by Σw², which keeps the ordinates
unbiased for white noise [5]. The price is that neighbouring tapered ordinates are
correlated: the Whittle likelihood, which treats them as independent, overstates the
information by the taper's factor n·Σw⁴/(Σw²)² (35/18 for a full Hann window) [5], so
:func:`fit_noise_spectrum` divides the profile deviance by that factor before Wilks's
threshold.

The spectrum is written here (a few lines of closed form) rather than estimated with
a general ARMA library because the model has one physical shape parameter and no
library offers a Whittle fit of a custom parametric spectrum.

References
----------
.. [1] P. Whittle, "The analysis of multiple stationary time series", J. R. Stat.
   Soc. B 15 (1953) 125-139.
.. [2] P. J. Brockwell and R. A. Davis, *Time Series: Theory and Methods*, 2nd ed.,
   Springer (1991), §10.8 (Whittle likelihood, asymptotic Fisher information).
.. [3] S. S. Wilks, Ann. Math. Statist. 9 (1938) 60-62.
.. [4] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, §2.3 (f4, f5),
   eqs. 7.6-7.9.
.. [5] R. Dahlhaus, "Spectral analysis with tapered data", J. Time Ser. Anal. 4
   (1983) 163-175.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, signal, stats

from thesis_lib.emulator.readout import FWHM_TO_SIGMA, beam_kernel

#: Lags summed in the model spectrum (enough for ρ_k to vanish unless the beam spans many steps).
MAX_LAGS = 64


def _sigma_eff(fwhm_um, segment_um):
    return np.sqrt((np.asarray(fwhm_um, dtype=np.float64) * FWHM_TO_SIGMA) ** 2
                   + segment_um ** 2 / 6.0)


def noise_correlation(lags, step_um, fwhm_um, segment_um=4.0):
    """Autocorrelation ρ_k of beam-blurred white segment noise sampled every ``step_um``.

    Examples
    --------
    A 26 µm beam (σ = 11.04 µm) read every 25 µm: neighbours share
    exp(−25² / 4σ²) = 28 % of their tape noise, the next-but-one almost nothing.

    >>> noise_correlation([0, 1, 2], 25.0, 26.0, segment_um=0.0).round(3).tolist()
    [1.0, 0.278, 0.006]
    """
    k = np.asarray(lags, dtype=np.float64)
    s = _sigma_eff(fwhm_um, segment_um)
    return np.exp(-((k * step_um) ** 2) / (4.0 * s ** 2))


def _shape_and_slope(freqs, step_um, fwhm_um, segment_um):
    """A(ν) = Σ_k ρ_k cos 2πνk over all lags, and ∂A/∂FWHM.

    With s = σ_e / d the lag sum is Σ_k exp(−k²/4s²) e^{2πiνk}; by Poisson summation it
    equals 2s√π Σ_m exp(−4π²s²(ν + m)²), the beam's |MTF|² folded into the band. The
    lag form converges fast for narrow beams (s < ½), the folded form for wide ones;
    the folded form is also positive to the last digit, which the likelihood needs.
    """
    nu = np.asarray(freqs, dtype=np.float64)
    sig = float(_sigma_eff(fwhm_um, segment_um))
    dsig = float(fwhm_um) * FWHM_TO_SIGMA ** 2 / sig             # dσ_e / dFWHM
    s, ds = sig / step_um, dsig / step_um
    if s < 0.5:
        k = np.arange(1, MAX_LAGS + 1, dtype=np.float64)
        rho = np.exp(-(k ** 2) / (4.0 * s ** 2))
        drho = rho * k ** 2 / (2.0 * s ** 3) * ds
        cos = np.cos(2.0 * np.pi * nu[:, None] * k[None, :])
        return 1.0 + 2.0 * cos @ rho, 2.0 * cos @ drho
    m = np.arange(-8, 9, dtype=np.float64)
    x2 = (nu[:, None] + m[None, :]) ** 2
    g = np.exp(-4.0 * np.pi ** 2 * s ** 2 * x2)
    shape = 2.0 * s * np.sqrt(np.pi) * g.sum(axis=1)
    dshape = 2.0 * np.sqrt(np.pi) * np.sum(g * (1.0 - 8.0 * np.pi ** 2 * s ** 2 * x2), axis=1) * ds
    return shape, dshape


def residual_spectrum(freqs, step_um, fwhm_um, floor_var, tape_var, segment_um=4.0):
    """Model spectrum φ + τ·A(ν) of a scan residual (ν in cycles per scan position).

    Normalised so that its integral over ν ∈ [−½, ½] is the residual's variance φ + τ.

    Examples
    --------
    >>> nu = np.linspace(-0.5, 0.5, 20001)
    >>> S = residual_spectrum(nu, 25.0, 26.0, floor_var=1.0, tape_var=0.3)
    >>> round(float(np.trapezoid(S, nu)), 4)
    1.3
    """
    shape, _ = _shape_and_slope(freqs, step_um, fwhm_um, segment_um)
    return floor_var + tape_var * shape


def zero_frequency_density(fit, step_um, segment_um=4.0) -> float:
    """The fitted residual spectrum φ + τ·A(0) at zero frequency: the long-run variance.

    A slow change of the fitted tone (a step or beam error bends the whole scan) competes
    with the noise near zero frequency; for white noise this is the variance, for
    beam-blurred tape noise read every ``step_um`` it is τ times the number of scan
    positions the beam spans, A(0) = 1 + 2 Σ ρ_k.

    Parameters
    ----------
    fit : BeamFromNoise
        A fit of :func:`fit_noise_spectrum` (its beam, floor and tape variances are used).
    step_um, segment_um : float
        Scan step and tape segment of that fit.

    Examples
    --------
    A 30 µm beam read every 3 µm: the tape noise's zero-frequency density is about
    2σ_e√π / d = 15 times its variance, added to the white floor's.

    >>> fit = BeamFromNoise(30.0, (25.0, 35.0), True, 3.0, 1.0, 2.0, np.array([30.0]),
    ...                     np.array([0.0]), 90)
    >>> round(zero_frequency_density(fit, 3.0), 1)
    18.2
    """
    return float(residual_spectrum(np.zeros(1), step_um, fit.fwhm_um, fit.floor_var,
                                   fit.tape_var, segment_um)[0])


def blurred_noise_variance(segment_var, fwhm_um, segment_um=4.0):
    """Variance of white segment noise (``segment_var`` per segment) after the beam.

    Uses the emulator's discrete beam weights w on the segment grid: ``segment_var · Σ w²``.

    Examples
    --------
    The f4 noise of an unmagnetised segment of 2000 particles (variance 1/2000) under a
    26 µm beam keeps about a tenth of its variance:

    >>> round(float(blurred_noise_variance(1 / 2000, 26.0) * 2000), 3)
    0.102
    """
    _, w = beam_kernel(float(fwhm_um), float(segment_um))
    return float(segment_var) * float(np.sum(w ** 2))


def periodogram(residual, *, window="hann"):
    """Fourier frequencies in (0, ½) and the tapered periodogram |DFT(w·r)|²/Σw² of a residual.

    Parameters
    ----------
    residual : (n,) array_like
        The residual; its mean is removed before the taper.
    window : str
        A :func:`scipy.signal.get_window` name; ``"boxcar"`` gives the plain periodogram
        |DFT|²/n.

    Returns
    -------
    freqs, power : ndarray
        Frequencies j/n in cycles per position and ordinates normalised so that white
        noise of variance σ² has expectation σ² at every frequency (two-sided density:
        the integral over [−½, ½] is the variance).

    Notes
    -----
    A Hann taper keeps the leakage of a steep spectrum from biasing the high
    frequencies (see the module notes); :func:`scipy.signal.periodogram` with
    ``scaling="density"`` divides by Σw², so the taper leaves white-noise ordinates
    unbiased.

    Examples
    --------
    A tone on a Fourier frequency: the plain periodogram puts its power 16 = n/4 in
    one ordinate; the Hann taper spreads the same total over that ordinate and its two
    neighbours (10.67 + 2 × 2.67).

    >>> tone = np.cos(2 * np.pi * 5 * np.arange(64) / 64)
    >>> nu, I = periodogram(tone, window="boxcar")
    >>> float(nu[np.argmax(I)]), round(float(I.max()), 6)
    (0.078125, 16.0)
    >>> nu, I = periodogram(tone)
    >>> I[3:6].round(3).tolist(), round(float(I.sum()), 6)
    ([2.667, 10.667, 2.667], 16.0)
    """
    r = np.asarray(residual, dtype=np.float64)
    n = r.size
    freqs, power = signal.periodogram(r, fs=1.0, window=window, detrend="constant",
                                      return_onesided=False, scaling="density")
    j = np.arange(1, (n - 1) // 2 + 1)
    return freqs[j], power[j]


def taper_inflation(n_samples, *, window="hann") -> float:
    """The factor n·Σw⁴/(Σw²)² by which a taper inflates the variance of a Whittle fit.

    Tapered periodogram ordinates at neighbouring frequencies are correlated, so the
    likelihood-ratio statistic of a Whittle fit that treats them as independent is
    this factor times a χ² variable (Dahlhaus 1983). One for no taper.

    Examples
    --------
    >>> taper_inflation(1000, window="boxcar")
    1.0
    >>> round(taper_inflation(1000), 3), round(35 / 18, 3)
    (1.944, 1.944)
    """
    n = int(n_samples)
    w = signal.get_window(window, n)
    return float(n * np.sum(w ** 4) / np.sum(w ** 2) ** 2)


def whittle_nll(power, spectrum) -> float:
    """Whittle negative log-likelihood Σ (log S + I / S).

    Examples
    --------
    >>> whittle_nll(np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    2.0
    """
    S = np.asarray(spectrum, dtype=np.float64)
    return float(np.sum(np.log(S) + np.asarray(power, dtype=np.float64) / S))


@dataclass
class BeamFromNoise:
    """Profile-likelihood fit of the beam to a residual's spectrum.

    Attributes
    ----------
    fwhm_um : float
        Profile maximiser.
    interval_um : tuple
        Wilks interval (``level``, deviance corrected for the taper) over the searched beams.
    identified : bool
        The interval lies strictly inside the searched range and is narrower than half of it.
    floor_var, tape_var : float
        White floor and beam-blurred tape-noise variance at the maximiser (residual units²).
    crb_sd_um : float
        Expected standard deviation of the beam at the maximiser (:func:`beam_fisher_sd`):
        the Cramér-Rao bound of the untapered likelihood. The Hann-tapered fit reaches
        √:func:`taper_inflation` (≈ 1.4) times it (measured 4.21 against 2.68·1.39 = 3.74
        over 100 fits, ``tests/calibration/test_noise_spectrum.py``).
    beams_um, profile_nll : ndarray
        The profile.
    n_freqs : int
        Periodogram ordinates used.
    """

    fwhm_um: float
    interval_um: tuple
    identified: bool
    floor_var: float
    tape_var: float
    crb_sd_um: float
    beams_um: np.ndarray
    profile_nll: np.ndarray
    n_freqs: int

    def to_dict(self) -> dict:
        return {"fwhm_um": self.fwhm_um, "interval_um": list(self.interval_um),
                "identified": self.identified, "floor_var": self.floor_var,
                "tape_var": self.tape_var, "crb_sd_um": self.crb_sd_um,
                "beams_um": self.beams_um.tolist(), "profile_nll": self.profile_nll.tolist(),
                "n_freqs": self.n_freqs}


def _fit_variances(power, shape):
    """φ, τ ≥ 0 minimising the Whittle NLL for a fixed spectral shape A.

    Written as S = c·((1 − f) + f·A/Ā) with f ∈ [0, 1] the tape-noise share: for a given
    f the scale c has the closed form mean(I / shape), so only f is searched (a grid,
    then a bounded scalar refinement) — exact, and robust where the two variances trade.
    """
    # a beam much wider than the step leaves the top of the band with a tape spectrum that
    # underflows to zero; a tiny positive share keeps the all-tape end of the search finite
    a = np.maximum(shape / shape.mean(), 1e-12)

    def profile(f):
        f = np.atleast_1d(f)
        base = (1.0 - f)[:, None] + f[:, None] * a[None, :]
        c = np.mean(power[None, :] / base, axis=1)
        return np.sum(np.log(c[:, None] * base), axis=1) + power.size, c

    grid = np.linspace(0.0, 1.0, 201)
    nll, _ = profile(grid)
    k = int(np.argmin(nll))
    res = optimize.minimize_scalar(lambda f: profile(f)[0][0], method="bounded",
                                   bounds=(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]))
    f = float(res.x) if res.fun < nll[k] else float(grid[k])
    best, c = profile(f)
    return float(c[0] * (1.0 - f)), float(c[0] * f / shape.mean()), float(best[0])


def fit_noise_spectrum(residual, step_um, beams_um, *, segment_um=4.0, min_frequency=0.0,
                       level=0.95, window="hann") -> BeamFromNoise:
    """Profile the Whittle likelihood of a residual over the beam FWHM.

    Parameters
    ----------
    residual : (n,) array_like
        Measured minus aligned simulated tone (any units).
    step_um : float
        Scan step (calibrated).
    beams_um : sequence of float
        Beam FWHMs to profile (µm), increasing.
    segment_um : float
        Tape segment Δℓ (fixed in the emulator, thesis §6.3).
    min_frequency : float
        Periodogram ordinates below this (cycles per position) are left out — where
        a slightly misplaced tone and its harmonics leak into the residual.
    level : float
        Confidence level of the interval.
    window : str
        Taper of the periodogram (:func:`periodogram`); the profile deviance is divided
        by the taper's :func:`taper_inflation` before it is compared with χ²₁.

    Examples
    --------
    Beam-blurred white noise read every 6 µm under a 30 µm beam, no floor:

    >>> rng = np.random.default_rng(1)
    >>> from thesis_lib.emulator.readout import convolve_beam
    >>> tape = convolve_beam(rng.standard_normal(12000), 30.0, 2.0)
    >>> scan = tape[100:-100:3]                                 # every 6 µm
    >>> fit = fit_noise_spectrum(scan, 6.0, np.arange(10.0, 61.0, 2.0), segment_um=2.0)
    >>> fit.identified, bool(27.0 < fit.fwhm_um < 33.0)
    (True, True)
    """
    nu, power = periodogram(residual, window=window)
    keep = nu >= min_frequency
    nu, power = nu[keep], power[keep]
    beams = np.asarray(beams_um, dtype=np.float64)
    if nu.size < 4:
        raise ValueError(f"only {nu.size} periodogram ordinates above {min_frequency} cycles per "
                         "position; the residual is too short for a spectral fit")
    fits = []
    for b in beams:
        shape, _ = _shape_and_slope(nu, step_um, b, segment_um)
        fits.append(_fit_variances(power, shape))
    nll = np.array([f[2] for f in fits])
    k = int(np.argmin(nll))
    inflation = taper_inflation(np.size(residual), window=window)
    inside = 2.0 * (nll - nll[k]) / inflation <= stats.chi2.ppf(level, 1)
    interval = (float(beams[inside].min()), float(beams[inside].max()))
    touches = np.isclose(interval[0], beams[0]) or np.isclose(interval[1], beams[-1])
    ident = bool(not touches and interval[1] - interval[0] < 0.5 * (beams[-1] - beams[0]))
    floor, tape = fits[k][0], fits[k][1]
    crb = beam_fisher_sd(2 * nu.size + 1, step_um, beams[k], floor, tape, segment_um=segment_um,
                         min_frequency=min_frequency)
    return BeamFromNoise(fwhm_um=float(beams[k]), interval_um=interval, identified=ident,
                         floor_var=floor, tape_var=tape, crb_sd_um=crb, beams_um=beams,
                         profile_nll=nll, n_freqs=int(nu.size))


def beam_fisher_sd(n_samples, step_um, fwhm_um, floor_var, tape_var, *, segment_um=4.0,
                   floor_known=False, min_frequency=0.0) -> float:
    """Cramér-Rao standard deviation of the beam FWHM from a residual of ``n_samples``.

    The expected Whittle Fisher information is Σ_j ∇log S(ν_j) ∇log S(ν_j)ᵀ over the
    Fourier frequencies in (0, ½) (each periodogram ordinate is exponential with mean
    S(ν_j)); the nuisance variances are profiled out (Schur complement). With
    ``floor_known`` the white floor is treated as known, the best a separate noise
    measurement could achieve. Returns ``inf`` when the information vanishes.

    Examples
    --------
    Tape noise alone at a fine step pins the beam; behind a ten times stronger white floor
    at a 25 µm step it does not:

    >>> beam_fisher_sd(300, 5.0, 26.0, 1e-9, 1.0) < 1.0
    True
    >>> beam_fisher_sd(175, 25.0, 26.0, 1.0, 0.1) > 100.0
    True
    """
    n = int(n_samples)
    nu = np.arange(1, (n - 1) // 2 + 1) / n
    nu = nu[nu >= min_frequency]
    shape, slope = _shape_and_slope(nu, step_um, float(fwhm_um), segment_um)
    S = floor_var + tape_var * shape
    grads = [shape / S, tape_var * slope / S]            # ∂ log S / ∂(τ, FWHM)
    if not floor_known:
        grads.insert(0, 1.0 / S)                         # ∂ log S / ∂φ
    G = np.column_stack(grads)
    F = G.T @ G
    nuis, b = F[:-1, :-1], F[-1, -1]
    cross = F[:-1, -1]
    try:
        info = b - cross @ np.linalg.solve(nuis, cross)
    except np.linalg.LinAlgError:
        return float("inf")
    if not np.isfinite(info) or info <= b * 1e-12:
        return float("inf")
    return float(1.0 / np.sqrt(info))

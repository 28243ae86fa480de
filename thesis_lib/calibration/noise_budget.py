"""Noise budget of a measured scan: how much of its noise is beam-blurred tape noise.

The beam can only be read off the tape noise (:mod:`.noise_spectrum`) if that noise
is a sizeable part of what the scan holds besides the tone. This module splits a
scan's noise into

* **tape noise under the beam**, predicted from the physics of stage f4: a segment
  of remanence M holds N ≈ μ particles, each up with probability p = (1 + M)/2, so
  its magnetisation scatters with variance 4p(1 − p)/μ = (1 − M²)/μ
  (:func:`segment_noise_variance`), and the beam keeps the fraction Σw² of it
  (:func:`~.noise_spectrum.blurred_noise_variance`);
* **the white floor** — everything the detector chain adds (counting and read
  noise, gain jitter, extraction error) — measured as the residual of the scan
  against the true beam-averaged magnetisation after an affine fit.

The second part needs the true magnetisation, which only a synthetic experiment
knows, so :func:`noise_budget` belongs to a reveal, never to a calibration. It
then states what the budget implies: the expected (Cramér-Rao) standard
deviation of the beam with the floor free, with the floor known exactly, with no
floor at all (but fitted), and for a scan of the same tape stretch at Δℓ steps.

References
----------
.. [1] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, eqs. 7.6-7.8 (f4).
.. [2] H. N. Bertram, *Theory of Magnetic Recording*, Cambridge Univ. Press (1994),
   ch. 12 (particulate medium noise).
"""

from __future__ import annotations

import numpy as np

from .noise_spectrum import beam_fisher_sd, blurred_noise_variance


def segment_noise_variance(remanence, particles_mean) -> float:
    """Mean f4 variance of a segment over a recorded profile: mean(1 − M²) / μ.

    Examples
    --------
    An unmagnetised tape of 2000 particles per segment; a tone of peak 0.75 has less
    (the noise vanishes towards saturation):

    >>> segment_noise_variance(np.zeros(10), 2000.0)
    0.0005
    >>> u = np.linspace(0, 2 * np.pi, 1000, endpoint=False)
    >>> round(segment_noise_variance(0.75 * np.sin(u), 2000.0) * 2000, 4)    # 1 - 0.75²/2
    0.7188
    """
    m = np.clip(np.asarray(remanence, dtype=np.float64), -1.0, 1.0)
    return float(np.mean(1.0 - m ** 2) / float(particles_mean))


def noise_budget(measured, truth, *, step_um, beam_fwhm_um, segment_var, segment_um=4.0) -> dict:
    """Split a measured scan's noise into beam-blurred tape noise and a white floor.

    Parameters
    ----------
    measured : (n,) array_like
        The extracted waveform (any units and sign).
    truth : (n,) array_like
        The true beam-averaged magnetisation at the same positions (M/M_s; it holds the
        tape noise, so the affine residual is the detector chain's alone).
    step_um, beam_fwhm_um : float
        True scan step and beam FWHM along the tape.
    segment_var : float
        Expected f4 variance per segment (:func:`segment_noise_variance`).
    segment_um : float
        Tape segment Δℓ.

    Returns
    -------
    dict
        ``tone_var`` (variance of the truth), ``tape_var`` (predicted tape noise under the
        beam) and ``floor_var`` (measured), all in (M/M_s)²; ``tape_to_floor``; and the
        Cramér-Rao sd of the beam in µm: ``crb_sd_um`` (floor free),
        ``crb_sd_floor_known_um``, ``crb_sd_no_floor_um`` (a vanishing floor, still
        fitted as free) and ``crb_sd_fine_step_um`` (the same tape stretch scanned every
        Δℓ, floor free).

    Examples
    --------
    A planted budget: floor 0.02² and the tape noise of 2000 particles under 26 µm.

    >>> rng = np.random.default_rng(0)
    >>> truth = 0.5 * np.sin(np.arange(2000) / 9.0)
    >>> y = -300.0 * (truth + 0.02 * rng.standard_normal(2000)) + 7.0
    >>> b = noise_budget(y, truth, step_um=25.0, beam_fwhm_um=26.0, segment_var=1 / 2000)
    >>> round(b["floor_var"] / 0.02 ** 2, 2), round(b["tape_to_floor"], 2)   # 5.1e-5 / 4e-4
    (1.0, 0.13)
    """
    y = np.asarray(measured, dtype=np.float64)
    x = np.asarray(truth, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"measured {y.shape} and truth {x.shape} must have one value per position")
    X = np.column_stack([x, np.ones_like(x)])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    floor = float(np.var(y - X @ coef) / coef[0] ** 2)
    tape = blurred_noise_variance(segment_var, beam_fwhm_um, segment_um)
    n = y.size
    fine_n = int(round(n * step_um / segment_um))
    return {"tone_var": float(np.var(x)), "tape_var": tape, "floor_var": floor,
            "tape_to_floor": tape / floor,
            "crb_sd_um": beam_fisher_sd(n, step_um, beam_fwhm_um, floor, tape,
                                        segment_um=segment_um),
            "crb_sd_floor_known_um": beam_fisher_sd(n, step_um, beam_fwhm_um, floor, tape,
                                                    segment_um=segment_um, floor_known=True),
            # a perfect detector (floor a millionth of the tape noise) that the fit cannot
            # know is perfect: the floor stays a free parameter
            "crb_sd_no_floor_um": beam_fisher_sd(n, step_um, beam_fwhm_um, 1e-6 * tape, tape,
                                                 segment_um=segment_um),
            "crb_sd_fine_step_um": beam_fisher_sd(fine_n, segment_um, beam_fwhm_um, floor, tape,
                                                  segment_um=segment_um)}

"""Match metrics of a simulated against a measured scan waveform, and the objective.

The five similarity measures of thesis §6.3 come from :mod:`thesis_lib.metrics`
(float64), with the *measured* waveform as the reference:

* ``rho`` — Pearson ρ; ``nrmse`` — RMS error over the reference's standard
  deviation; ``e_rel`` — (‖y_real‖² − ‖y_sim‖²) / ‖y_real‖² (thesis's
  equation, signed);
* ``lsd_db`` — log-spectral distance. The library default (2048-sample frames)
  is longer than a whole scan (20-400 positions), so the frame here is the
  largest power of two not above half the waveform, kept within 8..64 samples,
  with hop n_fft / 4 (:func:`scan_lsd_n_fft`): at least a few frames, each
  several tone periods long at fine steps;
* ``hf_mismatch`` — |HF ratio(real) − HF ratio(sim)|, the HF band being above a
  quarter of the scan rate (0.25 cycles per scan position).

The calibration objective (smaller is better) is one documented weighted sum,

.. math::

   J = (1 - \\rho) + 0.25\\,|E_\\mathrm{rel}| + 0.25\\,\\mathrm{HF}
       + 0.001\\,\\mathrm{LSD_{dB}}.

ρ carries the waveform shape (the tone's phase along the scan, hence the
step); the energy term matters when no gain is fitted; the spectral terms are
tie-breakers whose weights make a 10 dB LSD change (or a 0.04 HF mismatch)
count as much as a 0.01 change of ρ, so they cannot outvote a clear
difference in waveform shape. NRMSE is reported but left out of *J*: after a
least-squares gain it is √(1 − ρ²) and would count ρ twice.
"""

from __future__ import annotations

import numpy as np

from thesis_lib.metrics import energy_relative_error, hf_mismatch, lsd, nrmse, pearson

METRICS = ("rho", "nrmse", "e_rel", "lsd_db", "hf_mismatch")
#: Weights of the objective J (see the module docstring).
OBJECTIVE_WEIGHTS = {"rho": 1.0, "e_rel": 0.25, "hf_mismatch": 0.25, "lsd_db": 0.001}
#: HF band edge for scan waveforms, in cycles per scan position.
HF_CUTOFF = 0.25


def scan_lsd_n_fft(n_samples: int) -> int:
    """LSD frame length for a scan waveform of ``n_samples`` positions.

    Examples
    --------
    >>> [scan_lsd_n_fft(n) for n in (22, 44, 88, 175, 350)]
    [8, 16, 32, 64, 64]
    """
    n = max(int(n_samples) // 2, 8)
    return int(min(64, 2 ** int(np.floor(np.log2(n)))))


def match_metrics(measured, simulated) -> dict:
    """ρ, NRMSE, E_rel, LSD (dB) and HF mismatch of ``simulated`` against ``measured``.

    Examples
    --------
    >>> t = np.arange(200)
    >>> real = np.sin(2 * np.pi * t / 25.0)
    >>> m = match_metrics(real, 0.5 * real)
    >>> round(m["rho"], 6), round(m["nrmse"], 6), round(m["e_rel"], 6), round(m["lsd_db"], 1)
    (1.0, 0.5, 0.75, 4.2)

    The halving moves every bin by 6.0 dB, but the tone's far window sidelobes lie under
    the LSD floor (80 dB under the peak) in both signals and count as equal.
    """
    y = np.asarray(measured, dtype=np.float64)
    x = np.asarray(simulated, dtype=np.float64)
    n_fft = scan_lsd_n_fft(y.size)
    return {"rho": pearson(y, x), "nrmse": nrmse(y, x), "e_rel": energy_relative_error(y, x),
            "lsd_db": lsd(y, x, n_fft=n_fft, hop=max(1, n_fft // 4)),
            "hf_mismatch": hf_mismatch(y, x, cutoff=HF_CUTOFF)}


def objective(metrics: dict, weights: dict | None = None) -> float:
    """The calibration objective J of a metrics dict (smaller is better).

    Examples
    --------
    >>> objective({"rho": 0.9, "e_rel": -0.2, "hf_mismatch": 0.1, "lsd_db": 10.0})
    0.185
    """
    w = OBJECTIVE_WEIGHTS if weights is None else weights
    terms = {"rho": 1.0 - metrics["rho"], "e_rel": abs(metrics["e_rel"]),
             "hf_mismatch": metrics["hf_mismatch"], "lsd_db": metrics["lsd_db"]}
    return float(round(sum(w[k] * terms[k] for k in w), 12))

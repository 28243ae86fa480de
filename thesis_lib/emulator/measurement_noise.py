"""Stage f6: additive measurement noise, σ² = S²(K²/(A_beam Δt) + C²) (thesis eqs. 7.10-7.11).

The first term is shot-like (photon counting: variance inversely proportional
to the illuminated area A_beam and the dwell time Δt per sample); C is a
detector floor and S a scale from detector units to magnetisation units. In
``constant`` mode Σ = σ² I; in ``time-varying`` mode the shot term follows the
local signal, σ_t² = S²(K²(1 + |ȳ_t|)/(A_beam Δt) + C²), because the transmitted
intensity — hence the count rate — changes with the dichroic contrast.

References
----------
.. [1] L. Terna, MSc thesis (2026), §7.2, eqs. 7.10-7.11.
"""

from __future__ import annotations

import numpy as np


def noise_variance(scale, shot, floor, beam_area_um2, dwell_s, signal=None):
    """σ² (scalar) or σ_t² (array, when ``signal`` is given) of the measurement noise.

    Examples
    --------
    >>> round(noise_variance(2.0, 0.1, 0.05, 100.0, 0.01), 12)
    0.05
    >>> noise_variance(1.0, 1.0, 0.0, 1.0, 1.0, signal=np.array([0.0, 1.0])).tolist()
    [1.0, 2.0]
    """
    if not (beam_area_um2 > 0 and dwell_s > 0):
        raise ValueError("beam area and dwell time must be positive for the shot-noise term")
    if signal is None:
        return scale**2 * (shot**2 / (beam_area_um2 * dwell_s) + floor**2)
    rate = 1.0 + np.abs(np.asarray(signal, dtype=np.float64))
    return scale**2 * (shot**2 * rate / (beam_area_um2 * dwell_s) + floor**2)


class MeasurementNoise:
    """Callable f6 stage: ``y = ȳ + ε``, ε ~ N(0, Σ).

    Examples
    --------
    >>> f6 = MeasurementNoise(mode="off")
    >>> f6(np.ones(3), np.random.default_rng(0)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, scale=0.2, shot=0.01, floor=0.01, beam_area_um2=650.0, dwell_s=2.1e-5,
                 mode="constant"):
        if mode not in ("constant", "time-varying", "off"):
            raise ValueError(f"unknown measurement-noise mode {mode!r}; "
                             "use 'constant', 'time-varying' or 'off'")
        self.scale, self.shot, self.floor = scale, shot, floor
        self.beam_area_um2, self.dwell_s, self.mode = beam_area_um2, dwell_s, mode

    def variance(self, signal):
        signal = np.asarray(signal, dtype=np.float64)
        if self.mode == "off":
            return np.zeros_like(signal)
        sig = signal if self.mode == "time-varying" else None
        var = noise_variance(self.scale, self.shot, self.floor, self.beam_area_um2,
                             self.dwell_s, sig)
        return np.broadcast_to(var, signal.shape).astype(np.float64)

    def __call__(self, signal, rng):
        signal = np.asarray(signal, dtype=np.float64)
        if self.mode == "off":
            return signal.copy()
        return signal + np.sqrt(self.variance(signal)) * rng.standard_normal(signal.size)

"""Stage f4: granular tape noise (packing and writing noise), heteroscedastic (thesis eqs. 7.6-7.8).

Each segment holds a random number of particles N_pack ~ N(μ, μ(1 − p)) (packing
fraction p; rounded, at least one). Each particle points up with probability
p_mag = (1 + M_hist)/2, so the segment magnetisation m = 2k/N_pack − 1 with
k ~ Binomial(N_pack, p_mag) has mean M_hist and variance 4 p_mag(1 − p_mag)/N_pack:
largest for an unmagnetised segment, zero at saturation. The Gaussian limit
draws m = M_hist + sqrt(4 p_mag (1 − p_mag)/N_pack)·z and clips to [−1, 1].

References
----------
.. [1] H. N. Bertram, *Theory of Magnetic Recording*, Cambridge Univ. Press (1994), ch. 12
   (particulate medium noise).
.. [2] L. Terna, MSc thesis (2026), §7.2, eqs. 7.6-7.8.
"""

from __future__ import annotations

import numpy as np


def packing_counts(size, mean, packing_fraction, rng) -> np.ndarray:
    """Particles per segment: round(N(μ, μ(1 − p))), at least 1.

    Examples
    --------
    >>> n = packing_counts(10000, 400.0, 0.4, np.random.default_rng(0))
    >>> bool(abs(n.mean() - 400) < 1), bool(abs(n.var() / 240 - 1) < 0.05)
    (True, True)
    """
    sd = np.sqrt(mean * (1.0 - packing_fraction))
    return np.maximum(np.rint(rng.normal(mean, sd, size)), 1.0)


def tape_noise(m_hist, mean=2000.0, packing_fraction=0.4, rng=None, model="gaussian"):
    """Noisy segment magnetisation m from the ideal remanence ``m_hist`` (in [−1, 1]).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> m = tape_noise(np.full(20000, 0.5), mean=100.0, packing_fraction=0.0, rng=rng,
    ...                model="binomial")
    >>> bool(abs(m.var() / (4 * 0.75 * 0.25 / 100) - 1) < 0.05)
    True
    >>> tape_noise(np.array([1.0, -1.0]), rng=rng).tolist()   # saturated segments are noiseless
    [1.0, -1.0]
    """
    m_hist = np.clip(np.asarray(m_hist, dtype=np.float64), -1.0, 1.0)
    if model == "off":
        return m_hist.copy()
    if rng is None:
        raise ValueError("tape_noise needs a numpy Generator (rng) for its random draws")
    counts = packing_counts(m_hist.size, mean, packing_fraction, rng)
    p_mag = 0.5 * (1.0 + m_hist)
    if model == "binomial":
        up = rng.binomial(counts.astype(np.int64), p_mag)
        return 2.0 * up / counts - 1.0
    if model == "gaussian":
        sd = np.sqrt(4.0 * p_mag * (1.0 - p_mag) / counts)
        return np.clip(m_hist + sd * rng.standard_normal(m_hist.size), -1.0, 1.0)
    raise ValueError(f"unknown tape-noise model {model!r}; use 'gaussian', 'binomial' or 'off'")


class TapeNoise:
    """Callable f4 stage.

    Examples
    --------
    >>> f4 = TapeNoise(mean=1e12)
    >>> bool(np.allclose(f4(np.array([0.2]), np.random.default_rng(0)), 0.2, atol=1e-5))
    True
    """

    def __init__(self, mean=2000.0, packing_fraction=0.4, model="gaussian"):
        self.mean, self.packing_fraction, self.model = mean, packing_fraction, model

    def variance(self, m_hist):
        """Expected variance 4 p(1 − p)/μ of each segment (μ: mean particle count)."""
        p = 0.5 * (1.0 + np.clip(np.asarray(m_hist, dtype=np.float64), -1, 1))
        return 4.0 * p * (1.0 - p) / self.mean

    def __call__(self, m_hist, rng):
        return tape_noise(m_hist, self.mean, self.packing_fraction, rng, self.model)

"""Optional degradations beyond the thesis (all off by default).

Thermal aging
    Thermal fluctuations act like a small random field of amplitude h_T on every
    particle: over years, hysterons whose switching fields lie within ±h_T of
    zero relax to the demagnetised state. It is modelled exactly inside the
    Preisach operator by applying, after the segment has left the head, a
    decaying alternating field starting at ``aging_field`` (the "tail" of both
    engines), which erases the low-coercivity part of the staircase.
Binder dropouts
    Flakes of lost or lifted coating: a Poisson number of spots along the tape
    (rate per mm), exponential lengths, where the magnetisation drops by
    ``depth``.
Print-through
    Magnetisation induced by the adjacent layers of a wound tape: an attenuated
    copy of the profile shifted by ± one wrap (pre- and post-echo at
    ``offset_s`` seconds).

References
----------
.. [1] R. Néel, "Théorie du traînage magnétique des ferromagnétiques en grains
   fins", Ann. Géophys. 5 (1949) (thermal relaxation).
.. [2] C. D. Mee, E. D. Daniel, *Magnetic Recording Technology*, McGraw-Hill (1996),
   ch. 17 (print-through, dropouts).
"""

from __future__ import annotations

import numpy as np


def aging_tail(aging_field, decay=0.8, floor=1e-3):
    """Decaying alternating field +h, −h·r, … applied to each segment after writing.

    Examples
    --------
    >>> aging_tail(0.0).size
    0
    >>> aging_tail(0.1, decay=0.5, floor=0.02).round(3).tolist()
    [0.1, -0.05, 0.025]
    """
    if aging_field <= 0:
        return np.zeros(0)
    k = int(np.floor(np.log(floor / aging_field) / np.log(decay))) + 1
    k = max(k, 1)
    return aging_field * decay ** np.arange(k) * (-1.0) ** np.arange(k)


def dropouts(m, segment_um, rate_per_mm, length_um, depth, rng):
    """Multiply ``m`` by (1 − depth) over randomly placed dropout spots.

    Examples
    --------
    >>> m = dropouts(np.ones(1000), 4.0, 0.0, 40.0, 0.9, np.random.default_rng(0))
    >>> bool(np.all(m == 1.0))
    True
    """
    m = np.asarray(m, dtype=np.float64).copy()
    if rate_per_mm <= 0 or depth <= 0:
        return m
    length_mm = m.size * segment_um * 1e-3
    count = rng.poisson(rate_per_mm * length_mm)
    starts = rng.uniform(0, m.size, count)
    spans = rng.exponential(length_um / segment_um, count)
    for s, d in zip(starts, spans, strict=True):
        m[int(s): int(np.ceil(s + d))] *= (1.0 - depth)
    return m


def print_through(m, segment_um, speed, gain, offset_s):
    """Add ``gain`` × (profile shifted by ± v·offset_s) to ``m`` (pre- and post-echo).

    Examples
    --------
    >>> print_through(np.ones(10), 4.0, 0.1905, 0.0, 1.0).tolist() == [1.0] * 10
    True
    """
    m = np.asarray(m, dtype=np.float64)
    if gain == 0:
        return m.copy()
    shift = int(round(speed * offset_s / (segment_um * 1e-6)))
    echo = np.zeros_like(m)
    if 0 < shift < m.size:
        echo[shift:] += m[:-shift]
        echo[:-shift] += m[shift:]
    return np.clip(m + gain * echo, -1.0, 1.0)

"""Stage f2: the Karlqvist head field seen by each tape segment.

A segment at tape coordinate u passes the gap centre at t = u/v and sees

    H(u, t) = H0 · x_b(t) · k(u − v t),
    k(s) = (atan((s + g/2)/y) − atan((s − g/2)/y)) / π,

the longitudinal Karlqvist field at spacing y below a gap of length g,
normalised so that ∫ k(s) ds = g (DESIGN.md §4). Only |s| < window matters.

The Preisach stage depends only on the sequence of field *extrema*, so the
field history of a segment is generated directly as its extrema: with bias on,
one sample per bias half-period at the bias peaks, each refined by one Newton
step on dH/dt = 0 (sampling exactly at the bias peak understates the true
extremum because the envelope k(u − vt) moves during the peak); with bias off,
the field at every input sample inside the window. The functions here are
numba-compiled so the engines can call them per segment without building a
(segments × extrema) array.

References
----------
.. [1] O. Karlqvist, "Calculation of the magnetic field in the ferromagnetic
   layer of a magnetic drum", Trans. Roy. Inst. Technol. Stockholm 86 (1954).
.. [2] H. N. Bertram, *Theory of Magnetic Recording*, Cambridge Univ. Press (1994), ch. 3.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Samples per bias period of the dense reference field history.
DENSE_SAMPLES_PER_PERIOD = 256


def karlqvist_kernel(s, gap, spacing):
    """k(s) = (atan((s + g/2)/y) − atan((s − g/2)/y)) / π for any units (same for all three).

    Examples
    --------
    >>> bool(np.isclose(karlqvist_kernel(0.0, 4.0, 3.0), 2 / np.pi * np.arctan(2 / 3)))
    True
    """
    s = np.asarray(s, dtype=np.float64)
    half = 0.5 * gap
    return (np.arctan((s + half) / spacing) - np.arctan((s - half) / spacing)) / np.pi


#: History modes of :func:`segment_field`.
REFINED, PEAKS, DENSE, REFINED_FULL = 0, 1, 2, 4


@numba.njit(cache=True, inline="always", _nrt=False)
def _k(s, half, y):
    # atan(a) - atan(b) = atan((a - b) / (1 + ab)) (+pi when 1 + ab < 0): one atan instead of two
    den = y * y + s * s - half * half
    val = math.atan(2.0 * half * y / den) if den != 0.0 else 0.5 * math.pi
    if den < 0.0:
        val += math.pi
    return val / math.pi


@numba.njit(cache=True, inline="always", _nrt=False)
def _k_fast(s, half, y, ktab):
    """k(s) by cubic Hermite interpolation of a table of exact k and k' (see :func:`kernel_table`).

    Falls back to the exact arctangent outside the table or when the table is empty.
    """
    inv_h = ktab[0, 1]
    if inv_h == 0.0:
        return _k(s, half, y)
    pos = (s - ktab[0, 0]) * inv_h
    if pos < 0.0:
        return _k(s, half, y)
    i = int(pos)
    if i + 3 >= ktab.shape[0]:
        return _k(s, half, y)
    t = pos - i
    t2 = t * t
    t3 = t2 * t
    r = i + 1   # row 0 holds the table's metadata
    return ((2.0 * t3 - 3.0 * t2 + 1.0) * ktab[r, 0] + (t3 - 2.0 * t2 + t) * ktab[r, 1]
            + (3.0 * t2 - 2.0 * t3) * ktab[r + 1, 0] + (t3 - t2) * ktab[r + 1, 1])


@numba.njit(cache=True, inline="always", _nrt=False)
def _dk(s, half, y):
    a = s + half
    b = s - half
    return (y / (y * y + a * a) - y / (y * y + b * b)) / math.pi


@numba.njit(cache=True, inline="always", _nrt=False)
def _d2k(s, half, y):
    a = s + half
    b = s - half
    da = y * y + a * a
    db = y * y + b * b
    return (-2.0 * y * a / (da * da) + 2.0 * y * b / (db * db)) / math.pi


@numba.njit(cache=True, inline="always", _nrt=False)
def _audio(x, sr, t):
    """Linear interpolation of x (sampled at sr from t=0) and its slope; zero outside the clip."""
    pos = t * sr
    if pos < 0.0 or pos > x.size - 1:
        return 0.0, 0.0
    i = int(pos)
    if i >= x.size - 1:
        return x[x.size - 1], 0.0
    f = pos - i
    slope = (x[i + 1] - x[i]) * sr
    return x[i] + f * (x[i + 1] - x[i]), slope


@numba.njit(cache=True, inline="always", _nrt=False)
def _field(x, sr, gain, amp, omega, h0, half, y, v, u, t):
    xv, _ = _audio(x, sr, t)
    return h0 * (gain * xv + amp * math.sin(omega * t)) * _k(u - v * t, half, y)


@numba.njit(cache=True, inline="always", _nrt=False)
def _peak_field(x, sr, gain, amp, omega, h0, half, y, v, u, q, quarter, refine, ktab):
    """Field at the q-th bias peak (sin = +1 for even q, -1 for odd q), optionally Newton-refined.

    The refined value is the extremum of the local quadratic model of H(t) at the
    peak, H − H'²/(2H''), i.e. the field after one Newton step on dH/dt = 0 to
    second order (the step moves the envelope by ~0.03 µm, so the neglected
    third-order term is ~1e-7 relative).
    """
    t = (2.0 * q + 1.0) * quarter
    sgn = 1.0 if q % 2 == 0 else -1.0
    s = u - v * t
    xv, xs = _audio(x, sr, t)
    d = gain * xv + amp * sgn
    a = s + half
    b = s - half
    y2 = y * y
    kk = _k_fast(s, half, y, ktab)
    if not refine:
        return h0 * d * kk
    # derivatives of D(t) = g x(t) + A sin(wt) and K(t) = k(u - vt) at the peak (cos(wt) = 0)
    da = y2 + a * a
    db = y2 + b * b
    ida = 1.0 / da
    idb = 1.0 / db
    d1 = gain * xs
    d2 = -amp * omega * omega * sgn
    k1 = -v * y * (ida - idb) / math.pi
    k2 = v * v * 2.0 * y * (b * idb * idb - a * ida * ida) / math.pi
    h1 = d1 * kk + d * k1
    h2 = d2 * kk + 2.0 * d1 * k1 + d * k2
    # accept only a genuine extremum whose step stays within an eighth of a period
    if h2 == 0.0 or h2 * d >= 0.0 or abs(h1) >= 0.5 * quarter * abs(h2):
        return h0 * d * kk
    return h0 * (d * kk - 0.5 * h1 * h1 / h2)


@numba.njit(cache=True, inline="always", _nrt=False)
def segment_field(x, sr, gain, amp, fb, h0, gap, spacing, v, window, u, mode, out, ktab):
    """Fill ``out`` with the field history of the segment at ``u``; return the count.

    ``mode`` REFINED (0): bias-peak samples refined by one Newton step; PEAKS (1):
    bias-peak samples without refinement; DENSE (2): dense reference,
    ``DENSE_SAMPLES_PER_PERIOD`` per bias period (16 per input sample when the bias
    is off); REFINED_FULL (4): as REFINED but keeping the whole approach.
    With ``amp == 0`` the peak modes sample the field at the input sample times.

    In modes 0 and 1 the extrema before the envelope peak that are provably
    wiped out are skipped: once the envelope bound h0 (g max|x| + A) k(s) of every
    earlier extremum lies inside the range [min, max] of the later history,
    the wiping-out property makes them irrelevant for every Preisach model.
    ``ktab`` is a :func:`kernel_table` (or :data:`NO_TABLE` for the exact arctangent).
    All lengths in metres, times in seconds, fields in coercivity units.
    """
    half = 0.5 * gap
    t0 = (u - window) / v
    t1 = (u + window) / v
    omega = 2.0 * math.pi * fb
    n = 0
    if mode == 2:
        if amp != 0.0:
            dt = 1.0 / (fb * 256.0)
        else:
            dt = 1.0 / (sr * 16.0)
        i0 = int(math.ceil(t0 / dt))
        i1 = int(math.floor(t1 / dt))
        for i in range(i0, i1 + 1):
            if n >= out.size:
                break
            out[n] = _field(x, sr, gain, amp, omega, h0, half, spacing, v, u, i * dt)
            n += 1
        return n
    if amp == 0.0:
        i0 = int(math.ceil(t0 * sr))
        i1 = int(math.floor(t1 * sr))
        for i in range(i0, i1 + 1):
            if n >= out.size:
                break
            out[n] = _field(x, sr, gain, amp, omega, h0, half, spacing, v, u, i / sr)
            n += 1
        return n
    quarter = 0.25 / fb
    refine = mode != 1
    q0 = int(math.ceil((t0 * 4.0 * fb - 1.0) / 2.0))
    q1 = int(math.floor((t1 * 4.0 * fb - 1.0) / 2.0))
    if q1 - q0 + 1 > out.size:
        q1 = q0 + out.size - 1
    if mode == 4:
        for q in range(q0, q1 + 1):
            out[n] = _peak_field(x, sr, gain, amp, omega, h0, half, spacing, v, u, q, quarter,
                                 refine, ktab)
            n += 1
        return n
    # the later history, from two peaks before the gap centre, is always kept
    qc = int(math.floor((u / v * 4.0 * fb - 1.0) / 2.0)) - 2
    if qc < q0:
        qc = q0
    if qc > q1:
        qc = q1
    room = qc - q0
    hi = -math.inf
    lo = math.inf
    for q in range(qc, q1 + 1):
        h = _peak_field(x, sr, gain, amp, omega, h0, half, spacing, v, u, q, quarter, refine,
                        ktab)
        out[room + q - qc] = h
        if h > hi:
            hi = h
        if h < lo:
            lo = h
    n_post = q1 - qc + 1
    # walk back while an earlier extremum could still reach outside [lo, hi]
    # largest |x| over the input samples that the earlier extrema can interpolate from
    xmax = 0.0
    i_lo = max(int(math.floor(t0 * sr)), 0)
    i_hi = min(int(math.ceil(((2.0 * qc + 1.0) * quarter + quarter) * sr)) + 1, x.size - 1)
    for i in range(i_lo, i_hi + 1):
        if abs(x[i]) > xmax:
            xmax = abs(x[i])
    envelope = h0 * (abs(gain) * xmax + abs(amp))
    bound = min(hi, -lo)
    kept = 0
    for q in range(qc - 1, q0 - 1, -1):
        # the Newton step moves t by < an eighth period towards or away from the centre
        s_near = u - v * ((2.0 * q + 1.0) * quarter + 0.5 * quarter)
        if s_near > 0.0 and envelope * _k(s_near, half, spacing) < bound:
            break
        kept += 1
        out[room - kept] = _peak_field(x, sr, gain, amp, omega, h0, half, spacing, v, u, q,
                                       quarter, refine, ktab)
    first = room - kept
    total = kept + n_post
    if first > 0:
        for i in range(total):
            out[i] = out[first + i]
    return total


#: Empty table: :func:`segment_field` then evaluates the arctangent exactly.
NO_TABLE = np.zeros((1, 3))


def kernel_table(gap, spacing, window, step=2e-9):
    """Table of k(s) and step·k'(s) on |s| <= window + 1 µm for cubic Hermite interpolation.

    Row 0 holds ``(s0, 1/step, step)``. With nodes ``step`` apart the interpolation
    error is below step**4/384 times the largest fourth derivative of k, about 1e-15
    of k(0) for the default 2 nm (checked in the tests); it replaces one arctangent
    per field extremum.

    Examples
    --------
    >>> tab = kernel_table(4e-6, 3e-6, 30e-6)
    >>> bool(abs(_k_fast(1.234e-6, 2e-6, 3e-6, tab) - _k(1.234e-6, 2e-6, 3e-6)) < 1e-14)
    True
    """
    reach = window + 1e-6
    nodes = int(np.ceil(2 * reach / step)) + 3
    s = -reach + step * np.arange(nodes)
    half = 0.5 * gap
    a, b = s + half, s - half
    k = karlqvist_kernel(s, gap, spacing)
    dk = (spacing / (spacing**2 + a * a) - spacing / (spacing**2 + b * b)) / np.pi
    table = np.zeros((nodes + 1, 3))
    table[0] = (-reach, 1.0 / step, step)
    table[1:, 0] = k
    table[1:, 1] = step * dk
    return table


_TABLES: dict = {}


def cached_kernel_table(gap, spacing, window):
    """:func:`kernel_table` built once per geometry."""
    key = (float(gap), float(spacing), float(window))
    if key not in _TABLES:
        _TABLES[key] = kernel_table(*key)
    return _TABLES[key]


def field_buffer_size(params_window_m, v, fb, sr, mode):
    """Upper bound on the number of samples :func:`segment_field` writes for one segment."""
    span = 2.0 * params_window_m / v
    if mode == 2:
        rate = 256.0 * fb if fb > 0 else 16.0 * sr
    else:
        rate = max(2.0 * fb, sr)
    return int(span * rate) + 8


class HeadField:
    """Callable f2 stage: field history of one segment (for inspection and figures).

    Parameters are in SI (metres, m/s, Hz); ``h0`` in coercivity units per unit drive.

    Examples
    --------
    >>> hf = HeadField(h0=1.0, gap=4e-6, spacing=3e-6, speed=0.1905, window=30e-6)
    >>> t, h = hf.dense(np.zeros(480), 48000, u=100e-6, amplitude=1.0, bias_hz=1e5)
    >>> bool(abs(np.max(h) - hf.kernel(0.0)) < 0.01)   # the bias peak nearest the gap centre
    True
    """

    def __init__(self, h0, gap, spacing, speed, window):
        self.h0, self.gap, self.spacing, self.speed, self.window = h0, gap, spacing, speed, window

    def kernel(self, s):
        return karlqvist_kernel(s, self.gap, self.spacing)

    def history(self, x, sr, u, amplitude, bias_hz, gain=1.0, mode=0):
        """Field samples of the segment at ``u`` (see :func:`segment_field` for ``mode``)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty(field_buffer_size(self.window, self.speed, bias_hz, sr, mode))
        n = segment_field(x, float(sr), float(gain), float(amplitude), float(bias_hz),
                          float(self.h0), float(self.gap), float(self.spacing),
                          float(self.speed), float(self.window), float(u), int(mode), out,
                          cached_kernel_table(self.gap, self.spacing, self.window))
        return out[:n].copy()

    def dense(self, x, sr, u, amplitude, bias_hz, gain=1.0):
        """Times and field of the dense reference history of the segment at ``u``."""
        h = self.history(x, sr, u, amplitude, bias_hz, gain, mode=2)
        t0 = (u - self.window) / self.speed
        dt = 1.0 / (bias_hz * 256.0) if amplitude != 0 else 1.0 / (sr * 16.0)
        i0 = int(np.ceil(t0 / dt))
        return (i0 + np.arange(h.size)) * dt, h

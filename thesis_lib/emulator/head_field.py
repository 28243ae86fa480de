"""Stage f2: the Karlqvist head field seen by each tape segment.

A segment at tape coordinate u passes the gap centre at t = u/v and sees

    H(u, t) = H0 · x_b(t) · k(u − v t),
    k(s) = (atan((s + g/2)/y) − atan((s − g/2)/y)) / π,

the longitudinal Karlqvist field at spacing y below a gap of length g,
normalised so that ∫ k(s) ds = g. Only |s| < window matters.

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

from .extrema import push_extremum

#: Empty table: :func:`segment_field` then evaluates the arctangent exactly.
NO_TABLE = np.zeros((1, 3))
#: Empty scratch stack: no tail truncation (``stop_width = 0``).
NO_WORK = np.zeros(1)
#: Empty peak-drive table: the audio is interpolated at each peak.
NO_DRIVE = np.zeros((0, 2))

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
REFINED, PEAKS, DENSE, PEAKS_FULL, REFINED_FULL = 0, 1, 2, 3, 4


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
def _min_max(x, ta, tb, sr):
    """Smallest and largest x over the input samples an interpolation between ta and tb uses."""
    lo = math.inf
    hi = -math.inf
    if ta * sr < 0.0 or tb * sr > x.size - 1:
        lo = 0.0   # outside the clip the audio is zero
        hi = 0.0
    i_lo = max(int(math.floor(ta * sr)), 0)
    i_hi = min(int(math.ceil(tb * sr)) + 1, x.size - 1)
    for i in range(i_lo, i_hi + 1):
        if x[i] < lo:
            lo = x[i]
        if x[i] > hi:
            hi = x[i]
    if lo > hi:
        lo = 0.0
        hi = 0.0
    return lo, hi


@numba.njit(cache=True, inline="always", _nrt=False)
def _field(x, sr, gain, amp, omega, h0, half, y, v, u, t):
    xv, _ = _audio(x, sr, t)
    return h0 * (gain * xv + amp * math.sin(omega * t)) * _k(u - v * t, half, y)


@numba.njit(cache=True, inline="always", _nrt=False)
def _k_derivs(s, half, y, ktab):
    """(k, k', k'') at s: k and k' by cubic Hermite interpolation of the table, k'' linearly.

    Falls back to the closed forms outside the table or when the table is empty.
    """
    inv_h = ktab[0, 1]
    pos = (s - ktab[0, 0]) * inv_h
    if inv_h == 0.0 or pos < 0.0 or int(pos) + 3 >= ktab.shape[0]:
        return _k(s, half, y), _dk(s, half, y), _d2k(s, half, y)
    i = int(pos)
    t = pos - i
    t2 = t * t
    t3 = t2 * t
    h00 = 2.0 * t3 - 3.0 * t2 + 1.0
    h10 = t3 - 2.0 * t2 + t
    h01 = 3.0 * t2 - 2.0 * t3
    h11 = t3 - t2
    r = i + 1   # row 0 holds the table's metadata
    k = h00 * ktab[r, 0] + h10 * ktab[r, 1] + h01 * ktab[r + 1, 0] + h11 * ktab[r + 1, 1]
    # columns 1 and 2 hold step * k' and step**2 * k'': the same Hermite basis gives step * k'
    dk = (h00 * ktab[r, 1] + h10 * ktab[r, 2] + h01 * ktab[r + 1, 1]
          + h11 * ktab[r + 1, 2]) * inv_h
    d2k = ((1.0 - t) * ktab[r, 2] + t * ktab[r + 1, 2]) * inv_h * inv_h
    return k, dk, d2k


@numba.njit(cache=True, _nrt=False)
def _fill_peak_drive(x, sr, gain, quarter, out):
    for q in range(out.shape[0]):
        xv, xs = _audio(x, sr, (2.0 * q + 1.0) * quarter)
        out[q, 0] = gain * xv
        out[q, 1] = gain * xs


def peak_drive(x, sr, gain, bias_hz):
    """Audio part of the drive, g·x(t_q), and its slope at every bias peak t_q = (2q+1)/(4 f_b).

    Every segment that passes the gap during peak q sees the same drive there, so
    computing it once per clip (about 2 f_b values per second of audio) replaces one
    interpolation per (segment, peak) pair, ~30 times as many. Returns an array of
    shape (Q, 2); peaks outside it lie outside the clip, where the audio is zero.

    Examples
    --------
    >>> d = peak_drive(np.array([0.0, 1.0, 2.0]), 4.0, 2.0, 8.0)   # peaks at t = 1/32, 3/32, ...
    >>> bool(np.allclose(d[0], [2.0 * 4.0 / 32, 2.0 * 4.0]))
    True
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    if bias_hz <= 0 or x.size < 2:
        return NO_DRIVE
    quarter = 0.25 / bias_hz
    count = int(((x.size - 1) / sr / quarter - 1.0) / 2.0) + 1
    out = np.empty((max(count, 0), 2))
    _fill_peak_drive(x, float(sr), float(gain), quarter, out)
    return out


@numba.njit(cache=True, inline="always", _nrt=False)
def _peak_field(x, sr, gain, amp, omega, h0, half, y, v, u, q, quarter, refine, ktab, drive):
    """Field at the q-th bias peak (sin = +1 for even q, -1 for odd q), optionally Newton-refined.

    The refined value is the extremum of the local quadratic model of H(t) at the
    peak, H − H'²/(2H''), i.e. the field after one Newton step on dH/dt = 0 to
    second order (the step moves the envelope by ~0.03 µm, so the neglected
    third-order term is ~1e-7 relative). ``drive`` is :func:`peak_drive` of the
    clip or :data:`NO_DRIVE` (then the audio is interpolated here).
    """
    t = (2.0 * q + 1.0) * quarter
    sgn = 1.0 if q % 2 == 0 else -1.0
    s = u - v * t
    if drive.shape[0] > 0:
        if 0 <= q < drive.shape[0]:
            gx = drive[q, 0]
            d1 = drive[q, 1]
        else:
            gx = 0.0
            d1 = 0.0
    else:
        xv, xs = _audio(x, sr, t)
        gx = gain * xv
        d1 = gain * xs
    d = gx + amp * sgn
    if not refine:
        return h0 * d * _k_fast(s, half, y, ktab)
    kk, dk, d2k = _k_derivs(s, half, y, ktab)
    # derivatives of D(t) = g x(t) + A sin(wt) and K(t) = k(u - vt) at the peak (cos(wt) = 0)
    d2 = -amp * omega * omega * sgn
    k1 = -v * dk
    k2 = v * v * d2k
    h1 = d1 * kk + d * k1
    h2 = d2 * kk + 2.0 * d1 * k1 + d * k2
    # accept only a genuine extremum whose step stays within an eighth of a period
    if h2 == 0.0 or h2 * d >= 0.0 or abs(h1) >= 0.5 * quarter * abs(h2):
        return h0 * d * kk
    return h0 * (d * kk - 0.5 * h1 * h1 / h2)


@numba.njit(cache=True, inline="always", _nrt=False)
def _tail_is_inert(work, ns, stop_width, s_next, half, y, h0, d_lo, d_hi):
    """True when no later extremum of a segment's tail can switch a hysteron.

    ``work[:ns]`` is the dominant-extrema stack of the history from the envelope
    peak on; the test is the one described in :func:`segment_field`.
    """
    # with >= 3 entries an earlier, larger extremum of this same history bounds the top
    # pair, so the top pair equals that of the segment's complete stack
    if ns < 3 or abs(work[ns - 1] - work[ns - 2]) >= stop_width or s_next >= -half:
        return False
    # every later extremum lies in h0 k(s_next) [min(d_lo, 0), max(d_hi, 0)];
    # 1e-6: headroom for the quadratic model of a refined extremum
    reach = h0 * _k(s_next, half, y) * (1.0 + 1e-6)
    pair_hi = max(work[ns - 1], work[ns - 2])
    pair_lo = min(work[ns - 1], work[ns - 2])
    return reach * max(d_hi, 0.0) < pair_hi and reach * min(d_lo, 0.0) > pair_lo


@numba.njit(cache=True, inline="always", _nrt=False)
def segment_field(x, sr, gain, amp, fb, h0, gap, spacing, v, window, u, mode, out, ktab,
                  stop_width=0.0, work=NO_WORK, drive=NO_DRIVE):
    """Fill ``out`` with the field history of the segment at ``u``; return the count.

    ``mode`` REFINED (0): bias-peak samples refined by one Newton step; PEAKS (1):
    bias-peak samples without refinement; DENSE (2): dense reference,
    ``DENSE_SAMPLES_PER_PERIOD`` per bias period (16 per input sample when the bias
    is off); PEAKS_FULL (3) and REFINED_FULL (4): as PEAKS and REFINED but keeping
    every extremum of the window (what the brute-force engine replays).
    With ``amp == 0`` the peak modes sample the field at the input sample times.

    In modes 0 and 1 two parts of the history that cannot switch any hysteron
    are left out:

    * the extrema before the envelope peak that are provably wiped out: once the
      envelope bound h0 (g max|x| + A) k(s) of every earlier extremum lies inside
      the range [min, max] of the later history, the wiping-out property makes
      them irrelevant for every Preisach model;
    * with ``stop_width > 0``, the end of the decaying tail. When the last two
      dominant extrema M > m of the history are closer than ``stop_width`` and the
      envelope bound of every later extremum lies inside [m, M], the rest of the
      history stays in the triangle m <= beta <= alpha <= M of the Preisach plane.
      A model whose hysterons all have alpha - beta >= ``stop_width`` has no
      hysteron there, so no later field value switches anything. The engine
      passes the model's smallest alpha - beta; the dominant pair is tracked on
      the small stack ``work`` (at least the size of ``out``).

    ``ktab`` is a :func:`kernel_table` (or :data:`NO_TABLE` for the exact arctangent),
    ``drive`` a :func:`peak_drive` of ``x`` (or :data:`NO_DRIVE`). All lengths in metres, times in seconds, fields in coercivity units.
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
    refine = mode != 1 and mode != 3
    q0 = int(math.ceil((t0 * 4.0 * fb - 1.0) / 2.0))
    q1 = int(math.floor((t1 * 4.0 * fb - 1.0) / 2.0))
    if q1 - q0 + 1 > out.size:
        q1 = q0 + out.size - 1
    if mode == 3 or mode == 4:
        for q in range(q0, q1 + 1):
            out[n] = _peak_field(x, sr, gain, amp, omega, h0, half, spacing, v, u, q, quarter,
                                 refine, ktab, drive)
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
    n_post = q1 - qc + 1
    ns = 0             # length of the dominant-extrema stack of the later history
    d_lo = 0.0
    d_hi = 0.0
    if stop_width > 0.0:
        # range of the drive over the tail, which bounds every later extremum
        xlo, xhi = _min_max(x, u / v, t1, sr)
        d_hi = max(gain * xlo, gain * xhi) + abs(amp)
        d_lo = min(gain * xlo, gain * xhi) - abs(amp)
    for q in range(qc, q1 + 1):
        h = _peak_field(x, sr, gain, amp, omega, h0, half, spacing, v, u, q, quarter, refine,
                        ktab, drive)
        out[room + q - qc] = h
        if h > hi:
            hi = h
        if h < lo:
            lo = h
        if stop_width > 0.0:
            ns = push_extremum(work, ns, h)
            # the nearest later extremum can sit an eighth period before its bias peak
            s_next = u - v * ((2.0 * q + 3.0) * quarter - 0.5 * quarter)
            if _tail_is_inert(work, ns, stop_width, s_next, half, spacing, h0, d_lo, d_hi):
                n_post = q - qc + 1
                break
    # walk back while an earlier extremum could still reach outside [lo, hi]
    # largest |x| over the input samples that the earlier extrema can interpolate from
    xlo, xhi = _min_max(x, t0, (2.0 * qc + 1.0) * quarter + quarter, sr)
    xmax = max(-xlo, xhi)
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
                                       quarter, refine, ktab, drive)
    first = room - kept
    total = kept + n_post
    if first > 0:
        for i in range(total):
            out[i] = out[first + i]
    return total




def kernel_table(gap, spacing, window, step=2e-9):
    """Table of k(s), step·k'(s) and step²·k''(s) on |s| <= window + 1 µm.

    Row 0 holds ``(s0, 1/step, step)``. k is read by cubic Hermite interpolation
    (error below step**4/384 times the largest fourth derivative of k, about 1e-15
    of k(0) for the default 2 nm, checked in the tests), k' the same way from k'',
    and k'' linearly (it only enters the Newton correction, ~0.3 % of the field).
    It replaces one arctangent and four divisions per field extremum.

    Examples
    --------
    >>> tab = kernel_table(4e-6, 3e-6, 30e-6)
    >>> bool(abs(_k_fast(1.234e-6, 2e-6, 3e-6, tab) - _k(1.234e-6, 2e-6, 3e-6)) < 1e-14)
    True
    >>> k, dk, d2k = _k_derivs(1.234e-6, 2e-6, 3e-6, tab)
    >>> bool(abs(dk / _dk(1.234e-6, 2e-6, 3e-6) - 1) < 1e-9)
    True
    """
    reach = window + 1e-6
    nodes = int(np.ceil(2 * reach / step)) + 3
    s = -reach + step * np.arange(nodes)
    half = 0.5 * gap
    a, b = s + half, s - half
    k = karlqvist_kernel(s, gap, spacing)
    dk = (spacing / (spacing**2 + a * a) - spacing / (spacing**2 + b * b)) / np.pi
    da, db = spacing**2 + a * a, spacing**2 + b * b
    d2k = (-2.0 * spacing * a / (da * da) + 2.0 * spacing * b / (db * db)) / np.pi
    table = np.zeros((nodes + 1, 3))
    table[0] = (-reach, 1.0 / step, step)
    table[1:, 0] = k
    table[1:, 1] = step * dk
    table[1:, 2] = step * step * d2k
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

"""Stage f3 engines: exact Preisach evaluation by Everett sums, and the brute-force reference.

Everett engine
    The Preisach output depends only on the sequence of *dominant* field
    extrema (wiping-out property): a new maximum erases every earlier maximum it
    exceeds together with the minimum that followed it, and symmetrically for
    minima. The history is therefore a stack of alternating extrema
    M_0 > M_1 > … (maxima) and m_0 < m_1 < … (minima), updated in amortised
    O(1) per field extremum. From negative saturation, hysteron h is up iff
    β_h < L(α_h), with the staircase L(α) = m_k for α ∈ (M_{k+1}, M_k] and
    −∞ above M_0 (inclusive bounds: H ≥ α switches up, H ≤ β down).
    The up-weight Σ_h w_h [β_h < L(α_h)] is a sum of discrete Everett
    integrals; it is evaluated *exactly* with a grid index over the (α, β)
    plane: per-column cumulative weights over rows give each column whose
    staircase value is constant in O(1) (plus the few hysterons of the one
    boundary cell), and only columns that contain a maximum are resolved
    hysteron by hysteron. The cost per segment is O(extrema + grid columns)
    whatever the number of hysterons; the recorded remanence is needed once per
    segment, after it has left the head, so the sum is evaluated once.
Hysterons engine
    Updates every hysteron at every field sample: O(samples × hysterons). It
    is the reference the Everett engine must equal to round-off.

Kernels are compiled with ``_nrt=False``: they never allocate, and without the
numba runtime the atomic reference counting of their many array arguments
(which made the Everett sum several times slower) disappears.

numba's on-disk cache is keyed on the source file of each kernel only: after
editing :mod:`.head_field` (inlined here) clear ``NUMBA_CACHE_DIR`` or the
kernels keep the old field code.

Both engines start from the same AC-erased state and compute the field at the
same bias peaks (:func:`thesis_lib.emulator.head_field.segment_field`). The
Everett engine receives only the part of each segment's history that can switch
a hysteron: extrema provably wiped out before the envelope peak are skipped, and
the decaying tail stops once its oscillation is narrower than the model's
smallest α − β. The hysterons engine replays every extremum of the field window,
so the equality of the two also checks both omissions.

References
----------
.. [1] I. D. Mayergoyz, *Mathematical Models of Hysteresis*, Springer (1991),
   §1.2-1.3 (wiping-out, congruency, Everett function representation).
.. [2] D. H. Everett, "A general approach to hysteresis", Trans. Faraday Soc. 51 (1955).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba
import numpy as np

from .extrema import push_extremum
from .head_field import (
    NO_WORK,
    PEAKS,
    PEAKS_FULL,
    REFINED,
    REFINED_FULL,
    field_buffer_size,
    segment_field,
)
from .params import ENGINES
from .preisach import PreisachModel, ac_erase_sequence

#: The arrays of an :class:`EverettIndex`, as its kernels read them (see the class).
EverettTables = namedtuple("EverettTables", [
    "ha", "hb", "hw",            # hysterons sorted by cell, column-major
    "binptr",                    # first hysteron of each (column, row) cell
    "colpre",                    # 2-D prefix sums of the cell weights
    "rptr", "rb", "rw",          # the same hysterons sorted row-major (beta and weight)
    "axis_a", "ga",              # column axis table and column count
    "axis_b", "gb",              # row axis table and row count
    "total_weight",              # sum of all weights (normalises M/M_s)
])
#: Explicit hysteron states for the brute-force engine.
Hysterons = namedtuple("Hysterons", ["alpha", "beta", "weight", "total_weight"])
#: Per-call work arrays of the record kernels: field samples, tail-stop stack, the
#: dominant-extrema stack and the column/row index scratch of :func:`_up_weight`.
Scratch = namedtuple("Scratch", ["buf", "work", "stack", "ic"])


@numba.njit(cache=True, inline="always", _nrt=False)
def _threshold(stack, n, k):
    """Staircase value for the k-th maximum: the minimum after it, or +inf."""
    if 2 * k + 1 < n:
        return stack[2 * k + 1]
    return math.inf


@numba.njit(cache=True, inline="always", _nrt=False)
def _bin(value, axis, g):
    """Index c with edges[c] <= value < edges[c + 1]: -1 below the first edge, g past the last.

    ``axis`` is an :func:`_axis_table`: a uniform look-up table gives the answer or
    a neighbour of it, and comparisons with the edges make it exact.
    """
    if value >= axis[4 + g]:
        return g
    if value < axis[4]:
        return -1
    size = int(axis[2])
    i = math.floor((value - axis[0]) * axis[1])
    if i < 0:
        i = 0
    elif i >= size:
        i = size - 1
    c = int(axis[5 + g + i])
    while c < g and value >= axis[4 + c + 1]:
        c += 1
    while c >= 0 and value < axis[4 + c]:
        c -= 1
    return c


@numba.njit(cache=True, inline="always", _nrt=False)
def _row(value, axis_b, gb):
    r = _bin(value, axis_b, gb)
    return 0 if r < 0 else r


@numba.njit(cache=True, inline="always", _nrt=False)
def _const_range(c1, c2, ell, jb, tab):
    """Up-weight of columns c1..c2 whose staircase value is the constant ``ell`` (in row ``jb``)."""
    total = tab.colpre[jb, c2 + 1] - tab.colpre[jb, c1]
    if jb < tab.gb:
        # boundary row: only its hysterons inside the column range, stored contiguously
        rb, rw = tab.rb, tab.rw
        for h in range(tab.rptr[jb * tab.ga + c1], tab.rptr[jb * tab.ga + c2 + 1]):
            total += rw[h] if rb[h] < ell else 0.0
    return total


@numba.njit(cache=True, inline="always", _nrt=False)
def _explicit_column(i, p, q, stack, n, jr, tab):
    """Up-weight of column i, which contains the maxima p..q-1: resolve the crossed rows.

    ``jr[k]`` is the row of the k-th staircase value (``gb`` for +inf).
    """
    ha, hb, hw, gb = tab.ha, tab.hb, tab.hw, tab.gb
    total = 0.0
    if p == 0:
        jmin = 0
    else:
        jmin = jr[p - 1]
        total += tab.colpre[jmin, i + 1] - tab.colpre[jmin, i]
    jmax = min(jr[q - 1], gb - 1)
    h0 = tab.binptr[i * gb + jmin]
    h1 = tab.binptr[i * gb + jmax + 1]
    if q == p + 1:
        # the common case: one maximum M in the column, L = ell_in if alpha <= M else ell_out
        m = stack[2 * p]
        ell_in = _threshold(stack, n, p)
        ell_out = _threshold(stack, n, p - 1) if p > 0 else -math.inf
        for h in range(h0, h1):
            ell = ell_in if ha[h] <= m else ell_out
            total += hw[h] if hb[h] < ell else 0.0
        return total
    for h in range(h0, h1):
        idx = p
        for k in range(p, q):
            if stack[2 * k] >= ha[h]:
                idx = k + 1
        if idx == 0:
            continue
        if hb[h] < _threshold(stack, n, idx - 1):
            total += hw[h]
    return total


# inlined at numba-IR level and compiled without the numba runtime: with it, every array
# argument cost an atomic reference-count update per call, which dominated the time
@numba.njit(cache=True, inline="always", _nrt=False)
def _up_weight(stack, n, tab, ic):
    """Exact Σ_h w_h [β_h < L(α_h)] for the staircase encoded in ``stack[:n]``.

    Columns between two consecutive maxima share one staircase value and are
    summed in O(1) from 2-D prefix sums plus the hysterons of one boundary row;
    a column that contains a maximum is resolved hysteron by hysteron over the
    rows the staircase crosses.
    """
    ga = tab.ga
    nmax = (n + 1) // 2
    # column of every maximum and row of every staircase value, each found once;
    # ``ic`` holds at least n + 2 entries
    jr = ic[nmax:]
    for k in range(nmax):
        ic[k] = _bin(stack[2 * k], tab.axis_a, ga)
        jr[k] = _row(_threshold(stack, n, k), tab.axis_b, tab.gb)
    total = 0.0
    p = 0
    top = ga - 1          # highest column not yet accounted for
    while p < nmax:
        c = ic[p]
        if c >= ga:       # a maximum above the grid: every column lies below it
            p += 1
            continue
        if c < 0:         # this and all later maxima lie below every alpha
            break
        if p > 0 and top > c:
            total += _const_range(c + 1, top, _threshold(stack, n, p - 1), jr[p - 1], tab)
        q = p
        while q < nmax and ic[q] == c:
            q += 1
        total += _explicit_column(c, p, q, stack, n, jr, tab)
        top = c - 1
        p = q
    if p > 0 and top >= 0:
        total += _const_range(0, top, _threshold(stack, n, p - 1), jr[p - 1], tab)
    return total


@numba.njit(cache=True, inline="always", _nrt=False)
def _magnetisation(up_weight, total_weight):
    """M/M_s from the weight of the up hysterons (the rest are down)."""
    return (2.0 * up_weight - total_weight) / total_weight


@numba.njit(cache=True, inline="always", _nrt=False)
def _state_magnetisation(state, hw, total_weight):
    """M/M_s of explicit hysteron states (+1/-1)."""
    acc = 0.0
    for i in range(hw.size):
        acc += hw[i] * state[i]
    return acc / total_weight


@numba.njit(cache=True, inline="always", _nrt=False)
def _apply_field(state, ha, hb, h):
    for i in range(ha.size):
        if h >= ha[i]:
            state[i] = 1.0
        elif h <= hb[i]:
            state[i] = -1.0


# ------------------------------------------------------------------ per-segment kernels
@numba.njit(cache=True, _nrt=False)
def _everett_record(drive, head, positions, mode, tail, stop_width, init_stack, tab, scratch,
                    out):
    stack, buf = scratch.stack, scratch.buf
    n_init = init_stack.size
    for j in range(positions.size):
        m = segment_field(drive, head, positions[j], mode, buf, stop_width, scratch.work)
        for i in range(n_init):
            stack[i] = init_stack[i]
        s = n_init
        for i in range(m):
            s = push_extremum(stack, s, buf[i])
        for i in range(tail.size):
            s = push_extremum(stack, s, tail[i])
        out[j] = _magnetisation(_up_weight(stack, s, tab, scratch.ic), tab.total_weight)


@numba.njit(cache=True, _nrt=False)
def _hysterons_record(drive, head, positions, mode, tail, init_state, hys, buf, state, out):
    for j in range(positions.size):
        m = segment_field(drive, head, positions[j], mode, buf, 0.0, NO_WORK)
        for i in range(state.size):
            state[i] = init_state[i]
        for i in range(m):
            _apply_field(state, hys.alpha, hys.beta, buf[i])
        for i in range(tail.size):
            _apply_field(state, hys.alpha, hys.beta, tail[i])
        out[j] = _state_magnetisation(state, hys.weight, hys.total_weight)


@numba.njit(cache=True, _nrt=False)
def _everett_trace(fields, init_stack, tab, stack, ic, out):
    s = init_stack.size
    for i in range(s):
        stack[i] = init_stack[i]
    for t in range(fields.size):
        s = push_extremum(stack, s, fields[t])
        out[t] = _magnetisation(_up_weight(stack, s, tab, ic), tab.total_weight)


@numba.njit(cache=True, _nrt=False)
def _hysterons_trace(fields, init_state, hys, state, out):
    for i in range(state.size):
        state[i] = init_state[i]
    for t in range(fields.size):
        _apply_field(state, hys.alpha, hys.beta, fields[t])
        out[t] = _state_magnetisation(state, hys.weight, hys.total_weight)


# --------------------------------------------------------------------------- the index
class EverettIndex:
    """Grid index of a hysteron set for exact Everett sums (see the module docstring).

    The grid has ``ga`` columns over α and ``gb`` rows over β (``grid`` gives both;
    default 8·sqrt(hysterons), at most 2048). Any grid gives the same exact sums;
    the grid only trades table memory against hysterons visited per segment.

    The grid lines are not evenly spaced: they sit at equal steps of
    ``density_mix``·F(v) + (1 − ``density_mix``)·(v − min)/(max − min), with F the
    empirical distribution of the hysterons' α (columns) or β (rows). Where the
    hysterons crowd, the cells are narrower, so the few cells a segment resolves
    hysteron by hysteron hold fewer of them; the even-spacing share keeps every
    cell at most 1/(1 − ``density_mix``) times the even width where hysterons are
    sparse. The mix changes only the speed, never the sums; the default 0.7 is
    the fastest setting for the model sizes the thesis uses.
    """

    def __init__(self, model: PreisachModel, grid: int | tuple | None = None,
                 density_mix: float = 0.7):
        if grid is None:
            # per-segment cost falls as the grid gets finer, until the dense prefix
            # tables (4 x grid^2 numbers) stop fitting the CPU caches
            grid = int(min(max(8.0 * np.sqrt(model.size), 16), 2048))
        if not 0.0 <= density_mix < 1.0:
            raise ValueError(f"density_mix must lie in [0, 1) (got {density_mix!r})")
        self.model = model
        if isinstance(grid, tuple):
            self.ga, self.gb = int(grid[0]), int(grid[1])
        else:
            self.ga = self.gb = int(grid)
        a, b, w = model.alpha, model.beta, model.weight
        self.axis_a = _axis_table(a, self.ga, density_mix)
        self.axis_b = _axis_table(b, self.gb, density_mix)
        col = np.searchsorted(self.axis_a[4:5 + self.ga], a, side="right") - 1
        row = np.searchsorted(self.axis_b[4:5 + self.gb], b, side="right") - 1
        if col.min() < 0 or col.max() >= self.ga or row.min() < 0 or row.max() >= self.gb:
            raise AssertionError("Everett grid does not cover the hysterons")
        cell = col * self.gb + row
        order = np.argsort(cell, kind="stable")
        self.ha, self.hb, self.hw = a[order].copy(), b[order].copy(), w[order].copy()
        counts = np.bincount(cell, minlength=self.ga * self.gb)
        self.binptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        cellw = np.bincount(cell, weights=w, minlength=self.ga * self.gb).reshape(self.ga, self.gb)
        # colpre[r, i]: weight of rows < r and columns < i (2-D prefix sum, row-major so the
        # two ends of a column range at one row share cache lines; one column's cumulative
        # weight over rows is colpre[r, i + 1] - colpre[r, i])
        pre = np.zeros((self.gb + 1, self.ga + 1))
        pre[1:, 1:] = np.cumsum(np.cumsum(cellw.T, axis=0), axis=1)
        self.colpre = pre
        # row-major copy: the hysterons of one row over a column range are contiguous
        rcell = row * self.ga + col
        rorder = np.argsort(rcell, kind="stable")
        self.rb, self.rw = b[rorder].copy(), w[rorder].copy()
        rcounts = np.bincount(rcell, minlength=self.ga * self.gb)
        self.rptr = np.concatenate([[0], np.cumsum(rcounts)]).astype(np.int32)

        self.tables = EverettTables(self.ha, self.hb, self.hw, self.binptr, self.colpre,
                                    self.rptr, self.rb, self.rw, self.axis_a, self.ga,
                                    self.axis_b, self.gb, float(np.sum(w)))


def _axis_table(values, g, density_mix, lut_per_cell=4):
    """Grid lines of one axis and a look-up table for :func:`_bin`, packed in one array.

    Layout: ``[lut_origin, lut_scale, lut_size, g, edges (g + 1), lut (lut_size)]``.
    The edges are non-decreasing, start at the smallest value and end just past the
    largest, so every value falls in a cell 0..g-1.
    """
    v = np.sort(np.asarray(values, dtype=np.float64))
    lo, hi = float(v[0]), float(v[-1])
    span = (hi - lo) if hi > lo else 1.0
    top = hi + span * 1e-9 + 1e-300
    # T(v) = mix F(v) + (1 - mix) (v - lo)/span is strictly increasing; edges = T^-1(j/g)
    knots = np.concatenate([[lo], v, [top]])
    level = (density_mix * np.concatenate([[0.0], (np.arange(v.size) + 0.5) / v.size, [1.0]])
             + (1.0 - density_mix) * (knots - lo) / (top - lo))
    level = np.maximum.accumulate(level)
    edges = np.interp(np.arange(g + 1) / g, level, knots)
    edges[0], edges[-1] = lo, top
    edges = np.maximum.accumulate(edges)
    size = int(lut_per_cell * g)
    scale = size / (top - lo)
    starts = lo + np.arange(size) / scale
    lut = np.clip(np.searchsorted(edges, starts, side="right") - 1, 0, g - 1)
    return np.concatenate([[lo, scale, float(size), float(g)], edges, lut.astype(np.float64)])


# ------------------------------------------------------------------------ the operator
class PreisachOperator:
    """The hysteresis operator M = P[H(·)] of one model, starting from the AC-erased state.

    Parameters
    ----------
    model : PreisachModel
    engine : {'everett', 'hysterons'}
    erase_decay : float
        Ratio of successive extrema of the AC erase field.
    initial : {'erased', 'negative'}
        Start from the AC-erased state or from negative saturation.

    Examples
    --------
    >>> from thesis_lib.emulator.preisach import fine_fit, coarse_bin
    >>> model = coarse_bin(fine_fit(20000), 40)
    >>> ev = PreisachOperator(model, "everett")
    >>> bf = PreisachOperator(model, "hysterons")
    >>> h = np.array([2.0, -1.0, 1.5, -0.3, 0.8, 0.0])
    >>> bool(abs(ev.final(h) - bf.final(h)) < 1e-12)
    True
    >>> round(ev.final([10.0]), 12)   # beyond every alpha: positive saturation
    1.0
    """

    def __init__(self, model: PreisachModel, engine: str = "everett", erase_decay: float = 0.9,
                 initial: str = "erased", grid: int | None = None):
        if engine not in ENGINES:
            raise ValueError(f"unknown Preisach engine {engine!r}; use 'everett' or 'hysterons'")
        if initial not in ("erased", "negative"):
            raise ValueError(f"initial state {initial!r} unknown; use 'erased' or 'negative'")
        self.model, self.engine = model, engine
        self.erase = (ac_erase_sequence(model, erase_decay) if initial == "erased"
                      else np.zeros(0))
        self.total_weight = float(np.sum(model.weight))
        self.index = EverettIndex(model, grid) if engine == "everett" else None
        self.hysterons = Hysterons(model.alpha, model.beta, model.weight, self.total_weight)
        # no hysteron lies closer than this to the alpha = beta line: field oscillations
        # narrower than it switch nothing (used to stop a segment's decaying tail early)
        self.stop_width = float(np.min(model.alpha - model.beta))
        # initial states of both representations (the stack is reduced by construction)
        stack = np.empty(self.erase.size + 4)
        n = 0
        for value in self.erase:
            n = push_extremum(stack, n, float(value))
        self.init_stack = stack[:n].copy()
        state = -np.ones(model.size)
        for value in self.erase:
            _apply_field(state, model.alpha, model.beta, float(value))
        self.init_state = state

    @property
    def initial_magnetisation(self) -> float:
        """M/M_s of the starting state (the erased state's small DC offset)."""
        return float(self.trace(np.zeros(1))[0])

    def trace(self, fields) -> np.ndarray:
        """Irreversible M/M_s after each field value of ``fields`` (for loops and FORCs)."""
        fields = np.ascontiguousarray(fields, dtype=np.float64)
        out = np.empty(fields.size)
        if self.engine == "everett":
            stack = np.empty(self.init_stack.size + fields.size + 4)
            ic = np.empty(stack.size + 2, dtype=np.int64)
            _everett_trace(fields, self.init_stack, self.index.tables, stack, ic, out)
        else:
            _hysterons_trace(fields, self.init_state, self.hysterons, np.empty(self.model.size),
                             out)
        return out

    def final(self, fields) -> float:
        """M/M_s after the whole history ``fields``."""
        fields = np.ascontiguousarray(fields, dtype=np.float64)
        if fields.size == 0:
            return self.initial_magnetisation
        if self.engine == "everett":
            stack = self.dominant_extrema(fields)
            ic = np.empty(stack.size + 2, dtype=np.int64)
            return float(_magnetisation(_up_weight(stack, stack.size, self.index.tables, ic),
                                        self.total_weight))
        return float(self.trace(fields)[-1])

    def dominant_extrema(self, fields) -> np.ndarray:
        """The alternating stack of dominant extrema left by ``fields`` (after the erase sequence).

        Even positions hold maxima, odd positions minima; together they are the
        staircase that separates up from down hysterons in the Preisach plane.
        """
        fields = np.ascontiguousarray(fields, dtype=np.float64)
        stack = np.empty(self.init_stack.size + fields.size + 4)
        s = self.init_stack.size
        stack[:s] = self.init_stack
        for value in fields:
            s = push_extremum(stack, s, float(value))
        return stack[:s].copy()

    def with_reversible(self, fields) -> np.ndarray:
        """Total M/M_s = irreversible part + χ_rev·H along ``fields`` (loops as measured)."""
        fields = np.asarray(fields, dtype=np.float64)
        return self.trace(fields) + self.model.chi_rev * fields

    def record(self, drive, head, positions, *, mode=REFINED, tail=None):
        """Remanence M_j^hist of every segment at ``positions`` (metres).

        ``drive`` and ``head`` are the :class:`~thesis_lib.emulator.head_field.Drive`
        and :class:`~thesis_lib.emulator.head_field.Head` of the recording (see
        :meth:`thesis_lib.emulator.Emulator.drive_and_head`); see
        :func:`thesis_lib.emulator.head_field.segment_field` for ``mode``. ``tail``
        is a field sequence applied to every segment after it left the head (used by
        the thermal-aging degradation).
        """
        positions = np.ascontiguousarray(positions, dtype=np.float64)
        tail = np.zeros(0) if tail is None else np.ascontiguousarray(tail, dtype=np.float64)
        mode = int(mode)
        if self.engine == "hysterons":
            # the reference replays every extremum of the window: it relies on neither the
            # wiping-out skip nor the tail stop, so equal results also check those two
            mode = {REFINED: REFINED_FULL, PEAKS: PEAKS_FULL}.get(mode, mode)
        buf = np.empty(field_buffer_size(head.window, head.v, drive.fb, drive.sr, mode))
        out = np.empty(positions.size)
        if self.engine == "everett":
            stack = np.empty(self.init_stack.size + buf.size + tail.size + 4)
            scratch = Scratch(buf, np.empty(buf.size + 4), stack,
                              np.empty(stack.size + 2, dtype=np.int64))
            _everett_record(drive, head, positions, mode, tail, self.stop_width,
                            self.init_stack, self.index.tables, scratch, out)
        else:
            _hysterons_record(drive, head, positions, mode, tail, self.init_state,
                              self.hysterons, buf, np.empty(self.model.size), out)
        return out

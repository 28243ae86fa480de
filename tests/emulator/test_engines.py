import numpy as np
import pytest

from thesis_lib.emulator import Emulator, EmulatorParams, coarse_bin
from thesis_lib.emulator.engines import EverettIndex, PreisachOperator
from thesis_lib.emulator.head_field import (
    DENSE,
    PEAKS,
    REFINED,
    REFINED_FULL,
    field_buffer_size,
    segment_field,
)


def _random_histories(rng, count, length=150, amplitude=4.5):
    for _ in range(count):
        walk = np.cumsum(rng.normal(0, 1, length)) * rng.uniform(0.05, 0.4)
        yield amplitude * np.tanh(walk / 2)


@pytest.mark.parametrize("n", [100, 250])
def test_everett_equals_brute_force_on_random_histories(fine_small, n):
    model = coarse_bin(fine_small, n)
    ev, bf = PreisachOperator(model, "everett"), PreisachOperator(model, "hysterons")
    rng = np.random.default_rng(n)
    for h in _random_histories(rng, 12):
        a, b = ev.trace(h), bf.trace(h)
        assert np.max(np.abs(a - b)) <= 1e-12 * max(1.0, np.max(np.abs(b)))


def test_equivalence_does_not_depend_on_the_index_grid(coarse100):
    # every grid gives exact sums; a coarse grid exercises the multi-hysteron cells, and
    # density-adapted grid lines (uneven cells) must not change them either
    h = next(_random_histories(np.random.default_rng(3), 1))
    ref = PreisachOperator(coarse100, "hysterons").trace(h)
    for grid in (3, 17, 100, (400, 37)):
        for mix in (0.0, 0.7, 0.95):
            op = PreisachOperator(coarse100, "everett", grid=grid)
            op.index = EverettIndex(coarse100, grid, density_mix=mix)
            got = op.trace(h)
            assert np.max(np.abs(got - ref)) < 1e-12


@pytest.mark.parametrize("mix", [0.0, 0.7])
def test_grid_lookup_equals_a_binary_search(fine_small, mix):
    from thesis_lib.emulator.engines import _bin
    index = EverettIndex(fine_small, 300, density_mix=mix)
    edges = index.axis_a[4:4 + index.ga + 1]
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.uniform(edges[0] - 1, edges[-1] + 1, 3000), edges,
                             np.nextafter(edges, -np.inf), fine_small.alpha[:500]])
    got = np.array([_bin(v, index.axis_a, index.ga) for v in values])
    want = np.searchsorted(edges, values, side="right") - 1
    assert np.array_equal(got, np.minimum(want, index.ga))
    widths = np.diff(edges)
    # density-adapted cells are narrow where the hysterons crowd and never wider than
    # 1 / (1 - mix) times the even width where they are sparse
    even = (edges[-1] - edges[0]) / index.ga
    assert widths.max() <= even / (1 - mix) * (1 + 1e-6)
    if mix > 0:
        assert widths.min() < 0.6 * even


@pytest.mark.parametrize("n", [100, 250])
def test_engines_agree_on_a_real_clip_excerpt(n, tone):
    x, sr = tone
    ev = Emulator(EmulatorParams(preisach_n=n, engine="everett"), cache_dir=False)
    bf = Emulator(EmulatorParams(preisach_n=n, engine="hysterons"), cache_dir=False)
    positions = ev.segment_positions(x.size / sr)[200:230]
    drive, head = ev.drive_and_head(x, sr)
    a = ev.operator.record(drive, head, positions)
    b = bf.operator.record(drive, head, positions)
    assert np.ptp(a) > 0.01                      # a non-trivial excerpt
    assert np.max(np.abs(a - b)) <= 1e-12


def test_wiping_out(coarse100):
    op = PreisachOperator(coarse100, "hysterons")
    # any history bounded by a later larger maximum and smaller minimum is forgotten
    inner = np.array([0.3, -0.5, 1.1, -0.2, 0.9, -1.0])
    a = op.final(np.concatenate([inner, [2.0, -1.8, 0.7]]))
    b = op.final(np.array([2.0, -1.8, 0.7]))
    assert a == pytest.approx(b, abs=1e-12)  # the same state, up to the rounding of its sum
    # but a maximum that is not exceeded is remembered
    c = op.final(np.array([2.5, -1.8, 2.0, -1.8, 0.7]))
    assert abs(c - b) > 1e-4


def test_congruency_of_minor_loops(coarse100):
    op = PreisachOperator(coarse100, "everett")
    # the same cycle between -1.2 and 1.0 after two different past histories: the minor
    # loops differ by a vertical shift only (congruency property, Mayergoyz 1991)
    cycle = np.linspace(-1.2, 1.0, 60)
    cycle = np.concatenate([cycle, cycle[::-1]])
    loops = []
    for past in ([3.0, -1.2], [3.0, -2.5, 2.0, -1.2]):
        m = op.trace(np.concatenate([past, cycle]))[len(past):]
        loops.append(m - m[0])
    assert np.allclose(loops[0], loops[1], atol=1e-12)
    assert np.ptp(loops[0]) > 0.01


def test_saturation_and_symmetry_of_the_major_loop(coarse100):
    op = PreisachOperator(coarse100, "everett")
    top = 1.1 * coarse100.field_range
    assert op.final([top]) == pytest.approx(1.0, abs=1e-14)
    assert op.final([top, -top]) == pytest.approx(-1.0, abs=1e-14)
    up = np.linspace(-top, top, 200)
    ascending = op.trace(np.concatenate([[top, -top], up]))[2:]
    descending = op.trace(np.concatenate([[-top, top], -up]))[2:]
    # the interaction field is symmetric on average: branches mirror each other
    assert np.max(np.abs(ascending + descending)) < 0.1
    assert np.all(np.diff(ascending) >= -0.02)   # signed weights allow only tiny dips


def test_erased_state_has_a_small_dc_offset(coarse100):
    ev = PreisachOperator(coarse100, "everett")
    bf = PreisachOperator(coarse100, "hysterons")
    m0 = ev.initial_magnetisation
    assert abs(m0) < 0.05 and m0 == pytest.approx(bf.initial_magnetisation, abs=1e-12)
    slower = PreisachOperator(coarse100, "everett", erase_decay=0.99).initial_magnetisation
    assert abs(slower) < abs(m0)


def test_skipping_wiped_extrema_is_exact(emulator100, tone):
    x, sr = tone
    positions = emulator100.segment_positions(x.size / sr)[::7]
    drive, head = emulator100.drive_and_head(x, sr)
    skipped = emulator100.operator.record(drive, head, positions, mode=REFINED)
    full = emulator100.operator.record(drive, head, positions, mode=REFINED_FULL)
    assert np.max(np.abs(skipped - full)) <= 1e-13


def test_stopping_the_decaying_tail_is_exact_and_shortens_the_history(emulator100, tone):
    x, sr = tone
    op = emulator100.operator
    positions = emulator100.segment_positions(x.size / sr)[40:400:5]
    drive, head = emulator100.drive_and_head(x, sr)
    stopped = op.record(drive, head, positions)
    width = op.stop_width
    assert width > 0.1          # the fine fit has no hysteron near alpha = beta
    try:
        op.stop_width = 0.0
        whole = op.record(drive, head, positions)
    finally:
        op.stop_width = width
    assert np.max(np.abs(stopped - whole)) <= 1e-13
    buf = np.empty(field_buffer_size(head.window, head.v, drive.fb, sr, REFINED))
    full_count = segment_field(drive, head, float(positions[30]), REFINED, buf)
    short_count = segment_field(drive, head, float(positions[30]), REFINED, buf, width,
                                np.empty(buf.size))
    assert short_count < 0.8 * full_count


def test_a_hysteron_on_the_diagonal_disables_the_tail_stop(coarse100):
    from thesis_lib.emulator.preisach import PreisachModel
    m = coarse100
    model = PreisachModel(np.append(m.alpha, 0.01), np.append(m.beta, 0.01),
                          np.append(m.weight, 1e-3))
    assert PreisachOperator(model, "everett").stop_width == 0.0


def test_refined_extrema_match_dense_sampling(emulator100, tone):
    # one refined sample per bias peak against a 256-samples-per-period reference
    x, sr = tone
    positions = emulator100.segment_positions(x.size / sr)[300:580:4]
    drive, head = emulator100.drive_and_head(x, sr)
    dense = emulator100.operator.record(drive, head, positions, mode=DENSE)
    refined = emulator100.operator.record(drive, head, positions, mode=REFINED)
    peaks = emulator100.operator.record(drive, head, positions, mode=PEAKS)
    rms = np.sqrt(np.mean(dense**2))
    err_refined = np.sqrt(np.mean((refined - dense) ** 2)) / rms
    err_peaks = np.sqrt(np.mean((peaks - dense) ** 2)) / rms
    assert err_refined < 0.01 and err_refined < err_peaks / 3


def test_unknown_engine_is_rejected(coarse100):
    with pytest.raises(ValueError, match="engine"):
        PreisachOperator(coarse100, "fast")

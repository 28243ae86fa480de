import numpy as np
from scipy import integrate, optimize

from thesis_lib.emulator import Emulator, EmulatorParams
from thesis_lib.emulator.head_field import HeadField, _k, karlqvist_kernel


def test_kernel_matches_two_arctangent_form():
    s = np.linspace(-40, 40, 801)
    for gap, spacing in ((4.0, 3.0), (10.0, 2.0)):   # the second has 1 + ab < 0 near the gap
        two_atan = (np.arctan((s + gap / 2) / spacing) - np.arctan((s - gap / 2) / spacing)) / np.pi
        assert np.allclose(karlqvist_kernel(s, gap, spacing), two_atan, atol=1e-15)
        one_atan = np.array([_k(v, gap / 2, spacing) for v in s])
        assert np.allclose(one_atan, two_atan, atol=1e-14)


def test_kernel_integrates_to_the_gap_length():
    # ∫ k(s) ds = g for the Karlqvist longitudinal field (flux conservation across the gap)
    for gap, spacing in ((4.0, 3.0), (2.0, 0.5)):
        value, _ = integrate.quad(karlqvist_kernel, -np.inf, np.inf, args=(gap, spacing),
                                  limit=400)
        assert abs(value - gap) < 1e-6 * gap


def test_kernel_is_symmetric_and_peaks_at_the_gap_centre():
    s = np.linspace(0, 30, 301)
    k = karlqvist_kernel(s, 4.0, 3.0)
    assert np.allclose(k, karlqvist_kernel(-s, 4.0, 3.0))
    assert np.all(np.diff(k) < 0)


def test_newton_refined_extrema_track_the_continuous_field():
    emu = Emulator(EmulatorParams(preisach_n=100), cache_dir=False)
    sr = 48000
    x = 0.4 * np.sin(2 * np.pi * 700 * np.arange(2400) / sr)
    u = 500 * emu.params.segment_m
    kw = emu.field_kwargs(x)
    hf = HeadField(kw["h0"], kw["gap"], kw["spacing"], kw["speed"], kw["window"])
    refined = emu.field_history(x, sr, u, mode=0)
    peaks = emu.field_history(x, sr, u, mode=1)
    t_dense, h_dense = hf.dense(x, sr, u, kw["amplitude"], kw["bias_hz"])
    # the true maximum: polish the densest sample with a bounded scalar search
    i = int(np.argmax(h_dense))
    dt = t_dense[1] - t_dense[0]

    def field(t):
        xv = np.interp(t, np.arange(x.size) / sr, x)
        return -kw["h0"] * (xv + kw["amplitude"] * np.sin(2 * np.pi * kw["bias_hz"] * t)) \
            * karlqvist_kernel(u - kw["speed"] * t, kw["gap"], kw["spacing"])

    res = optimize.minimize_scalar(field, bounds=(t_dense[i] - dt, t_dense[i] + dt),
                                   method="bounded", options={"xatol": 1e-13})
    true_max = -res.fun
    err_refined = abs(refined.max() - true_max) / true_max
    err_peaks = abs(peaks.max() - true_max) / true_max
    assert err_refined < 2e-5            # the quadratic Newton step: third-order error
    assert err_peaks > 10 * err_refined  # sampling at the bias peak understates the extremum
    assert peaks.max() < true_max


def test_interpolated_kernel_table_equals_the_arctangent():
    from thesis_lib.emulator.head_field import NO_TABLE, _k_fast, kernel_table
    gap, spacing, window = 4e-6, 3e-6, 30e-6
    table = kernel_table(gap, spacing, window)
    s = np.random.default_rng(0).uniform(-window, window, 20_000)
    exact = karlqvist_kernel(s, gap, spacing)
    fast = np.array([_k_fast(v, gap / 2, spacing, table) for v in s])
    assert np.max(np.abs(fast - exact)) < 1e-13 * karlqvist_kernel(0.0, gap, spacing)
    # outside the table and without a table the exact arctangent is used
    assert _k_fast(5 * window, gap / 2, spacing, table) == _k(5 * window, gap / 2, spacing)
    assert _k_fast(1e-6, gap / 2, spacing, NO_TABLE) == _k(1e-6, gap / 2, spacing)


def test_per_clip_peak_drive_gives_the_same_field_as_interpolating_per_segment():
    from thesis_lib.emulator.head_field import (
        PEAKS,
        REFINED,
        REFINED_FULL,
        field_buffer_size,
        make_drive,
        make_head,
        segment_field,
    )
    emu = Emulator(EmulatorParams(preisach_n=100), cache_dir=False)
    sr = 48000
    rng = np.random.default_rng(1)
    x = 0.5 * np.tanh(np.cumsum(rng.normal(0, 0.1, 4800)))
    kw = emu.field_kwargs(x)
    head = make_head(kw["h0"], kw["gap"], kw["spacing"], kw["speed"], kw["window"])
    tabulated = make_drive(x, sr, kw["gain"], kw["amplitude"], kw["bias_hz"])
    interpolated = make_drive(x, sr, kw["gain"], kw["amplitude"], kw["bias_hz"], per_peak=False)
    assert tabulated.peaks.shape[0] > 0 and interpolated.peaks.shape[0] == 0
    buf = np.empty(field_buffer_size(kw["window"], kw["speed"], kw["bias_hz"], sr, REFINED_FULL))
    # segments before, inside and past the end of the clip
    for u in (-5e-6, 3e-6, 0.5 * x.size / sr * kw["speed"], x.size / sr * kw["speed"] + 8e-6):
        for mode in (REFINED, PEAKS, REFINED_FULL):
            n1 = segment_field(interpolated, head, u, mode, buf)
            a = buf[:n1].copy()
            n2 = segment_field(tabulated, head, u, mode, buf)
            # the same products of the same interpolated samples: equal to the last bit
            assert n1 == n2 and np.array_equal(a, buf[:n2])


def test_tabulated_kernel_derivatives_match_the_closed_forms():
    from thesis_lib.emulator.head_field import NO_TABLE, _d2k, _dk, _k_derivs, kernel_table
    gap, spacing, window = 4e-6, 3e-6, 30e-6
    table = kernel_table(gap, spacing, window)
    for s in np.linspace(-window, window, 997):
        k, dk, d2k = _k_derivs(s, gap / 2, spacing, table)
        assert abs(k - _k(s, gap / 2, spacing)) < 1e-14
        assert abs(dk - _dk(s, gap / 2, spacing)) < 1e-9 * abs(_dk(0.9 * gap, gap / 2, spacing))
        assert abs(d2k - _d2k(s, gap / 2, spacing)) < 1e-5 * abs(_d2k(0.0, gap / 2, spacing))
    assert _k_derivs(2 * window, gap / 2, spacing, table)[1] == _dk(2 * window, gap / 2, spacing)
    assert _k_derivs(1e-6, gap / 2, spacing, NO_TABLE)[2] == _d2k(1e-6, gap / 2, spacing)

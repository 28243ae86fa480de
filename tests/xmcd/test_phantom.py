"""Synthetic beamline: interface contract, determinism, ground truth, re-runs."""

from dataclasses import replace

import numpy as np
import pytest
import yaml

from thesis_lib.provenance import PROFILE_FILE
from thesis_lib.xmcd import UnknownSeriesError, double_difference, read_series
from thesis_lib.xmcd.phantom import (
    PhantomConfig,
    SeriesSpec,
    SyntheticSeries,
    load_manifest,
    read_ground_truth,
    write_phantom,
)


def _all_bytes(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_contract_folders_ground_truth_and_series_yml(tmp_path, tiny_manifest):
    out = write_phantom(tmp_path / "out", "all", detector=32, seed=0, manifest=tiny_manifest,
                        workers=1)
    assert sorted(out) == ["reference", "t1", "t2"]
    gt = read_ground_truth(out["t1"])
    n = len(read_series(out["t1"]))
    # 15 positions of 200 um span the manifest's two 1460-um wavelengths
    assert n == 15 and gt["footprint"].dtype == np.int8 and gt["footprint"].shape == (32, 32)
    assert set(np.unique(gt["footprint"])) == {-1, 0, 1}
    assert gt["s_true"].dtype == np.float64 and gt["s_true"].shape == (n,)
    assert gt["shift_px"].shape == (n, 2) and gt["beam_fwhm_um"].shape == (2,)
    # the stage's true step differs from the nominal one by at most the configured few per cent
    assert gt["step_um"] != 200.0 and abs(gt["step_um"] / 200.0 - 1) <= PhantomConfig().step_error
    meta = yaml.safe_load((out["t1"] / "series.yml").read_text())
    assert meta["step_um"] == 200.0 and meta["test_tone_hz"] == 261.0
    assert meta["tape_speed_m_s"] == 0.381
    assert meta["beam_um"] == [26.0, 25.0] and meta["integration_s"] == 2.0 and meta["repeats"] == 2
    assert not any(k in meta for k in ("footprint", "s_true", "shift_px", "seed"))
    # the reference is a saturated region: s = 1 everywhere
    np.testing.assert_array_equal(read_ground_truth(out["reference"])["s_true"], np.ones(3))


def test_same_seed_same_bytes_different_seed_same_geometry(tmp_path, tiny_manifest):
    a = write_phantom(tmp_path / "a", "t1,reference", detector=32, seed=5,
                      manifest=tiny_manifest, workers=2)
    b = write_phantom(tmp_path / "b", ["t1", "reference"], detector=32, seed=5,
                      manifest=tiny_manifest, workers=1)
    for sid in a:
        assert _all_bytes(a[sid]) == _all_bytes(b[sid])
    c = write_phantom(tmp_path / "c", "t1", detector=32, seed=6, manifest=tiny_manifest, workers=1)
    ga, gc = read_ground_truth(a["t1"]), read_ground_truth(c["t1"])
    for key in ("footprint", "s_true", "shift_px", "beam_fwhm_um", "step_um", "s_mag"):
        np.testing.assert_array_equal(ga[key], gc[key])
    fa, fc = read_series(a["t1"]).files[0].frames, read_series(c["t1"]).files[0].frames
    assert not np.array_equal(fa[(1, 1)], fc[(1, 1)])
    # ... but only by noise: both scatter around the same mean
    assert abs(np.mean(fa[(1, 1)] - fc[(1, 1)])) < 1.0


def test_unknown_series_id(tmp_path, tiny_manifest):
    with pytest.raises(UnknownSeriesError, match=r"\['s9'\].*manifest.yml.*'all'"):
        write_phantom(tmp_path, "t1,s9", manifest=tiny_manifest)


def test_rerun_skips_finished_and_refuses_other_settings(tmp_path, tiny_manifest):
    out = write_phantom(tmp_path, "t2", detector=32, manifest=tiny_manifest, workers=1)["t2"]
    stamp = {p.name: p.stat().st_mtime_ns for p in out.glob("*.nxs")}
    write_phantom(tmp_path, "t2", detector=32, manifest=tiny_manifest, workers=1)
    assert stamp == {p.name: p.stat().st_mtime_ns for p in out.glob("*.nxs")}
    with pytest.raises(FileExistsError, match="t2.*overwrite"):
        write_phantom(tmp_path, "t2", detector=32, seed=1, manifest=tiny_manifest, workers=1)
    write_phantom(tmp_path, "t2", detector=32, seed=1, manifest=tiny_manifest, workers=1,
                  overwrite=True)
    assert read_series(out).files[0].frames[(1, 1)].shape == (1, 32, 32)


def test_interrupted_series_resumes_to_identical_files(tmp_path, tiny_spec, tiny_config):
    ser = SyntheticSeries(tiny_spec, tiny_config)
    full = _all_bytes(ser.write(tmp_path / "full"))
    part = ser.write(tmp_path / "part")
    for name in ("scan_00003.nxs", "scan_00006.nxs", "ground_truth.npz"):
        (part / name).unlink()
    marker = part / ".phantom.json"
    marker.write_text(marker.read_text().replace('"complete": true', '"complete": false'))
    assert _all_bytes(SyntheticSeries(tiny_spec, tiny_config).write(part)) == full


def test_drift_moves_the_footprint_by_the_recorded_shift(tmp_path, tiny_spec):
    """Noise-free D of a file correlates best with the footprint translated by its true shift."""
    cfg = PhantomConfig(detector=64, noise=False, jump_probability=1.0, jump_px=(8.0, 8.0))
    ser = SyntheticSeries(tiny_spec, cfg)
    # the strongest-signal file among those that moved by at least 2 px
    moved = np.abs(ser.shift_px).max(axis=1) >= 2
    assert moved.any()
    t = int(np.argmax(np.where(moved, np.abs(ser.s_true), -np.inf)))
    D, _ = double_difference(read_series(ser.write(tmp_path / "t")).files[t])
    fp = ser.scene.footprint.astype(float) * np.sign(ser.s_true[t])
    score = {(a, b): np.sum(D * np.roll(fp, (a, b), axis=(0, 1)))
             for a in range(-6, 7) for b in range(-6, 7)}
    best = np.array(max(score, key=score.get))
    assert np.all(np.abs(best - ser.shift_px[t]) < 1.0)


def test_saturation_appears_in_long_exposures_and_is_flagged(tmp_path):
    """6-s integrations saturate the bright blobs; those pixels are invalid, the rest is kept."""
    specs = load_manifest()
    ser = SyntheticSeries(replace(specs["s8"], cycles=None, n_files=1), PhantomConfig(detector=64))
    scan = read_series(ser.write(tmp_path / "s8")).files[0]
    saturated = np.any([f.max(axis=0) >= 4095 for f in scan.frames.values()], axis=0)
    assert saturated.any() and not np.any(scan.valid & saturated)
    assert 0.8 < scan.valid.mean() < 1.0


def test_manifest_reproduces_table_5_2_cycles():
    specs = load_manifest()
    wavelength = 0.381e6 / 261.0
    expected = {"s1": 3, "s2": 6, "s3": 6, "s4": 4.5, "s5": 6, "s6": 6, "s7": 6, "s8": 6}
    for sid, cycles in expected.items():
        n = specs[sid].n_positions(0.381)
        assert round(2 * n * specs[sid].step_um / wavelength) / 2 == cycles


@pytest.mark.slow
def test_ensure_phantom_is_a_self_healing_cache(tmp_path):
    from thesis_lib.xmcd.phantom import ensure_phantom

    root = ensure_phantom(tmp_path, "quick", series="s8", workers=1)
    assert root == tmp_path / "xmcd" / "quick"
    first = _all_bytes(root / "s8")
    marker = root / "s8" / ".phantom.json"
    marker.write_text(marker.read_text().replace('"version": ', '"version": -1, "old": '))
    # stale cache: rebuilt, not refused
    ensure_phantom(tmp_path, "quick", series="s8", workers=1)
    assert _all_bytes(root / "s8") == first


def test_profiles_map_onto_the_config(tmp_path):
    from thesis_lib.xmcd.phantom import profile_config

    assert profile_config("full").detector >= 1024 and profile_config("quick").detector == 128
    assert profile_config("quick", detector=32).detector == 32
    book = yaml.safe_load(PROFILE_FILE.read_text())
    book["profiles"]["quick"]["xmcd_phantom"]["detecter"] = 32
    book["profiles"]["full"]["xmcd_phantom"]["detecter"] = 32
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(book))
    with pytest.raises(ValueError, match=r"bad.yml.*unknown phantom parameter.*detecter"):
        profile_config("quick", profiles=bad)
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        profile_config("huge")


@pytest.mark.parametrize("old, new, match", [
    ("step_um: 200.0", "stepp_um: 200.0",
     r"bad.yml: series 't1': unknown key\(s\) \['stepp_um'\] \(did you mean step_um\?\)"),
    ("repeats: 2, step_um: 200.0", "repeats: two, step_um: 200.0",
     r"bad.yml: series 't1': repeats must be an integer .*not a text \('two'\)"),
    (", cycles: 2.0", "", r"bad.yml: series 't1': give cycles .* or n_files"),
    ("test_tone_hz: 261.0\n", "", r"bad.yml: missing key\(s\) \['test_tone_hz'\]"),
])
def test_malformed_manifest_names_the_file_and_the_key(tmp_path, tiny_manifest, old, new, match):
    bad = tmp_path / "bad.yml"
    text = tiny_manifest.read_text()
    assert old in text
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ValueError, match=match) as info:
        load_manifest(bad)
    assert "\n" not in str(info.value)


def test_ground_truth_shifts_are_measured_from_the_reference_acquisition(tiny_config):
    """A series' true shifts are stated from the reference files' mean position, the origin
    an experiment registers to; the reference's own shifts then average to zero."""
    specs = load_manifest()
    cfg = replace(tiny_config, detector=32)
    ref = SyntheticSeries(specs["reference"], cfg, specs["reference"])
    ser = SyntheticSeries(specs["s8"], cfg, specs["reference"])
    gt_ref, gt = ref.ground_truth(), ser.ground_truth()
    assert np.allclose(gt_ref["shift_px"].mean(axis=0), 0.0, atol=1e-12)
    origin = ref.shift_px.mean(axis=0)
    assert np.abs(origin).max() > 1e-3          # the reference does drift
    assert np.allclose(gt["origin_px"], origin)
    assert np.allclose(gt["shift_px"] + origin, gt["shift_px_scene"])
    assert np.allclose(gt["shift_px_scene"], ser.shift_px)
    # without a reference the scene frame is kept (what the unit tests above use)
    unreferenced = SyntheticSeries(specs["s8"], cfg).ground_truth()["shift_px"]
    assert np.array_equal(unreferenced, ser.shift_px)


def test_manifest_keeps_calibration_scans_apart_from_table_5_2():
    """c1/c2 are ours: finely stepped (1-5 µm) against a ~30 µm beam, not in Table 5.2."""
    from thesis_lib.xmcd.phantom import MANIFEST

    doc = yaml.safe_load(MANIFEST.read_text())
    assert [s["id"] for s in doc["series"]] == [f"s{i}" for i in range(1, 9)]
    specs = load_manifest(MANIFEST)
    table = [s for s in specs.values() if not s.calibration]
    calib = {sid: s for sid, s in specs.items() if s.calibration}
    assert sorted(calib) == ["c1", "c2"] and len(table) == 9        # s1-s8 and the reference
    assert {s.signal for s in calib.values()} == {"sine", "square"}
    for spec in calib.values():
        assert 1.0 <= spec.step_um <= 5.0 and spec.beam_um[0] == 30.0
        # several steps per beam width, over most of a tone period
        assert spec.beam_um[0] / spec.step_um >= 6 and spec.n_positions(0.381) >= 300


def _edge_rises(series):
    """10-90 % rise distance (µm) of each edge of a square-wave scan's true magnetisation."""
    s, step = series.s_true, series.spec.step_um
    lo, hi = np.percentile(s, 10), np.percentile(s, 90)
    assert hi - lo > 1.0                                   # two plateaus of opposite sign
    crossings = np.flatnonzero(np.diff(np.sign(s - (lo + hi) / 2)))
    assert len(crossings) == 2                             # one period: a rise and a fall
    return [step * np.sum((s[i - 40:i + 41] > lo + 0.1 * (hi - lo))
                          & (s[i - 40:i + 41] < lo + 0.9 * (hi - lo))) for i in crossings]


def test_square_wave_calibration_scan_edges_widen_with_the_beam():
    """The recorded square wave's edges, read by the 2-D beam, carry the beam's width.

    A Gaussian beam spreads a step over 1.09 FWHM (10-90 %); the recorded transition has its
    own spread, and Gaussian-like spreads add in quadrature. So the rise under a ~32 µm beam
    follows from the rise under a ~10 µm beam: measured 42.5-47.5 µm against 44.5 µm predicted
    (2.5 µm steps quantise each rise), within the 15 % allowed.
    """
    rises, widths = {}, {}
    for beam in (10.0, 30.0):
        spec = SeriesSpec("sq", integration_s=6.0, repeats=1, step_um=2.5, cycles=1.0,
                          beam_um=(beam, 25.0), signal="square", calibration=True)
        series = SyntheticSeries(spec, PhantomConfig(detector=16))
        rises[beam], widths[beam] = _edge_rises(series), float(series.beam_fwhm_um[0])
        meta = series.series_meta()
        assert meta["signal"] == "square" and "not a Table 5.2 series" in meta["purpose"]
    recorded_sq = np.mean(rises[10.0]) ** 2 - (1.09 * widths[10.0]) ** 2
    predicted = np.sqrt(recorded_sq + (1.09 * widths[30.0]) ** 2)
    for rise in rises[30.0]:
        assert rise > 1.09 * widths[30.0]
        assert rise == pytest.approx(predicted, rel=0.15)

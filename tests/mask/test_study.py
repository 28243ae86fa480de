import numpy as np
import pytest

from thesis_lib.mask.study import compare_backends, extract_all, percent_change, series_masks

from .conftest import planted_frame


def test_compare_backends_reports_table_5_1_and_truth_for_each_method():
    D, truth, valid, _ = planted_frame((64, 64), seed=2)
    rows, results = compare_backends(D, valid, truth, radius=3, dbscan_max_fit=None)
    assert set(rows) == {"kmeans", "gmm", "dbscan"}
    for _m, r in rows.items():
        assert 0 <= r["area_fraction"] <= 1 and r["components"] >= 0
        assert r["polarity_gap"] == pytest.approx(r["mu_pos"] - r["mu_neg"])
        assert r["time_s"] >= 0
    assert rows["kmeans"]["signed_iou"] > 0.8
    assert results["kmeans"].weighted is not None and results["dbscan"].weighted is None


def test_a_backend_without_two_clusters_is_reported_not_fatal():
    D, truth, valid, _ = planted_frame((48, 48), seed=0)
    rows, results = compare_backends(D, valid, truth, radius=2, dbscan_max_fit=None)
    assert results["dbscan"] is None and "needs two" in rows["dbscan"]["error"]
    assert np.isnan(rows["dbscan"]["polarity_gap"]) and results["kmeans"] is not None


def test_percent_change_sign_and_zero_reference():
    assert percent_change(50.0, 100.0) == -50.0
    assert np.isnan(percent_change(1.0, 0.0))


@pytest.mark.slow
def test_extract_all_caches_every_mask_and_reuses_the_cache(tmp_path):
    from thesis_lib.mask.extract import reference_registration_image
    from thesis_lib.xmcd import read_series, reference_image
    from thesis_lib.xmcd.phantom import read_ground_truth, write_phantom

    write_phantom(tmp_path / "ph", series=["reference", "s8"], detector=48, seed=1, workers=1)
    ref_files = read_series(tmp_path / "ph" / "reference").files
    D, valid = reference_image(ref_files)
    masks = series_masks(D, valid, radius=2)
    reg = reference_registration_image(ref_files)
    cache = tmp_path / "cache.npz"
    first = extract_all(tmp_path / "ph" / "s8", masks, reg, cache=cache)
    assert cache.is_file()
    mtime = cache.stat().st_mtime_ns
    again = extract_all(tmp_path / "ph" / "s8", masks, reg, cache=cache)
    assert cache.stat().st_mtime_ns == mtime
    for name in masks:
        np.testing.assert_array_equal(first["waveforms"][name]["static"],
                                      again["waveforms"][name]["static"])
    # the weighted mask is the binary mask re-weighted: the two waveforms correlate strongly
    s_true = read_ground_truth(tmp_path / "ph" / "s8")["s_true"]
    assert np.corrcoef(first["waveforms"]["kmeans_weighted"]["static"], s_true)[0, 1] > 0.9
    changed = extract_all(tmp_path / "ph" / "s8", {**masks, "kmeans": -masks["kmeans"]}, reg,
                          cache=cache)
    np.testing.assert_allclose(changed["waveforms"]["kmeans"]["static"],
                               -first["waveforms"]["kmeans"]["static"])

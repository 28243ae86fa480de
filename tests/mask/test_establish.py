import numpy as np
import pytest

from thesis_lib.mask.clustering import Clustering, cluster_dbscan, cluster_kmeans
from thesis_lib.mask.establish import cluster_means, establish_mask, extreme_memberships
from thesis_lib.mask.features import pixel_features
from thesis_lib.mask.quality import truth_metrics

from .conftest import planted_frame


def test_kmeans_mask_recovers_the_planted_signed_footprint():
    D, truth, valid, _ = planted_frame((64, 64), seed=0, invalid_fraction=0.02)
    res = cluster_kmeans(pixel_features(D, valid, radius=2))
    est = establish_mask(res, D, valid)
    assert set(np.unique(est.mask)) == {-1.0, 0.0, 1.0}
    assert truth_metrics(est.mask, np.where(valid, truth, 0))["signed_iou"] > 0.8
    assert np.all(est.mask[~valid] == 0)
    # the positive cluster is the one of largest mean, by construction of the ranking
    assert est.cluster_means[est.positive] == max(est.cluster_means.values())


def test_ranking_flips_with_the_sign_of_the_reference():
    D, truth, valid, _ = planted_frame((48, 48), seed=4)
    feats = pixel_features(D, valid, radius=2)
    up = establish_mask(cluster_kmeans(feats), D, valid).mask
    feats_neg = pixel_features(-D, valid, radius=2)
    down = establish_mask(cluster_kmeans(feats_neg), -D, valid).mask
    assert truth_metrics(up, -down)["signed_iou"] > 0.95


def test_noise_label_is_never_selected():
    labels = np.array([-1, -1, 0, 1, 2])
    D = np.array([[100.0, -100.0, 1.0, 0.0, -1.0]])
    est = establish_mask(Clustering("dbscan", labels), D, np.ones_like(D, bool))
    assert est.mask.tolist() == [[0.0, 0.0, 1.0, 0.0, -1.0]]
    assert cluster_means(labels, D.ravel()) == {0: 1.0, 1: 0.0, 2: -1.0}


def test_one_cluster_and_mismatched_labels_raise_with_advice():
    D = np.ones((2, 2))
    ok = np.ones((2, 2), bool)
    with pytest.raises(ValueError, match="needs two"):
        establish_mask(Clustering("dbscan", np.array([0, 0, 0, -1])), D, ok)
    with pytest.raises(ValueError, match="labels for 4 valid"):
        establish_mask(Clustering("kmeans", np.array([0, 1])), D, ok)


def test_extreme_memberships_need_soft_backends():
    D, _, valid, _ = planted_frame((32, 32), seed=1)
    feats = pixel_features(D, valid, radius=2)
    res = cluster_dbscan(feats, eps=1.5, min_samples=5, max_fit=None)
    est = establish_mask(res, D, valid)
    with pytest.raises(ValueError, match="hard labels"):
        extreme_memberships(res, est)


def thin_bands(shape=(96, 96), width=4, gap=1, noise=0.15, seed=0):
    """Two curved signed bands a few pixels wide — thinner than the r = 7 window."""
    H, W = shape
    yy, xx = np.mgrid[0:H, 0:W].astype(float)
    row = 40 + 8 * np.sin(xx / 15.0)
    pos = (yy >= row) & (yy < row + width)
    neg = (yy >= row + width + gap) & (yy < row + 2 * width + gap)
    along = 0.6 + 0.4 * np.cos(xx / 11.0)
    D = (along * (pos.astype(float) - neg)
         + noise * np.random.default_rng(seed).standard_normal(shape))
    return D, pos.astype(np.int8) - neg.astype(np.int8)


@pytest.mark.parametrize("seed", [0, 1])
def test_contrast_refinement_removes_the_halo_of_window_features(seed):
    D, truth = thin_bands(seed=seed)
    res = cluster_kmeans(pixel_features(D, radius=7))
    thesis = establish_mask(res, D, None)
    refined = establish_mask(res, D, None, refine="contrast")
    a, b = truth_metrics(thesis.mask, truth), truth_metrics(refined.mask, truth)
    # the thesis rule takes a halo into one polarity at least (precision well below 1) ...
    assert min(a["pos"]["precision"], a["neg"]["precision"]) < 0.8
    # ... which the refinement removes, losing (almost) no lobe pixel
    for pol in ("pos", "neg"):
        assert b[pol]["precision"] > 0.93
        assert b[pol]["recall"] >= a[pol]["recall"] - 0.02
    assert b["signed_iou"] > a["signed_iou"] + 0.08
    # it only ever removes pixels, never adds or flips them
    kept = refined.mask != 0
    np.testing.assert_array_equal(refined.mask[kept], thesis.mask[kept])


def test_refinement_without_a_discarded_cluster_is_the_thesis_rule_and_bad_names_raise():
    D = np.array([[5.0, 1.0, -5.0, -1.0]])
    res = Clustering("toy", np.array([0, 0, 1, 1]))
    ok = np.ones_like(D, bool)
    np.testing.assert_array_equal(establish_mask(res, D, ok, refine="contrast").mask,
                                  establish_mask(res, D, ok).mask)
    with pytest.raises(ValueError, match="refine must be"):
        establish_mask(res, D, ok, refine="erode")

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

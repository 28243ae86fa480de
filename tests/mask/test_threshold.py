import numpy as np
import pytest

from thesis_lib.mask.quality import truth_metrics
from thesis_lib.mask.threshold import threshold_mask

from .conftest import planted_frame


def test_percentile_level_keeps_that_share_of_valid_pixels():
    D = np.random.default_rng(0).normal(size=(100, 100))
    M = threshold_mask(D, percentile=90.0)
    np.testing.assert_allclose((M != 0).mean(), 0.10, atol=0.001)
    assert np.all(np.sign(D[M != 0]) == M[M != 0])


def test_threshold_admits_background_that_clustering_rejects():
    D, truth, valid, _ = planted_frame((64, 64), noise=0.4, seed=3)
    M = threshold_mask(D, valid, percentile=80.0)
    # noise pixels above the level are kept: precision suffers (the §2.1 failure)
    assert truth_metrics(M, truth)["pos"]["precision"] < 0.9


def test_negative_level_raises():
    with pytest.raises(ValueError, match=">= 0"):
        threshold_mask(np.ones((3, 3)), level=-1.0)

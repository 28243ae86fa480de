import numpy as np
import pytest

from thesis_lib.mask.pipeline import build_mask
from thesis_lib.mask.quality import truth_metrics

from .conftest import planted_frame


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_weighted_mask_agrees_in_sign_with_the_binary_mask_on_the_footprint(method):
    D, truth, valid, _ = planted_frame((48, 48), seed=6, invalid_fraction=0.01)
    res = build_mask(D, valid, method=method, weighted=True, radius=2)
    assert res.mask is res.weighted
    sel = res.binary != 0
    assert np.mean(np.sign(res.weighted[sel]) == res.binary[sel]) > 0.95
    assert np.all(res.weighted[~valid] == 0) and np.abs(res.weighted).max() <= 1


def test_binary_mask_by_default_and_unknown_method_raises():
    D, truth, valid, _ = planted_frame((48, 48), seed=7)
    res = build_mask(D, valid, radius=2)
    assert res.weighted is None and res.mask is res.binary
    assert truth_metrics(res.binary, truth)["signed_iou"] > 0.8
    with pytest.raises(ValueError, match="unknown mask method"):
        build_mask(D, valid, method="spectral")
    with pytest.raises(ValueError, match="hard labels"):
        build_mask(D, valid, method="dbscan", weighted=True, radius=2,
                   cluster_kwargs={"eps": 1.0, "min_samples": 5, "max_fit": None})

import numpy as np
import pytest

from thesis_lib.mask.quality import compactness, count_components, detector_metrics, truth_metrics


def test_components_count_each_polarity_with_eight_connectivity():
    M = np.zeros((9, 9))
    M[1, 1] = M[2, 2] = 1          # diagonal neighbours: one component
    M[6:8, 6:8] = -1               # a negative block
    M[1, 7] = 1                    # an isolated positive pixel
    assert count_components(M) == 3


def test_compactness_of_a_square_and_of_a_ring():
    square = np.zeros((20, 20))
    square[5:15, 5:15] = 1
    assert compactness(square) == 1.0
    ring = square.copy()
    ring[7:13, 7:13] = 0
    np.testing.assert_allclose(compactness(ring), 64 / 100)


def test_detector_metrics_on_known_regions():
    D = np.zeros((10, 10))
    D[:2, :] = 3.0
    D[-2:, :] = -1.0
    M = np.sign(D)
    m = detector_metrics(M, D)
    assert m["area_fraction"] == 0.4 and m["components"] == 2
    assert (m["mu_pos"], m["mu_neg"], m["polarity_gap"]) == (3.0, -1.0, 4.0)
    valid = np.ones_like(D, bool)
    valid[0, :] = False  # invalid pixels leave the denominator and the support
    assert detector_metrics(M, D, valid)["area_fraction"] == pytest.approx(30 / 90)


def test_truth_metrics_of_perfect_flipped_and_empty_masks():
    T = np.zeros((8, 8), int)
    T[1:3, 1:7] = 1
    T[5:7, 1:7] = -1
    perfect = truth_metrics(T, T)
    assert perfect["signed_iou"] == 1.0 and perfect["pos"] == {"iou": 1.0, "precision": 1.0,
                                                               "recall": 1.0}
    assert truth_metrics(-T, T)["signed_iou"] == 0.0
    empty = truth_metrics(np.zeros_like(T), T)
    assert empty["signed_iou"] == 0.0 and np.isnan(empty["neg"]["precision"])


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="differs"):
        truth_metrics(np.zeros((3, 3)), np.zeros((4, 4)))

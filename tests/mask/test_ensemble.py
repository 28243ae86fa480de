import numpy as np
import pytest

from thesis_lib.mask.ensemble import coherence, consensus_mask, grid_search, proxy_ranking
from thesis_lib.mask.quality import truth_metrics

from .conftest import footprint, planted_frame


def test_consensus_removes_one_members_speckle_and_keeps_the_shared_footprint():
    D, truth, valid, _ = planted_frame((48, 48), seed=0)
    rng = np.random.default_rng(1)
    members = []
    for _k in range(3):
        M = truth.astype(float).copy()
        speckle = rng.random(M.shape) < 0.03
        M[speckle] = rng.choice([-1.0, 1.0], speckle.sum())
        members.append(M)
    vote = consensus_mask(members, 2 / 3)
    assert truth_metrics(vote, truth)["signed_iou"] > max(truth_metrics(m, truth)["signed_iou"]
                                                          for m in members)
    with pytest.raises(ValueError, match="min_agreement"):
        consensus_mask(members, 0.0)


def test_coherence_prefers_solid_regions_to_speckle():
    _, truth = footprint((48, 48))
    speckle = np.random.default_rng(2).choice([-1, 0, 1], size=(48, 48), p=[0.05, 0.9, 0.05])
    assert coherence(truth) > 0.8 > 0.2 > coherence(speckle)
    assert coherence(np.zeros((4, 4))) == 0.0


@pytest.mark.slow
def test_grid_search_scores_every_configuration_and_proxies_rank_them():
    rng = np.random.default_rng(3)
    S, truth = footprint((40, 40))
    ref_a = 3 * S + 0.3 * rng.standard_normal(S.shape)
    ref_b = 3 * S + 0.3 * rng.standard_normal(S.shape)
    s_true = np.sin(np.arange(120) / 3)
    images = s_true[:, None, None] * S + 0.8 * rng.standard_normal((120,) + S.shape)
    grid = {"K": [2, 3], "radius": [2], "sigma": [0.0, 1.0], "gamma": [1.0]}
    recs = grid_search(ref_a, None, images, grid, reference_b=ref_b, truth=truth, s_true=s_true)
    assert len(recs) == 4
    k3 = [r for r in recs if r["K"] == 3]
    k2 = [r for r in recs if r["K"] == 2]
    # K = 2 cannot separate two polarities from a background: the truth says so ...
    assert min(r["truth_iou"] for r in k3) > max(r["truth_iou"] for r in k2)
    assert min(r["truth_snr_db"] for r in k3) > max(r["truth_snr_db"] for r in k2)
    # the waveform-noise proxy picks a K = 3 configuration (K = 2 sums background
    # noise into s_t); stability cannot: both halves give the same wrong K = 2 mask
    assert max(recs, key=lambda r: r["neg_waveform_noise"])["K"] == 3
    assert min(r["stability"] for r in k2) > 0.9
    ranks = proxy_ranking(recs, "truth_snr_db")
    assert set(ranks) == {"coherence", "stability", "neg_waveform_noise"}

"""The thesis-claims table: verdicts computed from planted results."""

from thesis_lib.provenance.claims import FAILS, HOLDS, UNTESTABLE, judge_claims


def _results():
    return {
        "mask_comparison": {"values": {"kmeans": {"compactness": 0.40},
                                       "gmm": {"compactness": 0.05},
                                       "dbscan": {"compactness": 0.20}}},
        "waveforms": {"values": {"weighted_vs_binary": {"noise_change_pct": -40.0,
                                                        "hf_change_pct": -20.0}}},
        "registration": {"values": {"decision": {f"s{i}": {"enabled": True} for i in range(8)}}},
        "preisach_ablation": {"values": {"n100": {"delta_si_sdr_db": 3.0},
                                         "n250": {"delta_si_sdr_db": 4.0},
                                         "n1000": {"delta_si_sdr_db": 4.2}}},
        "sample_rate": {"values": {"gap_44_minus_48_si_sdr_db": {"mean": 0.1, "ci95": 0.3}}},
        "denoiser": {"values": {"classical": {"unet_release": {"delta_si_sdr_db": 4.0,
                                                               "si_sdr_db": 17.0}},
                                "mixed": {"unet_release": {"delta_si_sdr_db": -0.5,
                                                           "si_sdr_db": 15.0}}}},
        "calibration": {"values": {"match": {"rho": 0.998},
                                   "data_used": "waveforms from the synthetic beamline"}},
    }


def test_verdicts_follow_the_numbers():
    assert [c.verdict for c in judge_claims(_results())] == [
        HOLDS,        # k-means has the highest compactness
        HOLDS,        # both changes negative
        FAILS,        # the rule switched the moving mask on for 8 of 8
        HOLDS,        # +1.0 dB below 250, +0.2 dB above
        HOLDS,        # 0.1 + 0.3 dB < 0.5 dB
        FAILS,        # negative gain on the mixed corpus
        HOLDS,        # 17 > 15
        UNTESTABLE]   # no measured waveforms


def test_missing_results_cannot_be_tested_and_say_which_chapter():
    claims = judge_claims({})
    assert {c.verdict for c in claims} == {UNTESTABLE}
    assert all(f"`{c.chapter}`" in c.evidence for c in claims)


def test_no_knee_when_the_gain_keeps_growing_above_250():
    results = _results()
    results["preisach_ablation"]["values"]["n1000"]["delta_si_sdr_db"] = 6.0
    knee = next(c for c in judge_claims(results) if c.chapter == "preisach_ablation")
    assert knee.verdict == FAILS
    assert "+2.00 dB" in knee.evidence


def test_resampling_gap_with_a_wide_interval_cannot_decide():
    results = _results()
    for mean, ci, verdict in [(-0.75, 2.04, UNTESTABLE), (1.5, 0.4, FAILS), (0.0, 0.2, HOLDS)]:
        results["sample_rate"]["values"]["gap_44_minus_48_si_sdr_db"] = {"mean": mean, "ci95": ci}
        claim = next(c for c in judge_claims(results) if c.chapter == "sample_rate")
        assert claim.verdict == verdict, (mean, ci)

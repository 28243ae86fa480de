import pytest

from thesis_lib.data import StandInDegradation, generate_pairs, verify_pairs
from thesis_lib.data.throughput import measure_throughput


@pytest.mark.slow
def test_two_worker_processes_reproduce_a_single_process_run(clean_tree, tmp_path):
    result = measure_throughput(clean_tree, tmp_path / "array", workers=2, mode="stand-in", seed=8)
    assert (result.workers, result.clips) == (2, 14)
    assert result.sec_per_clip > 0
    assert result.clips_per_hour == pytest.approx(3600 / result.sec_per_clip)
    assert 0 < result.hysteresis_share_pct < 100
    verdict = verify_pairs(clean_tree, tmp_path / "array", StandInDegradation(), seed=8)
    assert len(verdict) == 14 and all(verdict.values())
    # and the check can fail: another seed gives other bytes
    other = verify_pairs(clean_tree, tmp_path / "array", StandInDegradation(), seed=9)
    assert not any(other.values())
    with pytest.raises(FileExistsError, match="fresh folder"):
        measure_throughput(clean_tree, tmp_path / "array", workers=2, mode="stand-in")


def test_verify_pairs_flags_a_missing_or_altered_clip(clean_tree, tmp_path):
    generate_pairs(clean_tree, tmp_path / "p", transform=StandInDegradation(), seed=1)
    (tmp_path / "p" / "val/000/000007_clip00.wav").unlink()
    verdict = verify_pairs(clean_tree, tmp_path / "p", StandInDegradation(), seed=1)
    assert [k for k, ok in verdict.items() if not ok] == ["val/000/000007_clip00.wav"]

import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from thesis_lib.data import StandInDegradation, generate_pairs, read_timings
from thesis_lib.data.audio import read_audio
from thesis_lib.data.pairs import clip_seed, parse_fraction, select_fraction

REPO = Path(__file__).resolve().parents[2]


def _tree_bytes(root):
    """Every clip's bytes, and params.json without the commit id (another commit may land
    mid-test)."""
    out = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
           if p.is_file() and p.suffix == ".wav"}
    params = json.loads((root / "params.json").read_text())
    assert params.pop("code_version")
    out["params.json"] = params
    return out


def test_seed_rule_is_eq_4_3():
    assert clip_seed(0, "train/000/000002", 3) == zlib.crc32(b"train/000/0000023")
    assert clip_seed(2**32 - 1, "a", 0) == (2**32 - 1 + zlib.crc32(b"a0")) % 2**32


def test_fractions_are_disjoint_and_cover_everything():
    items = list(range(23))
    parts = [select_fraction(items, k, 4) for k in range(1, 5)]
    assert sorted(sum(parts, [])) == items
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    with pytest.raises(ValueError, match="k/K"):
        parse_fraction("3-4")
    with pytest.raises(ValueError, match="between 1 and K"):
        parse_fraction("5/4")


def test_k1_and_k4_give_byte_identical_datasets(clean_tree, tmp_path):
    generate_pairs(clean_tree, tmp_path / "k1", transform=StandInDegradation(), seed=11)
    for k in (3, 1, 4, 2):  # any order
        generate_pairs(clean_tree, tmp_path / "k4", transform=StandInDegradation(),
                       which_fraction=f"{k}/4", seed=11)
    one, four = _tree_bytes(tmp_path / "k1"), _tree_bytes(tmp_path / "k4")
    assert len(one) == 14 + 1 and one == four
    # every worker logged only its own clips, together all of them once
    logged = [r["relpath"] for r in read_timings(tmp_path / "k4")]
    assert sorted(logged) == sorted(k for k in one if k.endswith(".wav"))


def test_output_mirrors_tree_and_each_clip_uses_its_own_seed(clean_tree, tmp_path):
    transform = StandInDegradation()
    report = generate_pairs(clean_tree, tmp_path / "out", transform=transform, seed=5)
    assert report.generated == report.assigned == 14
    rel = "train/deep/a/b/track_clip01.wav"
    x, rate = read_audio(clean_tree / rel, dtype="float64")
    expected = transform(x[0], rate, (5 + zlib.crc32(b"train/deep/a/b/track1")) % 2**32)
    got, _ = read_audio(tmp_path / "out" / rel)
    np.testing.assert_array_equal(got[0], expected.astype(np.float32))
    # different clips of one track get different noise
    a, _ = read_audio(tmp_path / "out" / "train/000/000002_clip00.wav", dtype="float64")
    ca, _ = read_audio(clean_tree / "train/000/000002_clip00.wav", dtype="float64")
    b, _ = read_audio(tmp_path / "out" / "train/000/000002_clip01.wav", dtype="float64")
    cb, _ = read_audio(clean_tree / "train/000/000002_clip01.wav", dtype="float64")
    noiseless = StandInDegradation(noise_std=0.0)
    ra, rb = a[0] - noiseless(ca[0], rate, 0), b[0] - noiseless(cb[0], rate, 0)
    assert np.std(ra) == pytest.approx(transform.noise_std, rel=0.1)
    assert abs(np.corrcoef(ra, rb)[0, 1]) < 0.2


def test_params_json_and_timing_log(clean_tree, tmp_path):
    generate_pairs(clean_tree, tmp_path / "out", transform=StandInDegradation(noise_std=0.05),
                   seed=2)
    params = json.loads((tmp_path / "out" / "params.json").read_text())
    assert params["seed"] == 2 and params["transform"]["noise_std"] == 0.05
    assert params["transform"]["kind"] == "StandInDegradation" and params["code_version"]
    records = read_timings(tmp_path / "out")
    assert len(records) == 14
    assert all(r["seconds"] > 0 and 0 < r["hysteresis_share"] < 1 for r in records)
    with pytest.raises(FileExistsError, match="new --out"):
        generate_pairs(clean_tree, tmp_path / "out", transform=StandInDegradation(noise_std=0.1),
                       seed=2)


def test_rerun_skips_finished_clips(clean_tree, tmp_path):
    generate_pairs(clean_tree, tmp_path / "out", transform=StandInDegradation())
    victim = tmp_path / "out" / "val" / "000" / "000007_clip01.wav"
    victim.unlink()
    report = generate_pairs(clean_tree, tmp_path / "out", transform=StandInDegradation())
    assert (report.generated, report.skipped) == (1, 13) and victim.exists()


_SLOW_WORKER = """
import sys, time
import scipy.io.wavfile as wavfile
from thesis_lib.data import StandInDegradation, generate_pairs
_write = wavfile.write
def slow_write(*args, **kwargs):  # the temporary file exists while this sleeps
    _write(*args, **kwargs)
    time.sleep(0.15)
wavfile.write = slow_write
generate_pairs(sys.argv[1], sys.argv[2], transform=StandInDegradation(), seed=9)
"""


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_equals_uninterrupted(clean_tree, tmp_path):
    out = tmp_path / "killed"
    script = tmp_path / "worker.py"
    script.write_text(_SLOW_WORKER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(script), str(clean_tree), str(out)], env=env)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            done = [p for p in out.rglob("*.wav") if not p.name.startswith(".")]
            partial = list(out.rglob(".*.partial*"))
            if len(done) >= 3 and partial:
                break
            assert proc.poll() is None, "worker finished before it could be killed"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert list(out.rglob(".*.partial*")), "the kill should have left a temporary file behind"
    assert 3 <= len([p for p in out.rglob("*.wav") if not p.name.startswith(".")]) < 14
    report = generate_pairs(clean_tree, out, transform=StandInDegradation(), seed=9)
    assert report.skipped >= 3
    generate_pairs(clean_tree, tmp_path / "straight", transform=StandInDegradation(), seed=9)
    assert _tree_bytes(out) == _tree_bytes(tmp_path / "straight")
    assert not list(out.rglob(".*.partial*"))


def test_identity_without_transform_and_bad_roots(clean_tree, tmp_path):
    generate_pairs(clean_tree, tmp_path / "copy")
    rel = "test/002/002003_clip01.wav"
    assert np.array_equal(read_audio(tmp_path / "copy" / rel)[0], read_audio(clean_tree / rel)[0])
    with pytest.raises(ValueError, match="must not lie inside"):
        generate_pairs(clean_tree, clean_tree / "pairs")
    with pytest.raises(FileNotFoundError, match="no clean .wav clips"):
        generate_pairs(tmp_path / "empty", tmp_path / "o")

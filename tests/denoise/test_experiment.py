"""Chapter plumbing: split-only degradation keeps clip seeds; cache tags are stable."""

import subprocess
import sys

import numpy as np
import soundfile as sf

from thesis_lib.data import generate_pairs
from thesis_lib.data.audio import write_wav
from thesis_lib.denoise.experiment import _split_view, params_tag
from thesis_lib.emulator import EmulatorParams


def seed_marker(x, rate, seed):
    # the output encodes the per-clip seed, so equal outputs mean equal seeds
    return np.full_like(x, (seed % 1000) / 1000.0)


def test_degrading_only_the_test_split_uses_the_seeds_of_a_full_run(tmp_path):
    clean = tmp_path / "clean"
    for split in ("train", "test"):
        for i in range(2):
            write_wav(clean / split / f"track{split}_clip{i:02d}.wav", np.zeros(64, np.float32),
                      8000)
    generate_pairs(clean, tmp_path / "all", transform=seed_marker, seed=3)
    view = _split_view(clean, ["test"])
    generate_pairs(view, tmp_path / "only", transform=seed_marker, seed=3)
    assert sorted(p.name for p in (tmp_path / "only").rglob("*.wav")) == ["tracktest_clip00.wav",
                                                                          "tracktest_clip01.wav"]
    values = set()
    for path in (tmp_path / "only" / "test").glob("*.wav"):
        only, _ = sf.read(path)
        full, _ = sf.read(tmp_path / "all" / "test" / path.name)
        np.testing.assert_array_equal(only, full)
        values.add(float(only[0]))
    assert len(values) == 2  # the two clips really got different seeds
    assert _split_view(clean, None) == clean


def test_params_tag_is_the_same_in_another_process():
    # Python's str hash is salted per process; the cache folder name must not be
    code = ("from thesis_lib.emulator import EmulatorParams;"
            "from thesis_lib.denoise.experiment import params_tag;"
            "print(params_tag(EmulatorParams(preisach_n=100)))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == params_tag(EmulatorParams(preisach_n=100))

"""The physics emulator plugged into paired generation (``--apply-transforms``)."""

import json

import numpy as np
import pytest

from thesis_lib.data import generate_pairs, read_timings
from thesis_lib.data.audio import read_audio, write_wav
from thesis_lib.emulator import Emulator, EmulatorParams

from .conftest import tone

pytestmark = pytest.mark.slow


def test_emulator_pairs_are_partition_independent_and_timed(tmp_path):
    clean = tmp_path / "clean"
    for i, rel in enumerate(["train/a/t_clip00.wav", "train/a/t_clip01.wav", "val/b_clip00.wav"]):
        write_wav(clean / rel, tone(261.0 * (i + 1), 0.05, 48000, 0.4), 48000)
    params = EmulatorParams(preisach_n=100)
    params_path = params.to_json(tmp_path / "emu.json")
    generate_pairs(clean, tmp_path / "k1", params=params_path, seed=1)
    emulator = Emulator(EmulatorParams.from_json(params_path))
    for k in (2, 1):
        generate_pairs(clean, tmp_path / "k2", transform=emulator, which_fraction=(k, 2), seed=1)
    for rel in ["train/a/t_clip00.wav", "train/a/t_clip01.wav", "val/b_clip00.wav", "params.json"]:
        assert (tmp_path / "k1" / rel).read_bytes() == (tmp_path / "k2" / rel).read_bytes()
    y, rate = read_audio(tmp_path / "k1" / "val/b_clip00.wav")
    assert rate == params.output_rate and y.shape[1] == int(0.05 * params.output_rate)
    assert np.std(y) > 0
    stored = json.loads((tmp_path / "k1" / "params.json").read_text())["transform"]
    assert stored["preisach_n"] == 100 and stored["kind"] == "Emulator"
    shares = [r["hysteresis_share"] for r in read_timings(tmp_path / "k1")]
    assert len(shares) == 3 and all(0 < s < 1 for s in shares)

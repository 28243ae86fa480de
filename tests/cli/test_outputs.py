"""What the verbs write: identical bytes for identical inputs, the user's umask, silence for
silence, a JSON summary without NaN, and a distinct exit status for interrupted training."""

import json
import os
import stat

import numpy as np
import pytest
import soundfile as sf

from thesis_lib.cli import main
from thesis_lib.cli.train import EXIT_INTERRUPTED
from thesis_lib.data.audio import write_wav

from .conftest import snapshot


def same_bytes(a, b) -> bool:
    return a.read_bytes() == b.read_bytes()


def test_emulate_is_byte_reproducible_and_the_seed_matters(world, tmp_path):
    outs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        outs[name] = tmp_path / f"{name}.wav"
        assert main(["emulate", str(world / "in.wav"), str(outs[name]), "--seed", str(seed),
                     "--params", str(world / "params.json")]) == 0
    assert same_bytes(outs["a"], outs["b"])
    assert same_bytes(tmp_path / "a.params.json", tmp_path / "b.params.json")
    assert not same_bytes(outs["a"], outs["c"])  # the check can fail: the noise depends on it
    assert sf.info(str(outs["a"])).subtype == "FLOAT"


def test_phantom_is_byte_reproducible(world, tmp_path):
    for name in ("a", "b"):
        assert main(["phantom", "--series", "t1", "--out", str(tmp_path / name), "--seed", "5",
                     "--manifest", str(world / "manifest.yml"), "--workers", "1"]) == 0
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert len([k for k in first if k.endswith(".nxs")]) >= 5
    assert first == second


def test_pairs_are_byte_reproducible_and_the_summary_is_json(world, tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["pairs", "--clean", str(world / "data" / "clean"),
                     "--out", str(tmp_path / name), "--stand-in", "--seed", "7"]) == 0
    capsys.readouterr()
    wavs = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.wav"))
    assert len(wavs) == 3
    for rel in wavs + [tmp_path / "a" / "params.json"]:
        assert same_bytes(tmp_path / "a" / rel, tmp_path / "b" / rel)
    # a re-run has nothing to time: the mean is null, never NaN (which is not JSON)
    assert main(["pairs", "--clean", str(world / "data" / "clean"),
                 "--out", str(tmp_path / "a"), "--stand-in", "--seed", "7"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in {line}"))
    assert summary["skipped"] == 3 and summary["mean_seconds_per_clip"] is None


def test_corpus_clips_are_byte_reproducible(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(3):
        write_wav(tmp_path / "tracks" / f"t{i}.wav",
                  (0.1 * rng.standard_normal(30 * 8000)).astype(np.float32), 8000)
    for name in ("a", "b"):
        assert main(["corpus", "clips", "--audio", str(tmp_path / "tracks"),
                     "--out", str(tmp_path / name), "--rate", "8000", "--split-seed", "2"]) == 0
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert len([k for k in first if k.endswith(".wav")]) == 18
    assert first == second


def test_mask_and_extract_are_byte_reproducible(world, tmp_path):
    for name in ("a", "b"):
        assert main(["mask", "--reference", str(world / "xmcd" / "reference"), "--radius", "3",
                     "--out", str(tmp_path / f"mask_{name}.npz"), "--seed", "1"]) == 0
        assert main(["extract", str(world / "xmcd" / "t1"), "--mask", str(world / "mask.npz"),
                     "--out", str(tmp_path / f"wave_{name}.npz")]) == 0
    assert same_bytes(tmp_path / "mask_a.npz", tmp_path / "mask_b.npz")
    assert same_bytes(tmp_path / "wave_a.npz", tmp_path / "wave_b.npz")


def test_denoise_is_byte_reproducible_at_another_rate(world, tmp_path):
    audio = np.random.default_rng(3).uniform(-0.3, 0.3, (5001, 2)).astype(np.float32)
    write_wav(tmp_path / "in.wav", audio.T, 22050)  # not the model's 16 kHz: resampled twice
    for name in ("a", "b"):
        assert main(["denoise", str(tmp_path / "in.wav"), str(tmp_path / f"{name}.wav"),
                     "--checkpoint", str(world / "model.pt"), "--no-progress"]) == 0
    assert same_bytes(tmp_path / "a.wav", tmp_path / "b.wav")
    out, rate = sf.read(tmp_path / "a.wav", dtype="float32")
    assert rate == 22050 and out.shape == audio.shape
    assert not np.allclose(out, audio, atol=1e-3)  # the network did change the recording


def test_denoise_gives_silence_for_silence(world, tmp_path):
    silent = np.zeros((4000, 2), np.float32)
    silent[:, 1] = 1e-9  # below the floor: a level no recording can hold
    write_wav(tmp_path / "silent.wav", silent.T, 16000)
    assert main(["denoise", str(tmp_path / "silent.wav"), str(tmp_path / "out.wav"),
                 "--checkpoint", str(world / "model.pt"), "--no-progress"]) == 0
    out, _ = sf.read(tmp_path / "out.wav", dtype="float32")
    assert out.shape == silent.shape and not np.any(out)
    # a quiet but real signal (-60 dBFS) is denoised, not gated
    quiet = (1e-3 * np.sin(2 * np.pi * 300 * np.arange(4000) / 16000)).astype(np.float32)
    write_wav(tmp_path / "quiet.wav", quiet, 16000)
    assert main(["denoise", str(tmp_path / "quiet.wav"), str(tmp_path / "q.wav"),
                 "--checkpoint", str(world / "model.pt"), "--no-progress"]) == 0
    assert np.any(sf.read(tmp_path / "q.wav", dtype="float32")[0])


def test_results_follow_the_umask(world, tmp_path):
    previous = os.umask(0o022)
    try:
        assert main(["denoise", str(world / "in.wav"), str(tmp_path / "o.wav"),
                     "--checkpoint", str(world / "model.pt"), "--no-progress"]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "o.wav").stat().st_mode) == 0o644


def test_interrupted_training_exits_75_and_resumes_to_0(world, tmp_path, capsys):
    argv = ["train", "--data", str(world / "data"), "--config", "smoke", "--device", "cpu",
            "--out", str(tmp_path / "run"), "--segment", "1024", "--epochs", "2"]
    # a time budget spent after the first step stops the run like SIGTERM does
    assert main(argv + ["--max-minutes", "1e-9"]) == EXIT_INTERRUPTED == 75
    err = capsys.readouterr().err
    assert "re-run the same command to resume" in err and "75" in err
    assert (tmp_path / "run" / "checkpoint.pt").is_file()
    assert main(argv) == 0
    help_text = " ".join(_help("train").split())
    assert "75 interrupted after saving" in help_text


def _help(verb) -> str:
    from thesis_lib.cli import build_parser
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "verb")
    return action.choices[verb].format_help()



def test_calibrate_is_byte_reproducible(world, tmp_path):
    for name in ("a", "b"):
        assert main(["calibrate", str(world / "wave.npz"), "--series-meta",
                     str(world / "xmcd" / "t1"), "--out", str(tmp_path / f"{name}.json"),
                     "--step-factors", "0.9,1.0,1.1", "--beams", "20,30", "--no-refine",
                     "--seed", "2"]) == 0
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["step_um"] > 0
    assert same_bytes(tmp_path / "a.json", tmp_path / "b.json")

"""The `thesis train` and `thesis denoise` verbs end to end on a tiny paired tree."""

import numpy as np
import soundfile as sf
import torch

from thesis_lib.cli import main
from thesis_lib.data.audio import write_wav
from thesis_lib.denoise.checkpoint import read_checkpoint

torch.set_num_threads(1)


def tiny_tree(root, rate=48000, n=4800):
    rng = np.random.default_rng(0)
    t = np.arange(n) / rate
    for split, count in (("train", 3), ("val", 1), ("test", 1)):
        for i in range(count):
            x = 0.3 * np.sin(2 * np.pi * (200 + 50 * i) * t)
            write_wav(root / "clean" / split / f"c{i}.wav", x.astype(np.float32), rate)
            y = 0.7 * x + 0.05 * rng.standard_normal(n)
            write_wav(root / "degraded" / split / f"c{i}.wav", y.astype(np.float32), rate)


def test_train_then_denoise(tmp_path, capsys):
    tiny_tree(tmp_path / "data")
    status = main(["train", "--data", str(tmp_path / "data"), "--config", "smoke",
                   "--out", str(tmp_path / "run"), "--device", "cpu", "--segment", "2048",
                   "--export-release", str(tmp_path / "release.pt")])
    assert status == 0
    release = read_checkpoint(tmp_path / "release.pt")
    assert "optimizer" not in release and release["weights_dtype"] == "float16"
    assert all(v.dtype == torch.float16 for v in release["state_dict"].values()
               if v.is_floating_point())
    saved = read_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert saved["finished"] and saved["train_config"]["segment_length"] == 2048
    assert saved["step"] == 2  # 3 training clips, batch 2, one epoch
    audio = np.random.default_rng(1).uniform(-0.3, 0.3, (7001, 2))
    sf.write(tmp_path / "in.wav", audio, 32000)
    status = main(["denoise", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"),
                   "--checkpoint", str(tmp_path / "run" / "best.pt"), "--no-progress"])
    assert status == 0
    out, rate = sf.read(tmp_path / "out.wav")
    assert rate == 32000 and out.shape == audio.shape


def test_train_without_pairs_names_the_missing_tree(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "clean" in err and "thesis pairs" in err


def test_denoise_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    sf.write(tmp_path / "in.wav", np.zeros(1000) + 0.1, 8000)
    assert main(["denoise", str(tmp_path / "in.wav"), str(tmp_path / "o.wav"),
                 "--checkpoint", str(tmp_path / "none.pt")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "o.wav").exists()

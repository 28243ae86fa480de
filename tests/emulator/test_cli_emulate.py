import json

import numpy as np
import soundfile as sf

from thesis_lib.cli import main


def test_emulate_writes_float_wav_at_the_output_rate(tmp_path):
    sr = 44100
    x = 0.3 * np.sin(2 * np.pi * 440 * np.arange(sr // 20) / sr)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(str(src), np.c_[x, x], sr)                       # stereo is mixed down
    assert main(["emulate", str(src), str(dst), "--preisach-n", "100", "--seed", "4"]) == 0
    y, rate = sf.read(str(dst))
    info = sf.info(str(dst))
    assert rate == 48000 and y.shape == (2400,) and info.subtype == "FLOAT"
    params = json.loads((tmp_path / "out.params.json").read_text())
    assert params["preisach_n"] == 100 and "code_version" in params
    # a re-run keeps the finished output
    before = dst.stat().st_mtime_ns
    assert main(["emulate", str(src), str(dst)]) == 0
    assert dst.stat().st_mtime_ns == before


def test_emulate_reports_missing_input(tmp_path, capsys):
    assert main(["emulate", str(tmp_path / "none.wav"), str(tmp_path / "o.wav")]) == 2
    assert "none.wav" in capsys.readouterr().err

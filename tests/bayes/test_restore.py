"""Restorer and `thesis restore`: shapes, seeds, bad inputs, outputs beside each other."""

import numpy as np
import pytest
import soundfile as sf
import torch

from thesis_lib.bayes.diffusion import EpsNet, Prior, Schedule
from thesis_lib.bayes.restore import Restorer, load_models, save_models
from thesis_lib.bayes.surrogate import Surrogate
from thesis_lib.cli import main

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    torch.manual_seed(0)
    surrogate = Surrogate(width=4, depth=2)
    with torch.no_grad():
        surrogate.linear.weight.zero_()
        surrogate.linear.weight[0, 0, surrogate.linear.weight.shape[-1] // 2] = 1.0
    prior = Prior(EpsNet(width=4, depth=2, time_dim=8), Schedule.cosine(20), 0.1)
    path = tmp_path_factory.mktemp("models") / "tiny.pt"
    save_models(path, surrogate, prior)
    return path


def restorer(path, **kw):
    surrogate, prior, _ = load_models(path)
    return Restorer(surrogate, prior, **{"samples": 3, "steps": 4, "window_s": 0.1,
                                         "overlap_s": 0.02, **kw})


def test_restore_shapes_and_seed_reproducibility(models):
    rng = np.random.default_rng(0)
    y = 0.1 * rng.standard_normal(7000)            # 0.32 s at 22.05 kHz: several windows
    r = restorer(models)
    a, b = r(y, 22_050, seed=4), r(y, 22_050, seed=4)
    c = r(y, 22_050, seed=5)
    assert a["mean"].shape == a["sd"].shape == y.shape and a["samples"].shape == (3, y.size)
    assert np.array_equal(a["samples"], b["samples"])
    assert not np.allclose(a["samples"], c["samples"])
    assert np.all(a["sd"] >= 0)


def test_warm_start_stays_near_its_initial_estimate(models):
    y = 0.1 * np.sin(2 * np.pi * 200 * np.arange(3200) / 16_000)
    r = restorer(models, warm_start=0.05, zeta=0.0)
    out = r(y, 16_000, init=y, seed=0)
    # starting at 5 % of the diffusion time, an unguided reverse pass moves the estimate little
    assert np.corrcoef(out["mean"], y)[0, 1] > 0.9


@pytest.mark.parametrize("signal, match", [
    (np.zeros(4000), "silent"), (np.full(4000, np.nan), "NaN"), (np.ones(10), "too short")])
def test_bad_observations_give_clear_errors(models, signal, match):
    with pytest.raises(ValueError, match=match):
        restorer(models)(signal, 16_000)


def test_k_below_one_is_refused(models):
    with pytest.raises(ValueError, match="K ≥ 1"):
        restorer(models, samples=0)


def test_cli_writes_mean_and_sd_beside_it_for_stereo(models, tmp_path, capsys):
    rng = np.random.default_rng(1)
    audio = (0.1 * rng.standard_normal((4410, 2))).astype(np.float32)
    src = tmp_path / "in.wav"
    sf.write(src, audio, 44_100)
    before = src.read_bytes()
    out = tmp_path / "out.wav"
    status = main(["restore", str(src), str(out), "--samples", "2", "--steps", "3",
                   "--models", str(models), "--no-progress", "--seed", "1"])
    assert status == 0
    mean, rate = sf.read(out)
    sd, _ = sf.read(tmp_path / "out.sd.wav")
    assert rate == 44_100 and mean.shape == sd.shape == audio.shape
    assert src.read_bytes() == before


@pytest.mark.parametrize("args, match", [
    (["--samples", "0"], "--samples must be at least 1"),
    (["--models", "/nonexistent/m.pt"], "does not exist"),
])
def test_cli_bad_options_one_line_errors(models, tmp_path, capsys, args, match):
    src = tmp_path / "in.wav"
    sf.write(src, np.full(2000, 0.1, dtype=np.float32), 16_000)
    extra = args if "--models" in args else args + ["--models", str(models)]
    status = main(["restore", str(src), str(tmp_path / "o.wav"), "--no-progress", *extra])
    err = capsys.readouterr().err
    assert status == 2 and match in err and "Traceback" not in err and err.count("\n") == 1


def test_cli_silent_file_names_the_file(models, tmp_path, capsys):
    src = tmp_path / "quiet.wav"
    sf.write(src, np.zeros(4000, dtype=np.float32), 16_000)
    status = main(["restore", str(src), str(tmp_path / "o.wav"), "--models", str(models),
                   "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2 and "quiet.wav" in err and "silent" in err


def test_cli_refuses_to_overwrite_input(models, tmp_path, capsys):
    src = tmp_path / "in.wav"
    sf.write(src, np.full(2000, 0.1, dtype=np.float32), 16_000)
    before = src.read_bytes()
    status = main(["restore", str(src), str(src), "--models", str(models), "--no-progress"])
    assert status == 2 and "overwritten" in capsys.readouterr().err
    assert src.read_bytes() == before

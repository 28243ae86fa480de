"""Stored release measurements: gathered from a run and command outputs, read back, refused."""

import json

import numpy as np
import pytest

from thesis_lib.denoise import release_metrics as rm
from thesis_lib.denoise.checkpoint import save_checkpoint
from thesis_lib.denoise.spectral_net import SpectralNet


def _run(tmp_path, snr_db=10.0):
    """A run folder: a checkpoint with a history and cached validation pairs of known SI-SDR."""
    net = SpectralNet(n_fft=64, hop=16, width=4, dilations=(1,))
    run = tmp_path / "run"
    history = [{"step": 20, "minutes": 0.1, "loss": 1.0}, {"step": 40, "val_si_sdr_db": 11.5}]
    save_checkpoint(run / "best.pt", {"model_config": net.config.to_dict(),
                                      "state_dict": net.state_dict(),
                                      "train_config": {"batch_size": 2, "crop": 1024, "lr": 1e-3},
                                      "step": 40, "seconds": 90.0, "best_val_si_sdr": 11.5,
                                      "history": history})
    rng = np.random.default_rng(0)
    clean = rng.standard_normal((3, 4000))
    noise = rng.standard_normal((3, 4000))
    # noise orthogonal to the clean clip: SI-SDR is exactly the SNR set here
    noise -= clean * (np.sum(noise * clean, 1) / np.sum(clean**2, 1))[:, None]
    noise *= (np.linalg.norm(clean, axis=1) / np.linalg.norm(noise, axis=1))[:, None]
    degraded = clean + 10 ** (-snr_db / 20) * noise
    (run / "val_pairs").mkdir()
    np.savez(run / "val_pairs" / "real_val.npz", degraded=degraded, clean=clean)
    return run


def test_validation_input_score_is_the_planted_snr(tmp_path):
    run = _run(tmp_path, snr_db=10.0)
    assert rm.validation_input_si_sdr(run) == pytest.approx(10.0, abs=1e-9)
    assert rm.validation_input_si_sdr(tmp_path) is None  # no cached pairs


def test_gathered_document_round_trips(tmp_path):
    run = _run(tmp_path)
    outputs = {}
    for name in ("generalisation", "design", "benchmark"):
        outputs[name] = tmp_path / f"{name}.json"
        outputs[name].write_text(json.dumps({name: 1}))
    out = tmp_path / "metrics.json"
    rm.main(["--checkpoint", str(run / "best.pt"), "--hardware", "test machine",
             "--compare", f"short={run / 'best.pt'}", "--out", str(out),
             *[arg for name, path in outputs.items() for arg in (f"--{name}", str(path))]])
    doc = rm.release_metrics(out)
    assert doc["training"]["steps"] == 40 and doc["training"]["minutes"] == 1.5
    assert doc["training"]["hardware"] == "test machine"
    assert doc["generalisation"] == {"generalisation": 1}
    assert doc["comparisons"]["short"]["architecture"] == "spectral_net"
    assert doc["comparisons"]["short"]["validation_input_si_sdr_db"] == pytest.approx(10.0)
    assert set(doc["commands"]) >= {"training", "generalisation", "design", "benchmark"}


def test_missing_file_and_bad_inputs_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.json is missing"):
        rm.release_metrics(tmp_path / "missing.json")
    run = _run(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    args = ["--checkpoint", str(run / "best.pt"), "--hardware", "x", "--out",
            str(tmp_path / "m.json"), "--generalisation", str(bad), "--design", str(bad),
            "--benchmark", str(bad)]
    with pytest.raises(SystemExit, match="--generalisation .*bad.json"):
        rm.main(args)
    assert not (tmp_path / "m.json").exists()  # nothing half-written

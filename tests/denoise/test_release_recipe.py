"""Release recipe: time-based schedule, a tiny run that finishes, resumes and exports weights."""

import numpy as np
import pytest
import torch

from thesis_lib.denoise.checkpoint import load_denoiser, read_checkpoint
from thesis_lib.denoise.release_net import ReleaseNet, ReleaseNetConfig
from thesis_lib.denoise.release_recipe import RecipeConfig, lr_factor, train_release
from thesis_lib.denoise.spectral_net import SpectralNetConfig

TINY = ReleaseNetConfig(stride=4, widths=(4, 8), blocks=(1, 0), bottleneck_dilations=(1,))


def _config(**kw):
    base = dict(minutes=0.02, batch_size=2, crop=2048, pool_size=2, clip_seconds=0.2,
                refresh=1, refresh_every=2, warmup_steps=2, val_every_minutes=0.005,
                save_every_minutes=0.005, model=TINY.to_dict(),
                ranges={"preisach_n": [100]})
    base.update(kw)
    return RecipeConfig(**base)


def _data():
    rng = np.random.default_rng(0)
    t = np.arange(44_100) / 44_100
    sources = [(0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size))
               .astype(np.float32)]
    x = sources[0][:8192].astype(np.float64)
    val = [(x + 0.05 * rng.standard_normal(x.size), x)]
    return sources, val


def test_schedule_warms_up_then_follows_the_time_budget():
    c = RecipeConfig(minutes=10, warmup_steps=100, min_lr_ratio=0.1)
    assert lr_factor(0, 0, c) == pytest.approx(0.01)
    assert lr_factor(0, 200, c) == pytest.approx(1.0)
    assert lr_factor(300, 200, c) == pytest.approx(0.55)  # halfway through the budget
    assert lr_factor(10_000, 10_000, c) == pytest.approx(0.1)  # floor after the budget


def test_tiny_run_finishes_and_a_rerun_does_nothing(tmp_path):
    sources, val = _data()
    cfg = _config()
    result = train_release(cfg, sources, val, tmp_path, device="cpu", log=lambda m: None)
    assert result["status"] == "finished" and result["step"] > 0
    assert result["seconds"] >= 60 * cfg.minutes
    model, meta = load_denoiser(tmp_path / "best.pt")
    assert isinstance(model, ReleaseNet)
    assert meta["train_config"]["segment_length"] == cfg.inference_chunk
    again = train_release(cfg, sources, val, tmp_path, device="cpu", log=lambda m: None)
    assert again["step"] == result["step"]


def test_interrupted_run_resumes_from_its_checkpoint(tmp_path):
    sources, val = _data()
    cfg = _config(minutes=0.05)
    first = train_release(cfg, sources, val, tmp_path, device="cpu", stop_after_minutes=1e-6,
                          log=lambda m: None)
    assert first["status"] == "interrupted"
    saved = read_checkpoint(tmp_path / "checkpoint.pt")
    assert saved["step"] == first["step"] >= 1 and not saved["finished"]
    second = train_release(cfg, sources, val, tmp_path, device="cpu", log=lambda m: None)
    assert second["status"] == "finished" and second["step"] > first["step"]


def test_changed_settings_refuse_to_resume(tmp_path):
    sources, val = _data()
    train_release(_config(), sources, val, tmp_path, device="cpu", stop_after_minutes=1e-6,
                  log=lambda m: None)
    with pytest.raises(ValueError, match="other settings"):
        train_release(_config(lr=1e-4), sources, val, tmp_path, device="cpu",
                      log=lambda m: None)


def test_training_moves_the_network_away_from_the_identity(tmp_path):
    sources, val = _data()
    train_release(_config(), sources, val, tmp_path, device="cpu", log=lambda m: None)
    model, _ = load_denoiser(tmp_path / "best.pt")
    y = torch.as_tensor(val[0][0], dtype=torch.float32)[None, None]
    with torch.inference_mode():
        assert (model(y) - y).abs().max() > 1e-4


@pytest.mark.parametrize("architecture", ["spectral_net", "release_net"])
def test_each_release_architecture_trains_and_loads_back(tmp_path, architecture):
    sources, val = _data()
    shape = (SpectralNetConfig(n_fft=256, hop=64, width=8, dilations=(1,)) if
             architecture == "spectral_net" else TINY)
    train_release(_config(model=shape.to_dict()), sources, val, tmp_path, device="cpu",
                  log=lambda m: None)
    model, _ = load_denoiser(tmp_path / "best.pt")
    assert model.config == shape


@pytest.mark.parametrize("delay_us", [0.0, 40.0])
def test_spectral_filter_starts_as_the_configured_delay(tmp_path, delay_us):
    from thesis_lib.denoise.oracle import phase_delay

    sources, val = _data()
    shape = SpectralNetConfig(n_fft=256, hop=64, width=8, dilations=(1,))
    result = train_release(_config(model=shape.to_dict(), minutes=1e-9,
                                   filter_delay_us=delay_us),
                           sources, val, tmp_path, device="cpu", log=lambda m: None)
    assert result["filter_delay_us"] == delay_us
    saved = read_checkpoint(tmp_path / "checkpoint.pt")
    h = (saved["state_dict"]["filter_re"] + 1j * saved["state_dict"]["filter_im"]).numpy()
    f = np.fft.rfftfreq(256, 1 / 44_100)
    band = (f > 0) & (f < 5000)
    # a step or two of training moves the phase by far less than a microsecond
    assert np.median(phase_delay(f, h, band)) == pytest.approx(1e-6 * delay_us, abs=1e-6)


def test_spectral_filter_start_is_measured_on_the_pool_when_asked(tmp_path):
    sources, val = _data()
    shape = SpectralNetConfig(n_fft=256, hop=64, width=8, dilations=(1,))
    result = train_release(_config(model=shape.to_dict(), minutes=1e-9, clip_seconds=0.5,
                                   filter_delay_us=None),
                           sources, val, tmp_path, device="cpu", log=lambda m: None)
    # the emulator's read-out lead: tens of microseconds (34 µs measured on real music)
    assert 10.0 < result["filter_delay_us"] < 80.0


def test_filter_delay_option_reads_microseconds_or_auto():
    from thesis_lib.denoise.release_recipe import _filter_delay_option

    assert _filter_delay_option("33.5") == 33.5 and _filter_delay_option("auto") is None
    with pytest.raises(SystemExit, match="--filter-delay-us 'soon'"):
        _filter_delay_option("soon")


def _weights(path):
    return {k: v.float() for k, v in read_checkpoint(path)["state_dict"].items()}


def test_fine_tuning_starts_from_the_given_weights(tmp_path):
    from thesis_lib.denoise.release_recipe import _init_option

    sources, val = _data()
    train_release(_config(), sources, val, tmp_path / "a", device="cpu", log=lambda m: None)
    init = _init_option(str(tmp_path / "a" / "best.pt"), TINY.to_dict())
    # one warm-up step of Adam at lr/2 moves each weight by about 5e-6: the fine-tuned weights
    # stay next to the ones they started from, while a fresh network is far from them
    train_release(_config(init=init, minutes=1e-9, lr=1e-5), sources, val, tmp_path / "b",
                  device="cpu", log=lambda m: None)
    train_release(_config(minutes=1e-9, lr=1e-5), sources, val, tmp_path / "c", device="cpu",
                  log=lambda m: None)
    start = _weights(tmp_path / "a" / "best.pt")
    tuned, fresh = (_weights(tmp_path / run / "checkpoint.pt") for run in "bc")
    near = max(float((tuned[k] - start[k]).abs().max()) for k in start)
    far = max(float((fresh[k] - start[k]).abs().max()) for k in start)
    assert near < 1e-3 < far


def test_fine_tuning_refuses_a_changed_or_mismatched_start(tmp_path):
    from thesis_lib.denoise.release_recipe import _init_option

    sources, val = _data()
    train_release(_config(), sources, val, tmp_path / "a", device="cpu", log=lambda m: None)
    best = tmp_path / "a" / "best.pt"
    with pytest.raises(SystemExit, match="another network shape"):
        _init_option(str(best), SpectralNetConfig().to_dict())
    with pytest.raises(SystemExit, match="no such file"):
        _init_option(str(tmp_path / "missing.pt"), TINY.to_dict())
    init = {**_init_option(str(best), TINY.to_dict()), "sha256": "0" * 64}
    with pytest.raises(ValueError, match="has changed"):
        train_release(_config(init=init), sources, val, tmp_path / "b", device="cpu",
                      log=lambda m: None)

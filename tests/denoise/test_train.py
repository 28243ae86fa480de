"""Training loop: learning, checkpoints, SIGTERM → save → identical resume."""

import os
import signal

import pytest
import torch

from thesis_lib.denoise.checkpoint import load_denoiser, read_checkpoint
from thesis_lib.denoise.train import CroppedPairs, EpochSampler, TrainConfig, preset, train
from thesis_lib.denoise.unet import UNetConfig

torch.set_num_threads(1)


def make_pairs(n, length=3000, seed=0):
    """Degraded = 0.6·clean + white noise; clean = two tones with random phases."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(length) / 8000
    pairs = []
    for _ in range(n):
        ph = torch.rand(2, generator=g) * 6.28
        x = (0.4 * torch.sin(2 * torch.pi * 200 * t + ph[0])
             + 0.2 * torch.sin(2 * torch.pi * 900 * t + ph[1]))
        y = 0.6 * x + 0.1 * torch.randn(length, generator=g)
        pairs.append((y[None], x[None]))
    return pairs


def child_pids():
    pids = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as fh:
            pids.update(int(p) for p in fh.read().split())
    return pids


def tiny_config(**kw):
    base = dict(epochs=2, batch_size=2, lr=2e-3, segment_length=1024, amp=False, log_every=1,
                model=UNetConfig(depth=2, width=4).to_dict())
    base.update(kw)
    return TrainConfig(**base)


def test_training_lowers_validation_loss_and_writes_checkpoints(tmp_path):
    result = train(tiny_config(epochs=3), make_pairs(6), make_pairs(2, seed=9), tmp_path,
                   device="cpu", log=lambda *_: None)
    history = result.metrics["history"]
    assert result.status == "finished" and result.step == 9 and len(history) == 3
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    saved = read_checkpoint(result.checkpoint)
    for key in ("model_config", "state_dict", "train_config", "optimizer", "scheduler",
                "scaler", "metrics", "step"):
        assert key in saved
    assert saved["finished"] is True
    model, meta = load_denoiser(result.best)
    assert not model.training and meta["train_config"]["sample_rate"] == 44_100
    assert any((tmp_path / "tensorboard").iterdir())
    # a finished run is not trained again
    again = train(tiny_config(epochs=3), make_pairs(6), make_pairs(2, seed=9), tmp_path,
                  device="cpu", log=lambda *_: None)
    assert again.status == "already finished" and again.step == 9


@pytest.mark.parametrize("workers", [0, 1])
def test_sigterm_saves_and_resume_matches_uninterrupted_run(tmp_path, workers):
    # with loader workers, SIGTERM also reaches them (as under SLURM): still a clean save + resume
    data, val = make_pairs(5), make_pairs(1, seed=5)
    cfg = tiny_config(epochs=2, num_workers=workers)  # 3 steps per epoch, 6 in all
    ref = train(cfg, data, val, tmp_path / "ref", device="cpu", log=lambda *_: None)

    def kill_at_4(step, loss):
        if step == 4:
            for child in child_pids():  # the loader workers, as SLURM would signal them
                os.kill(child, signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.getsignal(signal.SIGTERM)
    cut = train(cfg, data, val, tmp_path / "cut", device="cpu", on_step=kill_at_4,
                log=lambda *_: None)
    assert signal.getsignal(signal.SIGTERM) is previous  # handler restored
    assert cut.status == "interrupted" and cut.step == 4
    saved = read_checkpoint(cut.checkpoint)
    assert (saved["step"], saved["epoch"], saved["batch_in_epoch"]) == (4, 1, 1)
    assert saved["optimizer"]["state"][0]["step"] == 4  # Adam state saved at the cut

    seen = []
    resumed = train(cfg, data, val, tmp_path / "cut", device="cpu",
                    on_step=lambda s, _: seen.append(s), log=lambda *_: None)
    assert seen == [5, 6] and resumed.status == "finished"
    a = read_checkpoint(ref.checkpoint)
    b = read_checkpoint(resumed.checkpoint)
    for key in a["state_dict"]:
        torch.testing.assert_close(a["state_dict"][key], b["state_dict"][key], rtol=0, atol=0)
    for pa, pb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values(),
                      strict=True):
        torch.testing.assert_close(pa["exp_avg_sq"], pb["exp_avg_sq"], rtol=0, atol=0)
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"] == 6


def test_max_steps_stops_and_resumes(tmp_path):
    cfg = tiny_config(epochs=1, max_steps=2)
    first = train(cfg, make_pairs(6), make_pairs(1), tmp_path, device="cpu", log=lambda *_: None)
    assert first.status == "interrupted" and first.step == 2


def test_resume_with_other_network_is_refused(tmp_path):
    train(tiny_config(epochs=1), make_pairs(2), make_pairs(1), tmp_path, device="cpu",
          log=lambda *_: None)
    other = tiny_config(epochs=1, model=UNetConfig(depth=3, width=4).to_dict())
    with pytest.raises(ValueError, match="different network"):
        train(other, make_pairs(2), make_pairs(1), tmp_path, device="cpu", log=lambda *_: None)


def test_empty_split_is_refused(tmp_path):
    with pytest.raises(ValueError, match="generate paired data"):
        train(tiny_config(), [], make_pairs(1), tmp_path, device="cpu")


def test_crops_are_deterministic_and_pad_short_clips():
    pairs = make_pairs(3, length=500)
    view = CroppedPairs(pairs, 128, seed=1)
    view.epoch = 2
    a = view[1][0]
    view.epoch = 2
    assert torch.equal(view[1][0], a)
    y, x = CroppedPairs(pairs, 800)[0]
    assert y.shape[-1] == 800 and float(y[..., 500:].abs().sum()) == 0.0


def test_sampler_is_a_permutation_and_start_skips_a_prefix():
    full = list(EpochSampler(10, seed=3, epoch=1))
    assert sorted(full) == list(range(10))
    assert list(EpochSampler(10, seed=3, epoch=1, start=4)) == full[4:]
    assert full != list(EpochSampler(10, seed=3, epoch=2))


def test_presets_follow_the_thesis_where_it_speaks():
    full = preset("full")
    assert ((full.lr, full.batch_size, full.epochs, full.alpha, full.grad_clip)
            == (3e-5, 16, 150, 0.3, 1.0))
    with pytest.raises(ValueError, match="unknown training config"):
        preset("huge")


def test_schedule_without_warmup_is_torch_cosine_annealing():
    # two routes to one schedule: our multiplier and torch's CosineAnnealingLR
    from thesis_lib.denoise.train import warmup_cosine
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=37)
    expected = []
    for _ in range(37):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        ref.step()
    ours = [0.1 * warmup_cosine(s, 37) for s in range(37)]
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_warmup_rises_linearly_then_decays_to_the_floor():
    from thesis_lib.denoise.train import warmup_cosine
    ramp = [warmup_cosine(s, 100, warmup_steps=10) for s in range(10)]
    assert ramp == pytest.approx([(s + 1) / 10 for s in range(10)])
    tail = [warmup_cosine(s, 100, warmup_steps=10, floor=0.05) for s in range(10, 101)]
    # neighbouring values: the shifted copy is one shorter, hence strict=False
    assert all(a >= b for a, b in zip(tail, tail[1:], strict=False))
    assert tail[0] == pytest.approx(1.0) and tail[-1] == pytest.approx(0.05)


def test_training_ends_at_the_floor_of_its_schedule(tmp_path):
    config = tiny_config(epochs=2, warmup_steps=3, min_lr_ratio=0.1)
    result = train(config, make_pairs(6), make_pairs(2, seed=9), tmp_path, device="cpu",
                   log=lambda *_: None)
    saved = read_checkpoint(result.checkpoint)
    assert result.step == 6
    assert saved["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.1 * config.lr)


def test_resuming_with_other_settings_is_refused(tmp_path):
    # a finished run must not silently stand in for a run with another schedule
    train(tiny_config(epochs=1), make_pairs(4), make_pairs(2, seed=9), tmp_path, device="cpu",
          log=lambda *_: None)
    with pytest.raises(ValueError, match=r"epochs: 1 → 2.*delete the checkpoint"):
        train(tiny_config(epochs=2), make_pairs(4), make_pairs(2, seed=9), tmp_path, device="cpu",
              log=lambda *_: None)
    # a runtime budget may change between an interrupted run and its resumption
    again = train(tiny_config(epochs=1, max_minutes=9.0), make_pairs(4), make_pairs(2, seed=9),
                  tmp_path, device="cpu", log=lambda *_: None)
    assert again.status == "already finished"

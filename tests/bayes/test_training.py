"""Training loop: resuming from a checkpoint continues the same run."""

import pytest
import torch

from thesis_lib.bayes.diffusion import EpsNet, Schedule, diffusion_loss
from thesis_lib.bayes.training import fit

torch.set_num_threads(1)


def make_run():
    torch.manual_seed(0)
    net = EpsNet(width=4, depth=2, time_dim=8)
    schedule = Schedule.cosine(50)

    def batch(step):
        g = torch.Generator().manual_seed(step)
        return torch.randn(4, 1, 64, generator=g), step

    def loss(b):
        # the noise of each step depends on the step only, so a resumed run repeats it
        x0, step = b
        return diffusion_loss(net, schedule, x0, torch.Generator().manual_seed(1000 + step))

    return net, loss, batch


def test_interrupted_and_resumed_training_equals_one_run(tmp_path):
    net_a, loss_a, batch_a = make_run()
    fit(net_a, loss_a, batch_a, steps=6, lr=1e-2)
    net_b, loss_b, batch_b = make_run()
    ckpt = tmp_path / "run.ckpt"
    first = fit(net_b, loss_b, batch_b, steps=6, lr=1e-2, checkpoint=ckpt, max_seconds=0.0)
    assert first["step"] == 1 and ckpt.is_file()
    net_c, loss_c, batch_c = make_run()          # a fresh process picks the run up
    second = fit(net_c, loss_c, batch_c, steps=6, lr=1e-2, checkpoint=ckpt)
    assert second["step"] == 6
    # the training time is carried across resumes: a call that finds the run finished
    # reports the seconds of the runs that trained it, not its own few microseconds
    net_d, loss_d, batch_d = make_run()
    third = fit(net_d, loss_d, batch_d, steps=6, lr=1e-2, checkpoint=ckpt)
    assert third["step"] == 6
    assert third["seconds"] == pytest.approx(second["seconds"], abs=0.05)
    assert third["seconds"] > first["seconds"] > 0
    for pa, pc in zip(net_a.parameters(), net_c.parameters(), strict=True):
        torch.testing.assert_close(pa, pc, rtol=1e-5, atol=1e-6)


def test_training_lowers_the_diffusion_loss():
    net, loss, batch = make_run()
    hist = fit(net, loss, batch, steps=200, lr=1e-2, every=50)
    assert hist["losses"][-1] < 0.8 * hist["losses"][0]

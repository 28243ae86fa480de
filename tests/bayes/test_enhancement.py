"""Enhancement factors (eqs. 7.38–7.44): known answers and gradients by finite differences."""

import numpy as np
import pytest
import torch

from thesis_lib.bayes.enhancement import (
    Enhancement,
    HighBandStats,
    brightness_loss,
    brightness_ratio,
    harshness_loss,
    modulation_reward,
)

torch.set_num_threads(1)
RATE = 16_000
T = np.arange(RATE) / RATE


def batch(*signals):
    return torch.tensor(np.stack(signals), dtype=torch.float64)


def test_modulation_reward_prefers_syllable_rate_modulation():
    carrier = np.sin(2 * np.pi * 1000 * T)
    steady = carrier
    modulated = carrier * (1 + 0.9 * np.sin(2 * np.pi * 8 * T))     # 8 Hz: inside 4–16 Hz
    fast = carrier * (1 + 0.9 * np.sin(2 * np.pi * 40 * T))         # 40 Hz: outside
    r = modulation_reward(batch(steady, modulated, fast), RATE)
    assert r[1] > 8 * r[0] and r[1] > 8 * r[2]


def test_brightness_ratio_of_tone_and_white_noise():
    noise = np.random.default_rng(0).standard_normal(RATE)
    tone = np.sin(2 * np.pi * 500 * T)
    ratio = brightness_ratio(batch(tone, noise), RATE, cutoff_hz=4000)
    assert ratio[0] < 1e-3
    assert abs(float(ratio[1]) - 0.5) < 0.03      # half of a flat spectrum lies above fs/4
    loss = brightness_loss(batch(tone, noise), RATE, target=0.3, cutoff_hz=4000)
    assert abs(float(loss[0]) - 0.09) < 1e-3 and float(loss[1]) == 0.0


def test_harshness_penalises_a_narrow_resonance_not_a_flat_band():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(RATE)
    resonant = noise + 5 * np.sin(2 * np.pi * 3000 * T)
    h = harshness_loss(batch(noise, resonant), RATE)
    assert h[1] > 50 * max(float(h[0]), 1.0)


def test_high_band_statistics_small_in_distribution_large_when_band_is_missing():
    rng = np.random.default_rng(2)
    clips = [rng.standard_normal(RATE // 2) * (0.5 + rng.random()) for _ in range(40)]
    stats = HighBandStats.fit(clips, RATE, cutoff_hz=4000)
    fresh = batch(*[rng.standard_normal(RATE // 2) for _ in range(8)])
    spec = np.fft.rfft(rng.standard_normal(RATE // 2))
    spec[np.fft.rfftfreq(RATE // 2, 1 / RATE) > 4500] *= 1e-3      # remove most of the high band
    dull = batch(np.fft.irfft(spec, RATE // 2))
    in_dist = stats(fresh)
    assert float(in_dist.mean()) < 40                              # χ² with 8 dof has mean 8
    assert float(stats(dull)[0]) > 100 * float(in_dist.mean())


@pytest.mark.parametrize("factor", ["int", "br", "sr", "har", "total"])
def test_each_factor_gradient_matches_finite_differences(factor):
    rng = np.random.default_rng(3)
    n = 2048
    clips = [rng.standard_normal(n) for _ in range(12)]
    enh = Enhancement.from_clean(clips, RATE)
    fns = {"int": lambda v: -modulation_reward(v, RATE),
           "br": lambda v: brightness_loss(v, RATE, target=0.9, cutoff_hz=4000),
           "sr": enh.high_band, "har": lambda v: harshness_loss(v, RATE, margin=0.2),
           "total": enh}
    fn = fns[factor]
    x = torch.tensor(rng.standard_normal((1, n)) + np.sin(2 * np.pi * 3000 * np.arange(n) / RATE),
                     dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(fn(x).sum(), x)
    assert float(grad.abs().max()) > 0
    for k in rng.choice(n, 4, replace=False):
        e = torch.zeros_like(x)
        e[0, k] = 1e-6
        with torch.no_grad():
            fd = float((fn(x + e) - fn(x - e)).sum()) / 2e-6
        assert abs(fd - float(grad[0, k])) < 1e-4 * max(1.0, abs(fd)), (k, fd, float(grad[0, k]))

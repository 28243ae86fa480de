"""AuralLoss against an independent numpy computation of eqs. 2.13, 2.14 and 4.4."""

import numpy as np
import pytest
import torch

from thesis_lib.denoise.loss import AuralLoss, MultiResolutionSTFTLoss, stft_magnitude

torch.set_num_threads(1)


def numpy_stft_mag(x, n_fft, hop, win):
    """Centred (reflect-padded) STFT magnitude, bins × frames, in float64."""
    pad = n_fft // 2
    xp = np.pad(x, pad, mode="reflect")
    n_frames = 1 + (xp.size - n_fft) // hop
    window = np.zeros(n_fft)
    left = (n_fft - win) // 2
    window[left:left + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)  # periodic Hann
    frames = np.stack([xp[i * hop:i * hop + n_fft] * window for i in range(n_frames)])
    return np.abs(np.fft.rfft(frames, axis=1)).T


def numpy_aural(est, ref, alpha, resolutions, eps):
    total = 0.0
    for n_fft, hop, win in resolutions:
        a = numpy_stft_mag(est, n_fft, hop, win)
        b = numpy_stft_mag(ref, n_fft, hop, win)
        sc = np.sqrt(np.sum((a - b) ** 2)) / np.sqrt(np.sum(b ** 2))
        lg = np.mean(np.abs(np.log(a + eps) - np.log(b + eps)))
        total += sc + lg
    mr = total / len(resolutions)
    return (1 - alpha) * np.mean(np.abs(est - ref)) + alpha * mr


@pytest.mark.parametrize("resolutions", [((512, 128, 512),), ((1024, 120, 600), (256, 64, 200))])
def test_aural_loss_matches_numpy(resolutions):
    rng = np.random.default_rng(3)
    t = np.arange(6000) / 16000
    ref = np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(t.size)
    est = 0.8 * ref + 0.05 * rng.standard_normal(t.size)
    eps = 1e-5
    expected = numpy_aural(est, ref, 0.3, resolutions, eps)
    got = AuralLoss(0.3, resolutions, eps)(torch.tensor(est, dtype=torch.float32)[None, None],
                                           torch.tensor(ref, dtype=torch.float32)[None, None])
    assert float(got) == pytest.approx(expected, rel=1e-4)


def test_stft_magnitude_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3000)
    got = stft_magnitude(torch.tensor(x, dtype=torch.float32)[None], 256, 64, 200)[0].numpy()
    np.testing.assert_allclose(got, numpy_stft_mag(x, 256, 64, 200), rtol=1e-4, atol=1e-4)


def test_batch_loss_is_mean_of_per_item_losses():
    rng = np.random.default_rng(1)
    ref = torch.tensor(rng.standard_normal((3, 1, 4000)), dtype=torch.float32)
    est = ref + 0.3 * torch.tensor(rng.standard_normal((3, 1, 4000)), dtype=torch.float32)
    loss = AuralLoss()
    per_item = [float(loss(est[i:i + 1], ref[i:i + 1])) for i in range(3)]
    assert float(loss(est, ref)) == pytest.approx(np.mean(per_item), rel=1e-5)


def test_spectral_term_ignores_sign_but_l1_does_not():
    # |S(-x)| = |S(x)|: the motivation for keeping the time-domain term (§2.4)
    x = torch.randn(1, 1, 5000)
    assert float(MultiResolutionSTFTLoss()(-x, x)) == pytest.approx(0.0, abs=1e-5)
    assert float(AuralLoss(alpha=0.3)(-x, x)) > 0.5 * float((2 * x).abs().mean())


def test_loss_runs_in_float32_under_autocast_with_finite_gradient():
    x = torch.randn(2, 1, 4000)
    est = (x * 0.5).requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = AuralLoss()(est.bfloat16(), x.bfloat16())
    assert value.dtype == torch.float32
    value.backward()
    assert torch.isfinite(est.grad).all()


def test_silent_estimate_gives_finite_loss():
    x = torch.randn(1, 1, 4000)
    value = AuralLoss()(torch.zeros_like(x), x)
    assert torch.isfinite(value)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="differ in shape"):
        AuralLoss()(torch.zeros(1, 1, 100), torch.zeros(1, 1, 101))

"""Spectral release network: identity, a planted filter, files, dispatch, the SI-SDR loss."""

import numpy as np
import pytest
import torch
from scipy.signal import stft as scipy_stft

from thesis_lib.denoise.checkpoint import build_network, load_denoiser, save_checkpoint
from thesis_lib.denoise.loss import neg_si_sdr
from thesis_lib.denoise.spectral_net import (
    SpectralNet,
    SpectralNetConfig,
    is_spectral_config,
    macs_per_second,
)
from thesis_lib.metrics import si_sdr

from .conftest import SMALL_SPECTRAL as SMALL
from .conftest import perturbed

# float32 STFT round trip of unit-variance noise: errors of a few 1e-7 measured; 1e-5 leaves
# a margin of over an order of magnitude for other BLAS/FFT builds
ROUND_TRIP = 1e-5


def _perturbed(seed: int = 0) -> SpectralNet:
    return perturbed(SpectralNet, SMALL, seed)


@pytest.mark.parametrize("length", [256, 257, 1001, 4096])
@pytest.mark.parametrize("batch", [1, 3])
def test_fresh_network_is_the_identity(length, batch):
    y = torch.randn(batch, 1, length)
    with torch.inference_mode():
        out = SpectralNet(**SMALL)(y)
    assert out.shape == y.shape
    torch.testing.assert_close(out, y, rtol=0, atol=ROUND_TRIP)


def test_planted_filter_is_applied_as_a_frequency_response():
    # with M = 1 and R = 0, the network is the linear filter H(f) applied frame by frame;
    # its STFT must equal H times the input's STFT (scipy's, an independent implementation)
    net = SpectralNet(**SMALL).double()
    bins = net.config.bins
    f = np.arange(bins) / (bins - 1)
    response = np.exp(-(f / 0.3) ** 2) * np.exp(-1j * 0.2 * f)  # a smooth low-pass
    with torch.no_grad():
        net.filter_re.copy_(torch.from_numpy(response.real))
        net.filter_im.copy_(torch.from_numpy(response.imag))
    y = np.random.default_rng(1).standard_normal(8192)
    with torch.inference_mode():
        out = net(torch.from_numpy(y)[None, None].float()).double()[0, 0].numpy()
    spec = dict(window="hann", nperseg=256, noverlap=192, boundary=None, padded=False)
    got = scipy_stft(out, **spec)[2][:, 4:-4]  # frames away from the ends
    want = response[:, None] * scipy_stft(y, **spec)[2][:, 4:-4]
    # a filter applied per frame and overlap-added is only approximately LTI: the
    # re-analysis differs from H·Y by the window's time-aliasing: 1.5 % of the spectrum's
    # norm for this smooth response (seeds 0-2, spread < 0.02 %); 4 % still flags a wrong
    # filter: its conjugate is off by 5.9 %, no filter at all by 184 %
    assert np.linalg.norm(got - want) < 0.04 * np.linalg.norm(want)


def test_short_input_is_refused():
    with pytest.raises(ValueError, match="shorter than the STFT size 256"):
        SpectralNet(**SMALL)(torch.zeros(1, 1, 100))


@pytest.mark.parametrize("bad, fragment", [(dict(n_fft=255), "n_fft=255"),
                                           (dict(hop=200), "hop=200"),
                                           (dict(kernel=4), "kernel=4"),
                                           (dict(max_gain=1.0), "max_gain=1.0")])
def test_invalid_shapes_are_named(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        SpectralNetConfig(**{**SMALL, **bad})


def test_checkpoint_round_trip_rebuilds_the_same_network(tmp_path):
    net = _perturbed(2)
    config = net.config.to_dict()
    assert is_spectral_config(config)
    path = save_checkpoint(tmp_path / "s.pt", {"model_config": config,
                                               "state_dict": net.state_dict(),
                                               "train_config": {"sample_rate": 16_000}})
    loaded, meta = load_denoiser(path)
    assert isinstance(loaded, SpectralNet) and loaded.config == net.config
    y = torch.randn(1, 1, 3000)
    with torch.inference_mode():
        torch.testing.assert_close(loaded(y), net(y))


def test_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="unknown denoiser architecture 'wavenet'"):
        build_network({"architecture": "wavenet"})


def test_mac_count_grows_with_the_frame_rate():
    net = SpectralNet(**SMALL)
    # halving the hop doubles the frames, hence every per-frame cost
    assert macs_per_second(SpectralNet(**{**SMALL, "hop": 32})) == pytest.approx(
        2 * macs_per_second(net))


def test_si_sdr_loss_matches_the_metric():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 1, 5000))
    est = 0.7 * x + 0.2 * rng.standard_normal(x.shape)
    expected = np.mean([si_sdr(x[i, 0], est[i, 0]) for i in range(4)])
    got = -float(neg_si_sdr(torch.from_numpy(est), torch.from_numpy(x)))
    assert got == pytest.approx(expected, abs=1e-3)  # float32 sums of 5000 terms


def test_a_set_response_is_read_back_and_a_wrong_size_refused():
    net = SpectralNet(**SMALL)
    response = np.linspace(0.5, 2.0, net.config.bins) * np.exp(-0.3j)
    net.set_frequency_response(response)
    freqs, got = net.frequency_response(16_000)
    np.testing.assert_allclose(got, response, rtol=1e-6)  # stored as float32
    assert freqs[-1] == 8000.0
    with pytest.raises(ValueError, match="does not fit n_fft=256"):
        net.set_frequency_response(np.ones(100))

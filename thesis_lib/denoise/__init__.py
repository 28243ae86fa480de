"""Task 2 restoration: residual 1-D U-Net, AuralLoss, training, inference, baselines.

Modules: :mod:`.unet` (network), :mod:`.loss` (AuralLoss, eq. 4.4),
:mod:`.train` (resumable training, §4.5), :mod:`.checkpoint` (files, release),
:mod:`.inference` (overlap-add), :mod:`.fast` (channels-last CPU execution),
:mod:`.baselines` / :mod:`.ltas` / :mod:`.beam` (classical methods, one signature
``baseline(y, sample_rate, **kw) -> x̂``),
:mod:`.evaluate` (scores, ΔSI-SDR, confidence intervals) and :mod:`.experiment`
(cached paired corpora and runs for the chapters).

Release model (beyond the thesis): :mod:`.release_net` (strided-front-end U-Net of
depthwise-separable blocks), :mod:`.onthefly` (fresh, randomised emulator
degradations), :mod:`.release_recipe` (time-budgeted, resumable CPU/GPU training),
:mod:`.oracle` (oracle linear filter and ratio mask) and :mod:`.headroom` (methods
beside the oracles, and the generalisation table, on held-out real recordings).
"""

from .baselines import identity, spectral_gating, wiener_filter
from .beam import beam_transfer, beam_wiener
from .checkpoint import RELEASE_CHECKPOINT, export_release, load_denoiser
from .evaluate import delta_si_sdr, evaluate_methods, mean_ci
from .fast import ChannelsLastUNet
from .inference import Denoiser, denoise_file, overlap_add
from .loss import AuralLoss, MultiResolutionSTFTLoss, aural_loss
from .ltas import LtasEqualizer, ltas_eq
from .oracle import oracle_linear_filter, oracle_ratio_mask
from .release_net import ReleaseNet, ReleaseNetConfig
from .train import TrainConfig, preset, train
from .unet import UNet1d, UNetConfig, crop_to_length, pad_to_multiple

__all__ = ["UNet1d", "UNetConfig", "pad_to_multiple", "crop_to_length",
           "AuralLoss", "MultiResolutionSTFTLoss", "aural_loss",
           "TrainConfig", "preset", "train", "RELEASE_CHECKPOINT", "load_denoiser",
           "export_release",
           "Denoiser", "denoise_file", "overlap_add", "ChannelsLastUNet",
           "identity", "spectral_gating", "wiener_filter", "LtasEqualizer", "ltas_eq",
           "beam_transfer", "beam_wiener", "delta_si_sdr", "evaluate_methods", "mean_ci",
           "oracle_linear_filter", "oracle_ratio_mask", "ReleaseNet", "ReleaseNetConfig"]

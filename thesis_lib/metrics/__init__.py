"""Evaluation metrics, computed in float64 with their protocol in each docstring.

One module per idea: :mod:`.sisdr` (SI-SDR, SNR, ΔSNR), :mod:`.waveform`
(L1, L2, Pearson ρ, NRMSE, pooled NRMSE, relative energy error) and
:mod:`.spectral` (LSD, HF energy ratio and its mismatch).
"""

from .sisdr import delta_snr, si_sdr, snr
from .spectral import hf_energy_ratio, hf_mismatch, lsd, stft_magnitude
from .waveform import energy_relative_error, l1, l2, nrmse, nrmse_pooled, pearson

__all__ = [
    "si_sdr", "snr", "delta_snr",
    "l1", "l2", "pearson", "nrmse", "nrmse_pooled", "energy_relative_error",
    "lsd", "hf_energy_ratio", "hf_mismatch", "stft_magnitude",
]

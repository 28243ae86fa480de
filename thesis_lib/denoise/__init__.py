"""Task 2 restoration: residual 1-D U-Net, AuralLoss, training, inference, baselines."""

from .loss import AuralLoss, MultiResolutionSTFTLoss, aural_loss
from .unet import UNet1d, UNetConfig, crop_to_length, pad_to_multiple

__all__ = ["UNet1d", "UNetConfig", "pad_to_multiple", "crop_to_length",
           "AuralLoss", "MultiResolutionSTFTLoss", "aural_loss"]

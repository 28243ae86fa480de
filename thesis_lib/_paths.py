"""Where the repository's shipped data live, for every package (a leaf module: no imports).

``data_manifests/`` holds the thesis reference values, dataset manifests, the
profile file and the released models; code finds it relative to this file, so
a clone works from any working directory and nothing is looked up in the
environment.
"""

from __future__ import annotations

from pathlib import Path

#: The clone's ``data_manifests/`` folder.
MANIFESTS = Path(__file__).resolve().parents[1] / "data_manifests"
#: Released model files and their stored measurements (see ``MANIFESTS / "models.yml"``).
MODELS = MANIFESTS / "models"

#: The thesis-architecture U-Net release (GPU-trained), scored in the reproduction chapters.
UNET_RELEASE = MODELS / "unet_release.pt"
#: The spectral release network (CPU-trained, thesis_lib.denoise.spectral_net).
SPECTRAL_RELEASE = MODELS / "spectral_release.pt"
#: What ``thesis denoise`` and ``denoise.inference.Denoiser`` load by default.
DEFAULT_DENOISER = SPECTRAL_RELEASE
#: Surrogate likelihood and diffusion prior of ``thesis restore`` (thesis_lib.bayes).
BAYES_RELEASE = MODELS / "bayes_release.pt"

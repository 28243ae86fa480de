"""Checkpoint files of the denoiser: save, resume, export for release, load for inference.

A training checkpoint is a ``torch.save`` dictionary with

``model_config``  the :class:`~thesis_lib.denoise.unet.UNetConfig` as a dict;
``state_dict``    the network weights (float16 allowed in a release file);
``train_config``  the training configuration as a dict (includes ``sample_rate``);
``metrics``       per-epoch history and the best validation loss;
``step``, ``epoch``, ``batch_in_epoch``  where training stands;
``optimizer``, ``scheduler``, ``scaler``  states needed to resume (absent in a release);
``finished``      whether every epoch ran.

Files are written to a temporary name and renamed, so a job killed while
saving leaves the previous checkpoint intact.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from thesis_lib._paths import DEFAULT_DENOISER as DEFAULT_DENOISER  # re-exported
from thesis_lib._paths import SPECTRAL_RELEASE as SPECTRAL_RELEASE  # re-exported
from thesis_lib._paths import UNET_RELEASE
from thesis_lib.provenance import atomic_path

from . import release_net, spectral_net
from .release_net import ReleaseNet, ReleaseNetConfig, is_release_config
from .spectral_net import SpectralNet, SpectralNetConfig, is_spectral_config
from .unet import UNet1d, UNetConfig

#: The thesis-architecture U-Net release (GPU-trained), scored in the reproduction chapters.
RELEASE_CHECKPOINT = UNET_RELEASE

_REQUIRED = ("model_config", "state_dict")


def save_checkpoint(path, payload: dict) -> Path:
    """Write ``payload`` to ``path`` atomically and return the path."""
    missing = [k for k in _REQUIRED if k not in payload]
    if missing:
        raise ValueError(f"checkpoint payload lacks {missing}")
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def read_checkpoint(path, map_location="cpu") -> dict:
    """Load a checkpoint dictionary, with errors that say what to do.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a denoiser checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        if path.resolve() == RELEASE_CHECKPOINT:
            raise FileNotFoundError(
                f"the released denoiser {path} is missing; train one with "
                "`thesis train --data ROOT --config full --out DIR` and pass "
                "`--checkpoint DIR/best.pt`, or restore the release file listed in "
                "data_manifests/models.yml")
        if path.resolve() == SPECTRAL_RELEASE:
            raise FileNotFoundError(
                f"the released denoiser {path} is missing; train one with "
                "`python -m thesis_lib.denoise.release_recipe` (command in "
                "data_manifests/models.yml, entry spectral_release) or restore the file")
        raise FileNotFoundError(f"checkpoint {path} does not exist; check the path or train "
                                "one with `thesis train`")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for corrupt files
        raise ValueError(f"{path} is not a readable torch checkpoint ({exc}); delete it and "
                         "re-run training, or point to another file") from exc
    if not isinstance(payload, dict) or any(k not in payload for k in _REQUIRED):
        raise ValueError(f"{path} is not a denoiser checkpoint (needs keys {_REQUIRED})")
    return payload


def build_network(model_config: dict) -> nn.Module:
    """A fresh network of the shape a checkpoint's ``model_config`` records.

    ``model_config["architecture"]`` names a release design
    (:class:`~thesis_lib.denoise.spectral_net.SpectralNet` or
    :class:`~thesis_lib.denoise.release_net.ReleaseNet`); without it the
    dictionary is the thesis :class:`UNet1d`'s configuration.
    """
    if is_spectral_config(model_config):
        return SpectralNet(SpectralNetConfig.from_dict(model_config))
    if is_release_config(model_config):
        return ReleaseNet(ReleaseNetConfig.from_dict(model_config))
    if "architecture" in model_config:
        raise ValueError(f"unknown denoiser architecture {model_config['architecture']!r}; "
                         "this version knows 'spectral_net', 'release_net' and the thesis "
                         "U-Net (no architecture key)")
    return UNet1d(UNetConfig(**model_config))


#: How each architecture counts its multiply-accumulates: the convolution networks with
#: forward hooks (the thesis U-Net has only ``Conv1d`` layers, which the hook counts the
#: same way), the spectral network analytically (its FFTs and gains are no layers).
_MAC_COUNTERS = {UNet1d: release_net.macs_per_second,
                 ReleaseNet: release_net.macs_per_second,
                 SpectralNet: spectral_net.macs_per_second}


def macs_per_second(model: nn.Module, rate: int = 44_100) -> float:
    """Multiply-accumulates per second of mono audio at ``rate``, for any denoiser network.

    Dispatches on the network's class to the counter of its module
    (:func:`thesis_lib.denoise.release_net.macs_per_second` for the thesis
    :class:`UNet1d` and :class:`ReleaseNet`,
    :func:`thesis_lib.denoise.spectral_net.macs_per_second` for :class:`SpectralNet`),
    so callers need not know which architecture they hold.

    Raises
    ------
    ValueError
        For a network of another class.

    Examples
    --------
    >>> net = ReleaseNet(widths=(8,), blocks=(0,), bottleneck_dilations=())
    >>> macs_per_second(net, rate=800) == release_net.macs_per_second(net, rate=800)
    True
    """
    for kind in type(model).__mro__:
        if kind in _MAC_COUNTERS:
            return _MAC_COUNTERS[kind](model, rate)
    known = ", ".join(k.__name__ for k in _MAC_COUNTERS)
    raise ValueError(f"no multiply-accumulate count for a {type(model).__name__}; pass one of "
                     f"the denoiser networks ({known})")


def load_denoiser(path=RELEASE_CHECKPOINT, device="cpu") -> tuple[nn.Module, dict]:
    """Build the network stored in ``path`` in float32 eval mode on ``device``.

    The thesis :class:`UNet1d` or, when ``model_config["architecture"]`` says so,
    a release design (:func:`build_network`).

    Returns the model and the checkpoint dictionary (without the weights).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> net = UNet1d(depth=2, width=4)
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.pt"
    >>> _ = save_checkpoint(p, {"model_config": net.config.to_dict(),
    ...                         "state_dict": net.state_dict(),
    ...                         "train_config": {"sample_rate": 44100}})
    >>> model, meta = load_denoiser(p)
    >>> model.config.depth, meta["train_config"]["sample_rate"], model.training
    (2, 44100, False)
    """
    payload = read_checkpoint(path)
    model = build_network(payload["model_config"])
    state = {k: v.float() if torch.is_floating_point(v) else v
             for k, v in payload["state_dict"].items()}
    model.load_state_dict(state)
    model.to(device).eval()
    heavy = ("state_dict", "optimizer", "scheduler", "scaler")
    meta = {k: v for k, v in payload.items() if k not in heavy}
    return model, meta


def export_release(checkpoint, out, half: bool = True, extra: dict | None = None) -> Path:
    """Strip optimiser/scheduler/scaler state and (optionally) store weights in float16.

    The result is what ships as ``data_manifests/models/unet_release.pt``.
    """
    payload = read_checkpoint(checkpoint)
    state = payload["state_dict"]
    if half:
        state = {k: v.half() if torch.is_floating_point(v) else v for k, v in state.items()}
    release = {k: v for k, v in payload.items() if k not in ("optimizer", "scheduler", "scaler")}
    release["state_dict"] = state
    release["weights_dtype"] = "float16" if half else "float32"
    release.update(extra or {})
    return save_checkpoint(out, release)

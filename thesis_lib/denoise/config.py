"""Settings of a denoiser training run and the named presets.

:class:`TrainConfig` holds everything that shapes a run and is stored in every
checkpoint. :func:`preset` builds the configuration of a book profile from the
``training`` section of ``data_manifests/profiles.yml`` (``quick``: a small
network that learns on one CPU core in minutes; ``full``: the thesis's
configuration of §4.5), or ``smoke``, a one-epoch check that the pipeline runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from thesis_lib.provenance import profile_names, profile_section

from .unet import UNetConfig

__all__ = ["RUNTIME_SETTINGS", "SMOKE_CONFIG", "TrainConfig", "changed_settings", "preset"]


@dataclass
class TrainConfig:
    """Everything that shapes a training run; stored in every checkpoint.

    ``segment_length`` crops a random window from each clip (``None`` trains on
    whole clips, the thesis setting). ``lr`` 3e-5, batch 16 and 150 epochs are
    the thesis values (the ``full`` preset). The learning rate rises linearly
    over ``warmup_steps`` and then follows a cosine down to ``min_lr_ratio·lr``
    (:func:`warmup_cosine`; the thesis uses no warm-up and a floor of zero).
    """

    epochs: int = 150
    batch_size: int = 16
    lr: float = 3e-5
    warmup_steps: int = 0
    min_lr_ratio: float = 0.0
    weight_decay: float = 1e-6
    alpha: float = 0.3
    loss_eps: float = 1e-7
    grad_clip: float = 1.0
    segment_length: int | None = None
    sample_rate: int = 44_100
    seed: int = 0
    amp: bool = True
    compile: bool = False
    num_workers: int = 0
    max_minutes: float | None = None
    max_steps: int | None = None
    log_every: int = 10
    model: dict = field(default_factory=lambda: UNetConfig(depth=6, width=32).to_dict())

    def to_dict(self) -> dict:
        return asdict(self)


#: A one-epoch run of a tiny network: checks that data, loop and checkpoints work
#: (``thesis train --config smoke``, the SLURM smoke stage); not a book profile.
SMOKE_CONFIG = TrainConfig(epochs=1, batch_size=2, lr=1e-3, segment_length=8192, max_minutes=5,
                           model=UNetConfig(depth=3, width=8).to_dict(), log_every=1)


def preset(name: str, **overrides) -> TrainConfig:
    """The training configuration of a profile (or ``"smoke"``) with fields replaced.

    A profile's configuration is :class:`TrainConfig`'s defaults with the keys of
    the profile's ``training`` section set (its ``model`` keys are those of
    :class:`~thesis_lib.denoise.unet.UNetConfig`). ``None`` values in
    ``overrides`` are ignored, so command-line options left unset keep the preset.

    Examples
    --------
    >>> preset("quick", batch_size=4).batch_size
    4
    >>> preset("full").lr, preset("full").segment_length
    (3e-05, None)
    """
    choices = ("smoke", *profile_names())
    if name not in choices:
        raise ValueError(f"unknown training config {name!r}; choose one of {sorted(choices)}")
    if name == "smoke":
        base = SMOKE_CONFIG
    else:
        settings = profile_section(name, "training")._asdict()
        model = UNetConfig(**settings.pop("model")).to_dict()
        base = TrainConfig(**settings, model=model)
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


#: Settings that may change between an interrupted run and its resumption.
RUNTIME_SETTINGS = ("max_minutes", "max_steps", "num_workers", "compile", "log_every", "amp")


def changed_settings(saved: dict, current: dict) -> list[str]:
    """Names of the training settings (not the runtime ones) that differ, as ``name: old → new``.

    Examples
    --------
    >>> changed_settings({"lr": 1e-3, "max_minutes": 5}, {"lr": 6e-3, "max_minutes": None})
    ['lr: 0.001 → 0.006']
    """
    return [f"{k}: {saved[k]} → {current[k]}" for k in current
            if k in saved and k not in RUNTIME_SETTINGS and saved[k] != current[k]]

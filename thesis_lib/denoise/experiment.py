"""Chapter plumbing for Task 2 learning: cached paired corpora, train-or-resume, the method set.

The chapters ``denoiser`` and ``sample_rate`` call these so that they hold no
logic. Data sizes come from the book's profile file (``data_manifests/profiles.yml``,
read by :mod:`thesis_lib.provenance.profiles`): section ``paired_corpus`` (tracks,
track and clip length), ``training`` (the :func:`~thesis_lib.denoise.config.preset`)
and ``short_training`` (epochs of the chapters that train one network per seed or
setting). ``quick`` is a CPU demonstration with tiny corpora; ``full`` is the
thesis's clip protocol and training configuration, for a GPU.

Everything is cached under ``data_dir``: tracks, clean clips, degraded clips
(one folder per generation rate and emulator setting) and training runs (one
folder per corpus/rate/seed/config, resumed or skipped when finished).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thesis_lib._digest import stable_digest
from thesis_lib.data import PairedAudioDataset, generate_pairs, make_clips, render_corpus
from thesis_lib.emulator import Emulator, EmulatorParams
from thesis_lib.provenance import profile_section

from .baselines import identity, spectral_gating, wiener_filter
from .beam import beam_wiener
from .checkpoint import load_denoiser
from .config import TrainConfig, preset
from .evaluate import evaluate_methods
from .inference import Denoiser
from .ltas import LtasEqualizer
from .train import train


@dataclass(frozen=True)
class PairedCorpus:
    """Folders of one paired corpus and the rate it was generated at."""

    clean: Path
    degraded: Path
    gen_rate: int
    subset: str

    def split(self, name: str, target_rate: int | None = 44_100):
        """The ``(y, x)`` dataset of one split, resampled to ``target_rate``."""
        return PairedAudioDataset(self.degraded, self.clean, split=name, target_rate=target_rate)


def data_profile(profile: str):
    """Size of the paired corpus of a profile: ``tracks``, ``track_s``, ``clip_s``.

    Examples
    --------
    >>> data_profile("quick")
    paired_corpus(tracks=8, track_s=8.0, clip_s=2.0)
    """
    return profile_section(profile, "paired_corpus")


def prepare_pairs(data_dir, subset: str, profile: str = "quick", gen_rate: int = 48_000,
                  seed: int = 0, emulator_params=None, progress: bool = False,
                  splits=None) -> PairedCorpus:
    """Render the embedded corpus, cut clips at ``gen_rate`` and degrade them with the emulator.

    Each step skips what already exists, so a second call costs a directory scan.
    ``splits`` (e.g. ``["test"]``) degrades only the clips of those splits, into
    a folder of their own, with the same per-clip seeds as a run over all splits.
    """
    size = data_profile(profile)
    return _render_cut_degrade(Path(data_dir) / "task2" / f"{subset}_{profile}", subset, size,
                               first=0, tracks=size.tracks, gen_rate=gen_rate, seed=seed,
                               emulator_params=emulator_params, progress=progress, splits=splits)


def prepare_unseen_pairs(data_dir, subset: str, profile: str = "quick", count: int = 8,
                         gen_rate: int = 48_000, seed: int = 0) -> PairedCorpus:
    """Degraded clips of ``count`` works the profile's corpus does not contain (cached).

    The corpus of a profile renders the first ``tracks`` works of the seeded
    selection (:func:`~thesis_lib.data.corpus.select_tracks`); these are the next
    ``count``, cut and degraded (default emulator) exactly as the corpus. No model of
    the book has seen them, whatever split the clip cutter files them under, so every
    clip is a held-out clip of its own track.
    """
    if count < 1:
        raise ValueError(f"count of unseen works must be at least 1, got {count}")
    size = data_profile(profile)
    return _render_cut_degrade(Path(data_dir) / "task2" / f"{subset}_{profile}_unseen{count}",
                               subset, size, first=size.tracks, tracks=size.tracks + count,
                               gen_rate=gen_rate, seed=seed)


def _render_cut_degrade(root: Path, subset: str, size, *, first: int, tracks: int,
                        gen_rate: int, seed: int, emulator_params=None, progress: bool = False,
                        splits=None) -> PairedCorpus:
    """Works ``first`` to ``tracks - 1`` of the selection, rendered, cut and degraded."""
    track_dir = root / "tracks"
    render_corpus(track_dir, subset=subset, tracks=tracks, seed=seed, duration_s=size.track_s,
                  progress=progress, first=first)
    clean = root / f"clean_{gen_rate}"
    make_clips(track_dir, clean, split_seed=seed, clip_s=size.clip_s, rate=gen_rate,
               target_s=size.track_s, progress=progress)
    params = (emulator_params or EmulatorParams()).replace(output_rate=gen_rate)
    tag = "default" if emulator_params is None else params_tag(params)
    degraded = root / f"degraded_{gen_rate}_{tag}"
    if splits is not None:
        degraded = degraded.with_name(degraded.name + "_" + "_".join(splits))
    generate_pairs(_split_view(clean, splits), degraded, transform=Emulator(params), seed=seed,
                   progress=progress)
    return PairedCorpus(clean, degraded, gen_rate, subset)


def _split_view(clean: Path, splits) -> Path:
    """``clean`` itself, or a folder of hard links to the clips of some of its splits.

    The links keep each clip's path relative to the root (``test/<clip>.wav``),
    so the per-clip seeds of eq. 4.3 are those of a run over the whole tree.
    """
    if splits is None:
        return clean
    view = clean.with_name(clean.name + "_" + "_".join(splits))
    for split in splits:
        for src in sorted((clean / split).rglob("*.wav")):
            dst = view / src.relative_to(clean)
            if dst.exists():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:  # another file system: a copy does as well
                shutil.copy2(src, dst)
    return view


def params_tag(params) -> str:
    """Folder tag of non-default emulator parameters, stable across processes.

    (Python's ``hash`` of strings is salted per process, so it cannot name a cache.)

    Examples
    --------
    >>> from thesis_lib.emulator import EmulatorParams
    >>> params_tag(EmulatorParams(preisach_n=100)) == params_tag(EmulatorParams(preisach_n=100))
    True
    >>> params_tag(EmulatorParams(preisach_n=100)) == params_tag(EmulatorParams(preisach_n=500))
    False
    """
    return "p" + stable_digest(params.to_dict(), length=10)


def training_config(profile: str, seed: int = 0, **overrides) -> TrainConfig:
    """The training preset of a chapter profile (``quick``: ~120 CPU steps, ~1–2 minutes)."""
    return preset(profile, seed=seed, **overrides)


def short_training_config(profile: str, seed: int = 0) -> TrainConfig:
    """:func:`training_config` with the epochs of the profile's ``short_training`` section.

    Where that section's ``epochs`` is null (``full``) the preset is unchanged.

    Examples
    --------
    >>> short_training_config("quick").epochs, short_training_config("full").epochs
    (8, 150)
    """
    return training_config(profile, seed=seed,
                           epochs=profile_section(profile, "short_training").epochs)


def short_run_name(subset: str, profile: str, gen_rate: int, seed: int) -> str:
    """Run folder name of a short training on the default emulator's pairs.

    Shared by the ``sample_rate`` and ``preisach_ablation`` chapters, so the
    run both need (48 kHz, default N, seed 0) is trained once.
    """
    return f"sr_{subset}_{profile}_{gen_rate // 1000}k_seed{seed}"


def train_on(corpus: PairedCorpus, config: TrainConfig, run_dir, device=None, log=print):
    """Train (or resume, or skip when finished) a U-Net on a corpus; returns the TrainResult."""
    return train(config, corpus.split("train", config.sample_rate),
                 corpus.split("val", config.sample_rate), run_dir, device=device, log=log)


def clips(dataset, limit: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(y, x)`` numpy pairs of a dataset (the first ``limit``)."""
    n = len(dataset) if limit is None else min(limit, len(dataset))
    return [tuple(t.numpy().reshape(-1).astype(np.float64) for t in dataset[i]) for i in range(n)]


def baseline_methods(train_clean_clips, sample_rate: int, beam_fwhm_um: float = 26.0,
                     tape_speed_m_s: float = 0.1905) -> dict:
    """The classical baselines, with LTAS-EQ's reference taken from clean *training* clips."""
    eq = LtasEqualizer.fit(train_clean_clips, sample_rate)
    return {
        "identity": identity,
        "spectral_gating": spectral_gating,
        "wiener": wiener_filter,
        "ltas_eq": eq,
        "beam_wiener": lambda y, sr: beam_wiener(y, sr, beam_fwhm_um=beam_fwhm_um,
                                                 tape_speed_m_s=tape_speed_m_s),
    }


def preisach_downstream(data_dir, sizes, runs_dir, profile: str = "quick", seed: int = 0,
                        subset: str = "classical", sample_rate: int = 44_100, log=print) -> dict:
    """Downstream columns of Table 6.2: a denoiser trained per coarse Preisach size N.

    For every ``N`` in ``sizes`` the corpus is degraded by the emulator with
    ``preisach_n=N`` (everything else at its defaults) and a U-Net is trained on
    those pairs with :func:`short_training_config` and one ``seed`` (same
    initialisation, batch order and crops for every N, so only the training data
    differ). Every network is then scored on **one** test set: the same clean
    test clips degraded with the fine Preisach model, with the same per-clip
    seeds. The fine model plays the real tape, so the score says how well
    training on a coarse emulation transfers to the physics it approximates
    (thesis §6.1: ablations use the same test clips and clip seeds). The run of
    the default N is the ``sample_rate`` chapter's 48 kHz run of the same seed
    (:func:`short_run_name`), so it is trained once.

    Returns
    -------
    dict
        ``{"n<N>": {si_sdr_db, lsd_db, l1, delta_si_sdr_db, *_ci95, n_clips,
        steps, status}, "input": scores of the degraded fine test clips}``.
    """
    config = short_training_config(profile, seed)
    fine = prepare_pairs(data_dir, subset, profile, seed=seed, splits=["test"],
                         emulator_params=EmulatorParams(preisach_n="fine"))
    test = clips(fine.split("test", sample_rate))
    keys = ("si_sdr_db", "lsd_db", "l1", "delta_si_sdr_db")
    out = {}
    methods = {"identity": lambda y, sr: y}
    for n in sizes:
        params = None if n == EmulatorParams().preisach_n else EmulatorParams(preisach_n=n)
        corpus = prepare_pairs(data_dir, subset, profile, seed=seed, emulator_params=params)
        name = (short_run_name(subset, profile, 48_000, seed) if params is None
                else f"preisach_{subset}_{profile}_n{n}_seed{seed}")
        result = train_on(corpus, config, Path(runs_dir) / name, log=lambda *a: None)
        model, meta = load_denoiser(result.best if result.best.exists() else result.checkpoint)
        methods[f"n{n}"] = Denoiser(model=model, train_config=meta["train_config"])
        out[f"n{n}"] = {"steps": result.step, "status": result.status}
        log(f"[preisach_downstream] N={n}: {result.status}, {result.step} steps")
    scores = evaluate_methods(test, methods, sample_rate)
    for name, entry in scores.items():
        if name == "skipped_silent":
            continue
        summary = {k: entry[k] for k in keys}
        summary.update({f"{k}_ci95": entry[f"{k}_ci95"] for k in keys})
        summary["n_clips"] = entry["n_clips"]
        out.setdefault("input" if name == "identity" else name, {}).update(summary)
    return out

"""The paired loader: (degraded, clean) clips matched by relative path, resampled together.

Thesis §4.3 and §4.5. The split folder is found case-insensitively
(``train``/``Train``/``TRAIN``) under both roots; every degraded clip below it,
at any depth, is paired with the clean clip at the same relative path. Both
members go through the *same* torchaudio resampling operator (48 → 44.1 kHz by
default), are averaged to mono and trimmed to a common length, so that a
supervised loss compares sample-aligned signals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from .audio import Resampler, read_audio, to_mono
from .clips import find_split_dirs, list_audio

__all__ = ["PairedAudioDataset", "UnpairedFileError"]


class UnpairedFileError(FileNotFoundError):
    """A degraded clip has no clean counterpart (or the reverse)."""


def _split_dir(root: Path, split: str) -> Path:
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such dataset folder; generate it with `thesis pairs`")
    found = find_split_dirs(root)
    wanted = {"validation": "val", "valid": "val"}.get(split.lower(), split.lower())
    if wanted not in found:
        raise FileNotFoundError(f"{root}: no {split!r} split folder (looked for any letter case of "
                                f"train/val/test; found {sorted(p.name for p in found.values())})")
    return found[wanted]


class PairedAudioDataset(Dataset):
    """Degraded/clean clip pairs of one split, as float32 tensors of shape ``(1, T)``.

    Parameters
    ----------
    degraded_root, clean_root : path
        Roots holding the split folders of the degraded and the clean tree.
    split : str
        ``"train"``, ``"val"`` (``"validation"``) or ``"test"``, any letter case.
    target_rate : int or None
        Rate both members are resampled to (``None`` keeps the file rate).
    strict : bool
        Also fail when a clean clip has no degraded counterpart (a degraded
        clip without a clean one always fails).

    Attributes
    ----------
    relpaths : list of str
        Relative path (below the split folder) of each pair, sorted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from thesis_lib.data.audio import write_wav
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_wav(root / "clean/train/a/x.wav", np.ones(4800, np.float32) * 0.1, 48000)
    >>> _ = write_wav(root / "noisy/Train/a/x.wav", np.ones(4800, np.float32) * 0.2, 48000)
    >>> ds = PairedAudioDataset(root / "noisy", root / "clean", split="train")
    >>> y, x = ds[0]
    >>> ds.relpaths, tuple(y.shape), tuple(x.shape)
    (['a/x.wav'], (1, 4410), (1, 4410))
    """

    def __init__(self, degraded_root, clean_root, split: str = "train",
                 target_rate: int | None = 44100, strict: bool = False):
        self.degraded_dir = _split_dir(Path(degraded_root), split)
        self.clean_dir = _split_dir(Path(clean_root), split)
        self.split, self.target_rate = split, target_rate
        degraded = {p.relative_to(self.degraded_dir).as_posix(): p
                    for p in list_audio(self.degraded_dir)}
        clean = {p.relative_to(self.clean_dir).as_posix(): p for p in list_audio(self.clean_dir)}
        # Exact relative path first; fall back to a case-insensitive match of the whole path.
        clean_folded = {}
        for rel, path in clean.items():
            clean_folded.setdefault(rel.lower(), []).append(path)
        pairs, missing = [], []
        for rel in sorted(degraded):
            if rel in clean:
                pairs.append((rel, degraded[rel], clean[rel]))
            elif len(clean_folded.get(rel.lower(), [])) == 1:
                pairs.append((rel, degraded[rel], clean_folded[rel.lower()][0]))
            else:
                missing.append(degraded[rel])
        if missing:
            raise UnpairedFileError(
                f"{len(missing)} degraded clip(s) have no clean counterpart under "
                f"{self.clean_dir}, e.g. {missing[0]}; regenerate the pairs from this clean tree "
                "or remove the stray files")
        if strict:
            paired = {p[2] for p in pairs}
            orphans = sorted(set(clean.values()) - paired)
            if orphans:
                raise UnpairedFileError(
                    f"{len(orphans)} clean clip(s) have no degraded counterpart "
                    f"under {self.degraded_dir}, e.g. {orphans[0]}; finish `thesis pairs`")
        if not pairs:
            raise FileNotFoundError(f"{self.degraded_dir}: no audio clips in this split")
        self.relpaths = [p[0] for p in pairs]
        self._pairs = pairs
        self._resamplers = {}

    def __len__(self) -> int:
        return len(self._pairs)

    def _resampler(self, rate: int) -> Resampler:
        target = self.target_rate or rate
        if rate not in self._resamplers:
            self._resamplers[rate] = Resampler(rate, target)
        return self._resamplers[rate]

    def _load(self, path: Path):
        audio, rate = read_audio(path, dtype="float32")
        return torch.from_numpy(np.ascontiguousarray(to_mono(audio), dtype=np.float32)), rate

    def __getitem__(self, index: int):
        rel, degraded_path, clean_path = self._pairs[index]
        y, rate_y = self._load(degraded_path)
        x, rate_x = self._load(clean_path)
        if self.target_rate is None and rate_x != rate_y:
            raise ValueError(f"{degraded_path} ({rate_y} Hz) and {clean_path} ({rate_x} Hz) "
                             "differ in sample rate; pass target_rate to resample both")
        y, x = self._resampler(rate_y)(y), self._resampler(rate_x)(x)
        # safety trim: rounding in resampling may differ by a sample
        n = min(y.shape[-1], x.shape[-1])
        return y[..., :n].unsqueeze(0), x[..., :n].unsqueeze(0)

"""Clean clips from tracks: mono, 48 kHz, a 30-s excerpt, cut into 5-s float32 WAV clips.

Thesis §4.1 and §4.3: each track is decoded, averaged to mono, resampled to the
emulator's working rate (48 kHz), brought to exactly 30 s (truncated when
longer; zero-padded when short by at most 0.5 s; discarded when shorter), and
split into non-overlapping 5-s clips saved as 32-bit float WAV.

The clean tree mirrors the track tree below the split folder::

    out_root/{train,val,test}/<track folders>/<track stem>_clip00.wav ...

When ``audio_root`` already has ``train``/``val``/``test`` folders (the FMA
layout of :mod:`thesis_lib.data.fma`) they are kept; otherwise tracks are split
80/10/10 at track level with ``split_seed``. ``clips_manifest.json`` records the
parameters, the split of every track and the tracks that were discarded.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from tqdm import tqdm

from thesis_lib.provenance import write_json_atomic

from .audio import AUDIO_SUFFIXES, read_audio, resample, to_mono, write_wav
from .fma import SPLITS, split_tracks

__all__ = ["fit_duration", "clip_name", "parse_clip_name", "find_split_dirs", "list_audio",
           "make_clips"]

MANIFEST_NAME = "clips_manifest.json"
_CLIP_RE = re.compile(r"^(?P<stem>.+)_clip(?P<index>\d+)$")


def fit_duration(signal, rate: int, target_s: float = 30.0, tolerance_s: float = 0.5):
    """Bring a mono signal to exactly ``target_s`` seconds, or return ``None`` to discard it.

    Examples
    --------
    >>> fit_duration(np.ones(12), rate=4, target_s=2.0).size      # truncated
    8
    >>> fit_duration(np.ones(7), rate=4, target_s=2.0)             # padded by 0.25 s
    array([1., 1., 1., 1., 1., 1., 1., 0.])
    >>> fit_duration(np.ones(5), rate=4, target_s=2.0) is None     # 0.75 s short
    True
    """
    signal = np.asarray(signal)
    target = int(round(target_s * rate))
    if signal.size >= target:
        return signal[:target]
    if target - signal.size <= tolerance_s * rate + 1e-9:
        return np.concatenate([signal, np.zeros(target - signal.size, dtype=signal.dtype)])
    return None


def clip_name(stem: str, index: int) -> str:
    """File name of clip ``index`` of a track: ``'<stem>_clip<index:02d>.wav'``."""
    return f"{stem}_clip{index:02d}.wav"


def parse_clip_name(relpath) -> tuple[str, int]:
    """Split a clip's relative path into (track key, clip index) for per-clip seeding (eq. 4.3).

    The track key is the relative path of the track without extension, so the
    same track gives the same key whatever its clips' folder. A file that does
    not follow the clip naming is its own track with clip index 0.

    Examples
    --------
    >>> parse_clip_name("train/000/000002_clip03.wav")
    ('train/000/000002', 3)
    >>> parse_clip_name("test/other.wav")
    ('test/other', 0)
    """
    relpath = Path(relpath).as_posix()
    stem = relpath.rsplit(".", 1)[0]
    name = stem.rsplit("/", 1)[-1]
    match = _CLIP_RE.match(name)
    if not match:
        return stem, 0
    return stem[: len(stem) - len(name)] + match["stem"], int(match["index"])


def find_split_dirs(root) -> dict[str, Path]:
    """The ``train``/``val``/``test`` folders directly under ``root``, matched case-insensitively.

    ``validation`` and ``valid`` are accepted for ``val``. Raises ``ValueError``
    when two folders claim the same split.
    """
    root = Path(root)
    aliases = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
    found = {}
    if not root.is_dir():
        return found
    for child in sorted(root.iterdir()):
        split = aliases.get(child.name.lower())
        if child.is_dir() and split:
            if split in found:
                raise ValueError(f"{root}: both {found[split].name!r} and {child.name!r} look like "
                                 f"the {split!r} split; rename or remove one")
            found[split] = child
    return found


def list_audio(root, suffixes=AUDIO_SUFFIXES) -> list[Path]:
    """Audio files under ``root`` (recursively, any letter case of the suffix), sorted by path."""
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in suffixes and p.is_file()
                  and not p.name.startswith("."))


def make_clips(audio_root, out_root, split_seed: int = 0, clip_s: float = 5.0, rate: int = 48000,
               target_s: float = 30.0, tolerance_s: float = 0.5, progress: bool = False) -> Path:
    """Cut every track under ``audio_root`` into clean clips under ``out_root`` (cached).

    Parameters
    ----------
    audio_root : path
        Tracks, either in ``{train,val,test}`` folders or flat/nested without splits.
    out_root : path
        Destination of the clean tree.
    split_seed : int
        Seed of the 80/10/10 track-level split when ``audio_root`` has no split folders.
    clip_s, rate, target_s, tolerance_s : float
        Clip length (s), output sample rate (Hz), track excerpt length (s), and
        how much shorter (s) a track may be and still be zero-padded.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        ``out_root``. Tracks whose clips all exist are skipped on a re-run.
    """
    audio_root, out_root = Path(audio_root), Path(out_root)
    if not audio_root.is_dir():
        raise FileNotFoundError(f"{audio_root}: no such folder of tracks; render the corpus "
                                "(`thesis corpus render`) or point at your audio")
    n_clips = int(round(target_s / clip_s))
    if n_clips < 1 or abs(n_clips * clip_s - target_s) > 1e-9:
        raise ValueError(f"clip length {clip_s} s must divide the {target_s} s excerpt")
    split_dirs = find_split_dirs(audio_root)
    assignments = []  # (split, track path, relpath below the split folder)
    if split_dirs:
        for split, folder in split_dirs.items():
            assignments += [(split, p, p.relative_to(folder)) for p in list_audio(folder)]
    else:
        tracks = list_audio(audio_root)
        if not tracks:
            raise FileNotFoundError(
                f"{audio_root}: contains no audio files ({', '.join(AUDIO_SUFFIXES)})")
        index_split = split_tracks(range(len(tracks)), seed=split_seed)
        for split, indices in index_split.items():
            assignments += [(split, tracks[i], tracks[i].relative_to(audio_root)) for i in indices]
    assignments.sort(key=lambda a: (SPLITS.index(a[0]), a[2].as_posix()))
    kept, discarded = {s: [] for s in SPLITS}, []
    clip_n = int(round(clip_s * rate))
    for split, path, rel in tqdm(assignments, desc="clips", disable=not progress, unit="track"):
        folder = out_root / split / rel.parent
        names = [folder / clip_name(rel.stem, k) for k in range(n_clips)]
        if all(p.exists() for p in names):
            kept[split].append(rel.as_posix())
            continue
        audio, source_rate = read_audio(path, dtype="float32")
        mono = resample(to_mono(audio).astype(np.float32), source_rate, rate)
        fitted = fit_duration(mono, rate, target_s, tolerance_s)
        if fitted is None:
            discarded.append({"track": path.as_posix(), "duration_s": mono.size / rate})
            continue
        for k, name in enumerate(names):
            if not name.exists():
                write_wav(name, fitted[k * clip_n:(k + 1) * clip_n], rate)
        kept[split].append(rel.as_posix())
    if not any(kept.values()):
        raise ValueError(f"{audio_root}: all {len(discarded)} track(s) are shorter than "
                         f"{target_s - tolerance_s} s, so no clip was cut; use longer tracks "
                         "(the 30-s rule of thesis §4.1) or lower target_s")
    write_json_atomic(out_root / MANIFEST_NAME, {
        "source": str(audio_root), "rate": rate, "clip_s": clip_s, "target_s": target_s,
        "tolerance_s": tolerance_s, "split_seed": split_seed,
        "split_from_folders": bool(split_dirs), "tracks": kept, "discarded": discarded})
    return out_root

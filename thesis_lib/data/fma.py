"""The FMA path: Classical filter from the FMA metadata, seeded sample, track-level split, layout.

For users who have the Free Music Archive [1]_ locally, this reproduces how the
thesis built *FMA-Classical-1602* (§4.1): the genre id(s) titled "Classical"
are read from ``genres.csv``; a track is kept when one of them appears in its
``track.genres_all`` list in ``tracks.csv`` (robust to the genre hierarchy);
1,602 tracks are drawn with a fixed seed and split 80/10/10 at track level, so
that clips of one track never straddle two splits; the id lists are stored; the
audio is laid out as ``{train,val,test}/{000,001,...}/<id>.mp3`` where the
three-digit folder is ``track_id // 1000`` as in FMA itself.

The metadata files are read with the standard library's ``csv`` module
(``tracks.csv`` has a three-row header: top-level group, column name, and the
``track_id`` index label).

References
----------
.. [1] M. Defferrard, K. Benzi, P. Vandergheynst, X. Bresson, "FMA: A Dataset
   for Music Analysis", ISMIR 2017.
"""

from __future__ import annotations

import ast
import csv
import os
import shutil
from pathlib import Path

import numpy as np

from thesis_lib.provenance import atomic_path, write_json_atomic

__all__ = ["genre_ids", "tracks_with_genres", "sample_tracks", "split_tracks", "fma_relpath",
           "layout_subset", "SPLITS"]

SPLITS = ("train", "val", "test")


def genre_ids(genres_csv, title: str = "Classical") -> list[int]:
    """Ids of the genres whose ``title`` equals ``title`` (case-insensitive) in ``genres.csv``."""
    genres_csv = Path(genres_csv)
    with open(genres_csv, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"genre_id", "title"} <= set(reader.fieldnames):
            raise ValueError(f"{genres_csv}: expected columns genre_id and title (FMA genres.csv)")
        ids = [int(row["genre_id"]) for row in reader
               if row["title"].strip().lower() == title.lower()]
    if not ids:
        raise ValueError(f"{genres_csv}: no genre titled {title!r}; "
                         "check the file is FMA's genres.csv")
    return ids


def tracks_with_genres(tracks_csv, wanted, column: str = "genres_all") -> list[int]:
    """Track ids whose ``track.<column>`` list shares an id with ``wanted``, ascending."""
    tracks_csv = Path(tracks_csv)
    wanted = set(int(g) for g in wanted)
    with open(tracks_csv, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            top, names = next(reader), next(reader)
            next(reader)  # the "track_id" index-label row
        except StopIteration:
            raise ValueError(f"{tracks_csv}: shorter than FMA's three header rows") from None
        cols = [i for i, (a, b) in enumerate(zip(top, names, strict=True))
                if a == "track" and b == column]
        if not cols:
            raise ValueError(f"{tracks_csv}: no column track.{column}; is this FMA's tracks.csv?")
        col = cols[0]
        found = []
        for line, row in enumerate(reader, start=4):
            if not row:
                continue
            try:
                genres = ast.literal_eval(row[col]) if row[col].strip() else []
                track_id = int(row[0])
            except (ValueError, SyntaxError, IndexError) as exc:
                raise ValueError(
                    f"{tracks_csv}, line {line}: unreadable track row ({exc})") from exc
            if wanted.intersection(int(g) for g in genres):
                found.append(track_id)
    return sorted(found)


def sample_tracks(track_ids, n: int = 1602, seed: int = 0) -> list[int]:
    """A seeded sample of ``n`` distinct ids (ascending); all of them if fewer exist.

    Examples
    --------
    >>> sample_tracks(range(10), n=4, seed=1) == sample_tracks(range(10), n=4, seed=1)
    True
    >>> len(sample_tracks(range(10), n=50))
    10
    """
    ids = np.array(sorted(set(int(t) for t in track_ids)), dtype=np.int64)
    if n >= ids.size:
        return ids.tolist()
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(ids, size=n, replace=False).tolist())


def split_tracks(track_ids, seed: int = 0, fractions=(0.8, 0.1, 0.1)) -> dict[str, list[int]]:
    """Split ids into disjoint ``train``/``val``/``test`` lists at track level.

    Validation and test get ``round(fraction·n)`` tracks (at least one each when
    there are three or more tracks); training gets the rest.

    Examples
    --------
    >>> s = split_tracks(range(20), seed=0)
    >>> [len(s[k]) for k in ("train", "val", "test")]
    [16, 2, 2]
    """
    ids = sorted(set(int(t) for t in track_ids))
    if abs(sum(fractions) - 1.0) > 1e-9 or len(fractions) != 3:
        raise ValueError(f"split fractions must be three numbers summing to 1, got {fractions}")
    n = len(ids)
    n_val, n_test = (max(int(round(f * n)), 1 if n >= 3 else 0) for f in fractions[1:])
    order = np.random.default_rng(seed).permutation(n)
    shuffled = [ids[i] for i in order]
    out = {"val": shuffled[:n_val], "test": shuffled[n_val:n_val + n_test],
           "train": shuffled[n_val + n_test:]}
    return {k: sorted(out[k]) for k in SPLITS}


def fma_relpath(track_id: int, suffix: str = ".mp3") -> str:
    """FMA's relative path of a track: ``'{id // 1000:03d}/{id:06d}.mp3'``.

    Examples
    --------
    >>> fma_relpath(2)
    '000/000002.mp3'
    >>> fma_relpath(155066)
    '155/155066.mp3'
    """
    return f"{int(track_id) // 1000:03d}/{int(track_id):06d}{suffix}"


def layout_subset(audio_root, out_root, splits: dict, link: bool = True, manifest=None) -> Path:
    """Place each split's MP3s under ``out_root/{train,val,test}/{000,…}/`` and store the id lists.

    Parameters
    ----------
    audio_root : path
        An FMA audio folder (``fma_large``/``fma_full``), itself in FMA layout.
    out_root : path
        Destination, e.g. ``classical-1602``.
    splits : dict
        ``{"train": [...], "val": [...], "test": [...]}`` from :func:`split_tracks`.
    link : bool
        Symlink instead of copying (saves space on clusters).
    manifest : path, optional
        Where to write the id lists (default ``out_root/splits.json``); point it
        into ``data_manifests/`` to version them.

    Returns
    -------
    Path
        The manifest path.
    """
    audio_root, out_root = Path(audio_root), Path(out_root)
    missing = [t for ids in splits.values() for t in ids
               if not (audio_root / fma_relpath(t)).is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} track(s) absent from {audio_root}, e.g. "
                                f"{audio_root / fma_relpath(missing[0])}; point audio_root at the "
                                "FMA audio folder that holds all of them")
    for split, ids in splits.items():
        for track_id in ids:
            src = audio_root / fma_relpath(track_id)
            dst = out_root / split / fma_relpath(track_id)
            if dst.exists():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if link:
                os.symlink(src.resolve(), dst)
            else:
                with atomic_path(dst) as tmp:
                    shutil.copyfile(src, tmp)
    manifest = Path(manifest) if manifest else out_root / "splits.json"
    write_json_atomic(manifest, {"layout": "{split}/{id//1000:03d}/{id:06d}.mp3",
                                 "counts": {k: len(v) for k, v in splits.items()},
                                 "splits": {k: list(v) for k, v in splits.items()}})
    return manifest

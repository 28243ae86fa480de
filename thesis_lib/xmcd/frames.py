"""Opening HDF5 files and finding and streaming the frames of each (h, m) block.

Every HDF5 file of :mod:`thesis_lib.xmcd` is opened by :func:`open_h5`, where
``hdf5plugin`` is imported so that the filters area detectors write with
(bitshuffle-LZ4, LZ4, Blosc, Zstd) are registered with HDF5. External links
(Eiger master files) are followed by HDF5 itself, relative to the master file.

The frames of one block may sit in several places: along a block axis of one
dataset, in a dataset of their own, in another file, or interleaved with the
other blocks in one stack in acquisition order. :func:`frame_pieces` turns a
layout's ``frames`` entry into :class:`FramePiece` objects, and
:func:`stream_means` reads them a few frames at a time, summing in float64,
so that memory never holds a whole stack.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401  (registers the Blosc, LZ4, Zstd, bitshuffle filters with HDF5)
import numpy as np

from .errors import (
    CorruptFileError,
    FrameShapeError,
    InvalidFrameError,
    MissingCombinationError,
    MissingDatasetError,
    NonFiniteFrameError,
)

#: The four (helicity, magnetisation) combinations, in the order they are stored.
COMBINATIONS = ((1, 1), (-1, 1), (1, -1), (-1, -1))

#: Bytes of stored frames read at once when streaming a block (frames are summed one by one).
READ_BYTES = 64 << 20


def open_h5(path):
    """Open an HDF5 file for reading, with one clear error for a missing or broken file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; check the path (a series is a folder of "
                                ".nxs files)")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise CorruptFileError(
            f"{path}: cannot be opened as HDF5 ({exc}); the file is truncated or not NeXus/HDF5 - "
            "copy it again from the beamline storage or regenerate it") from exc


@dataclass(frozen=True)
class FramePiece:
    """Frames of one (h, m) block held by one dataset.

    Attributes
    ----------
    file : Path
        The file to open (a master file's external links are followed).
    dataset : str
        Dataset path inside ``file``.
    axes : str
        One letter per dataset axis (``c``, ``f``, ``y``, ``x``).
    block : int or None
        Index along ``c``.
    frames : tuple of int or None
        Indices along ``f`` (``None``: every frame).
    n_frames : int
    """

    file: Path
    dataset: str
    axes: str
    block: int | None
    frames: tuple | None
    n_frames: int

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start:stop`` of this piece as ``(k, H, W)`` in the stored dtype."""
        with open_h5(self.file) as h5:
            return self.read_open(h5, start, stop)

    def read_open(self, h5, start: int, stop: int) -> np.ndarray:
        """As :meth:`read`, from ``h5``, the already open :attr:`file`."""
        ds = h5[self.dataset]
        index = []
        for axis in self.axes:
            if axis == "c":
                index.append(self.block)
            elif axis == "f":
                index.append(slice(start, stop) if self.frames is None
                             else list(self.frames[start:stop]))
            else:
                index.append(slice(None))
        arr = np.asarray(ds[tuple(index)])
        ax = self.axes.replace("c", "")
        if "f" not in ax:
            arr, ax = arr[None], "f" + ax
        return np.transpose(arr, [ax.index(a) for a in "fyx"])


#: Bytes of stored frames read at once when streaming a block (frames are summed one by one).
READ_BYTES = 64 << 20


def stream_means(pieces, shape, checker) -> dict:
    """Mean frame of each block, ``{(h, m): (H, W) float64}``, reading a few frames at a time.

    Each frame is converted to float64, passed to ``checker`` (a :class:`Validity`)
    and added to its block's sum, in acquisition order within each piece.
    """
    means = {}
    for hm in COMBINATIONS:
        total, done = np.zeros(shape, np.float64), 0
        for piece in pieces[hm]:
            with open_h5(piece.file) as h5:
                itemsize = h5[piece.dataset].dtype.itemsize
                step = max(1, READ_BYTES // max(1, itemsize * shape[0] * shape[1]))
                for start in range(0, piece.n_frames, step):
                    batch = piece.read_open(h5, start, min(start + step, piece.n_frames))
                    for frame in batch:
                        frame = frame.astype(np.float64)
                        checker.add(hm, done, frame)
                        total += frame
                        done += 1
        means[hm] = total / done
    return means


class Validity:
    """Valid-pixel map built frame by frame (the rules of
    :func:`~thesis_lib.xmcd.nexus.pixel_validity`)."""

    def __init__(self, shape, path, pixel_mask, saturation_value, nonfinite):
        self.base = np.ones(shape, bool) if pixel_mask is None else np.asarray(pixel_mask) == 0
        self.valid = self.base.copy()
        self.path, self.saturation_value, self.nonfinite = path, saturation_value, nonfinite

    def add(self, hm, index, frame):
        finite = np.isfinite(frame)
        if self.nonfinite == "raise" and not finite.all():
            raise NonFiniteFrameError(
                f"{self.path}: (h, m) = {hm} frames [{index}] hold NaN/inf values; re-export the "
                "file, or read it with nonfinite='mask' to treat those pixels as invalid")
        ok = finite & self.base
        if self.saturation_value is not None:
            with np.errstate(invalid="ignore"):
                ok &= frame < self.saturation_value
        if not ok.any():
            raise InvalidFrameError(
                f"{self.path}: (h, m) = {hm} frame {index} has no valid pixel (all saturated, "
                "dead, masked or non-finite); drop that file from the series or re-acquire it")
        self.valid &= ok


def natural_key(p: Path):
    """Sort key that puts ``scan_2`` before ``scan_10``."""
    return [int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", Path(p).name)]


def expand_frames(h5, spec) -> list:
    """Dataset paths of a ``frames`` entry: a list, or one path with ``*`` in its last part."""
    paths = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    out = []
    for p in paths:
        if "*" not in p:
            out.append(p)
            continue
        parent, _, leaf = p.rpartition("/")
        group = h5.get(parent or "/")
        names = sorted((n for n in (group.keys() if group is not None else ())
                        if fnmatch.fnmatch(n, leaf)), key=lambda n: natural_key(Path(n)))
        out += [f"{parent}/{n}" for n in names]
    return out


def combination_key(key):
    """Accept (h, m) tuples or strings such as '+-', '+1,-1'.

    Examples
    --------
    >>> combination_key("-+"), combination_key([1, -1])
    ((-1, 1), (1, -1))
    """
    if isinstance(key, str):
        signs = [1 if c == "+" else -1 for c in key if c in "+-"]
        key = tuple(signs)
    key = tuple(int(v) for v in key)
    if len(key) != 2 or any(v not in (-1, 1) for v in key):
        raise ValueError(f"frame mapping key {key!r} is not an (h, m) pair with h, m in {{+1, -1}}")
    return key


def _dataset(h5, dpath, path, what):
    if dpath not in h5:
        try:
            link = h5.get(dpath, getlink=True)
        except KeyError:
            link = None
        if isinstance(link, h5py.ExternalLink):
            raise MissingDatasetError(
                f"{path}: {dpath!r} is an external link to {link.filename!r}, which cannot be "
                "opened; keep the data files beside the master file")
        raise MissingDatasetError(f"{path}: no dataset {dpath!r} for {what}; fix the layout's "
                                  "fields.frames (or the mapping)")
    ds = h5[dpath]
    if not isinstance(ds, h5py.Dataset):
        raise MissingDatasetError(f"{path}: {dpath!r} is a group, not a dataset; name the dataset")
    return ds


def _dims(ds, axes, path):
    if ds.ndim != len(axes):
        raise FrameShapeError(f"{path}: {ds.name} has shape {ds.shape} but frame_axes={axes!r}; "
                              "give frame_axes with one letter per axis (c, f, y, x)")
    return dict(zip(axes, ds.shape, strict=True))


def _piece(file, name, ds, axes, block=None, frames=None):
    # `name` is the path asked for: behind an external link ds.name is the target's path
    dims = _dims(ds, axes, file)
    n = dims.get("f", 1) if frames is None else len(frames)
    return FramePiece(Path(file), name, axes, block, frames, n), (dims["y"], dims["x"]), ds.dtype


def frame_pieces(h5, spec, axes, path, *, block_files=None, labels=(None, None)):
    """Where the frames of each block of one scan are.

    Parameters
    ----------
    h5 : h5py.File
        The scan's (master) file, open.
    spec : str, list or dict
        The layout's ``frames`` entry; ``axes`` its ``frame_axes``.
    path : Path
        The file, for messages.
    block_files : dict, optional
        ``{(h, m): path}`` when each block is its own file (``spec`` is then
        the dataset path inside each).
    labels : (array or None, array or None)
        Helicity and magnetisation of each block along ``c``, or of each
        frame of a stack.

    Returns
    -------
    pieces : dict ``{(h, m): [FramePiece]}``
    shapes : dict ``{(h, m): (n_frames, H, W)}``
    dtypes : dict ``{(h, m): [stored dtype names]}``
    """
    found = {}      # hm -> list of (piece, (H, W), dtype)
    if block_files:
        for hm, bpath in block_files.items():
            with open_h5(bpath) as other:
                found[hm] = [_piece(bpath, spec, _dataset(other, spec, bpath, f"(h, m) = {hm}"),
                                    axes.replace("c", ""))]
    elif isinstance(spec, dict):
        for key, dpath in spec.items():
            hm = combination_key(key)
            found[hm] = [_piece(path, dpath, _dataset(h5, dpath, path, f"(h, m) = {hm}"),
                                axes.replace("c", ""))]
    else:
        names = expand_frames(h5, spec)
        if not names:
            raise MissingDatasetError(f"{path}: no dataset matches frames {spec!r}; fix the layout")
        datasets = [_dataset(h5, n, path, "frames") for n in names]
        hel, mag = labels
        if hel is None or mag is None:
            raise MissingDatasetError(f"{path}: no helicity/magnetisation labels for the frames of "
                                      f"{spec}; name them in the layout (paths or lists)")
        hel, mag = np.ravel(hel).astype(int), np.ravel(mag).astype(int)
        if "c" in axes:
            for name, ds in zip(names, datasets, strict=True):
                n_blocks = _dims(ds, axes, path)["c"]
                if len(hel) != n_blocks or len(mag) != n_blocks:
                    raise FrameShapeError(f"{path}: {n_blocks} blocks along c in {ds.name} but "
                                          f"{len(hel)} helicity / {len(mag)} magnetisation labels")
                for i, (h, m) in enumerate(zip(hel, mag, strict=True)):
                    found.setdefault((int(h), int(m)), []).append(_piece(path, name, ds, axes,
                                                                         block=i))
        else:
            counts = [_dims(ds, axes, path).get("f", 1) for ds in datasets]
            if len(hel) != sum(counts) or len(mag) != sum(counts):
                raise FrameShapeError(
                    f"{path}: {sum(counts)} frames in {names} but {len(hel)} helicity and "
                    f"{len(mag)} magnetisation values; a stack needs one label of each per frame")
            offset = 0
            for name, ds, n in zip(names, datasets, counts, strict=True):
                for hm in COMBINATIONS:
                    idx = tuple(int(i) for i in np.nonzero(
                        (hel[offset:offset + n] == hm[0]) & (mag[offset:offset + n] == hm[1]))[0])
                    if idx:
                        found.setdefault(hm, []).append(
                            _piece(path, name, ds, axes, frames=None if len(idx) == n else idx))
                offset += n
    missing = [hm for hm in COMBINATIONS if hm not in found]
    if missing:
        raise MissingCombinationError(
            f"{path}: no frame stack for (h, m) = {missing} (found {sorted(found)}); the double "
            "difference needs all four - re-export the file or point the layout (mapping) at the "
            "missing stacks")
    extent = {item[1] for items in found.values() for item in items}
    if len(extent) != 1:
        shapes = {hm: [item[1] for item in items] for hm, items in found.items()}
        raise FrameShapeError(f"{path}: the (h, m) stacks have different frame shapes {shapes}; "
                              "all frames of one file must come from one detector region")
    (H, W), = extent
    pieces = {hm: [item[0] for item in found[hm]] for hm in COMBINATIONS}
    shapes = {hm: (sum(p.n_frames for p in pieces[hm]), H, W) for hm in COMBINATIONS}
    dtypes = {hm: sorted({str(item[2]) for item in found[hm]}) for hm in COMBINATIONS}
    return pieces, shapes, dtypes

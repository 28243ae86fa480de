"""Reading one XMCD scan position from a NeXus/HDF5 file.

One file holds everything measured at one tape position *t*: the four
detector-frame stacks :math:`I_{h,m}^{(t)}` for photon helicity *h* and
magnetisation direction *m* (eq. 2.1 of the thesis), the scan position, the
integration time, the scan step and the beam size. The layout is
plain NeXus (``NX_class`` attributes on every group)::

    /                      NXroot   (default = entry)
    /entry                 NXentry  (title, start_time, default = data)
      instrument           NXinstrument
        source             NXsource  name, probe
        beam               NXbeam    size (2,) [X, Y] um
        detector           NXdetector
          data             (4, n_frames, H, W) counts, one block per (h, m)
          helicity         (4,) int8   h of each block
          magnetisation    (4,) int8   m of each block
          count_time       s, exposure of one frame
          integration_time s, integration per polarisation and repeat
          repeats          int
          pixel_mask       (H, W) uint32, NeXus bits (2 = dead, 8 = hot, ...)
          saturation_value full-scale count of the detector
      sample               NXsample  x_translation (um), x_step (um)
      data                 NXdata    signal = data (hard link)

:func:`thesis_lib.xmcd.writer.write_scan` writes this layout. Files laid out
differently are read through a *mapping* from the reader's fields to dataset
paths (or literal values), the ``fields`` of a layout description
(:mod:`thesis_lib.xmcd.layout`); see :data:`DEFAULT_MAPPING` and :func:`read_scan`.
Each block's frames are located as :class:`FramePiece` objects (a dataset, a
block index, a frame selection; across external links and data files) and
read a few at a time: :meth:`ScanFile.means` never holds a whole stack.

References
----------
.. [1] NeXus International Advisory Committee, "NeXus: a common data format for
   neutron, X-ray and muon science", base classes NXentry, NXdetector,
   NXsample, NXdata. https://manual.nexusformat.org/classes/base_classes/
.. [2] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, §2.1, §5.1.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
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
    UnitsError,
)

#: The four (helicity, magnetisation) combinations, in the order they are stored.
COMBINATIONS = ((1, 1), (-1, 1), (1, -1), (-1, -1))

#: NeXus ``pixel_mask`` bits (NXdetector): a pixel with any bit set is not used.
PIXEL_DEAD = 2
PIXEL_HOT = 8

#: Where :func:`~thesis_lib.xmcd.writer.write_scan` puts each field; a user mapping overrides entries.
DEFAULT_MAPPING = {
    "frames": "/entry/instrument/detector/data",
    "frame_axes": "cfyx",
    "helicity": "/entry/instrument/detector/helicity",
    "magnetisation": "/entry/instrument/detector/magnetisation",
    "position_um": "/entry/sample/x_translation",
    "integration_s": "/entry/instrument/detector/integration_time",
    "count_time_s": "/entry/instrument/detector/count_time",
    "repeats": "/entry/instrument/detector/repeats",
    "step_um": "/entry/sample/x_step",
    "beam_um": "/entry/instrument/beam/size",
    "pixel_mask": "/entry/instrument/detector/pixel_mask",
    "saturation_value": "/entry/instrument/detector/saturation_value",
}
_REQUIRED = ("frames", "position_um", "integration_s")
_TO_UM = {"um": 1.0, "µm": 1.0, "micron": 1.0, "microns": 1.0, "nm": 1e-3, "mm": 1e3, "m": 1e6}
_TO_S = {"s": 1.0, "sec": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}


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
        with _open(self.file) as h5:
            return self.read_open(h5, start, stop)

    def read_open(self, h5, start, stop):
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


@dataclass
class ScanFile:
    """One scan position: metadata read at once, frames read when asked for.

    Attributes
    ----------
    path : Path
        The NeXus file the metadata come from.
    position_um : float
        Scan (tape) position as recorded by the stage.
    integration_s : float
        Integration time per polarisation and repeat.
    frames : dict
        ``{(h, m): ndarray (n_frames, H, W) float64}``; read from disk on
        access (kept in memory only for files opened with :func:`read_scan`).
        Large acquisitions use :meth:`means` instead, which streams.
    valid : ndarray of bool, shape (H, W)
        Pixels usable in every frame: not flagged in ``pixel_mask``, below the
        detector's full scale in every frame, finite.
    pieces : dict
        ``{(h, m): [FramePiece, ...]}``, where each block's frames are stored.
    """

    path: Path
    position_um: float
    integration_s: float
    count_time_s: float | None = None
    repeats: int = 1
    step_um: float | None = None
    beam_um: tuple | None = None
    saturation_value: float | None = None
    frame_shape: tuple = ()
    mapping: dict = field(default_factory=dict, repr=False)
    nonfinite: str = field(default="raise", repr=False)
    pieces: dict = field(default_factory=dict, repr=False)
    dtypes: dict = field(default_factory=dict, repr=False)
    _frames: dict | None = field(default=None, repr=False)
    _valid: np.ndarray | None = field(default=None, repr=False)
    _means: dict | None = field(default=None, repr=False)

    @property
    def frames(self) -> dict:
        if self._frames is not None:
            return self._frames
        frames, valid = self._load()
        self._valid = valid
        return frames

    @property
    def valid(self) -> np.ndarray:
        if self._valid is None:
            self.means()
        return self._valid

    @property
    def n_frames(self) -> dict:
        """Frames averaged per block, ``{(h, m): n}``."""
        return {hm: shape[0] for hm, shape in self.frame_shape.items()}

    def means(self) -> dict:
        """Frame-averaged image of each block, ``{(h, m): (H, W) float64}``, read by streaming.

        Frames are read a few at a time and summed one by one in float64, so
        memory holds the four sums, never a whole stack; the valid-pixel map
        (:func:`pixel_validity`) is found in the same pass. Both are cached.
        """
        if self._means is None:
            if self._frames is not None:
                self._means = {hm: stack.mean(axis=0) for hm, stack in self._frames.items()}
            else:
                self._means, self._valid = self._stream()
        return self._means

    def release(self) -> None:
        """Forget the block means cached by :meth:`means` (read again when asked for).

        Frames kept in memory by :meth:`load` stay, with their valid map.
        """
        self._means = None
        if self._frames is None:
            self._valid = None

    def first_frame(self) -> np.ndarray:
        """The first stored frame of the (+1, +1) block, in its stored dtype."""
        return self.pieces[(1, 1)][0].read(0, 1)[0]

    def invalid_reasons(self) -> dict:
        """Boolean maps of why pixels are invalid: ``flagged`` (detector pixel mask),
        ``saturated`` (a frame at full scale), ``nonfinite``. A pixel may have several."""
        with _open(self.path) as h5:
            mask = _read_optional_array(h5, self.mapping.get("pixel_mask"))
        frames = self.frames
        shape = self.frame_shape[(1, 1)][1:]
        stacked = np.concatenate(list(frames.values()))
        with np.errstate(invalid="ignore"):
            saturated = (np.any(stacked >= self.saturation_value, axis=0)
                         if self.saturation_value is not None else np.zeros(shape, bool))
        return {"flagged": np.zeros(shape, bool) if mask is None else np.asarray(mask) != 0,
                "saturated": saturated, "nonfinite": ~np.all(np.isfinite(stacked), axis=0)}

    def load(self) -> ScanFile:
        """Read the frames now and keep them in memory; returns ``self``."""
        self._frames, self._valid = self._load()
        return self

    def _pixel_mask(self):
        with _open(self.path) as h5:
            return _read_optional_array(h5, self.mapping.get("pixel_mask"))

    def _load(self):
        frames = {hm: np.concatenate([p.read(0, p.n_frames) for p in self.pieces[hm]])
                  .astype(np.float64) for hm in COMBINATIONS}
        return frames, pixel_validity(frames, self.path, pixel_mask=self._pixel_mask(),
                                      saturation_value=self.saturation_value,
                                      nonfinite=self.nonfinite)

    def _stream(self):
        shape = self.frame_shape[(1, 1)][1:]
        checker = _Validity(shape, self.path, self._pixel_mask(), self.saturation_value,
                            self.nonfinite)
        means = {}
        for hm in COMBINATIONS:
            total, done = np.zeros(shape, np.float64), 0
            for piece in self.pieces[hm]:
                with _open(piece.file) as h5:
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
        return means, checker.valid


class _Validity:
    """Valid-pixel map built frame by frame (the rules of :func:`pixel_validity`)."""

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


def read_scan(path, mapping=None, *, load=True, nonfinite="raise", block_files=None) -> ScanFile:
    """Read one scan-position file.

    Parameters
    ----------
    path : str or Path
        NeXus/HDF5 file (for an Eiger-style master file, the master).
    mapping : dict, optional
        Overrides of :data:`DEFAULT_MAPPING` for files laid out differently
        (the ``fields`` of a layout, :mod:`thesis_lib.xmcd.layout`).
        ``"frames"`` is one dataset path whose axes are named by
        ``"frame_axes"`` (letters ``c`` block, ``f`` frame, ``y``, ``x``;
        ``f`` may be absent for single frames), a list of such paths (or a
        path with ``*``) concatenated along ``f``, or a dict
        ``{(h, m) or "+-"-style key: path}`` whose datasets have axes
        ``"frame_axes"`` without ``c``. With ``c``, ``"helicity"`` /
        ``"magnetisation"`` (paths or lists) label each block; without ``c``
        they label each frame (one stack in acquisition order). Scalar fields
        (``position_um``, ``integration_s``, ...) may be paths or literal
        numbers; a ``units`` attribute (mm, nm, ms, ...) is converted.
    load : bool
        Read the frames immediately (default) or on first access.
    nonfinite : {"raise", "mask"}
        NaN/inf values raise :class:`NonFiniteFrameError` or are marked invalid.
    block_files : dict, optional
        ``{(h, m): path}`` when each block is its own file (then ``"frames"``
        is the dataset path inside each of them); metadata come from ``path``.

    Returns
    -------
    ScanFile

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from thesis_lib.xmcd.writer import write_scan
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "scan_00000.nxs"
    >>> frames = {hm: np.full((2, 4, 4), 100.0 + 10 * hm[0] * hm[1]) for hm in COMBINATIONS}
    >>> _ = write_scan(p, frames, position_um=25.0, integration_s=6.0)
    >>> scan = read_scan(p)
    >>> scan.position_um, scan.frames[(1, 1)].shape, bool(scan.valid.all())
    (25.0, (2, 4, 4), True)
    """
    path = Path(path)
    unknown = sorted(set(mapping or {}) - set(DEFAULT_MAPPING))
    if unknown:
        raise ValueError(f"unknown mapping key(s) {unknown} for {path}; known keys: {sorted(DEFAULT_MAPPING)}")
    mapping = {**DEFAULT_MAPPING, **(mapping or {})}
    if nonfinite not in ("raise", "mask"):
        raise ValueError(f"nonfinite must be 'raise' or 'mask', not {nonfinite!r}")
    with _open(path) as h5:
        # frames of block files live in the other files; patterns are expanded later
        checked = [k for k in _REQUIRED if not (k == "frames" and block_files)]
        missing = [k for k in checked if isinstance(mapping[k], str) and "*" not in mapping[k]
                   and mapping[k] not in h5]
        if missing:
            raise MissingDatasetError(
                f"{path}: no dataset {', '.join(repr(mapping[k]) for k in missing)} "
                f"(needed for {', '.join(missing)}); name where this file keeps them in the "
                "layout's fields (or mapping={...})")
        pieces, shapes, dtypes = _frame_pieces(h5, mapping, path, block_files)
        beam = _read_optional_array(h5, mapping.get("beam_um"), _TO_UM)
        scan = ScanFile(
            path=path,
            position_um=float(_read_scalar(h5, mapping["position_um"], path, _TO_UM)),
            integration_s=float(_read_scalar(h5, mapping["integration_s"], path, _TO_S)),
            count_time_s=_read_optional_scalar(h5, mapping.get("count_time_s"), _TO_S),
            repeats=int(_read_optional_scalar(h5, mapping.get("repeats")) or 1),
            step_um=_read_optional_scalar(h5, mapping.get("step_um"), _TO_UM),
            beam_um=None if beam is None else tuple(float(b) for b in np.ravel(beam)),
            saturation_value=_read_optional_scalar(h5, mapping.get("saturation_value")),
            frame_shape=shapes, mapping=mapping, nonfinite=nonfinite, pieces=pieces,
            dtypes=dtypes)
    return scan.load() if load else scan


def pixel_validity(frames, path="<memory>", *, pixel_mask=None, saturation_value=None,
                   nonfinite="raise") -> np.ndarray:
    """Pixels usable in every frame of every stack of one file.

    A pixel is invalid when flagged in ``pixel_mask``, when any frame reaches
    ``saturation_value`` (the detector full scale: the true count is unknown),
    or when a value is NaN/inf (``nonfinite="mask"``; otherwise that raises).
    A frame without a single valid pixel raises :class:`InvalidFrameError`.

    Examples
    --------
    >>> import numpy as np
    >>> f = {hm: np.full((1, 2, 2), 10.0) for hm in COMBINATIONS}
    >>> f[(1, 1)][0, 0, 0] = 4095
    >>> pixel_validity(f, saturation_value=4095).astype(int).tolist()
    [[0, 1], [1, 1]]
    """
    shape = next(iter(frames.values())).shape[1:]
    checker = _Validity(shape, path, pixel_mask, saturation_value, nonfinite)
    for hm, stack in frames.items():
        for i, frame in enumerate(np.asarray(stack)):
            checker.add(hm, i, frame)
    return checker.valid


# -- helpers -----------------------------------------------------------------------------

def _open(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; check the path (a series is a folder of .nxs files)")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise CorruptFileError(
            f"{path}: cannot be opened as HDF5 ({exc}); the file is truncated or not NeXus/HDF5 - "
            "copy it again from the beamline storage or regenerate it") from exc


def _text(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def _unit_factor(ds, table):
    units = ds.attrs.get("units") if table is not None else None
    if units is None:
        return 1.0
    units = _text(units).strip()
    if units not in table:
        raise UnitsError(f"{ds.file.filename}: {ds.name} has units {units!r}, expected one of "
                         f"{sorted(table)}; fix the attribute or give a literal value in the "
                         "layout")
    return table[units]


def _read_scalar(h5, spec, path, table=None):
    if not isinstance(spec, str):
        return spec
    if spec not in h5:
        raise MissingDatasetError(f"{path}: no dataset {spec!r}; pass mapping={{...}} naming where it is")
    ds = h5[spec]
    return float(np.ravel(ds[()])[0]) * _unit_factor(ds, table)


def _read_optional_scalar(h5, spec, table=None):
    if spec is None or (isinstance(spec, str) and spec not in h5):
        return None
    return _read_scalar(h5, spec, h5.filename, table)


def _read_optional_array(h5, spec, table=None):
    if spec is None:
        return None
    if not isinstance(spec, str):
        return np.asarray(spec)
    if spec not in h5:
        return None
    ds = h5[spec]
    return np.asarray(ds[()]) * _unit_factor(ds, table) if table else np.asarray(ds[()])


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
    return dict(zip(axes, ds.shape))


def _piece(file, name, ds, axes, block=None, frames=None):
    # `name` is the path asked for: behind an external link ds.name is the target's path
    dims = _dims(ds, axes, file)
    n = dims.get("f", 1) if frames is None else len(frames)
    return FramePiece(Path(file), name, axes, block, frames, n), (dims["y"], dims["x"]), ds.dtype


def _frame_pieces(h5, mapping, path, block_files=None):
    """``({(h, m): [FramePiece]}, {(h, m): (n, H, W)}, {(h, m): dtype})`` of one scan."""
    spec, axes = mapping["frames"], mapping.get("frame_axes", "cfyx")
    found = {}      # hm -> list of (piece, (H, W), dtype)
    if block_files:
        for hm, bpath in block_files.items():
            with _open(bpath) as other:
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
        hel = _read_optional_array(h5, mapping.get("helicity"))
        mag = _read_optional_array(h5, mapping.get("magnetisation"))
        if hel is None or mag is None:
            raise MissingDatasetError(f"{path}: no helicity/magnetisation labels for the frames of "
                                      f"{spec}; name them in the layout (paths or lists)")
        hel, mag = np.ravel(hel).astype(int), np.ravel(mag).astype(int)
        if "c" in axes:
            for name, ds in zip(names, datasets):
                n_blocks = _dims(ds, axes, path)["c"]
                if len(hel) != n_blocks or len(mag) != n_blocks:
                    raise FrameShapeError(f"{path}: {n_blocks} blocks along c in {ds.name} but "
                                          f"{len(hel)} helicity / {len(mag)} magnetisation labels")
                for i, (h, m) in enumerate(zip(hel, mag)):
                    found.setdefault((int(h), int(m)), []).append(_piece(path, name, ds, axes,
                                                                         block=i))
        else:
            counts = [_dims(ds, axes, path).get("f", 1) for ds in datasets]
            if len(hel) != sum(counts) or len(mag) != sum(counts):
                raise FrameShapeError(
                    f"{path}: {sum(counts)} frames in {names} but {len(hel)} helicity and "
                    f"{len(mag)} magnetisation values; a stack needs one label of each per frame")
            offset = 0
            for name, ds, n in zip(names, datasets, counts):
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
            "difference needs all four - re-export the file or point the mapping at the missing stacks")
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

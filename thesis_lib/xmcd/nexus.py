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
Each block's frames are located as :class:`~.frames.FramePiece` objects (a dataset, a
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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import MissingDatasetError, UnitsError
from .frames import COMBINATIONS, Validity, frame_pieces, open_h5, stream_means

#: NeXus ``pixel_mask`` bits (NXdetector): a pixel with any bit set is not used.
PIXEL_DEAD = 2
PIXEL_HOT = 8

#: Where :func:`~thesis_lib.xmcd.writer.write_scan` puts each field; a user mapping
#: overrides entries.
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
        ``{(h, m): [FramePiece, ...]}`` (:mod:`.frames`), where each block's frames are
        stored.
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
        with open_h5(self.path) as h5:
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
        with open_h5(self.path) as h5:
            return _read_optional_array(h5, self.mapping.get("pixel_mask"))

    def _load(self):
        frames = {hm: np.concatenate([p.read(0, p.n_frames) for p in self.pieces[hm]])
                  .astype(np.float64) for hm in COMBINATIONS}
        return frames, pixel_validity(frames, self.path, pixel_mask=self._pixel_mask(),
                                      saturation_value=self.saturation_value,
                                      nonfinite=self.nonfinite)

    def _stream(self):
        shape = self.frame_shape[(1, 1)][1:]
        checker = Validity(shape, self.path, self._pixel_mask(), self.saturation_value,
                           self.nonfinite)
        return stream_means(self.pieces, shape, checker), checker.valid


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
    >>> from thesis_lib.xmcd.writer import Acquisition, write_scan
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "scan_00000.nxs"
    >>> frames = {hm: np.full((2, 4, 4), 100.0 + 10 * hm[0] * hm[1]) for hm in COMBINATIONS}
    >>> _ = write_scan(p, frames, position_um=25.0, acquisition=Acquisition(integration_s=6.0))
    >>> scan = read_scan(p)
    >>> scan.position_um, scan.frames[(1, 1)].shape, bool(scan.valid.all())
    (25.0, (2, 4, 4), True)
    """
    path = Path(path)
    unknown = sorted(set(mapping or {}) - set(DEFAULT_MAPPING))
    if unknown:
        raise ValueError(f"unknown mapping key(s) {unknown} for {path}; "
                         f"known keys: {sorted(DEFAULT_MAPPING)}")
    mapping = {**DEFAULT_MAPPING, **(mapping or {})}
    if nonfinite not in ("raise", "mask"):
        raise ValueError(f"nonfinite must be 'raise' or 'mask', not {nonfinite!r}")
    with open_h5(path) as h5:
        # frames of block files live in the other files; patterns are expanded later
        checked = [k for k in _REQUIRED if not (k == "frames" and block_files)]
        missing = [k for k in checked if isinstance(mapping[k], str) and "*" not in mapping[k]
                   and mapping[k] not in h5]
        if missing:
            raise MissingDatasetError(
                f"{path}: no dataset {', '.join(repr(mapping[k]) for k in missing)} "
                f"(needed for {', '.join(missing)}); name where this file keeps them in the "
                "layout's fields (or mapping={...})")
        labels = (_read_optional_array(h5, mapping.get("helicity")),
                  _read_optional_array(h5, mapping.get("magnetisation")))
        pieces, shapes, dtypes = frame_pieces(h5, mapping["frames"],
                                              mapping.get("frame_axes", "cfyx"), path,
                                              block_files=block_files, labels=labels)
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
    checker = Validity(shape, path, pixel_mask, saturation_value, nonfinite)
    for hm, stack in frames.items():
        for i, frame in enumerate(np.asarray(stack)):
            checker.add(hm, i, frame)
    return checker.valid


# -- helpers -----------------------------------------------------------------------------

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
        raise MissingDatasetError(f"{path}: no dataset {spec!r}; "
                                  f"pass mapping={{...}} naming where it is")
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

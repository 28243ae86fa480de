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
paths (or literal values); see :data:`DEFAULT_MAPPING` and :func:`read_scan`.

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

import h5py
import numpy as np

from .errors import (CorruptFileError, FrameShapeError, InvalidFrameError,
                     MissingCombinationError, MissingDatasetError, NonFiniteFrameError)

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


@dataclass
class ScanFile:
    """One scan position: metadata read at once, frames read when asked for.

    Attributes
    ----------
    path : Path
        The NeXus file.
    position_um : float
        Scan (tape) position as recorded by the stage.
    integration_s : float
        Integration time per polarisation and repeat.
    frames : dict
        ``{(h, m): ndarray (n_frames, H, W) float64}``; read from disk on
        access (kept in memory only for files opened with :func:`read_scan`).
    valid : ndarray of bool, shape (H, W)
        Pixels usable in every frame: not flagged in ``pixel_mask``, below the
        detector's full scale in every frame, finite.
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
    _frames: dict | None = field(default=None, repr=False)
    _valid: np.ndarray | None = field(default=None, repr=False)

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
            _, self._valid = self._load()
        return self._valid

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

    def load(self) -> "ScanFile":
        """Read the frames now and keep them in memory; returns ``self``."""
        self._frames, self._valid = self._load()
        return self

    def _load(self):
        with _open(self.path) as h5:
            frames = _read_frames(h5, self.mapping, self.path)
            mask = _read_optional_array(h5, self.mapping.get("pixel_mask"))
        return frames, pixel_validity(frames, self.path, pixel_mask=mask,
                                      saturation_value=self.saturation_value,
                                      nonfinite=self.nonfinite)


def read_scan(path, mapping=None, *, load=True, nonfinite="raise") -> ScanFile:
    """Read one scan-position file.

    Parameters
    ----------
    path : str or Path
        NeXus/HDF5 file.
    mapping : dict, optional
        Overrides of :data:`DEFAULT_MAPPING` for files laid out differently.
        ``"frames"`` is either one dataset path whose axes are named by
        ``"frame_axes"`` (letters ``c`` combination, ``f`` frame, ``y``, ``x``;
        ``f`` may be absent for single frames) with the (h, m) of each
        combination read from ``"helicity"``/``"magnetisation"`` (paths or
        lists), or a dict ``{(h, m) or "+-"-style key: path}`` whose datasets
        have axes ``"frame_axes"`` without ``c``. Scalar fields
        (``position_um``, ``integration_s``, ...) may be paths or literal
        numbers; a ``units`` attribute (mm, nm, ms, ...) is converted.
    load : bool
        Read the frames immediately (default) or on first access.
    nonfinite : {"raise", "mask"}
        NaN/inf values raise :class:`NonFiniteFrameError` or are marked invalid.

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
        missing = [k for k in _REQUIRED if isinstance(mapping[k], str) and mapping[k] not in h5]
        if missing:
            raise MissingDatasetError(
                f"{path}: no dataset {', '.join(repr(mapping[k]) for k in missing)} "
                f"(needed for {', '.join(missing)}); pass mapping={{...}} naming where this file keeps them")
        shapes = _frame_shapes(h5, mapping, path)
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
            frame_shape=shapes, mapping=mapping, nonfinite=nonfinite)
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
    base = np.ones(shape, bool) if pixel_mask is None else np.asarray(pixel_mask) == 0
    valid = base.copy()
    for hm, stack in frames.items():
        finite = np.isfinite(stack)
        if not finite.all():
            if nonfinite == "raise":
                bad = sorted({int(i) for i in np.nonzero(~finite.all(axis=(1, 2)))[0]})
                raise NonFiniteFrameError(
                    f"{path}: (h, m) = {hm} frames {bad} hold NaN/inf values; re-export the file, "
                    "or read it with nonfinite='mask' to treat those pixels as invalid")
        ok = finite & base
        if saturation_value is not None:
            with np.errstate(invalid="ignore"):
                ok &= stack < saturation_value
        empty = np.nonzero(~ok.any(axis=(1, 2)))[0]
        if empty.size:
            raise InvalidFrameError(
                f"{path}: (h, m) = {hm} frame {int(empty[0])} has no valid pixel (all saturated, "
                "dead, masked or non-finite); drop that file from the series or re-acquire it")
        valid &= ok.all(axis=0)
    return valid


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
        raise MissingDatasetError(f"{ds.file.filename}: {ds.name} has units {units!r}, expected one of "
                                  f"{sorted(table)}; fix the attribute or pass a literal value in mapping")
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


def _combination_key(key):
    """Accept (h, m) tuples or strings such as '+-', '+1,-1'."""
    if isinstance(key, str):
        signs = [1 if c == "+" else -1 for c in key if c in "+-"]
        key = tuple(signs)
    key = tuple(int(v) for v in key)
    if len(key) != 2 or any(v not in (-1, 1) for v in key):
        raise ValueError(f"frame mapping key {key!r} is not an (h, m) pair with h, m in {{+1, -1}}")
    return key


def _frame_sources(h5, mapping, path):
    """``{(h, m): (dataset, index or None, axes)}`` for the four combinations."""
    spec, axes = mapping["frames"], mapping.get("frame_axes", "cfyx")
    sources = {}
    if isinstance(spec, dict):
        axes = axes.replace("c", "")
        for key, dpath in spec.items():
            if dpath not in h5:
                raise MissingDatasetError(f"{path}: no dataset {dpath!r} for (h, m) = {key}; fix the mapping")
            sources[_combination_key(key)] = (h5[dpath], None, axes)
    else:
        ds = h5[spec]
        if ds.ndim != len(axes) or "c" not in axes:
            raise FrameShapeError(f"{path}: {spec} has shape {ds.shape} but frame_axes={axes!r}; "
                                  "give frame_axes with one letter per axis (c, f, y, x)")
        hel = _read_optional_array(h5, mapping.get("helicity"))
        mag = _read_optional_array(h5, mapping.get("magnetisation"))
        if hel is None or mag is None:
            raise MissingDatasetError(f"{path}: no helicity/magnetisation labels for the blocks of {spec}; "
                                      "name them in the mapping (paths or lists)")
        for i, (h, m) in enumerate(zip(np.ravel(hel), np.ravel(mag))):
            sources[(int(h), int(m))] = (ds, i, axes)
    missing = [hm for hm in COMBINATIONS if hm not in sources]
    if missing:
        raise MissingCombinationError(
            f"{path}: no frame stack for (h, m) = {missing} (found {sorted(sources)}); the double "
            "difference needs all four - re-export the file or point the mapping at the missing stacks")
    return sources


def _frame_shapes(h5, mapping, path):
    shapes = {}
    for hm, (ds, idx, axes) in _frame_sources(h5, mapping, path).items():
        dims = dict(zip(axes, ds.shape))
        shapes[hm] = (dims.get("f", 1), dims["y"], dims["x"])
    if len({s[1:] for s in shapes.values()}) != 1:
        raise FrameShapeError(f"{path}: the (h, m) stacks have different frame shapes {shapes}; "
                              "all frames of one file must come from one detector region")
    return shapes


def _read_frames(h5, mapping, path):
    _frame_shapes(h5, mapping, path)
    frames = {}
    for hm, (ds, idx, axes) in _frame_sources(h5, mapping, path).items():
        arr = np.asarray(ds[()] if idx is None else ds[(slice(None),) * axes.index("c") + (idx,)])
        ax = axes.replace("c", "")
        if "f" not in ax:
            arr, ax = arr[None], "f" + ax
        frames[hm] = np.ascontiguousarray(np.transpose(arr, [ax.index(a) for a in "fyx"]), dtype=np.float64)
    return {hm: frames[hm] for hm in COMBINATIONS}

"""Writing one XMCD scan position in the NeXus layout of :mod:`thesis_lib.xmcd.nexus`.

The file is written under a temporary name and renamed when complete, so a
reader (or a re-run that skips finished files) never sees half a file. No
wall-clock time is stored unless given, so equal inputs give equal bytes.

References
----------
.. [1] NeXus International Advisory Committee, "NeXus: a common data format for
   neutron, X-ray and muon science", base classes NXentry, NXdetector,
   NXsample, NXdata. https://manual.nexusformat.org/classes/base_classes/
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from thesis_lib.provenance import atomic_path

from .errors import FrameShapeError, MissingCombinationError
from .frames import COMBINATIONS, open_h5
from .nexus import _text


@dataclass(frozen=True)
class Acquisition:
    """How a series was acquired: what the beamline records beside every scan position.

    Attributes
    ----------
    integration_s : float
        Integration time per polarisation (s).
    count_time_s : float, optional
        Exposure of one detector frame (s), when an integration is read out as
        several frames.
    repeats : int
        Acquisitions per position.
    step_um : float, optional
        Nominal step between scan positions (um).
    beam_um : (float, float), optional
        Beam full width at half maximum, X and Y (um).
    """

    integration_s: float
    count_time_s: float | None = None
    repeats: int = 1
    step_um: float | None = None
    beam_um: tuple | None = None


def write_scan(path, frames, *, position_um, acquisition: Acquisition, pixel_mask=None,
               saturation_value=None, dtype=None, title="XMCD scan position", start_time=None,
               compression=None) -> Path:
    """Write one scan position in the layout of this module (atomically).

    Parameters
    ----------
    path : str or Path
        Output file; written under a temporary name, then renamed.
    frames : dict
        ``{(h, m): array (n_frames, H, W)}`` for the four combinations.
    position_um : float
        Sample position of this scan (um), as recorded by the beamline.
    acquisition : Acquisition
        Integration, frame exposure, repeats, nominal step and beam of the series.
    pixel_mask : ndarray (H, W), optional
        NeXus pixel-mask bits; zero means a good pixel.
    saturation_value : float, optional
        Detector full scale; pixels at or above it are flagged on reading.
    dtype : numpy dtype, optional
        Storage type of the frames (default: that of the arrays).
    title, start_time : str, optional
        ``/entry/title``; ``/entry/start_time`` (not written when None, so equal
        inputs give equal bytes).
    compression : str, optional
        h5py compression filter (e.g. ``"gzip"``), with byte shuffling.

    Returns
    -------
    Path
    """
    path = Path(path)
    missing = [hm for hm in COMBINATIONS if hm not in frames]
    if missing:
        raise MissingCombinationError(f"cannot write {path}: no frames for (h, m) = {missing}; "
                                      "give all four helicity/magnetisation stacks")
    stacks = [np.asarray(frames[hm]) for hm in COMBINATIONS]
    if len({s.shape for s in stacks}) != 1 or stacks[0].ndim != 3:
        raise FrameShapeError(f"cannot write {path}: the four stacks must share one "
                              f"(n_frames, H, W) shape, got {[s.shape for s in stacks]}")
    data = np.stack(stacks).astype(dtype or stacks[0].dtype, copy=False)
    filters = {"compression": compression, "shuffle": True} if compression else {}
    acq = acquisition
    with atomic_path(path) as tmp, h5py.File(tmp, "w", track_order=True) as h5:
        h5.attrs.update({"NX_class": "NXroot", "default": "entry", "creator": "thesis_lib.xmcd"})
        entry = _group(h5, "entry", "NXentry", default="data")
        entry["title"] = title
        if start_time is not None:
            entry["start_time"] = start_time
        inst = _group(entry, "instrument", "NXinstrument")
        src = _group(inst, "source", "NXsource")
        src["name"], src["probe"] = "synchrotron", "x-ray"
        if acq.beam_um is not None:
            _field(_group(inst, "beam", "NXbeam"), "size", np.asarray(acq.beam_um, float), "um")
        det = _group(inst, "detector", "NXdetector")
        det.create_dataset("data", data=data, chunks=(1, 1) + data.shape[2:], **filters)
        det["data"].attrs["units"] = "counts"
        det["helicity"] = np.array([h for h, _ in COMBINATIONS], np.int8)
        det["magnetisation"] = np.array([m for _, m in COMBINATIONS], np.int8)
        _field(det, "integration_time", float(acq.integration_s), "s")
        if acq.count_time_s is not None:
            _field(det, "count_time", float(acq.count_time_s), "s")
        det["repeats"] = int(acq.repeats)
        if pixel_mask is not None:
            det["pixel_mask"] = np.asarray(pixel_mask, np.uint32)
        if saturation_value is not None:
            det["saturation_value"] = saturation_value
        sample = _group(entry, "sample", "NXsample")
        _field(sample, "x_translation", float(position_um), "um")
        if acq.step_um is not None:
            _field(sample, "x_step", float(acq.step_um), "um")
        nxdata = _group(entry, "data", "NXdata", signal="data")
        nxdata.attrs["axes"] = ["helicity", ".", ".", "."]
        nxdata.attrs["helicity_indices"] = 0
        nxdata["data"], nxdata["helicity"] = det["data"], det["helicity"]
    return path


def nexus_tree(path) -> list[str]:
    """One line per group/dataset of a file: path, NX_class or shape/dtype, units.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from thesis_lib.xmcd.nexus import COMBINATIONS
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.nxs"
    >>> _ = write_scan(p, {hm: np.zeros((1, 2, 2)) + 1 for hm in COMBINATIONS},
    ...                position_um=0.0, acquisition=Acquisition(integration_s=2.0))
    >>> nexus_tree(p)[1]
    '/entry  [NXentry]'
    """
    lines = [f"{Path(path).name}  [NXroot]"]

    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            lines.append(f"/{name}  [{_text(obj.attrs.get('NX_class', 'group'))}]")
        else:
            units = obj.attrs.get("units")
            value = f" = {_text(obj[()])}" if obj.size == 1 else ""
            unit_txt = f" {_text(units)}" if units is not None else ""
            lines.append(f"/{name}  {obj.shape} {obj.dtype}{value}{unit_txt}")

    with open_h5(path) as h5:
        h5.visititems(visit)
    return lines


def _group(parent, name, nx_class, **attrs):
    grp = parent.create_group(name, track_order=True)
    grp.attrs["NX_class"] = nx_class
    grp.attrs.update(attrs)
    return grp


def _field(group, name, value, units):
    group[name] = value
    group[name].attrs["units"] = units

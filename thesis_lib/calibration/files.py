"""``calib.json``: a calibration of one waveform file, written once and reused.

:func:`write_calibration` reads the two inputs a calibration is allowed
(``waveform.npz`` and ``series.yml``), runs :func:`~.search.calibrate` and
writes the summary with both score surfaces atomically. The file records the
SHA-256 of both inputs and the search settings; a re-run with the same inputs
and settings returns the existing file without recomputing.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from thesis_lib._digest import file_sha256
from thesis_lib.provenance import write_json_atomic

from .inputs import SeriesMeta, load_series_meta, load_waveform
from .search import calibrate

#: Bump when the results change for equal inputs (invalidates stored calibrations).
FORMAT = "thesis_lib.calibration/4"


def _meta_file(path) -> Path:
    path = Path(path)
    return path / "series.yml" if path.is_dir() else path


def read_series_meta(series_meta, layout=None) -> tuple:
    """The experiment log of a calibration, and what identifies it in ``calib.json``.

    Without a layout (or one without a ``series`` section) this is
    :func:`~.inputs.load_series_meta` of ``series.yml``. A layout's ``series``
    section (:mod:`thesis_lib.xmcd.layout`) supplies the keys for a folder
    copied from the beamline without a ``series.yml``; where one exists its
    values win.

    Returns
    -------
    meta : SeriesMeta
    identity : dict
        The file(s) the log came from and their SHA-256 (or the layout's values).
    """
    from thesis_lib.xmcd.layout import as_layout

    lay = as_layout(layout)
    yml = _meta_file(series_meta)
    if not lay.series:
        return load_series_meta(series_meta), {"series_meta": str(yml.resolve()),
                                               "series_meta_sha256": file_sha256(yml)}
    doc = dict(lay.series)
    identity = {"layout_series": json.loads(json.dumps(doc, default=str))}
    if yml.is_file():
        loaded = yaml.safe_load(yml.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{yml}: expected a mapping of keys to values")
        doc.update(loaded)
        identity.update(series_meta=str(yml.resolve()), series_meta_sha256=file_sha256(yml))
    return SeriesMeta.from_dict(doc, source=f"{yml} + `series` of {lay.name}"), identity


def write_calibration(waveform, series_meta, out, *, overwrite: bool = False, progress=None,
                      layout=None, **settings) -> Path:
    """Calibrate the waveform in ``waveform`` against the log ``series_meta``; write ``out``.

    Parameters
    ----------
    waveform : path
        ``.npz`` with the measured waveform ``s``.
    series_meta : path
        ``series.yml`` of the series (or the folder holding it).
    out : path
        The ``calib.json`` to write.
    overwrite : bool
        Recompute even when ``out`` holds this exact calibration.
    layout : Layout or path, optional
        A layout whose ``series`` section stands in for a missing ``series.yml``
        (:func:`read_series_meta`).
    **settings
        Keyword arguments of :func:`~.search.calibrate` (JSON-serialisable values).

    Returns
    -------
    Path of ``out``.
    """
    out = Path(out)
    y = load_waveform(waveform)
    meta, identity = read_series_meta(series_meta, layout)
    inputs = {"waveform": str(Path(waveform).resolve()), "waveform_sha256": file_sha256(waveform),
              **identity, "settings": json.loads(json.dumps(settings, default=str))}
    if out.is_file() and not overwrite:
        try:
            old = json.loads(out.read_text())
        except json.JSONDecodeError:
            old = {}
        if old.get("format") == FORMAT and old.get("inputs") == inputs:
            return out
    cal = calibrate(y, meta, progress=progress, **settings)
    return write_json_atomic(out, {"format": FORMAT, **cal.to_dict(), "inputs": inputs})

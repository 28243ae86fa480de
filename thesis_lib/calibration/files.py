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
from .search import SearchSettings, calibrate

#: Bump when the results change for equal inputs (invalidates stored calibrations).
FORMAT = "thesis_lib.calibration/6"   # 6: effective samples by the initial positive sequence


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
                      layout=None, search: SearchSettings | None = None, seed: int = 0) -> Path:
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
    search : SearchSettings, optional
        Grids and options of the search (default :class:`~.search.SearchSettings`).
    seed : int
        Seed of the simulated tape noise.

    Returns
    -------
    Path of ``out``.
    """
    out = Path(out)
    y = load_waveform(waveform)
    meta, identity = read_series_meta(series_meta, layout)
    search = search or SearchSettings()
    settings = {**search.to_dict(), "seed": int(seed)}
    inputs = {"waveform": str(Path(waveform).resolve()), "waveform_sha256": file_sha256(waveform),
              **identity, "settings": json.loads(json.dumps(settings, default=str))}
    if out.is_file() and not overwrite:
        try:
            old = json.loads(out.read_text())
        except json.JSONDecodeError:
            old = {}
        if old.get("format") == FORMAT and old.get("inputs") == inputs:
            return out
    cal = calibrate(y, meta, search=search, seed=seed, progress=progress)
    return write_json_atomic(out, {"format": FORMAT, **cal.to_dict(), "inputs": inputs})


def parameter_lines(doc) -> list:
    """One line per calibrated parameter of a ``calib.json``: the fit and its 95 % interval, or
    "not identified" (never a nominal value).

    Examples
    --------
    >>> doc = {"step_um": 25.1, "step_identified": True, "step_interval_um": [25.0, 25.2],
    ...        "beam_fwhm_um": None, "beam_identified": False, "beam_source": "not identified",
    ...        "beam_interval_um": [8.0, 80.0]}
    >>> print("\\n".join(parameter_lines(doc)))
    step: 25.10 µm (95 % interval 25.00-25.20 µm)
    beam FWHM: not identified (95 % interval 8.0-80.0 µm, the whole search)
    """
    lo, hi = doc["step_interval_um"]
    step = (f"{doc['step_um']:.2f} µm" if doc["step_identified"]
            else f"not identified (best {doc['step_um']:.2f} µm)")
    lines = [f"step: {step} (95 % interval {lo:.2f}-{hi:.2f} µm)"]
    lo, hi = doc["beam_interval_um"]
    if doc["beam_identified"]:
        lines.append(f"beam FWHM: {doc['beam_fwhm_um']:.1f} µm from the {doc['beam_source']} "
                     f"(95 % interval {lo:.1f}-{hi:.1f} µm)")
    else:
        lines.append(f"beam FWHM: not identified (95 % interval {lo:.1f}-{hi:.1f} µm, "
                     "the whole search)")
    return lines


def describe_beam(doc) -> str:
    """The beam of a ``calib.json`` for a table cell: the fit, its route and 95 % interval, or
    "not identified" with the interval (the whole search).

    Examples
    --------
    >>> describe_beam({"beam_identified": True, "beam_fwhm_um": 31.96, "beam_source": "tone",
    ...                "beam_interval_um": [31.2, 32.9]})
    '32.0 µm (tone; 95 % 31.2–32.9 µm)'
    >>> describe_beam({"beam_identified": False, "beam_fwhm_um": None,
    ...                "beam_source": "not identified", "beam_interval_um": [8.0, 80.0]})
    'not identified (95 % 8–80 µm)'
    """
    lo, hi = doc["beam_interval_um"]
    if doc["beam_identified"]:
        return (f"{doc['beam_fwhm_um']:.1f} µm ({doc['beam_source']}; "
                f"95 % {lo:.1f}–{hi:.1f} µm)")
    return f"not identified (95 % {lo:g}–{hi:g} µm)"

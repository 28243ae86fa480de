"""A scan series: a folder of per-position NeXus files plus a small ``series.yml``.

``series.yml`` holds only what the experiment log records (nominal step, tape
speed, integration, repeats, nominal beam, test-tone frequency); everything
else is read from the files. Files are taken in natural filename order
(``scan_2`` before ``scan_10``), which is scan order for the files written by
:mod:`thesis_lib.xmcd.phantom` and for the usual beamline numbering.

:func:`describe_series` rebuilds a row of the thesis's Table 5.2 from the files
themselves: the signal length in cycles is (number of positions × step) /
(tape speed / tone frequency).

References
----------
.. [1] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, §5.6, Table 5.2.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from thesis_lib.provenance import atomic_path

from .errors import FrameShapeError, SeriesLayoutError
from .frames import natural_key
from .layout import NEXUS_SUFFIXES, as_layout
from .nexus import ScanFile, read_scan

SERIES_FILE = "series.yml"
#: Keys of ``series.yml`` that :func:`describe_series` needs.
REQUIRED_META = ("tape_speed_m_s", "test_tone_hz")


@dataclass
class Series:
    """The files of one scan series in scan order, with the ``series.yml`` metadata."""

    path: Path
    meta: dict
    files: list = field(default_factory=list)

    def __len__(self):
        return len(self.files)

    @property
    def positions_um(self) -> np.ndarray:
        return np.array([f.position_um for f in self.files])


def read_series(path, layout=None, *, nonfinite="raise", meta=None) -> Series:
    """Open a series folder; frames are read lazily, file by file.

    Parameters
    ----------
    path : str or Path
        Folder with one NeXus file per scan position (or, with a layout's
        ``blocks``, one file per block and position) and ``series.yml``.
    layout : Layout, str, Path or dict, optional
        How the files are laid out (:mod:`thesis_lib.xmcd.layout`): a
        :class:`~thesis_lib.xmcd.layout.Layout`, a layout YAML file, or a
        dict of field overrides (as ``mapping`` of
        :func:`~thesis_lib.xmcd.nexus.read_scan`). Default: our own layout.
    nonfinite : {"raise", "mask"}
    meta : dict, optional
        Metadata to use when the folder has no ``series.yml`` (real data
        copied without one); the layout's ``series`` section serves the same
        purpose.

    Returns
    -------
    Series

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from thesis_lib.xmcd import Acquisition, write_scan, COMBINATIONS
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for t in range(3):
    ...     _ = write_scan(d / f"scan_{t}.nxs", {hm: np.ones((1, 4, 4)) for hm in COMBINATIONS},
    ...                    position_um=25.0 * t,
    ...                    acquisition=Acquisition(integration_s=6.0, step_um=25.0))
    >>> _ = write_series_yml(d, {"tape_speed_m_s": 0.381, "test_tone_hz": 261.0})
    >>> read_series(d).positions_um.tolist()
    [0.0, 25.0, 50.0]
    """
    path = Path(path)
    layout = as_layout(layout)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: not a folder; a series is a folder of NeXus files "
                                f"with a {SERIES_FILE}")
    yml = path / SERIES_FILE
    found = dict(layout.series)
    if yml.exists():
        loaded = yaml.safe_load(yml.read_text()) or {}
        if not isinstance(loaded, dict):
            raise SeriesLayoutError(f"{yml}: expected a mapping of keys to values; see "
                                    "thesis_lib.xmcd.series for the keys")
        found.update(loaded)
    elif meta is None and not found:
        raise SeriesLayoutError(f"{path}: no {SERIES_FILE}; write one with tape_speed_m_s, "
                                "test_tone_hz, step_um, integration_s, repeats, beam_um (or pass "
                                "meta={...}, or give them under `series` in the layout)")
    meta = {**found, **(meta or {})}
    names = layout.scan_files(path)
    if not names:
        wanted = layout.files or ", ".join(NEXUS_SUFFIXES)
        raise SeriesLayoutError(f"{path}: no NeXus files ({wanted}); point at the folder that "
                                f"holds the scan files, or fix `files` in {layout.name}")
    files = [read_scan(p, layout.mapping, load=False, nonfinite=nonfinite, block_files=blocks)
             for p, blocks in names]
    detector = {f.frame_shape[(1, 1)][1:] for f in files}
    if len(detector) > 1:
        odd = [f.path.name for f in files
               if f.frame_shape[(1, 1)][1:] != files[0].frame_shape[(1, 1)][1:]]
        raise FrameShapeError(f"{path}: files disagree in detector shape {sorted(detector)} "
                              f"(e.g. {odd[:3]}); a series must use one detector region - move "
                              "the odd files out")
    return Series(path=path, meta=meta, files=files)


def write_series_yml(folder, meta: dict) -> Path:
    """Write ``series.yml`` (atomically) with the given experiment-log fields."""
    target = Path(folder) / SERIES_FILE
    with atomic_path(target) as tmp:
        tmp.write_text(yaml.safe_dump(_plain(meta), sort_keys=False, allow_unicode=True))
    return target


def series_digest(path) -> str:
    """SHA-256 over the names and bytes of a series folder's NeXus files and ``series.yml``.

    Identifies the data a run used (the phantom is deterministic, so equal
    settings give equal digests); hidden files and ground truth are left out.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_series_yml(d, {"step_um": 25.0})
    >>> series_digest(d) == series_digest(d), len(series_digest(d))
    (True, 64)
    """
    path = Path(path)
    digest = hashlib.sha256()
    names = sorted((p for p in path.iterdir()
                    if (p.suffix in NEXUS_SUFFIXES or p.name == SERIES_FILE)
                    and not p.name.startswith(".")), key=natural_key)
    for p in names:
        digest.update(p.name.encode() + b"\0")
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def signal_cycles(n_positions, step_um, tape_speed_m_s, tone_hz) -> float:
    """Cycles of a tone spanned by ``n_positions`` scan steps on the tape.

    Examples
    --------
    >>> round(signal_cycles(175, 25.0, 0.381, 261.0), 3)     # 4375 um / 1459.8 um
    2.997
    """
    wavelength_um = tape_speed_m_s * 1e6 / tone_hz
    return n_positions * step_um / wavelength_um


def describe_series(series: Series) -> dict:
    """One row of Table 5.2 rebuilt from the files of ``series``.

    Integration, repeats, step and beam come from the NeXus files (they must
    agree across files); tape speed and tone frequency from ``series.yml``. The
    signal length is rounded to half cycles, as the thesis reports it.
    """
    missing = [k for k in REQUIRED_META if k not in series.meta]
    if missing:
        raise SeriesLayoutError(f"{series.path / SERIES_FILE}: missing {missing}; "
                                "add them from the experiment log (tape speed in m/s, "
                                "test tone in Hz)")
    first = series.files[0]
    integ = _agreed(series, "integration_s")
    repeats = int(_agreed(series, "repeats"))
    step = (first.step_um if first.step_um is not None
            else float(np.median(np.diff(series.positions_um))))
    beam = first.beam_um or tuple(series.meta.get("beam_um", (np.nan, np.nan)))
    n_pol = len({h for h, _ in first.frame_shape})
    cycles = signal_cycles(len(series), step, series.meta["tape_speed_m_s"],
                           series.meta["test_tone_hz"])
    integration = f"{integ:g} s × {n_pol} pol" + (f" × {repeats} repeats" if repeats > 1 else "")
    return {
        "experiment": series.meta.get("experiment", series.path.name),
        "measured_signal": (f"{series.meta['test_tone_hz']:g} Hz "
                            f"{series.meta.get('signal', 'sine')}"),
        "integration": integration,
        "step_size": f"{step:g} um",
        "beam_size": f"{beam[0]:g} um × {beam[1]:g} um",
        "signal_length": f"{np.round(cycles * 2) / 2:g} cycles",
        "n_files": len(series),
        "cycles_exact": cycles,
    }


def _agreed(series, attr):
    values = {getattr(f, attr) for f in series.files}
    if len(values) != 1:
        raise SeriesLayoutError(f"{series.path}: files disagree on {attr} ({sorted(values)}); "
                                "split the folder into one series per setting")
    return values.pop()


def _plain(obj):
    """Turn numpy scalars/arrays and tuples into plain YAML types."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


__all__ = ["Series", "ScanFile", "read_series", "write_series_yml", "describe_series",
           "signal_cycles", "series_digest"]

"""One check of a whole series before a long job (``thesis xmcd check``).

Every file's metadata and one frame of each are read; problems are collected,
not raised one at a time, so that one table names every bad file at once:

* ``files``: the layout finds no scan file, or a block file is missing;
* ``datasets``: a dataset the layout names is absent (or an external link
  points at a missing data file), or the file cannot be opened;
* ``units``: a ``units`` attribute the reader does not convert;
* ``shape`` / ``dtype``: a file whose detector shape or stored type differs
  from the rest of the series (or whose blocks differ among themselves);
* ``frame``: a first frame with NaN/inf values or with every pixel zero;
* ``positions``: duplicated or non-monotonic scan positions;
* ``step``: the recorded step disagrees with the spacing of the positions
  (by more than :data:`STEP_TOLERANCE`).

``thesis mask`` and ``thesis extract`` run the same checks first
(:func:`require_clean`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import (
    CorruptFileError,
    FrameShapeError,
    MissingCombinationError,
    SeriesLayoutError,
    UnitsError,
    XMCDDataError,
)
from .layout import as_layout
from .nexus import read_scan

#: Largest relative difference between the recorded step and the median spacing of positions.
STEP_TOLERANCE = 0.05
CHECKS = ("files", "datasets", "units", "shape", "dtype", "frame", "positions", "step")


@dataclass
class CheckReport:
    """Findings of :func:`check_series`: rows ``(check, status, where, detail)``."""

    path: Path
    rows: list = field(default_factory=list)
    n_files: int = 0

    @property
    def errors(self) -> list:
        return [r for r in self.rows if r[1] == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def table(self) -> str:
        """The findings as one aligned text table (a row ``ok`` for each clean check)."""
        failed = {r[0] for r in self.rows}
        rows = [("check", "status", "where", "detail")]
        for check in CHECKS:
            if check in failed:
                rows += [r for r in self.rows if r[0] == check]
            else:
                rows.append((check, "ok", "-", f"{self.n_files} files" if check == "files" else ""))
        widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
        return "\n".join("  ".join(str(r[i]).ljust(widths[i]) for i in range(3)) + "  " + str(r[3])
                         for r in rows).rstrip()

    def summary(self) -> str:
        """One line: how many problems, and the first one."""
        first = self.errors[0]
        return (f"{self.path}: {len(self.errors)} problem(s) found before starting, first: "
                f"{first[0]} {first[2]}: {first[3]}; run `thesis xmcd check {self.path}` "
                "(with the same --layout) for the whole table")


def check_series(path, layout=None) -> CheckReport:
    """Check a series folder (or a single scan file) without processing it.

    Parameters
    ----------
    path : str or Path
        Series folder, or one scan file.
    layout : Layout, YAML path or dict, optional
        See :mod:`thesis_lib.xmcd.layout`.

    Returns
    -------
    CheckReport
    """
    path = Path(path)
    layout = as_layout(layout)
    report = CheckReport(path=path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder; give a series folder or a "
                                "scan file")
    try:
        groups = layout.scan_files(path) if path.is_dir() else [(path, None)]
    except SeriesLayoutError as exc:
        report.rows.append(("files", "error", path.name, str(exc)))
        return report
    if not groups:
        report.rows.append(("files", "error", path.name,
                            f"no scan files match {layout.files or 'the NeXus suffixes'}"))
        return report
    report.n_files = len(groups)
    scans = []
    for first, blocks in groups:
        scan = _read_one(report, first, blocks, layout)
        if scan is not None:
            scans.append(scan)
    _consistency(report, scans)
    _positions(report, scans)
    return report


def require_clean(path, layout=None) -> CheckReport:
    """Run :func:`check_series` and raise one :class:`XMCDDataError` line if it found errors."""
    report = check_series(path, layout)
    if not report.ok:
        raise XMCDDataError(report.summary())
    return report


def _read_one(report, first, blocks, layout):
    name = first.name
    try:
        scan = read_scan(first, layout.mapping, load=False, block_files=blocks)
    except UnitsError as exc:
        report.rows.append(("units", "error", name, _short(exc, first)))
        return None
    except (FrameShapeError, MissingCombinationError) as exc:
        report.rows.append(("shape", "error", name, _short(exc, first)))
        return None
    except (XMCDDataError, FileNotFoundError, CorruptFileError) as exc:
        report.rows.append(("datasets", "error", name, _short(exc, first)))
        return None
    try:
        frame = np.asarray(scan.first_frame(), dtype=np.float64)
    except (OSError, KeyError) as exc:      # a compression filter or data file missing
        report.rows.append(("frame", "error", name, f"first frame cannot be read ({exc})"))
        return scan
    bad = int(np.count_nonzero(~np.isfinite(frame)))
    if bad:
        _error(report, "frame", name, f"first (+1, +1) frame has {bad} NaN/inf pixels")
    elif not np.any(frame):
        report.rows.append(("frame", "error", name, "first (+1, +1) frame is all zeros"))
    return scan


def _consistency(report, scans):
    if not scans:
        return
    shapes = Counter(s.frame_shape[(1, 1)][1:] for s in scans)
    usual = shapes.most_common(1)[0][0]
    for s in scans:
        if s.frame_shape[(1, 1)][1:] != usual:
            _error(report, "shape", s.path.name,
                   f"detector {s.frame_shape[(1, 1)][1:]}, the other files {usual}")
    kinds = {s.path: tuple(sorted({d for v in s.dtypes.values() for d in v})) for s in scans}
    usual_kind = Counter(kinds.values()).most_common(1)[0][0]
    for s in scans:
        if len(kinds[s.path]) > 1:
            _error(report, "dtype", s.path.name,
                   f"blocks stored as different types {list(kinds[s.path])}")
        elif kinds[s.path] != usual_kind:
            _error(report, "dtype", s.path.name,
                   f"frames stored as {kinds[s.path][0]}, the other files {usual_kind[0]}")


def _positions(report, scans):
    if len(scans) < 2:
        return
    pos = np.array([s.position_um for s in scans])
    names = [s.path.name for s in scans]
    values, counts = np.unique(pos, return_counts=True)
    for v in values[counts > 1]:
        same = [n for n, p in zip(names, pos, strict=True) if p == v]
        report.rows.append(("positions", "error", ", ".join(same), f"duplicated position {v:g} um"))
    diffs = np.diff(pos)
    sign = np.sign(np.median(diffs)) or 1.0
    wrong = np.nonzero(diffs * sign < 0)[0]
    if wrong.size:
        i = int(wrong[0])
        _error(report, "positions", names[i + 1],
               f"position {pos[i + 1]:g} um after {pos[i]:g} um ({names[i]}): not monotonic "
               f"({wrong.size} reversal(s)) - check the file order")
    steps = {s.step_um for s in scans if s.step_um is not None}
    spacing = float(np.median(np.abs(diffs))) if diffs.size else 0.0
    for step in sorted(steps):
        if step <= 0 or abs(spacing - step) > STEP_TOLERANCE * step:
            _error(report, "step", "series",
                   f"recorded step {step:g} um but the positions are {spacing:g} um apart (median)")


def _error(report, check, where, detail):
    report.rows.append((check, "error", where, detail))


def _short(exc, path):
    """The error text without a leading repetition of the file path."""
    text = str(exc)
    prefix = f"{path}: "
    return text.removeprefix(prefix)

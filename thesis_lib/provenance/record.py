"""Run records: what produced a result, so that any number can be traced back.

A :class:`RunRecord` captures the git commit and whether the tree was dirty,
the parameters and seeds, versions of the packages that shape the numbers, the
host and the wall time. :func:`write_results` stores a chapter's values together
with its record as ``<results_dir>/<chapter>.json`` (atomically).
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as _md
import json
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from thesis_lib import __version__

from .atomic import write_json_atomic

#: Distributions whose versions are recorded with every result.
TRACKED_PACKAGES = (
    "thesis_lib", "numpy", "scipy", "numba", "torch", "torchaudio", "scikit-learn",
    "scikit-image", "h5py", "soundfile", "matplotlib", "papermill", "jupytext",
)

_REPO_ROOT = Path(__file__).resolve().parents[2]


def git_state(repo: str | os.PathLike | None = None) -> dict:
    """Return ``{"commit": sha or "unknown", "dirty": bool or None}`` for ``repo``.

    ``dirty`` counts modified tracked files and untracked, non-ignored files.
    """
    repo = Path(repo) if repo is not None else _REPO_ROOT
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                                text=True, check=True, timeout=20).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                                text=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def package_versions(names=TRACKED_PACKAGES) -> dict:
    """Installed version of each distribution in ``names`` (``None`` if absent)."""
    versions = {}
    for name in names:
        try:
            versions[name] = _md.version(name)
        except _md.PackageNotFoundError:
            versions[name] = None
    if versions.get("thesis_lib") is None:
        versions["thesis_lib"] = __version__
    return versions


@dataclass
class RunRecord:
    """Provenance of one run. Create it when the run starts; call :meth:`finish` at the end.

    Examples
    --------
    >>> rec = RunRecord(parameters={"profile": "quick"}, seeds={"global": 0})
    >>> rec.finish().wall_time_s >= 0
    True
    >>> sorted(rec.to_dict())[:3]
    ['dirty', 'finished_utc', 'git_commit']
    """

    parameters: dict = field(default_factory=dict)
    seeds: dict = field(default_factory=dict)
    git_commit: str = ""
    dirty: bool | None = None
    packages: dict = field(default_factory=dict)
    host: dict = field(default_factory=dict)
    started_utc: str = ""
    finished_utc: str | None = None
    wall_time_s: float | None = None
    _t0: float = field(default=0.0, repr=False)

    def __post_init__(self):
        state = git_state()
        self.git_commit = self.git_commit or state["commit"]
        self.dirty = state["dirty"] if self.dirty is None else self.dirty
        self.packages = self.packages or package_versions()
        self.host = self.host or {
            "hostname": socket.gethostname(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        }
        self.started_utc = self.started_utc or _now()
        self._t0 = time.perf_counter()

    def finish(self) -> "RunRecord":
        """Stamp the end time and wall time; returns ``self``."""
        self.finished_utc = _now()
        self.wall_time_s = round(time.perf_counter() - self._t0, 3)
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("_t0")
        return d


def write_results(chapter: str, values: dict, results_dir, record: RunRecord) -> Path:
    """Write ``{"chapter", "values", "provenance"}`` to ``results_dir/<chapter>.json``.

    ``values`` must be JSON-serialisable (numpy scalars and arrays are converted).
    The record is finished here if it was not already.
    """
    if record.finished_utc is None:
        record.finish()
    payload = {"chapter": chapter, "values": values, "provenance": record.to_dict()}
    return write_json_atomic(Path(results_dir) / f"{chapter}.json", payload)


def read_results(results_dir) -> dict:
    """Load every ``<chapter>.json`` under ``results_dir`` into ``{chapter: payload}``."""
    out = {}
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            payload = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}); "
                             "delete it and re-run its chapter") from exc
        out[payload.get("chapter", path.stem)] = payload
    return out


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

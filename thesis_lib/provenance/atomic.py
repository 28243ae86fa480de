"""Crash-safe file writing: write to a temporary sibling, then rename.

``os.replace`` is atomic on POSIX within one file system, so a reader (or a
re-run that checks for finished outputs) sees either the old file or the
complete new one, never a half-written file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The temporary name is hidden (leading dot), contains ``.partial`` and ends in
    ``path``'s own suffix, so format-sniffing writers work and leftovers of a
    killed process are easy to recognise and clean.

    On an exception the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keep the real extension last: writers such as soundfile pick the format from it.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}",
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_json_atomic(path, obj, **json_kwargs) -> Path:
    """Serialise ``obj`` as indented JSON to ``path`` atomically and return the path."""
    json_kwargs.setdefault("indent", 2)
    json_kwargs.setdefault("sort_keys", False)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, default=_jsonable, **json_kwargs) + "\n")
    return Path(path)


def _jsonable(obj):
    """Fallback encoder for numpy scalars/arrays and paths."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a hard dependency
        np = None
    if np is not None:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")

"""Write-then-rename for the emulator's files.

DESIGN.md makes ``emulator`` independent of every other package of ours, so it
cannot use :mod:`thesis_lib.provenance`; this is the same idea in a few lines:
write to a temporary sibling and ``os.replace`` it onto the target (atomic on
POSIX within a file system), removing the temporary file on failure.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    Examples
    --------
    >>> import pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("x")
    >>> out.read_text()
    'x'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise

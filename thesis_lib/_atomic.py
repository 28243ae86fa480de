"""Crash-safe file writing: write to a temporary sibling, then rename.

A private leaf module with no imports from the rest of ``thesis_lib``, so that
every package — the dependency-free ``emulator`` included — shares one
implementation (:mod:`thesis_lib.provenance` re-exports it).

``os.replace`` is atomic on POSIX within one file system, so a reader (or a
re-run that checks for finished outputs) sees either the old file or the
complete new one, never a half-written file. The finished file gets the
permissions of a file opened the ordinary way (``0o666`` less the process's
umask), not the owner-only ``0o600`` of :func:`tempfile.mkstemp`, so that
collaborators sharing a folder can read the results.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    The temporary name is hidden (leading dot), contains ``.partial`` and ends
    in ``path``'s own suffix, so format-sniffing writers (soundfile) work and
    leftovers of a killed process are easy to recognise. When ``path`` is an
    existing device or pipe (``--out /dev/null``, a FIFO) it is written in
    place: renaming onto it would replace the device node with a regular file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text()
    'done'
    >>> with atomic_path("/dev/null") as tmp:
    ...     str(tmp)
    '/dev/null'
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{path} is a folder; give a file name to write to")
        yield path
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}",
                                        dir=path.parent)
    except OSError as exc:
        # name the file the caller asked for, not a temporary or parent name it never saw
        raise type(exc)(exc.errno, exc.strerror, str(path)) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates the file private (0600); give the result the permissions any new
        # file of this user gets (0666 less the umask), or those of the file it replaces.
        # Set on the finished file: some writers replace the temporary file instead of filling it.
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(mode) if mode is not None else 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def current_umask() -> int:
    """The process's file-creation mask, read without changing it.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting
    and restoring it (harmless in a single-threaded command-line program).

    Examples
    --------
    >>> 0 <= current_umask() <= 0o777
    True
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask

"""Reading a ``.npz`` file that a ``thesis`` verb wrote, with errors that say how to remake it.

A private leaf module (no imports from the rest of ``thesis_lib``) so that packages which must
not depend on each other — ``mask`` writes ``waveform.npz``, ``calibration`` reads it — share
one reader instead of two copies.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_npz(path, what: str, remake: str) -> dict:
    """All arrays of the ``.npz`` at ``path`` as a dict.

    Parameters
    ----------
    path : path-like
    what : str
        What the file is, for messages ("mask file").
    remake : str
        How to produce a valid file, for messages (a command line).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The file is not a readable ``.npz`` archive.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.npz"
    >>> np.savez(p, s=np.arange(3.0))
    >>> read_npz(p, "waveform file", "`thesis extract`")["s"]
    array([0., 1., 2.])
    >>> read_npz(p.with_name("b.npz"), "waveform file", "`thesis extract`")
    Traceback (most recent call last):
    ...
    FileNotFoundError: ...b.npz: waveform file not found; create it with `thesis extract`
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {what} not found; create it with {remake}")
    try:
        with np.load(path) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, EOFError, ValueError, AttributeError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable .npz file ({exc}); re-create it with "
                         f"{remake}") from exc

"""``.npz`` files of the ``thesis`` verbs: a reproducible writer, and a reader whose errors say
how to remake them.

A private leaf module (no imports from the rest of ``thesis_lib`` but the
equally private :mod:`thesis_lib._atomic`) so that packages which must not
depend on each other — ``mask`` writes ``waveform.npz``, ``calibration`` reads
it, ``xmcd`` writes ground truth — share one reader and one writer.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from thesis_lib._atomic import atomic_path


def write_npz_deterministic(path, arrays: dict) -> Path:
    """Like ``numpy.savez``, atomically and with fixed zip timestamps: equal arrays, equal bytes.

    ``numpy.savez`` stamps each member with the current time, so two runs that
    compute the same arrays would write different files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> a = write_npz_deterministic(d / "a.npz", {"s": np.arange(3.0)})
    >>> b = write_npz_deterministic(d / "b.npz", {"s": np.arange(3.0)})
    >>> a.read_bytes() == b.read_bytes()
    True
    """
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for name, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(value), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)),
                        buf.getvalue())
    return Path(path)


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

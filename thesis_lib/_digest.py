"""Content digests that name caches and identify inputs in provenance records.

A private leaf module (nothing else of ``thesis_lib`` is imported) so that every
package computes keys the same way. Python's ``hash`` is salted per process, so
keys are SHA-256 hex digests of a canonical encoding instead: JSON with sorted
keys for parameters, raw bytes for arrays, a streamed read for files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np


def stable_digest(obj, *, arrays: dict | None = None, length: int | None = None) -> str:
    """SHA-256 hex digest of ``obj`` (as sorted-key JSON) followed by named float64 arrays.

    Parameters
    ----------
    obj
        Any JSON-encodable value; other leaves are encoded with ``str``.
    arrays : dict, optional
        ``{name: array}`` hashed in name order as the name's bytes then the
        array's contiguous float64 bytes.
    length : int, optional
        Keep only the first ``length`` hex digits.

    Examples
    --------
    >>> stable_digest({"b": 1, "a": 2}) == stable_digest({"a": 2, "b": 1})
    True
    >>> len(stable_digest([1, 2], arrays={"x": np.zeros(3)}, length=20))
    20
    """
    h = hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode())
    for name in sorted(arrays or {}):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name], dtype=np.float64).tobytes())
    return h.hexdigest()[:length]


def bytes_digest(*chunks: bytes, length: int | None = None) -> str:
    """SHA-256 hex digest of ``chunks`` fed in order (for arrays whose dtype must be kept).

    Examples
    --------
    >>> bytes_digest(b"ab", b"c") == bytes_digest(b"abc")
    True
    """
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()[:length]


def file_sha256(path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = p.write_bytes(b"")
    >>> file_sha256(p)[:12]
    'e3b0c44298fc'
    """
    h = hashlib.sha256()
    with open(Path(path), "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

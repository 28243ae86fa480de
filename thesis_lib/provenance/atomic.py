"""Crash-safe file writing: :func:`atomic_path` (shared with every package) and JSON on top."""

from __future__ import annotations

import json
from pathlib import Path

from thesis_lib._atomic import atomic_path

__all__ = ["atomic_path", "write_json_atomic"]


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
        # deferred on purpose: provenance is a leaf that works without numpy
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

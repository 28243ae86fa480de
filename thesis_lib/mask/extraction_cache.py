"""The ``.npz`` cache of :func:`thesis_lib.mask.study.extract_all`.

One file holds one extraction: its key, the registration outcome (shift,
moving/static decision, diagnostics as JSON), the scan positions and, per mask,
the static and the moving waveform under ``w_static__NAME`` / ``w_moving__NAME``.
The key digests everything the result depends on — the masks, the reference
image, the register mode, the primary mask, the series folder and the name,
size and modification time of each of its files — so a stale file is simply
recomputed, never trusted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from thesis_lib._digest import stable_digest
from thesis_lib.provenance import atomic_path

#: Bump when extraction results change for equal inputs (invalidates caches).
EXTRACT_VERSION = 4


def extraction_key(series_dir, masks: dict, reference_image, *, register: str,
                   primary: str) -> str:
    """The 20-hex-digit key of one extraction of ``series_dir`` (see the module docstring)."""
    series_dir = Path(series_dir)
    files = sorted(series_dir.glob("*.nxs"))
    listing = [(p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in files]
    return stable_digest([EXTRACT_VERSION, str(series_dir.resolve()), register, primary, listing],
                         arrays={**masks, "__ref": reference_image}, length=20)


def load_extraction(cache, key: str, names) -> dict | None:
    """The cached extraction for ``names`` if ``cache`` exists and holds ``key``, else None."""
    if cache is None or not Path(cache).is_file():
        return None
    with np.load(cache, allow_pickle=False) as npz:
        if str(npz["key"]) != key:
            return None
        return {"shift_px": npz["shift_px"], "moving": bool(npz["moving"]),
                "decision": json.loads(str(npz["decision"])),
                "diagnostics": json.loads(str(npz["diagnostics"])),
                "positions_um": npz["positions_um"],
                "waveforms": {n: {"static": npz[f"w_static__{n}"],
                                  "moving": npz[f"w_moving__{n}"]} for n in names}}


def save_extraction(cache, key: str, extraction: dict) -> None:
    """Write ``extraction`` (as returned by ``extract_all``) to ``cache`` atomically."""
    arrays = {"key": np.array(key), "shift_px": extraction["shift_px"],
              "moving": np.array(extraction["moving"]),
              "decision": np.array(json.dumps(extraction["decision"])),
              "diagnostics": np.array(json.dumps(extraction["diagnostics"])),
              "positions_um": extraction["positions_um"]}
    for name, wf in extraction["waveforms"].items():
        arrays[f"w_static__{name}"] = wf["static"]
        arrays[f"w_moving__{name}"] = wf["moving"]
    with atomic_path(cache) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

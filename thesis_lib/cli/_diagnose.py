"""Name the cause when the mask or waveform pipeline fails on flat (contrast-free) data.

The clustering and registration code fails on a flat image with a message
about its own symptom (one cluster found, an undefined correlation). These
helpers run only after such a failure, look at the inputs again and return a
message that names the file without contrast, so the user knows what to fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _is_flat(scan) -> bool:
    """True when the dichroic image of ``scan`` has one value over its valid pixels."""
    # deferred on purpose: thesis_lib.xmcd/mask load in seconds; only a failing run needs them
    from thesis_lib.xmcd import double_difference

    image, valid = double_difference(scan)
    values = np.asarray(image)[np.asarray(valid, bool)]
    return values.size == 0 or not np.any(values != values.flat[0])


def flat_reference_message(reference, layout=None) -> str | None:
    """A message if the reference (file or folder) has no contrast, else ``None``."""
    # deferred on purpose: thesis_lib.xmcd/mask load in seconds; only a failing run needs them
    from thesis_lib.mask.files import read_reference

    try:
        scans = read_reference(reference, layout)
    except (OSError, ValueError):
        return None  # the original error is the better message
    flat = [Path(scan.path).name for scan in scans if _is_flat(scan)]
    if not flat:
        return None
    which = "every reference file" if len(flat) == len(scans) else ", ".join(flat)
    return (f"no contrast in the reference {reference}: the dichroic image of {which} is "
            "constant (e.g. all-zero frames), so there are no magnetised regions to cluster; "
            "give the reference acquisition of a saturated tape region")


def flat_file_message(series_dir, layout=None) -> str | None:
    """A message naming the files of a series folder without contrast, else ``None``."""
    # deferred on purpose: thesis_lib.xmcd/mask load in seconds; only a failing run needs them
    from thesis_lib.xmcd import read_series

    try:
        series = read_series(series_dir, layout)
    except (OSError, ValueError):
        return None
    flat = [Path(scan.path).name for scan in series.files if _is_flat(scan)]
    if not flat:
        return None
    shown = ", ".join(flat[:5]) + (f" and {len(flat) - 5} more" if len(flat) > 5 else "")
    return (f"{series_dir}: no contrast in {shown} (the dichroic image is constant, e.g. "
            "all-zero frames); re-acquire or remove the file(s) and run again")

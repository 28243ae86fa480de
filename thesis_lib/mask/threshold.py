"""Global-threshold mask: the earlier method the thesis replaces (§2.1).

A pixel of the reference dichroic image is kept as positive when ``D > τ`` and
as negative when ``D < −τ``. The level ``τ`` is either given, or the
``percentile`` of ``|D|`` over the valid pixels — a fixed intensity level in
the sense of §2.1, blind to spatial structure, which is why illumination
gradients and hot spots leak into it.
"""

from __future__ import annotations

import numpy as np

from .features import check_image


def threshold_mask(reference, valid=None, level: float | None = None,
                   percentile: float = 95.0) -> np.ndarray:
    """Signed mask ``sign(D)·[|D| > τ]`` with 0 at invalid pixels.

    Examples
    --------
    >>> threshold_mask(np.array([[3.0, -0.5, -4.0, 1.0]]), level=2.0).tolist()
    [[1.0, 0.0, -1.0, 0.0]]
    """
    X, ok = check_image(reference, valid)
    if level is None:
        level = float(np.percentile(np.abs(X[ok]), percentile))
    if level < 0:
        raise ValueError(f"threshold level must be >= 0, got {level}")
    keep = ok & (np.abs(X) > level)
    return np.where(keep, np.sign(X), 0.0)

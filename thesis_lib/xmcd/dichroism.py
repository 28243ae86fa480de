"""From frame stacks to dichroic images: averaging, double difference, reference image.

With the phenomenological model of eq. 2.1,
:math:`I_{h,m} = g\\,e\\,(S_0 + h\\,m\\,s\\,S_\\mathrm{mag})`, the double difference
of eq. 2.2

.. math:: D = (I_{+1,+1} - I_{-1,+1}) - (I_{+1,-1} - I_{-1,-1}) = 4\\,g\\,e\\,s\\,S_\\mathrm{mag}

cancels the background :math:`S_0` (for equal gains) and keeps the term odd in
both *h* and *m*. **Sign convention:** D is positive where
:math:`s\\,S_\\mathrm{mag} > 0`. Invalid pixels (see
:func:`thesis_lib.xmcd.nexus.pixel_validity`) are set to 0 and reported as
``False`` in the validity map that travels with every image.

References
----------
.. [1] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, eqs. 2.1-2.2, §3.4.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .errors import FrameShapeError, XMCDDataError
from .nexus import COMBINATIONS
from .normalise import robust_normalise
from .series import read_series


def average_frames(stack) -> np.ndarray:
    """Mean of a frame stack ``(n_frames, H, W)`` in float64 (one image per acquisition).

    Examples
    --------
    >>> import numpy as np
    >>> average_frames(np.array([[[1.0, 3.0]], [[3.0, 5.0]]])).tolist()
    [[2.0, 4.0]]
    """
    stack = np.asarray(stack, dtype=np.float64)
    if stack.ndim == 2:
        return stack.copy()
    if stack.ndim != 3 or stack.shape[0] == 0:
        raise FrameShapeError(f"expected a (n_frames, H, W) stack, got shape {stack.shape}")
    return stack.mean(axis=0)


def block_means(scan):
    """Frame-averaged image, frame count and valid map of each block of one scan.

    A :class:`~thesis_lib.xmcd.nexus.ScanFile` is streamed
    (:meth:`~thesis_lib.xmcd.nexus.ScanFile.means`: memory holds four images,
    not the stacks); a dict ``{(h, m): stack}`` (optionally with ``"valid"``)
    is averaged in memory.

    Returns
    -------
    means : dict ``{(h, m): (H, W) float64}``
    counts : dict ``{(h, m): int}``
    valid : (H, W) bool array or None
    """
    if isinstance(scan, dict):
        means = {hm: average_frames(scan[hm]) for hm in COMBINATIONS}
        counts = {hm: (np.shape(scan[hm])[0] if np.ndim(scan[hm]) == 3 else 1)
                  for hm in COMBINATIONS}
        return means, counts, scan.get("valid")
    return scan.means(), scan.n_frames, scan.valid


def double_difference(scan):
    """Double difference D (eq. 2.2) of one scan position, on frame-averaged stacks.

    Parameters
    ----------
    scan : ScanFile or dict
        A :class:`~thesis_lib.xmcd.nexus.ScanFile`, or ``{(h, m): stack}`` (then
        every pixel counts as valid unless a ``"valid"`` key is given).

    Returns
    -------
    D : ndarray float64 (H, W)
        Positive where s·S_mag > 0; 0 on invalid pixels.
    valid : ndarray bool (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> s0, smag, s = 1000.0, 40.0, 0.5    # background, magnetic term, magnetisation
    >>> frames = {(h, m): np.full((3, 2, 2), s0 + h * m * s * smag)
    ...           for h in (1, -1) for m in (1, -1)}
    >>> D, valid = double_difference(frames)
    >>> float(D[0, 0]), 4 * s * smag
    (80.0, 80.0)
    """
    mean, _, valid = block_means(scan)
    D = (mean[(1, 1)] - mean[(-1, 1)]) - (mean[(1, -1)] - mean[(-1, -1)])
    valid = np.ones(D.shape, bool) if valid is None else np.asarray(valid, bool)
    return np.where(valid, D, 0.0), valid.copy()


def shot_noise_std(scan) -> np.ndarray:
    """Per-pixel standard deviation of D expected from counting statistics alone.

    For Poisson counts the variance equals the mean, so the variance of the
    frame-averaged D is :math:`\\sum_{h,m} \\bar I_{h,m} / n_{h,m}` (the
    measured mean counts over the number of frames averaged). Read noise and
    gain fluctuations come on top; a background that did not cancel shows as
    spatial scatter of D well above this floor.

    Examples
    --------
    >>> import numpy as np
    >>> frames = {(h, m): np.full((4, 1, 1), 400.0) for h in (1, -1) for m in (1, -1)}
    >>> float(shot_noise_std(frames)[0, 0])        # sqrt(4 * 400 / 4)
    20.0
    """
    mean, counts, _ = block_means(scan)
    var = sum(np.clip(mean[hm], 0, None) / counts[hm] for hm in COMBINATIONS)
    return np.sqrt(var)


def dichroic_stack(scans, normalise=False):
    """D of every scan, stacked: ``(T, H, W)`` images and ``(T, H, W)`` validity."""
    images, valids = [], []
    for scan in scans:
        D, valid = double_difference(scan)
        images.append(robust_normalise(D, valid) if normalise else D)
        valids.append(valid)
    if len({d.shape for d in images}) > 1:
        raise FrameShapeError("the scans have different detector shapes "
                              f"{sorted({d.shape for d in images})}; "
                              "a series must use one detector region")
    return np.stack(images), np.stack(valids)


def reference_image(series_or_scans, how="median", index=None, *, min_valid_fraction=0.5):
    """Reference dichroic image D^(ref) (§3.4): one chosen frame, or a pixelwise median.

    Parameters
    ----------
    series_or_scans : Series, folder path, or sequence of ScanFile
    how : {"median", "frame"}
        ``"frame"``: D of the scan at ``index`` (default 0). ``"median"``:
        pixelwise median of D over the scans at ``index`` (a sequence of
        positions; default all), taken over each pixel's valid values only.
    min_valid_fraction : float
        With ``"median"``, a pixel is valid when valid in at least this fraction
        of the chosen scans.

    Returns
    -------
    ref : ndarray float64 (H, W), 0 on invalid pixels
    valid : ndarray bool (H, W)

    Examples
    --------
    >>> import numpy as np
    >>> scans = [{(h, m): np.full((1, 1, 3), 100 + h * m * s) for h in (1, -1) for m in (1, -1)}
    ...          for s in (1.0, 2.0, 30.0)]
    >>> ref, valid = reference_image(scans)          # the outlier scan does not move the median
    >>> ref.tolist()
    [[8.0, 8.0, 8.0]]
    """
    scans = _as_scans(series_or_scans)
    if not scans:
        raise XMCDDataError("reference_image got no scans; "
                            "give a series folder or a non-empty list")
    if how == "frame":
        i = 0 if index is None else int(index)
        return double_difference(scans[i])
    if how != "median":
        raise ValueError(f"how must be 'median' or 'frame', not {how!r}")
    chosen = scans if index is None else [scans[int(i)] for i in np.atleast_1d(index)]
    images, valids = dichroic_stack(chosen)
    return median_reference(images, valids, min_valid_fraction=min_valid_fraction)


def median_reference(images, valids, *, min_valid_fraction=0.5):
    """Pixel-wise median of dichroic images ``(n, H, W)`` over each pixel's valid values.

    A pixel is valid when valid in at least ``min_valid_fraction`` of the
    images; invalid pixels are 0. This is the ``"median"`` case of
    :func:`reference_image`, for callers that already hold the images.
    """
    images, valids = np.asarray(images, dtype=np.float64), np.asarray(valids, bool)
    masked = np.where(valids, images, np.nan)
    enough = valids.mean(axis=0) >= min_valid_fraction
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN pixels are handled below
        ref = np.nanmedian(masked, axis=0)
    valid = enough & np.isfinite(ref)
    return np.where(valid, ref, 0.0), valid


def _as_scans(obj):
    if isinstance(obj, (str, Path)):
        return list(read_series(obj).files)
    if hasattr(obj, "files"):
        return list(obj.files)
    return list(obj)

"""Series-level extraction: NeXus files → waveform ``s_t`` (thesis §5.1, eqs. 3.2–3.4).

One pass over the files of a series, file by file (memory independent of the
number of files):

1. the dichroic image ``D_t`` (eq. 2.2, frame stacks averaged) and the
   *registration image* — the mean of every frame of the file, robustly
   normalised (median / IQR, §3.3). The intensity image is used rather than
   ``D_t`` because it carries the whole textured background, independent of
   the magnetisation ``s_t``, which may be near 0 or flip sign;
2. the displacement ``δ̂_t`` against the reference's registration image and
   the diagnostics of :mod:`.registration`;
3. ``s_t`` with the static mask (eq. 3.2) *and* with the moving mask
   (eq. 3.4); the decision rule picks one of them for the whole series
   (``register="auto"``), or the caller forces it (``"on"`` / ``"off"``).

Data come through :mod:`thesis_lib.xmcd` (``read_series``,
``double_difference``, ``robust_normalise``, ``reference_image``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage
from threadpoolctl import threadpool_limits

from thesis_lib._npz import read_npz

from .registration import (
    MovingMaskDecision,
    decide_moving_mask,
    estimate_shift,
    register_file,
    translate,
)

REGISTER_MODES = ("auto", "on", "off")


def registration_image(scan, smooth_sigma: float = 1.0, clip: float = 3.0,
                       highpass_sigma: float = 10.0):
    """Frame-averaged intensity of one file, prepared for phase correlation.

    Steps, each for a reason seen on the synthetic beamline:

    * robust normalisation (median / IQR, §3.3) removes file-to-file gain and offset;
    * invalid pixels take the value of the nearest valid pixel — a dead or hot
      pixel does not move with the sample, and left at 0 it would pull the
      estimate towards zero shift;
    * values are clipped to ``±clip`` (IQR units): bright features saturate
      the detector in long integrations (then they are invalid and filled) but
      not in short ones, and without the clip the two would look different;
    * the smooth illumination (a Gaussian blur of ``highpass_sigma`` px) is
      subtracted: correlation by FFT treats the image as periodic, and an
      illumination ramp then makes a static step at the image border that
      pulled large shifts towards zero (a 1.8 px drift read as 1.3 px); with
      the high-pass the largest error fell from 0.5 to 0.05 px after removing
      the common offset (quick phantom, series s2; the ``registration``
      chapter reports the final errors of every series);
    * light Gaussian smoothing (``smooth_sigma`` px; 0 = off) suppresses
      counting noise before the correlation.

    Parameters
    ----------
    scan : ScanFile or dict ``{(h, m): (n, H, W)}`` (optionally with ``"valid"``)
    smooth_sigma, clip, highpass_sigma : float
    """
    # deferred on purpose: importing thesis_lib.xmcd takes seconds, and importing thesis_lib.mask
    # for clustering must not pay for it
    from thesis_lib.xmcd import robust_normalise

    if isinstance(scan, dict):
        stacks = [np.asarray(v, dtype=np.float64) for k, v in scan.items() if k != "valid"]
        means = [s.mean(axis=0) if s.ndim == 3 else s for s in stacks]
        valid = scan.get("valid")
    else:
        # streamed block means: a large detector's stacks never sit in memory at once
        means, valid = list(scan.means().values()), scan.valid
    mean = np.mean(means, axis=0)
    Z = robust_normalise(mean, valid)
    if valid is not None and not np.all(valid):
        _, (iy, ix) = ndimage.distance_transform_edt(~np.asarray(valid, bool), return_indices=True)
        Z = Z[iy, ix]
    Z = np.clip(Z, -clip, clip)
    if highpass_sigma > 0:
        Z = Z - ndimage.gaussian_filter(Z, highpass_sigma, mode="nearest")
    return ndimage.gaussian_filter(Z, smooth_sigma) if smooth_sigma > 0 else Z


@dataclass(frozen=True)
class ReferenceFrame:
    """Registration image of a reference acquisition and where its files sat.

    Attributes
    ----------
    image : (H, W) ndarray
        Median of the reference files' registration images after moving each
        to the mean position of the files.
    file_shift_px : (n, 2) ndarray
        Displacement ``(dy, dx)`` of each reference file relative to that
        mean position (they sum to zero).
    """

    image: np.ndarray
    file_shift_px: np.ndarray


def reference_frame(scans, align: bool = True) -> ReferenceFrame:
    """The frame every displacement of ``thesis extract`` is measured in.

    A reference acquisition drifts like any series, so a pixel-wise median of
    its unaligned files is a blurred image whose position is no particular
    file's. Here each file is registered to the first one
    (:func:`.registration.estimate_shift`), the origin is put at the **mean
    position of the reference files**, and every file is moved there (cubic
    spline) before the median. The contract of ``waveform.npz`` — each file's
    displacement relative to the reference — then has a definite meaning:
    relative to the average position of the reference acquisition. The
    synthetic beamline states its ground-truth ``shift_px`` from the same
    origin, so the two compare directly; a truth stated from another origin is
    converted by :func:`.registration.relative_to_reference`.

    ``align=False`` gives the plain median of the unaligned files (the
    earlier behaviour, kept for comparison).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> base = ndimage.gaussian_filter(rng.standard_normal((64, 64)), 2)
    >>> planted = np.array([[0.0, 0.0], [0.4, -0.2], [-0.1, 0.5]])
    >>> files = [{(1, 1): translate(base, d, order=3)[None]} for d in planted]
    >>> ref = reference_frame(files)
    >>> bool(np.abs(ref.file_shift_px - (planted - planted.mean(0))).max() < 0.05)
    True
    """
    return align_reference([registration_image(s) for s in scans], align)


def align_reference(images, align: bool = True) -> ReferenceFrame:
    """:func:`reference_frame` from the registration images of the reference files."""
    images = list(images)
    if not images:
        raise ValueError("the reference holds no files; give a NeXus file or a series folder")
    shifts = np.zeros((len(images), 2))
    if align and len(images) > 1:
        shifts[1:] = [estimate_shift(images[0], img) for img in images[1:]]
        shifts -= shifts.mean(axis=0)
        # cubic spline, edge values repeated: bilinear interpolation would low-pass
        # each file by a different amount, and a zero fill would add a false edge
        images = [ndimage.shift(img, -d, order=3, mode="nearest")
                  for img, d in zip(images, shifts, strict=True)]
    return ReferenceFrame(image=np.median(np.stack(images), axis=0), file_shift_px=shifts)


def reference_registration_image(scans, align: bool = True):
    """Registration image of the reference files (:func:`reference_frame`)."""
    return reference_frame(scans, align).image


@dataclass
class Extraction:
    """Waveforms of one series and how they were obtained.

    Attributes
    ----------
    s : (T,) ndarray
        The chosen waveform (static or moving mask).
    s_static, s_moving : (T,) ndarray
        Both candidates (``s_moving`` is NaN when registration was off).
    shift_px : (T, 2) ndarray
        Estimated footprint displacements ``(dy, dx)``; zeros when off.
    decision : MovingMaskDecision or None
    moving : bool
        Whether ``s`` used the moving mask.
    diagnostics : list of dict
        Per file: correlation / SSIM / NRMSE before and after alignment,
        affine fit, centroid and spread.
    positions_um : (T,) ndarray
    extra : dict
        ``{name: {"static": s, "moving": s}}`` for the extra masks.
    """

    s: np.ndarray
    s_static: np.ndarray
    s_moving: np.ndarray
    shift_px: np.ndarray
    decision: MovingMaskDecision | None
    moving: bool
    diagnostics: list = field(default_factory=list)
    positions_um: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def extract_series(scans, mask, register: str = "auto", reference_image=None, roi=None,
                   masks: dict | None = None, min_shift_px: float = 0.25,
                   consistency: float = 0.8, progress=None) -> Extraction:
    """Extract ``s_t`` from every file of a series.

    Parameters
    ----------
    scans : sequence of ScanFile (scan order) or a Series
    mask : (H, W) array_like
        Signed (binary or weighted) mask.
    register : {"auto", "on", "off"}
        Moving mask by the decision rule, always, or never.
    reference_image : (H, W) array_like, optional
        Registration image of the reference (:func:`reference_registration_image`);
        the first file of the series when omitted.
    roi : (H, W) bool array_like, optional
        Footprint ROI for the diagnostics (default: ``mask != 0``).
    masks : dict, optional
        Extra masks ``{name: (H, W)}`` aggregated in the same pass with the
        same shifts (``Extraction.extra``); reading the files once matters
        when several masks are compared on long series.
    progress : callable, optional
        Called once per file (progress bars).
    """
    if register not in REGISTER_MODES:
        raise ValueError(f"register must be one of {REGISTER_MODES}, got {register!r}")
    files = list(getattr(scans, "files", scans))
    if not files:
        raise ValueError("the series holds no files")
    # The per-file linear algebra is small: BLAS threads only add overhead, and on a
    # loaded machine their spin-waiting made one extraction 2.5x slower (measured).
    with threadpool_limits(limits=1, user_api="blas"):
        return _extract(files, mask, register, reference_image, roi, masks, min_shift_px,
                        consistency, progress)


def _extract(files, mask, register, reference_image, roi, masks, min_shift_px, consistency,
             progress) -> Extraction:
    # deferred on purpose: importing thesis_lib.xmcd takes seconds, and importing thesis_lib.mask
    # for clustering must not pay for it
    from thesis_lib.xmcd import double_difference

    M = np.asarray(mask, dtype=np.float64)
    roi = (M != 0) if roi is None else np.asarray(roi, bool)
    extra = {name: np.asarray(m, dtype=np.float64) for name, m in (masks or {}).items()}
    do_reg = register != "off"
    ref_img = None if reference_image is None else np.asarray(reference_image, dtype=np.float64)
    s_static, s_moving, shifts, regs, diags = [], [], [], [], []
    extra_out = {name: {"static": [], "moving": []} for name in extra}
    for scan in files:
        if not isinstance(scan, dict):
            # one streamed pass per file; the block means stand in for the stacks (one
            # "frame" each), which gives the same D and registration image
            scan_data = {hm: m[None] for hm, m in scan.means().items()}
            scan_data["valid"] = scan.valid
            scan.release()      # do not keep every file's images alive
        else:
            scan_data = scan
        D, _ = double_difference(scan_data)
        if D.shape != M.shape:
            raise ValueError(f"{getattr(scan, 'path', 'scan')}: detector shape {D.shape} differs "
                             f"from the mask's {M.shape}; build the mask from this detector")
        s_static.append(float(np.sum(M * D)))
        for name, Mx in extra.items():
            extra_out[name]["static"].append(float(np.sum(Mx * D)))
        if do_reg:
            img = registration_image(scan_data)
            if ref_img is None:
                ref_img = img
            reg = register_file(ref_img, img, roi)
            regs.append(reg)
            shifts.append(reg.shift)
            s_moving.append(float(np.sum(translate(M, reg.shift) * D)))
            for name, Mx in extra.items():
                extra_out[name]["moving"].append(float(np.sum(translate(Mx, reg.shift) * D)))
            diags.append({"shift": reg.shift.tolist(), "before": reg.before, "after": reg.after,
                          "before_roi": reg.before_roi, "after_roi": reg.after_roi,
                          "affine": reg.affine, "moments": reg.moments,
                          "improved": reg.improved})
        else:
            shifts.append(np.zeros(2))
            s_moving.append(np.nan)
        if progress is not None:
            progress()
    decision = decide_moving_mask(regs, min_shift_px, consistency) if do_reg else None
    moving = register == "on" or (register == "auto" and decision.enabled)
    s_static, s_moving = np.asarray(s_static), np.asarray(s_moving)
    result = Extraction(s=s_moving if moving else s_static, s_static=s_static, s_moving=s_moving,
                        shift_px=np.asarray(shifts, dtype=np.float64).reshape(-1, 2),
                        decision=decision, moving=moving, diagnostics=diags,
                        positions_um=np.array([getattr(f, "position_um", np.nan) for f in files]),
                        extra={name: {k: np.asarray(v) for k, v in d.items()}
                               for name, d in extra_out.items()})
    return result


def load_mask(path):
    """Read ``mask.npz`` (written by ``thesis mask``) into a dict of arrays.

    Raises
    ------
    FileNotFoundError, ValueError
        Naming the file and how to produce a valid one.
    """
    path = Path(path)
    data = read_npz(path, "mask file",
                    "`thesis mask --reference REF --method kmeans --out mask.npz`")
    mask = data.get("mask")
    if mask is None or mask.ndim != 2 or not np.all(np.isfinite(mask)):
        raise ValueError(f"{path}: needs a finite 2-D array `mask`; "
                         "re-create it with `thesis mask`")
    return data

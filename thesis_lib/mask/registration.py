"""Registration diagnostics and the moving-mask decision (thesis §3.3, §5.2).

Each file's representative image is compared with the reference image:

* the displacement ``δ̂_t`` of the file's footprint relative to the reference
  is estimated by phase correlation with sub-pixel refinement
  (:func:`skimage.registration.phase_cross_correlation`, with
  ``normalization`` and ``disambiguate=False`` passed explicitly because their
  defaults changed across scikit-image releases). The default here is
  ``normalization=None`` — plain cross-correlation: on the synthetic beamline
  the whitening of ``"phase"`` amplified the counting noise of short
  integrations into errors of tens of pixels (2 s files), while the
  unnormalised correlation stays within a fraction of a pixel (the
  ``registration`` chapter reports the errors of this estimator). scikit-image
  returns the shift that *registers* the moving image, i.e. ``−δ̂``; this
  module always speaks of the displacement ``δ̂`` itself, the convention of the
  phantom's ground-truth ``shift_px``;
* correlation, SSIM and pooled NRMSE (eq. 3.5, :func:`thesis_lib.metrics.nrmse_pooled`)
  before and after undoing ``δ̂`` with bilinear interpolation, globally and
  inside a footprint ROI;
* the affine intensity fit ``D_t ≈ a·D_ref + b`` and how much it lowers the
  pooled NRMSE (Fig. 5.2);
* centroid and spread of the footprint (second moments of ``|image|`` inside
  the ROI) to flag non-translational changes.

The moving mask ``M_t = T_δ M`` (eq. 3.3) is enabled by :func:`decide_moving_mask`
only when shifts are non-negligible *and* alignment improves the diagnostics
consistently; :func:`translate_mask` applies ``δ̂`` to a mask with the same
bilinear convention.

References
----------
.. [1] M. Guizar-Sicairos, S. T. Thurman, J. R. Fienup, "Efficient subpixel image
   registration algorithms", Opt. Lett. 33, 156 (2008).
.. [2] Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality
   assessment: from error visibility to structural similarity", IEEE TIP 13 (2004).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.metrics import structural_similarity
from skimage.registration import phase_cross_correlation

from thesis_lib.metrics import nrmse_pooled, pearson


def _pair(reference, image):
    R = np.asarray(reference, dtype=np.float64)
    A = np.asarray(image, dtype=np.float64)
    if R.ndim != 2 or R.shape != A.shape:
        raise ValueError(f"registration needs two 2-D images of one shape, got {R.shape} and "
                         f"{A.shape}; all files of a series must come from the same detector")
    if not (np.all(np.isfinite(R)) and np.all(np.isfinite(A))):
        raise ValueError("images contain NaN/inf; set invalid pixels to 0 before registering")
    return R, A


def estimate_shift(reference, image, upsample_factor: int = 50,
                   normalization: str | None = None, refine_iterations: int = 2) -> np.ndarray:
    """Displacement ``(dy, dx)`` of ``image``'s content relative to ``reference``.

    Phase correlation treats both images as periodic: the strip of width
    ``|δ|`` that leaves one side of the field of view and the different strip
    that enters on the other do not match, and they pull the estimate towards
    zero shift in proportion to ``|δ|`` (on the quick synthetic beamline: a
    mean error of −0.04 / −0.08 px in dy / dx, worst 0.11 px, for the files of
    series s3 that sit 7–10 px away). Each of
    ``refine_iterations`` steps therefore undoes the current estimate (cubic
    spline), crops both images to the strip-free overlap and adds the
    residual shift measured there; as the residual is a small fraction of a
    pixel, so is its own wrap-around bias (worst error 0.07 px after two
    steps on the same files; the ``registration`` chapter reports every
    series). ``refine_iterations=0`` is the single-pass estimate.

    Examples
    --------
    >>> yy, xx = np.mgrid[0:64, 0:64]
    >>> blob = lambda cy, cx: np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 20.0)
    >>> estimate_shift(blob(30, 30), blob(32.5, 29.0)).round(2).tolist()
    [2.5, -1.0]
    """
    R, A = _pair(reference, image)
    shift = _correlate(R, A, upsample_factor, normalization)
    for _ in range(int(refine_iterations)):
        pad = int(np.ceil(np.abs(shift).max())) + 2
        if min(R.shape) - 2 * pad < 8:
            break   # no overlap left to refine on
        back = ndimage.shift(A, -shift, order=3, mode="nearest")
        inner = (slice(pad, -pad), slice(pad, -pad))
        shift = shift + _correlate(R[inner], back[inner], upsample_factor, normalization)
    return shift


def _correlate(R, A, upsample_factor, normalization):
    shift, _, _ = phase_cross_correlation(R, A, upsample_factor=upsample_factor, space="real",
                                          disambiguate=False, normalization=normalization)
    return -np.asarray(shift, dtype=np.float64)


def translate(image, displacement, order: int = 1) -> np.ndarray:
    """``out(p) = image(p − δ)``: move the content by ``δ`` (bilinear by default, zero fill).

    Applied to a mask this is the moving mask of eq. 3.3.

    Examples
    --------
    >>> translate(np.array([[0.0, 1.0, 0.0, 0.0]]), (0, 1.5)).tolist()
    [[0.0, 0.0, 0.5, 0.5]]
    """
    return ndimage.shift(np.asarray(image, dtype=np.float64), tuple(displacement), order=order,
                         mode="constant", cval=0.0)


translate_mask = translate


def relative_to_reference(shift_px, reference_shift_px) -> np.ndarray:
    """Displacements re-expressed relative to the mean position of a reference's files.

    ``thesis extract`` measures each file's displacement from the mean
    position of the reference files (:func:`.extract.reference_frame`). A
    ground truth measured from some other origin — e.g. the synthetic
    beamline's undisplaced scene, ``shift_px_scene`` — is brought into that
    convention by subtracting the mean of the reference files' displacements
    from the same origin.

    Examples
    --------
    >>> relative_to_reference([[1.0, 2.0]], [[0.0, 0.1], [0.2, 0.3]]).tolist()
    [[0.9, 1.8]]
    """
    ref = np.asarray(reference_shift_px, dtype=np.float64).reshape(-1, 2)
    return np.asarray(shift_px, dtype=np.float64).reshape(-1, 2) - ref.mean(axis=0)


def similarity(reference, image, roi=None, *, rois=None):
    """Correlation, SSIM and pooled NRMSE of two images, optionally inside ``roi``.

    SSIM is computed on the whole image (it needs a neighbourhood) and averaged
    inside ``roi``; its data range is that of the two images together. With
    ``rois`` (a list of masks) one dict per mask is returned and the SSIM map
    is computed once.

    Examples
    --------
    >>> x = np.add.outer(np.arange(16.0), np.arange(16.0)) % 5
    >>> {k: round(v, 6) for k, v in similarity(x, x).items()}
    {'corr': 1.0, 'ssim': 1.0, 'nrmse': 0.0}
    """
    R, A = _pair(reference, image)
    data_range = float(max(R.max(), A.max()) - min(R.min(), A.min())) or 1.0
    _, ssim_map = structural_similarity(R, A, data_range=data_range, full=True)
    out = []
    for sel in (rois if rois is not None else [roi]):
        sel = np.ones(R.shape, bool) if sel is None else np.asarray(sel, bool)
        out.append({"corr": pearson(R[sel], A[sel]), "ssim": float(ssim_map[sel].mean()),
                    "nrmse": nrmse_pooled(R[sel], A[sel])})
    return out if rois is not None else out[0]


def affine_fit(reference, image, sel=None) -> dict:
    """Least-squares ``image ≈ a·reference + b`` and the NRMSE before/after (Fig. 5.2).

    Examples
    --------
    >>> r = np.linspace(-1, 1, 50)
    >>> fit = affine_fit(r, 2 * r + 0.5)
    >>> round(fit["a"], 9), round(fit["b"], 9), round(fit["nrmse_after"], 9)
    (2.0, 0.5, 0.0)
    """
    R = np.asarray(reference, dtype=np.float64)
    A = np.asarray(image, dtype=np.float64)
    if sel is not None:
        R, A = R[np.asarray(sel, bool)], A[np.asarray(sel, bool)]
    R, A = R.ravel(), A.ravel()
    design = np.stack([R, np.ones_like(R)], axis=1)
    (a, b), *_ = np.linalg.lstsq(design, A, rcond=None)
    before = nrmse_pooled(R, A)
    after = nrmse_pooled(a * R + b, A)
    return {"a": float(a), "b": float(b), "nrmse_before": before, "nrmse_after": after,
            "reduction": float(1.0 - after / before) if before > 0 else 0.0}


def footprint_moments(image, roi=None) -> dict:
    """Centroid and spread (weighted second moments) of ``|image|`` inside ``roi``.

    Examples
    --------
    >>> img = np.zeros((5, 5)); img[1, 3] = 2.0; img[3, 3] = -2.0
    >>> m = footprint_moments(img)
    >>> m["centroid"], m["spread"]
    ([2.0, 3.0], [1.0, 0.0])
    """
    w = np.abs(np.asarray(image, dtype=np.float64))
    if roi is not None:
        w = np.where(np.asarray(roi, bool), w, 0.0)
    total = w.sum()
    if total == 0:
        return {"centroid": [float("nan")] * 2, "spread": [float("nan")] * 2}
    yy, xx = np.indices(w.shape)
    cy, cx = (w * yy).sum() / total, (w * xx).sum() / total
    sy = np.sqrt((w * (yy - cy) ** 2).sum() / total)
    sx = np.sqrt((w * (xx - cx) ** 2).sum() / total)
    return {"centroid": [float(cy), float(cx)], "spread": [float(sy), float(sx)]}


@dataclass(frozen=True)
class FileRegistration:
    """Diagnostics of one file against the reference."""

    shift: np.ndarray
    before: dict
    after: dict
    before_roi: dict | None
    after_roi: dict | None
    affine: dict
    moments: dict

    @property
    def improved(self) -> bool:
        """Alignment raised correlation and SSIM and lowered pooled NRMSE."""
        b, a = self.before_roi or self.before, self.after_roi or self.after
        return a["corr"] > b["corr"] and a["ssim"] > b["ssim"] and a["nrmse"] < b["nrmse"]


def register_file(reference, image, roi=None, upsample_factor: int = 50,
                  normalization: str | None = None) -> FileRegistration:
    """Estimate ``δ̂`` for one image and compute every diagnostic before/after aligning.

    A border as wide as the largest shift (plus one pixel) is left out of the
    comparisons so that the zero fill of the translation does not count as a
    mismatch.
    """
    R, A = _pair(reference, image)
    shift = estimate_shift(R, A, upsample_factor, normalization)
    aligned = translate(A, -shift)
    pad = int(np.ceil(np.abs(shift).max())) + 1
    inner = np.zeros(R.shape, bool)
    inner[pad:-pad or None, pad:-pad or None] = True
    if inner.sum() < 16:
        raise ValueError(f"estimated shift {shift.tolist()} px leaves no overlap with the "
                         "reference; check that the file belongs to this series")
    roi_in = None if roi is None else (np.asarray(roi, bool) & inner)
    if roi_in is not None and roi_in.sum() < 4:
        roi_in = None
    rois = [inner] if roi_in is None else [inner, roi_in]
    before = similarity(R, A, rois=rois)
    after = similarity(R, aligned, rois=rois)
    return FileRegistration(
        shift=shift, before=before[0], after=after[0],
        before_roi=before[1] if roi_in is not None else None,
        after_roi=after[1] if roi_in is not None else None,
        affine=affine_fit(R, aligned, inner),
        moments=footprint_moments(A, roi),
    )


@dataclass(frozen=True)
class MovingMaskDecision:
    """Outcome of the eq. 3.3 decision rule for one series."""

    enabled: bool
    reason: str
    shifted_files: int
    improved_fraction: float
    max_shift_px: float


def decide_moving_mask(registrations, min_shift_px: float = 0.25,
                       consistency: float = 0.8) -> MovingMaskDecision:
    """Enable the moving mask only if shifts matter and alignment consistently helps.

    A file is *shifted* when ``|δ̂_t| > min_shift_px``. The moving mask is
    enabled when at least one file is shifted and, among the shifted files, a
    fraction of at least ``consistency`` improves correlation, SSIM and pooled
    NRMSE together (inside the ROI when one was given).

    Examples
    --------
    >>> d = decide_moving_mask([])
    >>> d.enabled, d.reason
    (False, 'no files')
    """
    regs = list(registrations)
    if not regs:
        return MovingMaskDecision(False, "no files", 0, float("nan"), 0.0)
    norms = np.array([np.hypot(*r.shift) for r in regs])
    shifted = [r for r, n in zip(regs, norms, strict=True) if n > min_shift_px]
    max_shift = float(norms.max())
    if not shifted:
        return MovingMaskDecision(False, f"all |δ̂| ≤ {min_shift_px} px (max {max_shift:.3f})",
                                  0, float("nan"), max_shift)
    frac = float(np.mean([r.improved for r in shifted]))
    enabled = frac >= consistency
    reason = (f"{len(shifted)} file(s) shifted > {min_shift_px} px; alignment improves all "
              f"diagnostics on {frac:.0%} of them ({'≥' if enabled else '<'} {consistency:.0%})")
    return MovingMaskDecision(enabled, reason, len(shifted), frac, max_shift)

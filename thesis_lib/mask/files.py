"""The on-disk contract of ``thesis mask`` and ``thesis extract``.

``mask.npz`` holds ``mask`` (float64 H×W, signed; binary masks in {−1, 0, +1})
plus ``binary``, ``thesis_binary`` (the §3.6 rule without refinement),
``reference`` (D_ref), ``valid``, ``registration_image`` (the reference frame
of :func:`.extract.reference_frame`: the aligned reference files at their mean
position), ``reference_shift_px`` (each reference file's displacement from
that position) and ``params`` (JSON text). ``waveform.npz`` holds ``s`` (float64, one value per
file in scan order), ``shift_px`` (T×2, the estimated displacement (dy, dx) of
each file's footprint relative to the reference — measured from the mean
position of the reference files; the phantom's ground-truth ``shift_px``,
stated from the same origin, compares directly; zeros when registration is off), ``s_static``,
``s_moving``, ``positions_um``, ``moving`` and ``params`` / ``decision`` (JSON text).

Both are written atomically; a re-run whose parameters (and inputs' sizes and
modification times) match the stored ones returns the existing file untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from thesis_lib._npz import write_npz_deterministic
from thesis_lib.xmcd import double_difference, read_scan, read_series
from thesis_lib.xmcd.check import require_clean
from thesis_lib.xmcd.dichroism import median_reference
from thesis_lib.xmcd.layout import NEXUS_SUFFIXES, as_layout

from .extract import align_reference, extract_series, load_mask, registration_image
from .pipeline import build_mask


def _fingerprint(path) -> list:
    """Names, sizes and mtimes of the files under ``path`` (or of the file).

    Every HDF5 file of the folder counts, not only the scan files of a layout:
    an Eiger master file's data files change without the master changing.
    """

    path = Path(path)
    files = ([p for p in sorted(path.iterdir()) if p.suffix in NEXUS_SUFFIXES] if path.is_dir()
             else [path])
    return [[p.name, p.stat().st_size, int(p.stat().st_mtime)] for p in files]


def _layout_param(layout) -> dict:
    """``{"layout": ...}``, what of a layout enters the stored parameters (its content, not
    its file name); empty for our own layout, so that files stored before layouts existed
    still count as up to date."""

    if layout is None:
        return {}
    lay = as_layout(layout)
    return {"layout": {"fields": dict(lay.fields), "files": lay.files,
                       "blocks": lay.block_pattern,
                       "labels": {k: list(v) for k, v in lay.block_labels.items()}}}


def _stored_params(out):
    out = Path(out)
    if not out.is_file():
        return None
    try:
        with np.load(out) as npz:
            return json.loads(str(npz["params"])) if "params" in npz.files else None
    except (OSError, ValueError, KeyError):
        return None


def _save(out, **arrays) -> Path:
    # fixed zip timestamps: the same inputs and seed give the same bytes
    return write_npz_deterministic(out, arrays)


def read_reference(reference, layout=None):
    """Scans of a reference: one NeXus file, or every file of a series folder."""

    reference = Path(reference)
    if reference.is_dir():
        return list(read_series(reference, layout, meta={}).files)
    if reference.is_file():
        return [read_scan(reference, as_layout(layout).mapping, load=False)]
    raise FileNotFoundError(f"{reference}: reference not found; give a NeXus file or a series "
                            "folder (e.g. the phantom's OUT/reference)")


def write_mask(reference, out, method: str = "kmeans", weighted: bool = False,
               how: str = "median", radius: int = 7, seed: int = 0,
               overwrite: bool = False, layout=None, **mask_kwargs) -> Path:
    """Build the mask of a reference acquisition and store it as ``mask.npz``.

    ``how`` selects the reference image (:func:`thesis_lib.xmcd.reference_image`):
    the pixel-wise median of the files, or ``"frame"`` (the first file).
    ``layout`` (:mod:`thesis_lib.xmcd.layout`) describes files not laid out as
    ours; the reference is checked (:func:`thesis_lib.xmcd.check.require_clean`)
    before any frame is averaged.
    """

    params = {"reference": str(Path(reference).resolve()), "method": method,
              **_layout_param(layout), "weighted": bool(weighted), "how": how, "radius": radius,
              "seed": seed,
              "inputs": _fingerprint(reference), **{k: mask_kwargs[k] for k in sorted(mask_kwargs)}}
    if not overwrite and _stored_params(out) == params:
        return Path(out)
    require_clean(reference, layout)
    if how not in ("median", "frame"):
        raise ValueError(f"how must be 'median' or 'frame', not {how!r}")
    scans = read_reference(reference, layout)
    images, valids, regs = [], [], []
    for scan in scans:
        # one streamed pass per file; three images per file are kept, not the four block means
        D, ok = double_difference(scan)
        images.append(D)
        valids.append(ok)
        regs.append(registration_image(scan))
        scan.release()
    ref, valid = ((images[0], valids[0]) if how == "frame"
                  else median_reference(np.stack(images), np.stack(valids)))
    res = build_mask(ref, valid, method=method, weighted=weighted, radius=radius, seed=seed,
                     **mask_kwargs)
    frame = align_reference(regs)
    return _save(out, mask=res.mask.astype(np.float64), binary=res.binary,
                 thesis_binary=res.thesis_binary,
                 weighted=res.weighted if res.weighted is not None else np.zeros((0, 0)),
                 reference=ref, valid=valid,
                 registration_image=frame.image, reference_shift_px=frame.file_shift_px,
                 params=np.array(json.dumps(params)))


def write_waveform(series_dir, mask_path, out, register: str = "auto",
                   overwrite: bool = False, progress=None, layout=None, **extract_kwargs) -> Path:
    """Extract the waveform of a series with a stored mask into ``waveform.npz``.

    The series is checked first (:func:`thesis_lib.xmcd.check.require_clean`);
    ``layout`` describes files not laid out as ours (:mod:`thesis_lib.xmcd.layout`).
    """

    mask_data = load_mask(mask_path)
    params = {"series": str(Path(series_dir).resolve()), "register": register,
              **_layout_param(layout),
              "mask": str(Path(mask_path).resolve()), "mask_params": json.loads(
                  str(mask_data.get("params", np.array("{}")))),
              "inputs": _fingerprint(series_dir),
              **{k: extract_kwargs[k] for k in sorted(extract_kwargs)}}
    if not overwrite and _stored_params(out) == params:
        return Path(out)
    require_clean(series_dir, layout)
    series = read_series(series_dir, layout, meta={})
    ex = extract_series(series, mask_data["mask"], register=register,
                        reference_image=mask_data.get("registration_image"),
                        progress=progress, **extract_kwargs)
    decision = None if ex.decision is None else {
        "enabled": ex.decision.enabled, "reason": ex.decision.reason,
        "shifted_files": ex.decision.shifted_files,
        "improved_fraction": ex.decision.improved_fraction,
        "max_shift_px": ex.decision.max_shift_px}
    return _save(out, s=ex.s, shift_px=ex.shift_px, s_static=ex.s_static, s_moving=ex.s_moving,
                 positions_um=ex.positions_um, moving=np.array(ex.moving),
                 decision=np.array(json.dumps(decision)),
                 diagnostics=np.array(json.dumps(ex.diagnostics)),
                 params=np.array(json.dumps(params)))


def series_waveform(folder, *, layout=None, radius: int = 3):
    """Mask a series from its own files, then extract its waveform; ``(s, positions_um)``.

    The mask (:func:`write_mask`, ``radius``) and the waveform
    (:func:`write_waveform`) are stored beside ``folder`` as
    ``<folder>_mask.npz`` and ``<folder>_waveform.npz``, so a re-run with the
    same inputs reads them back instead of computing them again.

    Examples
    --------
    >>> import tempfile
    >>> from thesis_lib.xmcd import Acquisition, write_scan
    >>> from thesis_lib.xmcd.foreign import planted_scans
    >>> scans, planted = planted_scans(24, 6, 2)
    >>> folder = Path(tempfile.mkdtemp()) / "series"
    >>> for t, frames in enumerate(scans):
    ...     _ = write_scan(folder / f"scan_{t}.nxs", frames, position_um=25.0 * t,
    ...                    acquisition=Acquisition(integration_s=2.0, step_um=25.0))
    >>> s, positions = series_waveform(folder)
    >>> bool(abs(np.corrcoef(s, planted)[0, 1]) > 0.99), positions.tolist()[:3]
    (True, [0.0, 25.0, 50.0])
    """
    folder = Path(folder)
    mask = write_mask(folder, folder.parent / f"{folder.name}_mask.npz", radius=radius,
                      layout=layout)
    wave = write_waveform(folder, mask, folder.parent / f"{folder.name}_waveform.npz",
                          layout=layout)
    with np.load(wave) as npz:
        return npz["s"], npz["positions_um"]

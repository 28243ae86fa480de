"""The chapter-5 experiments as functions: what the Task 1 chapters call.

* :func:`compare_backends` — Table 5.1 (area fraction, components, Δμ) for
  the three back-ends, with compactness, run time and, when the true
  footprint is known, IoU / precision / recall;
* :func:`extract_all` — one pass over a series that aggregates several masks
  (binary, weighted, threshold…) with the static and the moving mask and keeps
  the registration diagnostics, cached (:mod:`.extraction_cache`) so that the
  registration and waveform chapters share the work and re-runs skip it;
* :func:`waveform_table` — noise metric, HF ratio and SNR/correlation against
  the truth for each mask of one extraction.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .extract import extract_series
from .extraction_cache import extraction_key, load_extraction, save_extraction
from .features import check_image
from .pipeline import build_mask
from .quality import detector_metrics, truth_metrics
from .threshold import threshold_mask
from .waveform import waveform_metrics

#: Table 5.1 settings of the thesis (§5.1).
BACKENDS = {
    "kmeans": {"n_clusters": 3, "n_init": 10},
    "gmm": {"n_clusters": 3, "covariance_type": "full"},
    "dbscan": {"eps": 0.75, "min_samples": 25},
}


def _mask_row(mask, reference, valid, truth) -> dict:
    row = detector_metrics(mask, reference, valid)
    if truth is not None:
        tm = truth_metrics(mask, truth)
        row["signed_iou"] = tm["signed_iou"]
        for pol in ("pos", "neg"):
            for key, value in tm[pol].items():
                row[f"{pol}_{key}"] = value
    return row


def compare_backends(reference, valid, truth=None, radius: int = 7, seed: int = 0,
                     dbscan_max_fit: int | None = 20_000, weighted: bool = True,
                     fit_sample: int | None | str = "auto") -> tuple:
    """Build the mask of each back-end and measure it, with the thesis rule and refined.

    ``fit_sample`` fits k-means and the GMM on a seeded subsample of that many
    pixels and then labels every pixel (``None``: fit on all pixels, as the
    thesis does; ``"auto"``: :data:`.clustering.AUTO_FIT_SAMPLE` above that
    size); ``benchmarks/mask.py`` measures what it saves and changes.

    Returns
    -------
    rows : dict
        ``{method: {area_fraction, components, compactness, mu_pos, mu_neg,
        polarity_gap, time_s[, signed_iou, pos_iou, neg_iou, pos_precision, …],
        refined: {the same for the contrast-refined mask}}}``; the top level is
        the thesis's §3.6 rule (Table 5.1).
    results : dict
        ``{method: MaskResult}`` (weighted masks for k-means and GMM); ``None``
        for a back-end that found no two clusters (its row then holds ``error``).
    """
    rows, results = {}, {}
    for method, kwargs in BACKENDS.items():
        kwargs = dict(kwargs)
        if method == "dbscan":
            kwargs["max_fit"] = dbscan_max_fit
        else:
            kwargs["fit_sample"] = fit_sample
        t0 = time.perf_counter()
        try:
            res = build_mask(reference, valid, method=method, radius=radius, seed=seed,
                             cluster_kwargs=kwargs, weighted=weighted and method != "dbscan")
        except ValueError as exc:
            # e.g. DBSCAN finding a single cluster: report it in the table, do not abort it
            rows[method] = {"error": str(exc), "area_fraction": float("nan"), "components": 0,
                            "compactness": float("nan"), "mu_pos": float("nan"),
                            "mu_neg": float("nan"), "polarity_gap": float("nan"),
                            "time_s": time.perf_counter() - t0}
            results[method] = None
            continue
        elapsed = time.perf_counter() - t0
        row = {**_mask_row(res.thesis_binary, reference, valid, truth), "time_s": elapsed,
               "refined": _mask_row(res.binary, reference, valid, truth)}
        rows[method], results[method] = row, res
    return rows, results


def cluster_composition(clustering, established, reference, truth, valid=None) -> list:
    """What each cluster holds, against the true footprint.

    One dict per label (DBSCAN noise −1 included): ``label``, ``pixels``,
    ``true_pos``, ``true_neg``, ``background``, ``mean`` (mean reference
    value, the ranking statistic of §3.6) and ``role`` (``positive``,
    ``negative``, ``discarded`` or ``noise``). It explains a low IoU: which
    cluster took the lobes, and what else it took.

    Examples
    --------
    >>> from thesis_lib.mask.clustering import Clustering
    >>> from thesis_lib.mask.establish import establish_mask
    >>> D = np.array([[9.0, 8.0, 1.0, 0.0, -9.0, 0.5]])
    >>> T = np.array([[1, 1, 0, 0, -1, 0]])
    >>> res = Clustering("toy", np.array([2, 2, 2, 0, 1, -1]))
    >>> rows = cluster_composition(res, establish_mask(res, D, None), D, T)
    >>> [(r["label"], r["role"], r["true_pos"], r["background"]) for r in rows]
    [(-1, 'noise', 0, 1), (0, 'discarded', 0, 1), (1, 'negative', 0, 0), (2, 'positive', 2, 1)]
    """
    X, ok = check_image(reference, valid)
    labels = np.asarray(clustering.labels)
    X = X[ok]
    T = np.sign(np.asarray(truth))[ok]
    rows = []
    for k in np.unique(labels):
        sel = labels == k
        role = ("noise" if k < 0 else "positive" if k == established.positive
                else "negative" if k == established.negative else "discarded")
        rows.append({"label": int(k), "pixels": int(sel.sum()),
                     "true_pos": int((sel & (T > 0)).sum()), "true_neg": int((sel & (T < 0)).sum()),
                     "background": int((sel & (T == 0)).sum()), "mean": float(X[sel].mean()),
                     "role": role})
    return rows


def composition_summary(composition: list) -> str:
    """One sentence on what the kept clusters of a :func:`cluster_composition` hold.

    Names the lobe and background pixels of the kept positive and negative
    clusters, and how many lobe pixels ended in discarded clusters or noise: why
    a mask's IoU against the truth is what it is.

    Examples
    --------
    >>> text = composition_summary([
    ...     {"role": "positive", "true_pos": 40, "true_neg": 0, "background": 3},
    ...     {"role": "negative", "true_pos": 0, "true_neg": 35, "background": 1},
    ...     {"role": "discarded", "true_pos": 5, "true_neg": 0, "background": 900},
    ...     {"role": "noise", "true_pos": 0, "true_neg": 2, "background": 7}])
    >>> for part in text.split("; "):
    ...     print(part)
    kept + cluster: 40 lobe + 3 background px
    kept − cluster: 35 lobe + 1 background px
    5 of 82 lobe px in discarded clusters
    2 of 82 lobe px labelled noise
    """
    by_role = {c["role"]: c for c in composition if c["role"] in ("positive", "negative")}
    lobe = sum(c["true_pos"] + c["true_neg"] for c in composition)
    lost = {role: sum(c["true_pos"] + c["true_neg"] for c in composition if c["role"] == role)
            for role in ("noise", "discarded")}
    p, n = by_role["positive"], by_role["negative"]
    text = (f"kept + cluster: {p['true_pos']} lobe + {p['background']} background px; "
            f"kept − cluster: {n['true_neg']} lobe + {n['background']} background px")
    if lost["discarded"]:
        text += f"; {lost['discarded']} of {lobe} lobe px in discarded clusters"
    if lost["noise"]:
        text += f"; {lost['noise']} of {lobe} lobe px labelled noise"
    return text


def extract_all(series_dir, masks: dict, reference_image, cache=None, register: str = "auto",
                primary: str | None = None, progress=None, layout=None) -> dict:
    """Aggregate every mask of ``masks`` over one series in a single pass (cached).

    Parameters
    ----------
    series_dir : path
    masks : dict ``{name: (H, W)}``
        The first (or ``primary``) mask sets the registration ROI.
    reference_image : (H, W) array
        Registration image of the reference acquisition.
    cache : path, optional
        ``.npz`` file; reused when the masks, reference image, register mode
        and the series' files are unchanged.
    layout : Layout or path, optional
        How the series' files are laid out (:mod:`thesis_lib.xmcd.layout`); our own
        layout by default.

    Returns
    -------
    dict
        ``shift_px``, ``moving`` (bool), ``decision`` (dict or None),
        ``diagnostics`` (list), ``positions_um`` and, per mask name,
        ``static`` / ``moving`` waveforms under ``waveforms[name]``.
    """
    # Deferred on purpose: importing thesis_lib.xmcd takes seconds, and the other
    # experiments of this module never read a series.
    from thesis_lib.xmcd import read_series

    names = list(masks)
    primary = primary or names[0]
    key = extraction_key(series_dir, masks, reference_image, register=register, primary=primary)
    cached = load_extraction(cache, key, names)
    if cached is not None:
        return cached
    ex = extract_series(read_series(Path(series_dir), layout), masks[primary], register=register,
                        reference_image=reference_image,
                        masks={n: masks[n] for n in names if n != primary}, progress=progress)
    waveforms = {primary: {"static": ex.s_static, "moving": ex.s_moving}, **ex.extra}
    decision = None if ex.decision is None else {
        "enabled": ex.decision.enabled, "reason": ex.decision.reason,
        "shifted_files": ex.decision.shifted_files,
        "improved_fraction": ex.decision.improved_fraction,
        "max_shift_px": ex.decision.max_shift_px}
    out = {"shift_px": ex.shift_px, "moving": ex.moving, "decision": decision,
           "diagnostics": ex.diagnostics, "positions_um": ex.positions_um,
           "waveforms": waveforms}
    if cache is not None:
        save_extraction(cache, key, out)
    return out


def chosen_waveform(extraction: dict, name: str) -> np.ndarray:
    """The waveform of mask ``name`` with the mask mode the decision rule chose."""
    wf = extraction["waveforms"][name]
    return wf["moving"] if extraction["moving"] else wf["static"]


def waveform_table(extraction: dict, s_true=None, sg_window: int = 7) -> dict:
    """``{mask name: waveform_metrics}`` for the chosen (static or moving) waveforms."""
    return {name: waveform_metrics(chosen_waveform(extraction, name), s_true, window=sg_window)
            for name in extraction["waveforms"]}


def percent_change(new: float, old: float) -> float:
    """``100 · (new − old) / old`` — the thesis's "% change" of a metric.

    Examples
    --------
    >>> percent_change(43.05, 100.0)
    -56.95
    """
    return float(100.0 * (new - old) / old) if old else float("nan")


def series_masks(reference, valid, radius: int = 7, seed: int = 0,
                 threshold_percentile: float = 95.0) -> dict:
    """The masks the waveform chapters compare, built from one reference image.

    ``kmeans`` (binary, §3.6 with the contrast refinement of
    :mod:`.establish`), ``kmeans_thesis`` (binary, the thesis's §3.6 rule),
    ``kmeans_weighted`` (§3.7, distance softmax, q = 99.5, no smoothing),
    ``gmm_weighted`` (§3.7 with GMM responsibilities) and ``threshold`` (the
    §2.1 baseline at the given percentile of |D|). The k-means mask comes
    first: it sets the registration ROI.
    """
    km = build_mask(reference, valid, method="kmeans", weighted=True, radius=radius, seed=seed)
    gm = build_mask(reference, valid, method="gmm", weighted=True, radius=radius, seed=seed)
    return {"kmeans": km.binary, "kmeans_thesis": km.thesis_binary, "kmeans_weighted": km.weighted,
            "gmm_weighted": gm.weighted,
            "threshold": threshold_mask(reference, valid, percentile=threshold_percentile)}

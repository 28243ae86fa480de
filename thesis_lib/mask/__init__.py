"""Task 1: detector pixel masks, registration and waveform extraction (thesis ch. 3 and 5).

Modules, one idea each:

* :mod:`.features` — 5-D pixel features (eqs. 3.6–3.12);
* :mod:`.clustering` — k-means, GMM and bounded-memory DBSCAN back-ends (§3.5);
* :mod:`.establish` — cluster ranking to a signed mask (§3.6);
* :mod:`.weighted` — the weighted mask (§3.7, eqs. 3.17–3.21);
* :mod:`.threshold` — the global-threshold baseline (§2.1);
* :mod:`.quality` — detector-plane and ground-truth mask metrics (§5.2);
* :mod:`.registration` — shift estimation, diagnostics and the moving-mask rule (§3.3);
* :mod:`.waveform` — signed aggregation (eqs. 3.2/3.4) and waveform metrics;
* :mod:`.pipeline` — reference image to mask in one call;
* :mod:`.extract` — series files to waveform, with registration (eqs. 3.2–3.4);
* :mod:`.files` — the ``mask.npz`` / ``waveform.npz`` contract of the CLI;
* :mod:`.ensemble` — consensus masks and the grid search of §7.1;
* :mod:`.study` — the chapter-5 experiments the chapters call.
"""

from .clustering import Clustering, cluster, cluster_dbscan, cluster_gmm, cluster_kmeans
from .establish import EstablishedMask, establish_mask, extreme_memberships
from .extract import Extraction, ReferenceFrame, extract_series, reference_frame
from .features import PixelFeatures, pixel_features
from .pipeline import MaskResult, build_mask
from .quality import detector_metrics, error_locations, truth_metrics
from .registration import relative_to_reference
from .threshold import threshold_mask
from .weighted import amplitude_gate, weighted_mask

__all__ = [
    "Clustering", "cluster", "cluster_kmeans", "cluster_gmm", "cluster_dbscan",
    "EstablishedMask", "establish_mask", "extreme_memberships",
    "PixelFeatures", "pixel_features", "detector_metrics", "truth_metrics",
    "threshold_mask", "amplitude_gate", "weighted_mask", "MaskResult", "build_mask",
    "Extraction", "extract_series", "ReferenceFrame", "reference_frame", "relative_to_reference",
    "error_locations",
]

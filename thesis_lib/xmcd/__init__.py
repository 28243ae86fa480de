"""XMCD acquisitions: NeXus I/O, double difference, normalisation, synthetic beamline.

Reading real or synthetic data::

    from thesis_lib.xmcd import read_series, double_difference, robust_normalise, reference_image
    # a folder of per-position NeXus files + series.yml
    series = read_series("data/s2")
    D, valid = double_difference(series.files[0])   # eq. 2.2, invalid pixels 0 / False
    Z = robust_normalise(D, valid)                  # (D - median) / IQR, percentile fallback
    ref, ref_valid = reference_image(read_series("data/reference"), how="median")

Files laid out as other beamlines write them are read through a layout
(:mod:`thesis_lib.xmcd.layout`, ``layout=`` / ``--layout L.yml``) and checked
as a whole before a long job (:func:`thesis_lib.xmcd.check.check_series`).

Writing the synthetic stand-ins of Table 5.2 (with ground truth beside the
files): :func:`thesis_lib.xmcd.phantom.write_phantom` or ``thesis phantom``.
"""

from .check import check_series
from .dichroism import (
    average_frames,
    dichroic_stack,
    double_difference,
    reference_image,
    shot_noise_std,
)
from .errors import (
    CorruptFileError,
    FrameShapeError,
    InvalidFrameError,
    LayoutError,
    MissingCombinationError,
    MissingDatasetError,
    NonFiniteFrameError,
    SeriesLayoutError,
    UnitsError,
    UnknownSeriesError,
    XMCDDataError,
)
from .layout import Layout, load_layout
from .nexus import COMBINATIONS, DEFAULT_MAPPING, ScanFile, pixel_validity, read_scan
from .normalise import RobustNormaliser, robust_normalise
from .series import (
    Series,
    describe_series,
    read_series,
    series_digest,
    signal_cycles,
    write_series_yml,
)
from .writer import Acquisition, nexus_tree, write_scan

__all__ = [
    "average_frames", "dichroic_stack", "double_difference", "reference_image", "shot_noise_std",
    "COMBINATIONS", "DEFAULT_MAPPING", "ScanFile", "nexus_tree", "pixel_validity", "read_scan",
    "write_scan", "Acquisition", "RobustNormaliser", "robust_normalise", "Series",
    "describe_series",
    "read_series", "series_digest", "signal_cycles", "write_series_yml", "XMCDDataError",
    "CorruptFileError", "FrameShapeError",
    "InvalidFrameError", "MissingCombinationError", "MissingDatasetError", "NonFiniteFrameError",
    "SeriesLayoutError", "UnknownSeriesError", "UnitsError", "LayoutError", "Layout", "load_layout",
    "check_series",
]

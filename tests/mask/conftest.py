"""Small synthetic dichroic images with a planted signed footprint.

They stand in for the beamline phantom in the unit tests: a positive and a
negative lobe of known extent whose contrast varies along the lobe, on a
background of white noise, optionally with a few invalid pixels.
"""

import numpy as np
import pytest


def footprint(shape=(64, 64), center=None, amplitude=1.0):
    """Signed magnetic contrast S_mag: two elliptical lobes side by side.

    Returns ``(S_mag, truth)`` with ``truth`` in {-1, 0, 1}.
    """
    H, W = shape
    cy, cx = center if center is not None else (H / 2, W / 2)
    yy, xx = np.mgrid[0:H, 0:W].astype(float)
    pos = ((yy - cy) / (0.18 * H)) ** 2 + ((xx - (cx - 0.15 * W)) / (0.1 * W)) ** 2 <= 1
    neg = ((yy - cy) / (0.18 * H)) ** 2 + ((xx - (cx + 0.15 * W)) / (0.1 * W)) ** 2 <= 1
    # contrast varies along each lobe (heterogeneous footprint intensity, §3.7)
    along = 0.5 + 0.5 * (yy - (cy - 0.18 * H)) / (0.36 * H)
    S = amplitude * along * (pos.astype(float) - neg.astype(float))
    return S, (pos.astype(np.int8) - neg.astype(np.int8))


def planted_frame(shape=(64, 64), noise=0.15, seed=0, invalid_fraction=0.0, s=1.0):
    """Dichroic image ``s * S_mag + noise`` with its truth and valid map."""
    rng = np.random.default_rng(seed)
    S, truth = footprint(shape)
    D = s * S + noise * rng.standard_normal(shape)
    valid = rng.random(shape) >= invalid_fraction
    return np.where(valid, D, 0.0), truth, valid, S


@pytest.fixture
def frame():
    return planted_frame()

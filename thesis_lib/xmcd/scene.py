"""What the detector sees in the synthetic beamline: background, magnetic footprint, defects.

The two terms of eq. 2.1 are evaluated per pixel, in counts per second:

* ``S0`` (background): flux × illumination (a linear gradient under a broad
  beam profile) × a smooth random absorption texture × (1 + a few bright
  blobs).
* ``S_mag`` (magnetic term): a curved arc band across the field of view made of
  two parallel lobes of opposite sign, with an intensity that varies along the
  arc, scaled so that ``|S_mag| <= contrast * S0`` (4 % by default). It is
  proportional to the local illumination and texture because the dichroic
  signal rides on the same absorption.

Everything except the texture is an analytic function of the detector
coordinates, so a translated scene is evaluated exactly at ``p - shift``; the
texture (a low-pass random field) is translated with cubic splines. Detector
defects (dead and hot pixels) do not move with the sample. The scene depends
only on the geometry seed, never on the noise seed.

References
----------
.. [1] L. Terna, "Recovering audio heritage using synchrotron X-rays and machine
   learning techniques", MSc thesis, Politecnico di Torino, 2026, eq. 2.1 and
   Fig. 2.1 (the signed arc-shaped footprint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.special import expit

from .nexus import PIXEL_DEAD, PIXEL_HOT


@dataclass(frozen=True)
class SceneParams:
    """Knobs of the detector scene (fractions are of the detector width)."""

    flux_counts_per_s: float = 300.0
    contrast: float = 0.04
    illumination_gradient: float = 0.3
    texture_std: float = 0.12
    texture_corr: float = 1 / 32
    n_blobs: int = 4
    blob_gain: tuple = (2.0, 4.5)
    blob_radius: tuple = (1 / 40, 1 / 18)
    lobe_width: float = 0.03
    lobe_gap: float = 0.008
    edge_px: float = 0.35
    hot_fraction: float = 5e-4
    dead_fraction: float = 5e-4
    hot_dark_counts_per_s: float = 2500.0


class DetectorScene:
    """Background, magnetic term and defects of one detector, from a geometry RNG.

    Examples
    --------
    >>> import numpy as np
    >>> scene = DetectorScene((64, 64), np.random.default_rng(0))
    >>> s0, smag = scene.background(), scene.magnetic()
    >>> bool(np.all(np.abs(smag) <= 0.04 * s0 + 1e-12))
    True
    >>> sorted(np.unique(scene.footprint).tolist())
    [-1, 0, 1]
    """

    def __init__(self, shape, rng, params: SceneParams = SceneParams()):
        self.shape = tuple(int(n) for n in shape)
        self.params = p = params
        H, W = self.shape
        # Illumination: linear gradient in a random direction under a broad Gaussian spot.
        angle = rng.uniform(0, 2 * np.pi)
        self._grad = p.illumination_gradient * np.array([np.sin(angle), np.cos(angle)])
        self._spot = np.array([rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65)])
        # Texture: low-pass white noise, log-normal so that it stays positive.
        sigma_px = p.texture_corr * W
        field = ndimage.gaussian_filter(rng.standard_normal(self.shape), sigma_px, mode="wrap")
        self._texture_log = p.texture_std * field / field.std()
        self._texture_coeffs = ndimage.spline_filter(self._texture_log, order=3, mode="grid-wrap")
        # Bright blobs (dust, thicker substrate).
        self._blobs = [(rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(*p.blob_gain),
                        rng.uniform(*p.blob_radius)) for _ in range(p.n_blobs)]
        # Arc: centre below the field of view so that the band crosses it from side to side.
        self._arc_centre = np.array([rng.uniform(1.35, 1.55), rng.uniform(0.4, 0.6)])  # (y, x)
        self._arc_radius = self._arc_centre[0] - rng.uniform(0.4, 0.5)
        self._arc_freq = rng.uniform(2.0, 3.5)
        self._arc_phase = rng.uniform(0, 2 * np.pi)
        # Detector defects: fixed pixels, unaffected by drift.
        n = H * W
        idx = rng.choice(n, size=int(round((p.hot_fraction + p.dead_fraction) * n)), replace=False)
        n_hot = int(round(p.hot_fraction * n))
        self.pixel_mask = np.zeros(n, np.uint32)
        self.pixel_mask[idx[:n_hot]] = PIXEL_HOT
        self.pixel_mask[idx[n_hot:]] = PIXEL_DEAD
        self.pixel_mask = self.pixel_mask.reshape(self.shape)
        self.response = (self.pixel_mask != PIXEL_DEAD).astype(float)
        self.dark_counts_per_s = np.where(self.pixel_mask == PIXEL_HOT, p.hot_dark_counts_per_s,
                                          0.0)
        self.footprint = self._footprint()

    # -- the two terms of eq. 2.1 ----------------------------------------------------------
    def background(self, shift=(0.0, 0.0)) -> np.ndarray:
        """``S0`` in counts/s with the sample translated by ``shift`` = (dy, dx) pixels."""
        return self.terms(shift)[0]

    def magnetic(self, shift=(0.0, 0.0)) -> np.ndarray:
        """``S_mag`` in counts/s (signed), translated by ``shift``."""
        return self.terms(shift)[1]

    def terms(self, shift=(0.0, 0.0)):
        """``(S0, S_mag)`` together (they share the absorption map, computed once)."""
        y, x = self._coords(shift)
        absorption = self._absorption(y, x, shift)
        blobs = sum(g * np.exp(-((y - by) ** 2 + (x - bx) ** 2) / (2 * r**2))
                    for by, bx, g, r in self._blobs)
        pos, neg, along = self._lobes(y, x)
        return absorption * (1.0 + blobs), self.params.contrast * along * (pos - neg) * absorption

    # -- pieces -----------------------------------------------------------------------------
    def _coords(self, shift):
        H, W = self.shape
        yy, xx = np.meshgrid(np.arange(H) - shift[0], np.arange(W) - shift[1], indexing="ij")
        return (yy + 0.5) / W, (xx + 0.5) / W   # one length unit for both axes (detector width)

    def _absorption(self, y, x, shift):
        H, W = self.shape
        illum = (1.0 + self._grad[0] * 2 * (y - 0.5) + self._grad[1] * 2 * (x - 0.5))
        illum = illum * np.exp(-((y - self._spot[0]) ** 2 + (x - self._spot[1]) ** 2)
                               / (2 * 0.7**2))
        tex = self._texture_log
        if shift[0] or shift[1]:
            tex = ndimage.shift(self._texture_coeffs, shift, order=3, mode="grid-wrap",
                                prefilter=False)
        return self.params.flux_counts_per_s * illum * np.exp(tex)

    def _lobes(self, y, x):
        """Positive (inner) and negative (outer) lobe memberships in [0, 1] and along-arc gain."""
        p, W = self.params, self.shape[1]
        cy, cx = self._arc_centre
        r = np.hypot(y - cy, x - cx)
        theta = np.arctan2(x - cx, cy - y)
        edge = p.edge_px / W
        inner_hi = self._arc_radius - p.lobe_gap / 2
        outer_lo = self._arc_radius + p.lobe_gap / 2
        pos = expit((r - (inner_hi - p.lobe_width)) / edge) * expit((inner_hi - r) / edge)
        neg = expit((r - outer_lo) / edge) * expit((outer_lo + p.lobe_width - r) / edge)
        along = 0.65 + 0.35 * np.cos(self._arc_freq * theta + self._arc_phase)
        return pos, neg, along

    def _footprint(self):
        pos, neg, _ = self._lobes(*self._coords((0.0, 0.0)))
        return (np.where(pos >= 0.5, 1, 0) - np.where(neg >= 0.5, 1, 0)).astype(np.int8)

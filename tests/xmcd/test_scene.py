"""Detector scene: magnitude of the magnetic term, footprint geometry, exact translation."""

import numpy as np

from thesis_lib.xmcd.nexus import PIXEL_DEAD, PIXEL_HOT
from thesis_lib.xmcd.scene import DetectorScene, SceneParams


def _scene(n=96, seed=0):
    return DetectorScene((n, n), np.random.default_rng(seed))


def test_magnetic_term_is_a_few_percent_of_background():
    scene = _scene()
    s0, smag = scene.terms()
    ratio = np.abs(smag) / s0
    assert ratio.max() <= SceneParams().contrast + 1e-12
    assert ratio.max() > 0.5 * SceneParams().contrast


def test_footprint_is_a_signed_arc_band_crossing_the_field():
    scene = _scene()
    fp = scene.footprint
    # both lobes reach from the left edge to the right edge of the detector
    for sign in (1, -1):
        cols = np.nonzero((fp == sign).any(axis=0))[0]
        assert cols.min() == 0 and cols.max() == fp.shape[1] - 1
    # the arc's centre is below the field: the positive (inner) lobe runs below the negative one
    for col in range(fp.shape[1]):
        rows_pos, rows_neg = np.nonzero(fp[:, col] == 1)[0], np.nonzero(fp[:, col] == -1)[0]
        assert rows_neg.max() < rows_pos.min()
    # curved: the band's row changes across the field
    rows = [np.nonzero(fp[:, c] == 1)[0].mean() for c in (0, fp.shape[1] // 2, fp.shape[1] - 1)]
    assert rows[1] < rows[0] - 2 and rows[1] < rows[2] - 2
    # the footprint is the sign of the magnetic term where the lobe is well inside
    smag = scene.magnetic()
    assert np.all(np.sign(smag[fp != 0]) == fp[fp != 0])


def test_integer_shift_equals_rolled_scene():
    """Analytic terms and the spline-shifted texture agree with a plain roll for integer shifts."""
    scene = _scene(64)
    s0, smag = scene.terms()
    s0_s, smag_s = scene.terms((3.0, -5.0))
    inner = (slice(8, -8), slice(8, -8))
    np.testing.assert_allclose(s0_s[inner], np.roll(s0, (3, -5), axis=(0, 1))[inner], rtol=1e-9)
    np.testing.assert_allclose(smag_s[inner], np.roll(smag, (3, -5), axis=(0, 1))[inner],
                               rtol=1e-9, atol=1e-12)


def test_defects_are_fixed_and_geometry_seeded():
    a, b, c = _scene(seed=0), _scene(seed=0), _scene(seed=1)
    np.testing.assert_array_equal(a.pixel_mask, b.pixel_mask)
    assert not np.array_equal(a.footprint, c.footprint)
    assert set(np.unique(a.pixel_mask)) == {0, PIXEL_DEAD, PIXEL_HOT}
    assert np.all(a.response[a.pixel_mask == PIXEL_DEAD] == 0)

"""Streamed block means (a few frames at a time) equal the in-memory route."""

import numpy as np
import pytest

from thesis_lib.mask.extract import extract_series, registration_image
from thesis_lib.xmcd import (
    COMBINATIONS,
    Acquisition,
    double_difference,
    read_scan,
    read_series,
    write_scan,
)
from thesis_lib.xmcd import frames as frame_io
from thesis_lib.xmcd.errors import InvalidFrameError


def _series(folder, n=4, frames=5, shape=(24, 20), seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir()
    data = []
    for t in range(n):
        f = {hm: rng.integers(100, 4000, (frames,) + shape).astype(np.uint16)
             for hm in COMBINATIONS}
        write_scan(folder / f"scan_{t}.nxs", f, position_um=25.0 * t,
                   acquisition=Acquisition(integration_s=1.0), saturation_value=3990,
                   compression="gzip")
        data.append(f)
    return data


def test_batches_of_one_frame_give_the_in_memory_means(tmp_path, monkeypatch):
    data = _series(tmp_path / "s")
    # one frame per read: every batch boundary is exercised
    monkeypatch.setattr(frame_io, "READ_BYTES", 1)
    scan = read_scan(tmp_path / "s" / "scan_1.nxs", load=False)
    for hm in COMBINATIONS:
        # integer counts: every partial sum is exact in float64, whatever the batching
        np.testing.assert_array_equal(scan.means()[hm],
                                      data[1][hm].astype(np.float64).mean(axis=0))
    loaded = read_scan(tmp_path / "s" / "scan_1.nxs", load=True)
    # saturation found while streaming
    np.testing.assert_array_equal(scan.valid, loaded.valid)
    assert 0 < scan.valid.sum() < scan.valid.size


def test_extraction_streamed_equals_in_memory(tmp_path):
    data = _series(tmp_path / "s")
    series = read_series(tmp_path / "s", meta={})
    loaded = read_series(tmp_path / "s", meta={}).files
    memory = [{**f, "valid": s.load().valid} for f, s in zip(data, loaded, strict=True)]
    mask = np.sign(np.random.default_rng(1).normal(size=(24, 20)))
    a = extract_series(series, mask, register="off")
    b = extract_series(memory, mask, register="off")
    np.testing.assert_allclose(a.s, b.s, rtol=1e-12)
    D_stream, _ = double_difference(series.files[0])
    D_memory, _ = double_difference(memory[0])
    np.testing.assert_allclose(D_stream, D_memory, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(registration_image(series.files[2]), registration_image(memory[2]),
                               rtol=1e-9, atol=1e-9)


def test_empty_frame_is_found_while_streaming(tmp_path):
    frames = {hm: np.full((3, 4, 4), 200, np.uint16) for hm in COMBINATIONS}
    frames[(1, -1)][2] = 4095
    path = write_scan(tmp_path / "sat.nxs", frames, position_um=0.0,
                      acquisition=Acquisition(integration_s=1.0), saturation_value=4095)
    with pytest.raises(InvalidFrameError, match=r"sat.nxs.*\(1, -1\) frame 2 has no valid pixel"):
        read_scan(path, load=False).means()


def test_stored_reference_equals_reference_image_and_frame(tmp_path):
    """write_mask computes D and the registration image in one pass per file; same result."""
    from thesis_lib.mask.extract import reference_frame
    from thesis_lib.mask.files import write_mask
    from thesis_lib.xmcd import reference_image

    _series(tmp_path / "s", n=3)
    out = write_mask(tmp_path / "s", tmp_path / "m.npz", radius=1)
    ref, valid = reference_image(read_series(tmp_path / "s", meta={}))
    frame = reference_frame(read_series(tmp_path / "s", meta={}).files)
    with np.load(out) as m:
        np.testing.assert_allclose(m["reference"], ref, rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(m["valid"], valid)
        np.testing.assert_allclose(m["registration_image"], frame.image, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(m["reference_shift_px"], frame.file_shift_px, atol=1e-9)

"""NeXus I/O: exact round trip, user mappings, and one clear error per bad input."""

import h5py
import numpy as np
import pytest

from thesis_lib.xmcd import (
    COMBINATIONS,
    Acquisition,
    CorruptFileError,
    FrameShapeError,
    InvalidFrameError,
    MissingCombinationError,
    MissingDatasetError,
    NonFiniteFrameError,
    read_scan,
    write_scan,
)
from thesis_lib.xmcd.nexus import PIXEL_DEAD


def _frames(rng, n=3, shape=(6, 5), dtype=np.uint16):
    return {hm: rng.integers(100, 4000, size=(n,) + shape).astype(dtype) for hm in COMBINATIONS}


def test_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(1)
    frames = _frames(rng)
    mask = np.zeros((6, 5), np.uint32)
    mask[2, 3] = PIXEL_DEAD
    path = write_scan(tmp_path / "a.nxs", frames, position_um=1234.5,
                      acquisition=Acquisition(integration_s=6.0, count_time_s=3.0, repeats=2,
                                              step_um=25.0, beam_um=(26.0, 25.0)),
                      pixel_mask=mask, saturation_value=4095)
    scan = read_scan(path)
    for hm in COMBINATIONS:
        np.testing.assert_array_equal(scan.frames[hm], frames[hm].astype(np.float64))
        assert scan.frames[hm].dtype == np.float64
    assert (scan.position_um, scan.integration_s, scan.count_time_s) == (1234.5, 6.0, 3.0)
    assert ((scan.repeats, scan.step_um, scan.beam_um, scan.saturation_value)
            == (2, 25.0, (26.0, 25.0), 4095))
    assert not scan.valid[2, 3] and scan.valid.sum() == 29


def test_float_frames_round_trip_bit_for_bit(tmp_path):
    frames = {hm: np.random.default_rng(2).random((2, 4, 4)) * 1e3 for hm in COMBINATIONS}
    scan = read_scan(write_scan(tmp_path / "f.nxs", frames, position_um=0.0,
                                acquisition=Acquisition(integration_s=2.0)))
    for hm in COMBINATIONS:
        assert scan.frames[hm].tobytes() == frames[hm].tobytes()


def test_mapping_reads_a_differently_laid_out_file(tmp_path):
    """Per-combination datasets with axes (y, x, frame), position in mm, literal integration."""
    rng = np.random.default_rng(3)
    frames = _frames(rng, n=2, shape=(4, 7))
    path = tmp_path / "other.h5"
    keys = {(1, 1): "pp", (-1, 1): "mp", (1, -1): "pm", (-1, -1): "mm"}
    with h5py.File(path, "w") as h5:
        for hm, name in keys.items():
            # stored as (y, x, frame)
            h5[f"scan/cam/{name}"] = np.transpose(frames[hm], (1, 2, 0))
        h5["scan/motor_x"] = 1.25
        h5["scan/motor_x"].attrs["units"] = "mm"
    mapping = {"frames": {"++": "/scan/cam/pp", "-+": "/scan/cam/mp", "+-": "/scan/cam/pm",
                          "--": "/scan/cam/mm"},
               "frame_axes": "yxf", "position_um": "/scan/motor_x", "integration_s": 6.0}
    scan = read_scan(path, mapping)
    assert scan.position_um == pytest.approx(1250.0) and scan.integration_s == 6.0
    for hm in COMBINATIONS:
        np.testing.assert_array_equal(scan.frames[hm], frames[hm])


def test_mapping_with_stacked_combinations_and_literal_labels(tmp_path):
    rng = np.random.default_rng(4)
    frames = _frames(rng, n=2, shape=(3, 3))
    order = [(-1, -1), (1, 1), (1, -1), (-1, 1)]
    path = tmp_path / "stacked.h5"
    with h5py.File(path, "w") as h5:
        h5["d"] = np.stack([frames[hm] for hm in order], axis=1)     # (frame, combination, y, x)
        h5["pos"] = 50.0
    scan = read_scan(path, {"frames": "/d", "frame_axes": "fcyx", "helicity": [h for h, _ in order],
                            "magnetisation": [m for _, m in order], "position_um": "/pos",
                            "integration_s": 2.0})
    for hm in COMBINATIONS:
        np.testing.assert_array_equal(scan.frames[hm], frames[hm])


def test_saturated_pixels_are_invalid(tmp_path):
    frames = {hm: np.full((2, 3, 3), 500, np.uint16) for hm in COMBINATIONS}
    frames[(-1, 1)][1, 0, 2] = 4095
    scan = read_scan(write_scan(tmp_path / "s.nxs", frames, position_um=0.0,
                                acquisition=Acquisition(integration_s=2.0), saturation_value=4095))
    assert scan.valid.sum() == 8 and not scan.valid[0, 2]
    reasons = scan.invalid_reasons()
    assert reasons["saturated"].sum() == 1 and reasons["saturated"][0, 2]
    assert not reasons["flagged"].any() and not reasons["nonfinite"].any()


# -- one error per bad input -------------------------------------------------------------------

def test_missing_combination(tmp_path):
    path = write_scan(tmp_path / "m.nxs", _frames(np.random.default_rng(0)), position_um=0.0,
                      acquisition=Acquisition(integration_s=2.0))
    with h5py.File(path, "r+") as h5:
        h5["entry/instrument/detector/magnetisation"][...] = np.array([1, 1, 1, 1], np.int8)
    with pytest.raises(MissingCombinationError, match="m.nxs") as err:
        read_scan(path)
    assert "(1, -1)" in str(err.value) and "mapping" in str(err.value)


def test_mismatched_frame_shapes(tmp_path):
    path = tmp_path / "shapes.h5"
    with h5py.File(path, "w") as h5:
        for i, _hm in enumerate(COMBINATIONS):
            h5[f"c{i}"] = np.ones((1, 4, 4 if i else 5))
        h5["pos"] = 0.0
    mapping = {"frames": {hm: f"/c{i}" for i, hm in enumerate(COMBINATIONS)}, "frame_axes": "fyx",
               "position_um": "/pos", "integration_s": 1.0}
    with pytest.raises(FrameShapeError, match="shapes.h5.*different frame shapes"):
        read_scan(path, mapping)


def test_non_finite_frames(tmp_path):
    frames = {hm: np.full((2, 3, 3), 10.0) for hm in COMBINATIONS}
    frames[(1, -1)][1, 1, 1] = np.nan
    path = write_scan(tmp_path / "nan.nxs", frames, position_um=0.0,
                      acquisition=Acquisition(integration_s=1.0))
    with pytest.raises(NonFiniteFrameError,
                       match=r"nan.nxs.*\(1, -1\) frames \[1\].*nonfinite='mask'"):
        read_scan(path)
    scan = read_scan(path, nonfinite="mask")
    assert not scan.valid[1, 1] and scan.valid.sum() == 8


def test_entirely_invalid_frame(tmp_path):
    frames = {hm: np.full((3, 4, 4), 200, np.uint16) for hm in COMBINATIONS}
    frames[(-1, -1)][2] = 4095
    path = write_scan(tmp_path / "sat.nxs", frames, position_um=0.0,
                      acquisition=Acquisition(integration_s=1.0), saturation_value=4095)
    with pytest.raises(InvalidFrameError, match=r"sat.nxs.*\(-1, -1\) frame 2 has no valid pixel"):
        read_scan(path)


def test_truncated_file(tmp_path):
    path = write_scan(tmp_path / "t.nxs", _frames(np.random.default_rng(0), shape=(32, 32)),
                      position_um=0.0, acquisition=Acquisition(integration_s=1.0))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="t.nxs.*truncated.*copy it again"):
        read_scan(path)


def test_missing_dataset_names_the_mapping(tmp_path):
    path = tmp_path / "bare.h5"
    with h5py.File(path, "w") as h5:
        h5["frames"] = np.ones((4, 1, 2, 2))
    with pytest.raises(MissingDatasetError, match="bare.h5.*x_translation.*mapping"):
        read_scan(path)


def test_unknown_mapping_key_is_named(tmp_path):
    path = write_scan(tmp_path / "k.nxs", _frames(np.random.default_rng(0)), position_um=0.0,
                      acquisition=Acquisition(integration_s=1.0))
    with pytest.raises(ValueError, match=r"unknown mapping key.*'postion_um'.*position_um"):
        read_scan(path, {"postion_um": "/x"})


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.nxs"):
        read_scan(tmp_path / "nope.nxs")

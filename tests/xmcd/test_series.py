"""Series folders: scan order, metadata, Table 5.2 rows rebuilt from the files."""

import numpy as np
import pytest

from thesis_lib.xmcd import (
    COMBINATIONS,
    Acquisition,
    FrameShapeError,
    SeriesLayoutError,
    describe_series,
    read_series,
    write_scan,
    write_series_yml,
)
from thesis_lib.xmcd.phantom import load_manifest, write_phantom


def _write(folder, names, shape=(4, 4)):
    for i, name in enumerate(names):
        write_scan(folder / name, {hm: np.full((1,) + shape, 10.0 * i) for hm in COMBINATIONS},
                   position_um=25.0 * i,
                   acquisition=Acquisition(integration_s=6.0, step_um=25.0, beam_um=(26.0, 25.0)))


def test_files_in_natural_order(tmp_path):
    names = ["scan_1.nxs", "scan_2.nxs", "scan_10.nxs"]
    _write(tmp_path, names)
    write_series_yml(tmp_path, {"tape_speed_m_s": 0.381, "test_tone_hz": 261.0})
    (tmp_path / "notes.txt").write_text("ignored")
    series = read_series(tmp_path)
    assert [f.path.name for f in series.files] == names
    assert series.meta["test_tone_hz"] == 261.0
    # lazy files still give frames and validity on demand
    assert series.files[2].frames[(1, 1)][0, 0, 0] == 20.0 and series.files[2].valid.all()


def test_missing_series_yml_and_empty_folder(tmp_path):
    _write(tmp_path, ["a.nxs"])
    with pytest.raises(SeriesLayoutError, match="series.yml"):
        read_series(tmp_path)
    assert len(read_series(tmp_path, meta={"tape_speed_m_s": 0.381})) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    write_series_yml(empty, {})
    with pytest.raises(SeriesLayoutError, match="no NeXus files"):
        read_series(empty)


def test_files_with_different_detector_shapes(tmp_path):
    _write(tmp_path, ["a_0.nxs"], shape=(4, 4))
    _write(tmp_path, ["b_0.nxs"], shape=(4, 5))
    write_series_yml(tmp_path, {})
    with pytest.raises(FrameShapeError, match="detector shape.*b_0.nxs"):
        read_series(tmp_path)


def test_table_row_rebuilt_from_phantom_files(tmp_path):
    """Series s8 (6 s, 400 um, 6 cycles) as Table 5.2 prints it, from the files alone."""
    folder = write_phantom(tmp_path, "s8", detector=16, workers=1)["s8"]
    row = describe_series(read_series(folder))
    assert row["integration"] == "6 s × 2 pol" and row["step_size"] == "400 um"
    assert row["beam_size"] == "26 um × 25 um" and row["signal_length"] == "6 cycles"
    assert row["n_files"] == load_manifest()["s8"].n_positions(0.381)


def test_repeats_appear_in_the_integration_cell(tmp_path):
    _write(tmp_path, ["a.nxs"])
    write_scan(tmp_path / "a.nxs", {hm: np.ones((2, 4, 4)) for hm in COMBINATIONS}, position_um=0.0,
               acquisition=Acquisition(integration_s=6.0, repeats=2, step_um=25.0,
                                       beam_um=(26.0, 25.0)))
    write_series_yml(tmp_path, {"tape_speed_m_s": 0.381, "test_tone_hz": 261.0})
    assert describe_series(read_series(tmp_path))["integration"] == "6 s × 2 pol × 2 repeats"


def test_digest_follows_the_bytes_and_ignores_ground_truth(tmp_path):
    from thesis_lib.xmcd import series_digest

    _write(tmp_path, ["scan_0.nxs", "scan_1.nxs"])
    write_series_yml(tmp_path, {"step_um": 25.0})
    first = series_digest(tmp_path)
    (tmp_path / "ground_truth.npz").write_bytes(b"truth")
    assert series_digest(tmp_path) == first
    _write(tmp_path, ["scan_0.nxs"], shape=(4, 5))      # one file changed
    assert series_digest(tmp_path) != first

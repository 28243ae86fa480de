"""``thesis xmcd check``: one table naming every bad file; mask/extract refuse bad series."""

import h5py
import numpy as np
import pytest

from thesis_lib.cli import main
from thesis_lib.mask.files import write_mask
from thesis_lib.xmcd import COMBINATIONS, Acquisition, XMCDDataError, write_scan
from thesis_lib.xmcd.check import check_series


def _frames(value=100, dtype=np.uint16, shape=(4, 5)):
    rng = np.random.default_rng(int(value))
    return {hm: (value + rng.integers(0, 5, (2,) + shape)).astype(dtype) for hm in COMBINATIONS}


def _series(folder, n=5, step=25.0, positions=None, **kw):
    folder.mkdir()
    positions = step * np.arange(n) if positions is None else positions
    for t, pos in enumerate(positions):
        write_scan(folder / f"scan_{t:03d}.nxs", _frames(100 + t), position_um=pos,
                   acquisition=Acquisition(integration_s=2.0, step_um=step), **kw)
    return folder


def test_clean_series_passes(tmp_path, capsys):
    folder = _series(tmp_path / "ok")
    report = check_series(folder)
    assert report.ok and report.n_files == 5
    assert main(["xmcd", "check", str(folder)]) == 0
    assert "no problem found" in capsys.readouterr().out


def test_every_problem_is_named_in_one_table(tmp_path, capsys):
    folder = _series(tmp_path / "bad", positions=[0.0, 25.0, 25.0, 75.0, 50.0, 125.0, 150.0])
    nan = _frames(300).copy()
    nan = {hm: v.astype(np.float32) for hm, v in nan.items()}
    nan[(1, 1)][0, 1, 1] = np.nan
    write_scan(folder / "scan_007.nxs", nan, position_um=175.0,
               acquisition=Acquisition(integration_s=2.0, step_um=25.0))
    zero = {hm: np.zeros((2, 4, 5), np.uint16) for hm in COMBINATIONS}
    write_scan(folder / "scan_008.nxs", zero, position_um=200.0,
               acquisition=Acquisition(integration_s=2.0, step_um=25.0))
    write_scan(folder / "scan_009.nxs", _frames(1, shape=(4, 6)), position_um=225.0,
               acquisition=Acquisition(integration_s=2.0, step_um=25.0))
    write_scan(folder / "scan_010.nxs", _frames(2, dtype=np.uint32), position_um=250.0,
               acquisition=Acquisition(integration_s=2.0, step_um=25.0))
    write_scan(folder / "scan_011.nxs", _frames(3), position_um=275.0,
               acquisition=Acquisition(integration_s=2.0, step_um=25.0))
    with h5py.File(folder / "scan_011.nxs", "a") as h5:
        h5["entry/sample/x_translation"].attrs["units"] = "furlong"
    write_scan(folder / "scan_012.nxs", _frames(4), position_um=300.0,
               acquisition=Acquisition(integration_s=2.0))
    with h5py.File(folder / "scan_012.nxs", "a") as h5:
        del h5["entry/sample/x_translation"]
    assert main(["xmcd", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    rows = {line.split()[0] + " " + line.split()[2] for line in out.splitlines()[2:]
            if len(line.split()) > 2 and line.split()[1] == "error"}
    assert "positions scan_001.nxs," in rows                     # duplicate 25 um (two files)
    assert "positions scan_004.nxs" in rows                      # 50 after 75
    assert "frame scan_007.nxs" in rows and "frame scan_008.nxs" in rows
    assert "shape scan_009.nxs" in rows and "dtype scan_010.nxs" in rows
    assert "units scan_011.nxs" in rows and "datasets scan_012.nxs" in rows
    assert "NaN/inf" in out and "all zeros" in out and "furlong" in out


def test_step_inconsistent_with_positions(tmp_path):
    folder = _series(tmp_path / "step", step=25.0, positions=40.0 * np.arange(4))
    report = check_series(folder)
    assert [r[0] for r in report.errors] == ["step"]
    assert "25 um" in report.errors[0][3] and "40 um" in report.errors[0][3]


def test_step_within_tolerance_passes(tmp_path):
    # a stage that lands 1 % off the nominal step is not an error
    assert check_series(_series(tmp_path / "near", step=25.0, positions=25.25 * np.arange(4))).ok


def test_mask_runs_the_check_first(tmp_path):
    folder = _series(tmp_path / "dup", positions=[0.0, 25.0, 25.0, 75.0])
    with pytest.raises(XMCDDataError, match=r"1 problem.*positions.*duplicated.*xmcd check"):
        write_mask(folder, tmp_path / "mask.npz", radius=1)
    assert not (tmp_path / "mask.npz").exists()


def test_missing_block_file_is_reported(tmp_path):
    from thesis_lib.xmcd.foreign import write_foreign_series

    frames = _frames(50)
    text = write_foreign_series(tmp_path / "s", "block_files", [frames, frames],
                                positions_um=[0.0, 25.0], integration_s=1.0)
    (tmp_path / "s" / "tape_0001_pm.h5").unlink()
    (tmp_path / "l.yml").write_text(text)
    report = check_series(tmp_path / "s", tmp_path / "l.yml")
    assert report.errors[0][0] == "files" and "(1, -1)" in report.errors[0][3]

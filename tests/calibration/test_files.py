"""calib.json: only the waveform and the log are read; re-runs skip; the CLI writes the keys."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from thesis_lib.calibration import files as calib_files
from thesis_lib.calibration.files import write_calibration
from thesis_lib.calibration.search import SearchSettings
from thesis_lib.cli import main
from thesis_lib.xmcd.series import write_series_yml

GRID = {"search": SearchSettings(step_factors=(0.96, 1.0, 1.04), beams_um=(20.0, 30.0),
                                 refine=False)}
PACKAGE = Path(calib_files.__file__).parent


@pytest.fixture()
def series_folder(tmp_path, planted_25um):
    """A series folder as the beamline pipeline leaves it, plus a decoy truth file."""
    folder = tmp_path / "s1"
    folder.mkdir()
    write_series_yml(folder, planted_25um["meta"])
    np.savez(folder / "waveform.npz", s=planted_25um["s"])
    # a truth file with wrong values: if anything read it, results would change
    np.savez(folder / "ground_truth.npz", step_um=np.float64(40.0),
             beam_fwhm_um=np.array([60.0, 9.0]), s_true=np.zeros(3))
    return folder


def _without_paths(doc):
    return {k: v for k, v in doc.items() if k != "inputs"}


def test_result_does_not_depend_on_a_truth_file(series_folder, tmp_path):
    """Calibrating a copy of the folder without ground_truth.npz gives the identical result."""
    copy = tmp_path / "copy"
    shutil.copytree(series_folder, copy)
    (copy / "ground_truth.npz").unlink()
    a = write_calibration(series_folder / "waveform.npz", series_folder, tmp_path / "a.json",
                          **GRID)
    b = write_calibration(copy / "waveform.npz", copy, tmp_path / "b.json", **GRID)
    assert _without_paths(json.loads(a.read_text())) == _without_paths(json.loads(b.read_text()))


def test_package_source_never_mentions_the_truth():
    sources = list(PACKAGE.glob("*.py")) + [PACKAGE.parent / "cli" / "calibrate.py"]
    assert len(sources) >= 7
    for path in sources:
        text = path.read_text().lower()
        for word in ("ground_truth", "ground truth", "s_true", "read_ground_truth", "phantom"):
            assert word not in text, f"{path.name} mentions {word!r}"


def test_rerun_skips_and_overwrite_recomputes(series_folder, tmp_path, monkeypatch):
    out = tmp_path / "calib.json"
    write_calibration(series_folder / "waveform.npz", series_folder / "series.yml", out, **GRID)
    first = out.read_text()

    def refuse(*args, **kwargs):
        raise AssertionError("calibrate ran again although nothing changed")

    monkeypatch.setattr(calib_files, "calibrate", refuse)
    write_calibration(series_folder / "waveform.npz", series_folder / "series.yml", out, **GRID)
    assert out.read_text() == first
    with pytest.raises(AssertionError, match="ran again"):
        write_calibration(series_folder / "waveform.npz", series_folder / "series.yml", out,
                          overwrite=True, **GRID)
    assert out.read_text() == first          # a failed run leaves the old file intact
    assert not list(tmp_path.glob("*.tmp*"))


@pytest.mark.slow
def test_cli_writes_the_required_keys(series_folder, tmp_path, capsys):
    out = tmp_path / "calib.json"
    rc = main(["calibrate", str(series_folder / "waveform.npz"), "--series-meta",
               str(series_folder / "series.yml"), "--out", str(out),
               "--step-factors", "0.96,1,1.04", "--beams", "20,30", "--no-refine"])
    assert rc == 0
    doc = json.loads(out.read_text())
    assert {"beam_fwhm_um", "step_um", "metrics"} <= doc.keys()
    assert set(doc["metrics"]) == {"rho", "nrmse", "e_rel", "lsd_db", "hf_mismatch"}
    assert doc["step_um"] in (24.0, 25.0, 26.0)
    # a 29 µm beam is invisible in a tone scanned every 25 µm: no beam is presented as a fit
    assert doc["beam_fwhm_um"] is None and not doc["beam_identified"]
    assert doc["parameters"]["beam_fwhm"] == {"identified": False, "value_um": None,
                                              "interval_um": [20.0, 30.0],
                                              "source": "not identified"}
    printed = capsys.readouterr().out
    assert "beam FWHM: not identified (95 % interval 20.0-30.0 µm" in printed
    assert "calibration written to" in printed


def test_cli_names_a_missing_waveform(tmp_path, series_folder, capsys):
    rc = main(["calibrate", str(tmp_path / "absent.npz"), "--series-meta", str(series_folder),
               "--out", str(tmp_path / "c.json")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "absent.npz" in err and "thesis extract" in err
    assert not (tmp_path / "c.json").exists()

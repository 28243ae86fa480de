"""The ``thesis phantom`` and ``thesis xmcd info`` verbs end to end on a tiny manifest."""

import numpy as np
import pytest

from thesis_lib.cli import main
from thesis_lib.xmcd import read_series
from thesis_lib.xmcd.phantom import read_ground_truth


@pytest.mark.slow   # first use of the emulator in a session loads its compiled kernels
def test_phantom_then_info(tmp_path, tiny_manifest, capsys):
    out = tmp_path / "out"
    rc = main(["phantom", "--series", "all", "--out", str(out), "--manifest", str(tiny_manifest),
               "--detector", "24", "--seed", "3", "--workers", "1"])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["reference", "t1", "t2"]
    series = read_series(out / "t2")
    assert series.files[0].frames[(1, 1)].shape == (1, 24, 24)
    assert read_ground_truth(out / "t2")["s_true"].shape == (len(series),)
    capsys.readouterr()
    assert main(["xmcd", "info", str(out / "t2")]) == 0
    text = capsys.readouterr().out
    assert "261 Hz sine | 6 s × 2 pol | 400 um | 26 um × 25 um | 1.5 cycles" in text
    assert main(["xmcd", "info", str(out / "t1" / "scan_00000.nxs"), "--tree"]) == 0
    text = capsys.readouterr().out
    assert "repeats         2" in text and "[NXdetector]" in text


def test_noise_free_flag_stores_expected_counts(tmp_path, tiny_manifest):
    assert main(["phantom", "--series", "t2", "--out", str(tmp_path),
                 "--manifest", str(tiny_manifest), "--detector", "16", "--noise-free",
                 "--workers", "1"]) == 0
    frames = read_series(tmp_path / "t2").files[0].frames
    assert not np.array_equal(frames[(1, 1)], np.rint(frames[(1, 1)]))   # not integer counts


def test_info_reads_other_layouts_through_a_yaml_mapping(tmp_path, capsys):
    import h5py

    path = tmp_path / "beamline.h5"
    with h5py.File(path, "w") as h5:
        for key in ("pp", "mp", "pm", "mm"):
            h5[f"cam/{key}"] = np.full((5, 6, 3), 100.0)       # (y, x, frame)
        h5["x"] = 0.075
        h5["x"].attrs["units"] = "mm"
    (tmp_path / "map.yml").write_text(
        "frames: {'++': /cam/pp, '-+': /cam/mp, '+-': /cam/pm, '--': /cam/mm}\n"
        "frame_axes: yxf\nposition_um: /x\nintegration_s: 6.0\n")
    assert main(["xmcd", "info", str(path), "--mapping", str(tmp_path / "map.yml")]) == 0
    text = capsys.readouterr().out
    assert "detector        5 x 6 pixels" in text and "position        75 um" in text
    assert "(1, 1): 3" in text


def test_errors_are_one_line_with_status_2(tmp_path, tiny_manifest, capsys):
    assert main(["phantom", "--series", "s9", "--out", str(tmp_path),
                 "--manifest", str(tiny_manifest)]) == 2
    assert "unknown series ['s9']" in capsys.readouterr().err
    bad = tmp_path / "bad.nxs"
    bad.write_bytes(b"not hdf5")
    assert main(["xmcd", "info", str(bad)]) == 2
    assert "bad.nxs" in capsys.readouterr().err

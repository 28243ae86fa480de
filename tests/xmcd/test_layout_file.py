"""Layout YAML: clear one-line errors naming the file and the key; a CLI round trip."""

import os

import numpy as np
import pytest

from thesis_lib.calibration.files import read_series_meta
from thesis_lib.cli import main
from thesis_lib.mask.files import write_mask
from thesis_lib.xmcd import COMBINATIONS
from thesis_lib.xmcd.check import check_series
from thesis_lib.xmcd.errors import LayoutError
from thesis_lib.xmcd.foreign import write_foreign_series
from thesis_lib.xmcd.layout import DEFAULT_LAYOUT, Layout, load_layout


@pytest.mark.parametrize("text, match", [
    ("fields: {frames: /d}\nfiels: 1\n", r"bad.yml: unknown key\(s\) \['fiels'\]"),
    ("fields: {postion_um: /x}\n",
     r"unknown field\(s\) \['postion_um'\] \(did you mean position_um\?\)"),
    ("files: 3\n", r"bad.yml: `files` .* must be a text .*, not an integer \(3\)"),
    ("blocks: {pattern: 'x'}\n", r"bad.yml: `blocks`: missing key\(s\) \['labels'\]"),
    ("fields: {frame_axes: fyz}\n", r"frame_axes='fyz'"),
    ("fields: {frames: {'++': /a, '-+': /b}}\n", r"one dataset path for each"),
    ("fields: {helicity: [1, 0]}\n", r"fields.helicity.*\+1 and -1"),
    ("blocks: {pattern: 'x(?P<scan>\\d+)', labels: {}}\n", r"named groups"),
    ("blocks: {pattern: '(?P<scan>\\d)(?P<block>\\w)', labels: {a: '++'}}\n",
     r"blocks.labels must name each"),
    ("- just a list\n", r"bad.yml: a layout is a mapping such as .*fields.*, not a list"),
    ("fields: [unclosed\n", r"bad.yml: not valid YAML \(.* at line 2, column 1\)"),
])
def test_bad_layout_names_file_and_key(tmp_path, text, match):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(LayoutError, match=match):
        load_layout(path)


def test_bad_layout_is_one_line_on_the_command_line(tmp_path, capsys):
    (tmp_path / "bad.yml").write_text("fields: {frame_axes: q}\n")
    assert main(["xmcd", "check", str(tmp_path), "--layout", str(tmp_path / "bad.yml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.yml" in err and "frame_axes" in err


def test_missing_layout_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yml: no such layout file"):
        load_layout(tmp_path / "nope.yml")


def test_layout_survives_pickling(tmp_path):
    import pickle

    path = tmp_path / "l.yml"
    path.write_text("files: '*_master.h5'\n"
                    "fields: {frames: /d, frame_axes: fyx, helicity: [1, -1]}\n"
                    "series: {test_tone_hz: 261.0}\n")
    layout = load_layout(path)
    back = pickle.loads(pickle.dumps(layout))
    assert back == layout and back.mapping["frames"] == "/d"
    assert back.series["test_tone_hz"] == 261.0


def test_default_layout_is_our_writer():
    assert DEFAULT_LAYOUT == Layout() and DEFAULT_LAYOUT.mapping["frame_axes"] == "cfyx"


def test_cli_mask_and_extract_accept_a_layout(tmp_path):
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:16, 0:16]
    lobe = 30 * (np.exp(-((yy - 8) ** 2 + (xx - 5) ** 2) / 5)
                 - np.exp(-((yy - 8) ** 2 + (xx - 11) ** 2) / 5))
    scans = [{hm: np.rint(800 + hm[0] * hm[1] * (t + 1) * lobe + rng.normal(0, 2, (2, 16, 16)))
              .astype(np.uint32) for hm in COMBINATIONS} for t in range(4)]
    text = write_foreign_series(tmp_path / "s", "eiger", scans, positions_um=[0, 25, 50, 75],
                                integration_s=1.0, filter="bitshuffle-lz4")
    (tmp_path / "l.yml").write_text(text)
    assert main(["xmcd", "check", str(tmp_path / "s"), "--layout", str(tmp_path / "l.yml")]) == 0
    assert main(["mask", "--reference", str(tmp_path / "s"), "--out", str(tmp_path / "m.npz"),
                 "--radius", "2", "--layout", str(tmp_path / "l.yml")]) == 0
    assert main(["extract", str(tmp_path / "s"), "--mask", str(tmp_path / "m.npz"), "--out",
                 str(tmp_path / "w.npz"), "--layout", str(tmp_path / "l.yml"),
                 "--register", "off"]) == 0
    with np.load(tmp_path / "w.npz") as w:
        s = w["s"]
    # s_t is linear in the planted t + 1 (sign fixed by the ranking of the mask)
    assert abs(np.corrcoef(s, np.arange(4) + 1.0)[0, 1]) > 0.99


def test_layout_series_section_stands_in_for_series_yml(tmp_path):
    (tmp_path / "l.yml").write_text("series: {tape_speed_m_s: 0.19, test_tone_hz: 1000.0, "
                                    "step_um: 5.0, beam_um: [10.0, 12.0]}\n")
    layout = load_layout(tmp_path / "l.yml")
    meta, identity = read_series_meta(tmp_path, layout)
    assert (meta.tape_speed_m_s, meta.test_tone_hz, meta.step_um) == (0.19, 1000.0, 5.0)
    assert "series_meta" not in identity            # nothing read from the folder
    (tmp_path / "series.yml").write_text("step_um: 6.0\n")
    meta, identity = read_series_meta(tmp_path, layout)
    assert meta.step_um == 6.0 and meta.tape_speed_m_s == 0.19    # series.yml wins, layout fills
    assert len(identity["series_meta_sha256"]) == 64
    with pytest.raises(FileNotFoundError, match="series.yml"):
        read_series_meta(tmp_path / "elsewhere")                   # no layout: as before


def _eiger_series(tmp_path, n=3):
    rng = np.random.default_rng(2)
    scans = [{hm: rng.integers(100, 200, (2, 8, 8)).astype(np.uint32) for hm in COMBINATIONS}
             for _ in range(n)]
    text = write_foreign_series(tmp_path / "s", "eiger", scans, positions_um=[1000, 1025, 1050][:n],
                                integration_s=0.5, filter="lz4")
    (tmp_path / "l.yml").write_text(text + "series: {tape_speed_m_s: 0.381, test_tone_hz: 261.0}\n")
    return tmp_path / "s", tmp_path / "l.yml"


def test_info_with_a_layout_reads_master_files_only(tmp_path, capsys):
    folder, layout = _eiger_series(tmp_path)
    assert main(["xmcd", "info", str(folder), "--layout", str(layout)]) == 0
    out = capsys.readouterr().out
    # 9 HDF5 files in the folder, 3 of them master files = 3 scan positions (mm -> um)
    assert "files           3" in out and "positions       1000 .. 1050 um" in out
    assert "tape_speed_m_s: 0.381" in out                  # the layout's series section
    assert main(["xmcd", "info", str(folder / "run_0001_master.h5"), "--layout", str(layout)]) == 0
    out = capsys.readouterr().out
    assert "frames (h, m)   (1, 1): 2, (-1, 1): 2, (1, -1): 2, (-1, -1): 2" in out
    assert "integration     0.5 s" in out


def test_single_file_check_and_resume_with_a_layout(tmp_path):
    folder, layout = _eiger_series(tmp_path)
    report = check_series(folder / "run_0000_master.h5", layout)
    assert report.ok and report.n_files == 1
    out = write_mask(folder, tmp_path / "m.npz", radius=1, layout=load_layout(layout))
    stamp = out.stat().st_mtime_ns
    # same layout content (another file name): up to date, nothing recomputed
    (tmp_path / "copy.yml").write_text(layout.read_text())
    assert write_mask(folder, tmp_path / "m.npz", radius=1,
                      layout=load_layout(tmp_path / "copy.yml")).stat().st_mtime_ns == stamp
    # a data file rewritten behind the master file: recomputed
    data = folder / "run_0002_data_000001.h5"
    data.write_bytes(data.read_bytes())
    os.utime(data, (stamp / 1e9 + 5, stamp / 1e9 + 5))
    assert write_mask(folder, tmp_path / "m.npz", radius=1,
                      layout=load_layout(layout)).stat().st_mtime_ns != stamp

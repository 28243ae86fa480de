"""Inputs of a calibration: the experiment log and the waveform file, and their errors."""

import numpy as np
import pytest
import yaml

from thesis_lib.calibration.inputs import (
    MIN_SAMPLES,
    SeriesMeta,
    load_series_meta,
    load_waveform,
    validate_waveform,
)

LOG = {"tape_speed_m_s": 0.381, "test_tone_hz": 261.0, "step_um": 25.0, "beam_um": [26.0, 25.0],
       "signal": "sine"}


def _write_log(folder, doc):
    (folder / "series.yml").write_text(yaml.safe_dump(doc))
    return folder / "series.yml"


def test_series_meta_from_file_or_folder(tmp_path):
    path = _write_log(tmp_path, LOG)
    a, b = load_series_meta(path), load_series_meta(tmp_path)
    assert a == b
    assert a.wavelength_um == pytest.approx(0.381e6 / 261.0)
    assert a.beam_fwhm_um == 26.0


def test_missing_key_names_file_and_key(tmp_path):
    path = _write_log(tmp_path, {k: v for k, v in LOG.items() if k != "test_tone_hz"})
    with pytest.raises(ValueError, match=r"series\.yml.*test_tone_hz"):
        load_series_meta(path)


def test_saturated_reference_is_refused(tmp_path):
    path = _write_log(tmp_path, {**LOG, "signal": "saturated region (no tone)"})
    with pytest.raises(ValueError, match="recorded a test tone"):
        load_series_meta(path)


def test_missing_log_says_what_to_write(tmp_path):
    with pytest.raises(FileNotFoundError, match="tape_speed_m_s"):
        load_series_meta(tmp_path / "nowhere.yml")


def test_non_positive_step_is_refused():
    with pytest.raises(ValueError, match="step_um"):
        SeriesMeta(tape_speed_m_s=0.381, test_tone_hz=261.0, step_um=0.0)


def test_waveform_roundtrip_and_errors(tmp_path):
    s = np.sin(np.arange(40) / 3.0)
    good = tmp_path / "w.npz"
    np.savez(good, s=s, positions_um=np.arange(40.0))
    np.testing.assert_array_equal(load_waveform(good), s)

    np.savez(tmp_path / "nos.npz", x=s)
    with pytest.raises(ValueError, match=r"nos\.npz.*no array 's'"):
        load_waveform(tmp_path / "nos.npz")
    (tmp_path / "text.npz").write_text("not a zip file")
    with pytest.raises(ValueError, match=r"text\.npz.*not a readable"):
        load_waveform(tmp_path / "text.npz")
    with pytest.raises(FileNotFoundError, match="thesis extract"):
        load_waveform(tmp_path / "absent.npz")
    bad = s.copy()
    bad[3] = np.nan
    np.savez(tmp_path / "nan.npz", s=bad)
    with pytest.raises(ValueError, match=r"nan\.npz.*1 samples are NaN"):
        load_waveform(tmp_path / "nan.npz")


def test_short_constant_or_2d_waveforms_are_refused():
    with pytest.raises(ValueError, match="at least"):
        validate_waveform(np.arange(MIN_SAMPLES - 1.0))
    with pytest.raises(ValueError, match="constant"):
        validate_waveform(np.ones(20))
    with pytest.raises(ValueError, match="1-D"):
        validate_waveform(np.ones((4, 5)))

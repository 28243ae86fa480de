"""What a calibration receives: a measured scan waveform and the experiment log.

A calibration sees exactly what a real beamtime leaves behind — the waveform
extracted from the detector files (one value per scan position, in scan order,
arbitrary units and sign) and the ``series.yml`` experiment log (nominal scan
step, tape speed, test-tone frequency, nominal beam). Nothing else is read, so
the result cannot depend on anything a real experiment would not have.

The waveform file is an ``.npz`` with the array ``s`` (written by
``thesis extract``); an optional ``positions_um`` holds the stage positions the
files record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from thesis_lib._npz import read_npz
from thesis_lib._waveform import as_waveform

#: ``series.yml`` keys a calibration cannot do without.
REQUIRED_KEYS = ("tape_speed_m_s", "test_tone_hz", "step_um")
#: Test-tone shapes a calibration can simulate (``signal`` in ``series.yml``).
SIGNALS = ("sine", "square")
#: Fewest scan positions a waveform must have (a few per tone period, over a period).
MIN_SAMPLES = 8


@dataclass(frozen=True)
class SeriesMeta:
    """The experiment-log values a calibration uses (lengths in µm, speed in m/s).

    Examples
    --------
    >>> meta = SeriesMeta(tape_speed_m_s=0.381, test_tone_hz=261.0, step_um=25.0)
    >>> round(meta.wavelength_um, 1)          # v / f on the tape
    1459.8
    """

    tape_speed_m_s: float
    test_tone_hz: float
    step_um: float
    beam_um: tuple = (26.0, 25.0)
    series_id: str = ""
    signal: str = "sine"

    def __post_init__(self):
        if self.signal not in SIGNALS:
            raise ValueError(f"series metadata signal={self.signal!r}: calibration needs a "
                             f"recorded test tone, one of {SIGNALS}")
        for name in ("tape_speed_m_s", "test_tone_hz", "step_um"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"series metadata {name}={value!r} must be a positive number")

    @property
    def wavelength_um(self) -> float:
        """Wavelength of the test tone written on the tape, v / f."""
        return self.tape_speed_m_s * 1e6 / self.test_tone_hz

    @property
    def beam_fwhm_um(self) -> float:
        """Nominal beam FWHM along the tape (the first of ``beam_um``)."""
        return float(self.beam_um[0])

    @classmethod
    def from_dict(cls, d: dict, source="series metadata") -> "SeriesMeta":
        """Build from a ``series.yml`` mapping; a missing key raises naming ``source``."""
        missing = [k for k in REQUIRED_KEYS if k not in d]
        if missing:
            raise ValueError(f"{source}: missing {missing}; add them from the experiment log "
                             "(tape speed in m/s, test tone in Hz, nominal scan step in µm)")
        if d.get("signal", "sine") not in SIGNALS:
            raise ValueError(f"{source}: signal is {d.get('signal')!r}; calibration needs a series "
                             "that recorded a test tone (signal: sine or square)")
        beam = d.get("beam_um", (26.0, 25.0))
        beam = tuple(float(b) for b in (beam if isinstance(beam, (list, tuple)) else (beam, beam)))
        try:
            return cls(tape_speed_m_s=float(d["tape_speed_m_s"]),
                       test_tone_hz=float(d["test_tone_hz"]), step_um=float(d["step_um"]),
                       beam_um=beam, series_id=str(d.get("series_id", "")),
                       signal=str(d.get("signal", "sine")))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: {exc}; fix the value in the file") from exc


def load_series_meta(path) -> SeriesMeta:
    """Read the experiment log ``series.yml`` (a file, or the series folder holding it).

    Raises
    ------
    FileNotFoundError, ValueError
        Naming the file and the key to add or fix.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "series.yml"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no series metadata; pass the series.yml written with "
                                "the acquisitions (keys tape_speed_m_s, test_tone_hz, step_um, "
                                "beam_um)")
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc}); fix the file") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a mapping of keys to values")
    return SeriesMeta.from_dict(doc, source=str(path))


def validate_waveform(s, source="waveform") -> np.ndarray:
    """A finite 1-D float64 waveform of at least :data:`MIN_SAMPLES` non-constant samples.

    Examples
    --------
    >>> validate_waveform([0, 1, 0, -1, 0, 1, 0, -1]).dtype.name
    'float64'
    >>> validate_waveform([1.0, float("nan")] * 4)
    Traceback (most recent call last):
    ...
    ValueError: waveform: 4 samples are NaN or inf; extract the waveform again or drop the bad files
    """
    s = as_waveform(s, name=source, layout="give one value per scan position",
                    fix="extract the waveform again or drop the bad files")
    if s.size < MIN_SAMPLES:
        raise ValueError(f"{source}: {s.size} samples; a calibration needs at least {MIN_SAMPLES} "
                         "scan positions")
    if np.ptp(s) == 0.0:
        raise ValueError(f"{source}: the waveform is constant; check the mask used to extract it")
    return s


def load_waveform(path) -> np.ndarray:
    """The measured waveform ``s`` of a ``waveform.npz`` (from ``thesis extract``).

    Raises
    ------
    FileNotFoundError, ValueError
        Naming the file and how to produce a valid one.
    """
    path = Path(path)
    arrays = read_npz(path, "waveform file",
                      "`thesis extract SERIES_DIR --mask mask.npz --out waveform.npz`")
    s = arrays.get("s")
    if s is None:
        raise ValueError(f"{path}: no array 's' (found {sorted(arrays)}); the file must come from "
                         "`thesis extract` or hold the waveform under the key 's'")
    return validate_waveform(s, source=str(path))

"""Calibration of the emulator's read-out to a measured scan waveform (thesis §6.3).

Modules, one idea each:

* :mod:`.inputs` — the measured waveform and the experiment log (``series.yml``),
  the only things a calibration reads;
* :mod:`.simulate` — the test tone recorded once, scanned at any (step, beam);
* :mod:`.align` — lag by normalised cross-correlation, optional affine gain;
* :mod:`.score` — the five match metrics of §6.3 and the combined objective;
* :mod:`.identifiability` — beam attenuation of the tone, profile intervals;
* :mod:`.noise_spectrum` — the beam from the tape noise: residual spectrum, Whittle
  fit, Fisher information;
* :mod:`.noise_budget` — tape noise against the white floor of a scan (reveal only);
* :mod:`.search` — coarse grid, local refinement, selected operating point
  (:class:`~.search.SearchSettings` holds the options);
* :mod:`.design` — Cramér-Rao bounds of the beam for scan design (edges, tape grain);
* :mod:`.coverage` — how often the 95 % intervals hold planted values
  (``python -m thesis_lib.calibration.coverage``).
"""

from .align import Alignment, align, correlations
from .identifiability import (
    aliased_frequency,
    beam_attenuation,
    bias_beat_period_um,
    identified,
    profile_interval,
    residual_structure,
    tone_wavelength_um,
)
from .inputs import SeriesMeta, load_series_meta, load_waveform, validate_waveform
from .noise_budget import noise_budget, segment_noise_variance
from .noise_spectrum import (
    BeamFromNoise,
    beam_fisher_sd,
    blurred_noise_variance,
    fit_noise_spectrum,
    noise_correlation,
    residual_spectrum,
)
from .score import METRICS, OBJECTIVE_WEIGHTS, match_metrics, objective, scan_lsd_n_fft
from .search import Calibration, SearchSettings, Surface, calibrate
from .simulate import ToneSimulator

__all__ = ["Alignment", "align", "correlations", "aliased_frequency", "beam_attenuation",
           "bias_beat_period_um", "residual_structure", "identified",
           "profile_interval", "tone_wavelength_um", "SeriesMeta", "load_series_meta",
           "load_waveform", "validate_waveform", "noise_budget", "segment_noise_variance",
           "BeamFromNoise", "beam_fisher_sd", "blurred_noise_variance", "fit_noise_spectrum",
           "noise_correlation", "residual_spectrum", "METRICS", "OBJECTIVE_WEIGHTS",
           "match_metrics", "objective", "scan_lsd_n_fft", "Calibration",
           "SearchSettings", "Surface", "calibrate", "ToneSimulator"]

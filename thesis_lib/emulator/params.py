"""Parameters of the forward emulator and the per-clip seed (thesis eq. 4.3).

:class:`EmulatorParams` holds every knob of F(x, ξ) = f6∘…∘f1 in the units a
user thinks in (µm, kHz, m/s); stages convert to SI internally. It is a frozen
dataclass so a parameter set can be hashed, compared and written next to a
generated dataset as ``params.json`` together with the code version.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from dataclasses import dataclass, fields
from pathlib import Path

from thesis_lib import __version__
from thesis_lib._atomic import atomic_path
from thesis_lib._config import check_keys, check_kind, read_config, require_mapping

BIAS_MODES = ("off", "fixed", "3std")
ENGINES = ("everett", "hysterons")
TAPE_NOISE_MODELS = ("gaussian", "binomial", "off")
MEASUREMENT_NOISE_MODES = ("constant", "time-varying", "off")


def clip_seed(s0: int, relpath: str, clip_index: int) -> int:
    """Seed of one clip: ``(s0 + CRC32(relpath ‖ clip_index)) mod 2**32`` (thesis eq. 4.3).

    The seed depends only on a stable identifier of the clip, never on the order
    in which clips are processed, so any partition of a dataset over workers
    regenerates bit-identical outputs.

    Examples
    --------
    >>> clip_seed(0, "train/000/000123.mp3", 2) == zlib.crc32(b"train/000/000123.mp32")
    True
    >>> clip_seed(2**32 - 1, "a", 0) < 2**32
    True
    """
    key = f"{relpath}{clip_index}".encode()
    return (int(s0) + zlib.crc32(key)) % 2**32


@dataclass(frozen=True)
class EmulatorParams:
    """Every parameter of the emulator, with the defaults used throughout the book.

    Fields are grouped by stage. Lengths are in µm, frequencies in kHz, the tape
    speed in m/s; fields are in units of the median coercivity of the Preisach
    model (so ``record_level = 1`` means a unit drive puts one median coercivity
    at the centre of the gap).

    Examples
    --------
    >>> p = EmulatorParams()
    >>> p.output_rate, p.segment_um, p.preisach_n, p.engine
    (48000, 4.0, 250, 'everett')
    >>> p.replace(beam_fwhm_um=30.0).beam_fwhm_um
    30.0
    >>> EmulatorParams.from_dict(p.to_dict()) == p
    True
    >>> p.replace(beam_fwhm=30.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: EmulatorParams: unknown emulator parameter(s) ['beam_fwhm'] (did you mean beam_fw...
    """

    # output
    output_rate: int = 48000
    # f1 bias
    input_gain: float = 1.0
    bias_mode: str = "fixed"
    bias_amplitude: float = 3.0
    bias_freq_khz: float = 100.0
    # f2 head field (Karlqvist)
    record_level: float = 1.0
    head_gap_um: float = 4.0
    head_spacing_um: float = 3.0
    tape_speed_m_s: float = 0.1905
    field_window_um: float = 30.0
    newton_refine: bool = True
    # f3 Preisach hysteresis
    preisach_n: object = 250
    engine: str = "everett"
    erase_decay: float = 0.9
    # f4 tape noise
    segment_um: float = 4.0
    #: points averaged per segment when writing (1 = the thesis's one point per segment);
    #: see :meth:`Emulator.record` for when more are needed
    segment_subsamples: int = 1
    tape_noise: str = "gaussian"
    particles_mean: float = 2000.0
    packing_fraction: float = 0.4
    # f5 beam readout
    step_um: float = 4.0
    beam_fwhm_um: float = 26.0
    beam_height_um: float = 25.0
    beam_skew: float = 0.0
    # f6 measurement noise: sigma^2 = S^2 (K^2 / (A_beam dt) + C^2)
    measurement_noise: str = "constant"
    noise_scale: float = 0.2
    shot_coefficient: float = 0.01
    noise_floor: float = 0.01
    # optional degradations beyond the thesis (all off by default)
    aging_field: float = 0.0
    dropout_rate_per_mm: float = 0.0
    dropout_length_um: float = 40.0
    dropout_depth: float = 0.9
    print_through_gain: float = 0.0
    print_through_offset_s: float = 1.0

    def __post_init__(self):
        problems = []
        if self.bias_mode not in BIAS_MODES:
            problems.append(f"bias_mode={self.bias_mode!r} (choose one of {BIAS_MODES})")
        if self.engine not in ENGINES:
            problems.append(f"engine={self.engine!r} (choose one of {ENGINES})")
        n = self.preisach_n
        if isinstance(n, str) and n.isdigit():
            object.__setattr__(self, "preisach_n", int(n))
            n = int(n)
        if not (n == "fine" or (isinstance(n, int) and not isinstance(n, bool) and 2 <= n <= 4000)):
            problems.append(f"preisach_n={n!r} (an integer N such as 100/250/500/1000, or 'fine')")
        if self.tape_noise not in TAPE_NOISE_MODELS:
            problems.append(f"tape_noise={self.tape_noise!r} (choose one of {TAPE_NOISE_MODELS})")
        if self.measurement_noise not in MEASUREMENT_NOISE_MODES:
            problems.append(f"measurement_noise={self.measurement_noise!r} "
                            f"(choose one of {MEASUREMENT_NOISE_MODES})")
        for name in ("output_rate", "bias_freq_khz", "head_gap_um", "head_spacing_um",
                     "tape_speed_m_s", "field_window_um", "segment_um", "step_um",
                     "beam_fwhm_um", "beam_height_um", "particles_mean", "record_level"):
            if not getattr(self, name) > 0:
                problems.append(f"{name}={getattr(self, name)!r} (must be > 0)")
        if not (isinstance(self.segment_subsamples, int) and self.segment_subsamples >= 1):
            problems.append(f"segment_subsamples={self.segment_subsamples!r} (an integer >= 1)")
        if not 0 < self.erase_decay < 1:
            problems.append(f"erase_decay={self.erase_decay!r} (must lie in (0, 1))")
        if not 0 <= self.packing_fraction < 1:
            problems.append(f"packing_fraction={self.packing_fraction!r} (must lie in [0, 1))")
        if problems:
            raise ValueError("invalid emulator parameters: " + "; ".join(problems))

    # ---- copies and serialisation -------------------------------------------------
    def replace(self, **changes) -> "EmulatorParams":
        """Copy with ``changes``; an unknown name raises ``ValueError`` naming it."""
        _check_names(changes)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain ``{name: value}`` of every field (JSON-serialisable)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "EmulatorParams":
        """Build from a mapping; the metadata keys :meth:`to_json` adds are ignored."""
        d = {k: v for k, v in dict(d).items() if k not in _METADATA_KEYS}
        _check_names(d)
        return cls(**d)

    def to_json(self, path) -> Path:
        """Write every parameter plus the code version to ``path`` atomically (``params.json``)."""
        payload = {"format": "thesis_lib.emulator.params/1", "code_version": __version__,
                   **self.to_dict()}
        path = Path(path)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(payload, indent=2) + "\n")
        return path

    @classmethod
    def from_json(cls, path) -> "EmulatorParams":
        """Read a ``params.json``; a missing file or an unknown key raises naming the file."""
        doc = read_config(path, what="emulator parameter",
                          fix="write one with EmulatorParams().to_json(path)")
        require_mapping(doc, source=str(path), what="a parameter file",
                        example='{"beam_fwhm_um": 26.0, "bias_mode": "fixed"}')
        _check_names(doc, source=str(path), extra=_METADATA_KEYS)
        for f in fields(cls):
            if f.name in doc and f.type in _KINDS:
                check_kind(doc[f.name], _KINDS[f.type], source=str(path), name=f.name,
                           example=json.dumps(f.default))
        try:
            return cls.from_dict(doc)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}: {exc}") from exc

    # ---- derived SI quantities --------------------------------------------------
    @property
    def bias_freq_hz(self) -> float:
        return self.bias_freq_khz * 1e3

    @property
    def segment_m(self) -> float:
        return self.segment_um * 1e-6

    @property
    def step_m(self) -> float:
        return self.step_um * 1e-6


_METADATA_KEYS = ("format", "code_version")
#: JSON kinds accepted per annotated field type (``preisach_n``, an ``object``, is checked
#: by the class itself: an integer or "fine").
_KINDS = {"int": int, "float": (int, float), "str": str, "bool": bool}


def _check_names(mapping, *, source: str = "EmulatorParams", extra=()) -> None:
    check_keys(mapping, source=source, what="emulator parameter",
               known=[f.name for f in fields(EmulatorParams)] + list(extra))

"""Task 2 forward emulator F(x, ξ) = f6∘…∘f1 (thesis §2.3, §4.3, §7.2).

Stages: f1 :mod:`.bias`, f2 :mod:`.head_field`, f3 :mod:`.preisach` (models) and
:mod:`.engines` (Everett / brute-force hysteresis), f4 :mod:`.tape_noise`,
f5 :mod:`.readout`, f6 :mod:`.measurement_noise`; optional :mod:`.degradations`;
everything assembled by :class:`Emulator` from :class:`EmulatorParams`.
"""

from .emulator import Emulator, Tape
from .engines import EverettIndex, PreisachOperator
from .params import EmulatorParams, clip_seed
from .preisach import PreisachModel, ac_erase_sequence, coarse_bin, fine_fit, load_model

__all__ = ["Emulator", "EmulatorParams", "Tape", "clip_seed", "PreisachModel",
           "PreisachOperator", "EverettIndex", "fine_fit", "coarse_bin", "load_model",
           "ac_erase_sequence"]

"""A planted 'measured' scan: the emulator's recorded tone read by the xmcd package's 2-D beam.

The readout here is :func:`thesis_lib.xmcd.tape.beam_average` (a 2-D Gaussian
footprint on a 1 µm grid), not the emulator's 1-D kernel the calibration
uses, so the tests do not commit an inverse crime in the readout.
"""

import numpy as np
import pytest

from thesis_lib.xmcd.tape import beam_average, recorded_tape

SPEED, TONE = 0.381, 261.0
WAVELENGTH_UM = SPEED * 1e6 / TONE


def planted_scan(step_um, beam_um, n, noise=0.01, seed=3, start_um=4000.0):
    """Scan of ``n`` positions every ``step_um`` under a (beam_um × 25 µm) beam, plus noise."""
    margin = 300.0
    tape = recorded_tape(TONE, (start_um + n * step_um + margin) / (SPEED * 1e6), SPEED, seed=seed)
    centres = start_um + step_um * np.arange(n)
    s = beam_average(tape, centres, (beam_um, 25.0), grid_um=1.0)
    rng = np.random.default_rng(seed)
    # arbitrary units and an inverted sign, as a mask would give
    return -250.0 * (s + noise * rng.standard_normal(n)) + 40.0


@pytest.fixture(scope="session")
def planted_25um():
    """The 25 µm series stand-in: true step 25.7 µm (nominal 25), true beam 29 µm."""
    return {"s": planted_scan(25.7, 29.0, 175), "step_um": 25.7, "beam_um": 29.0,
            "meta": {"tape_speed_m_s": SPEED, "test_tone_hz": TONE, "step_um": 25.0,
                     "beam_um": [26.0, 25.0], "signal": "sine", "series_id": "planted"}}

"""Shared test configuration: headless plotting, repository paths, a tiny series manifest."""

import os
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


#: A two-series manifest in the layout of data_manifests/xmcd_table_5_2.yml, small enough
#: for a 32-pixel detector: t1 (15 positions of 200 um span two 1460-um wavelengths of the
#: 261 Hz tone at 0.381 m/s, 2 repeats; a calibration needs at least 8), t2 (5 positions)
#: and a 3-file saturated reference.
TINY_MANIFEST = textwrap.dedent("""
    version: 1
    experiment: test
    test_tone_hz: 261.0
    signal: sine
    tape_speed_m_s: 0.381
    beam_um: [26.0, 25.0]
    polarisations: 2
    series:
      - {id: t1, integration_s: 2.0, repeats: 2, step_um: 200.0, cycles: 2.0}
      - {id: t2, integration_s: 6.0, repeats: 1, step_um: 400.0, cycles: 1.5}
    reference: {id: reference, integration_s: 6.0, repeats: 2, step_um: 25.0, n_files: 3,
                saturated: true}
""")


@pytest.fixture
def tiny_manifest(tmp_path):
    """:data:`TINY_MANIFEST` written to a file."""
    path = tmp_path / "manifest.yml"
    path.write_text(TINY_MANIFEST)
    return path

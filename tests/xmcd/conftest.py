"""Small synthetic series shared by the xmcd tests (a tiny manifest, a 32-48 px detector)."""

import textwrap

import pytest

from thesis_lib.xmcd.phantom import PhantomConfig, SeriesSpec

TINY_MANIFEST = textwrap.dedent("""
    version: 1
    experiment: test
    test_tone_hz: 261.0
    signal: sine
    tape_speed_m_s: 0.381
    beam_um: [26.0, 25.0]
    polarisations: 2
    profiles:
      quick: {detector: 32, frames_per_acquisition: 1, tape_speed_m_s: 0.381}
    series:
      - {id: t1, integration_s: 2.0, repeats: 2, step_um: 200.0, cycles: 1.0}
      - {id: t2, integration_s: 6.0, repeats: 1, step_um: 400.0, cycles: 1.5}
    reference: {id: reference, integration_s: 6.0, repeats: 2, step_um: 25.0, n_files: 3,
                saturated: true}
""")


@pytest.fixture
def tiny_manifest(tmp_path):
    path = tmp_path / "manifest.yml"
    path.write_text(TINY_MANIFEST)
    return path


@pytest.fixture
def tiny_spec():
    # 7 positions at 200 um span one 1460-um wavelength of the 261 Hz tone at 0.381 m/s
    return SeriesSpec("t1", integration_s=2.0, repeats=2, step_um=200.0, cycles=1.0)


@pytest.fixture
def tiny_config():
    return PhantomConfig(detector=32)

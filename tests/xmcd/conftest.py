"""Small synthetic series shared by the xmcd tests (a 32-48 px detector; the tiny manifest
fixture lives in tests/conftest.py)."""

import pytest

from thesis_lib.xmcd.phantom import PhantomConfig, SeriesSpec


@pytest.fixture
def tiny_spec():
    # 7 positions at 200 um span one 1460-um wavelength of the 261 Hz tone at 0.381 m/s
    return SeriesSpec("t1", integration_s=2.0, repeats=2, step_um=200.0, cycles=1.0)


@pytest.fixture
def tiny_config():
    return PhantomConfig(detector=32)

"""Shared fixtures: small Preisach models and emulators built once per test session."""

import os

import numpy as np
import pytest

os.environ.setdefault("NUMBA_CACHE_DIR", "/tmp/numba-cache")

from thesis_lib.emulator import Emulator, EmulatorParams, coarse_bin, fine_fit  # noqa: E402


@pytest.fixture(scope="session")
def fine_small():
    """A 40k-hysteron fine fit (same recipe as the default, fewer hysterons)."""
    return fine_fit(40_000)


@pytest.fixture(scope="session")
def coarse100(fine_small):
    return coarse_bin(fine_small, 100)


@pytest.fixture(scope="session")
def emulator100():
    return Emulator(EmulatorParams(preisach_n=100), cache_dir=False)


@pytest.fixture(scope="session")
def tone():
    """A 50 ms, 48 kHz test clip: 440 Hz at 0.5 with a slow amplitude change."""
    sr = 48000
    t = np.arange(int(0.05 * sr)) / sr
    return 0.5 * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.cos(2 * np.pi * 30 * t)), sr

"""Fixtures for the data tests: small synthetic clean trees."""

import numpy as np
import pytest

from thesis_lib.data.audio import write_wav


def tone(freq, seconds, rate, amplitude=0.5, phase=0.0):
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


@pytest.fixture
def clean_tree(tmp_path):
    """A clean clip tree: 3 splits, nested folders, 14 short clips at 48 kHz."""
    root = tmp_path / "clean"
    rate = 48000
    layout = {"train": ["000/000002", "000/000005", "001/001010", "deep/a/b/track"],
              "val": ["000/000007"], "test": ["002/002001", "002/002003"]}
    for split, tracks in layout.items():
        for i, track in enumerate(tracks):
            for k in range(2):
                write_wav(root / split / f"{track}_clip{k:02d}.wav",
                          tone(220 * (i + 1) + 50 * k, 0.25, rate), rate)
    return root

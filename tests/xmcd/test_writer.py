"""NeXus writer: NX_class on every group, refusal of incomplete input, no half-written files."""

import h5py
import numpy as np
import pytest

from thesis_lib.xmcd import (
    COMBINATIONS,
    Acquisition,
    FrameShapeError,
    MissingCombinationError,
    nexus_tree,
    write_scan,
)


def _frames(rng, n=3, shape=(6, 5), dtype=np.uint16):
    return {hm: rng.integers(100, 4000, size=(n,) + shape).astype(dtype) for hm in COMBINATIONS}


def test_groups_carry_nexus_classes(tmp_path):
    path = write_scan(tmp_path / "a.nxs", _frames(np.random.default_rng(0)), position_um=0.0,
                      acquisition=Acquisition(integration_s=2.0, beam_um=(26, 25), step_um=25.0))
    with h5py.File(path) as h5:
        classes = {name: h5[name].attrs["NX_class"] for name in
                   ("entry", "entry/instrument", "entry/instrument/detector", "entry/sample",
                    "entry/data")}
        assert h5["entry/data/data"].shape == (4, 3, 6, 5)
    assert classes == {"entry": "NXentry", "entry/instrument": "NXinstrument",
                       "entry/instrument/detector": "NXdetector", "entry/sample": "NXsample",
                       "entry/data": "NXdata"}
    assert any("[NXdetector]" in line for line in nexus_tree(path))


def test_missing_combination_refused_on_writing(tmp_path):
    frames = _frames(np.random.default_rng(0))
    del frames[(-1, -1)]
    with pytest.raises(MissingCombinationError, match="no frames"):
        write_scan(tmp_path / "x.nxs", frames, position_um=0.0,
                   acquisition=Acquisition(integration_s=1.0))
    assert not (tmp_path / "x.nxs").exists()


def test_mismatched_stacks_refused_on_writing(tmp_path):
    frames = _frames(np.random.default_rng(0))
    frames[(1, -1)] = frames[(1, -1)][:, :, :4]
    with pytest.raises(FrameShapeError, match="share one"):
        write_scan(tmp_path / "y.nxs", frames, position_um=0.0,
                   acquisition=Acquisition(integration_s=1.0))
    assert list(tmp_path.iterdir()) == []

"""Foreign layouts and compression filters give the waveform of our own layout.

A small series with a planted signed footprint is written twice: in our layout
(:func:`thesis_lib.xmcd.write_scan`) and by an independent writer in a foreign
layout with a compression filter (:mod:`thesis_lib.xmcd.foreign`, plain h5py +
hdf5plugin, or nexusformat). ``mask`` + ``extract`` through the layout YAML must
give the same mask and waveform as through our layout.
"""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from thesis_lib.mask.files import write_mask, write_waveform
from thesis_lib.xmcd import COMBINATIONS, Acquisition, read_series, write_scan
from thesis_lib.xmcd.foreign import FILTERS, LAYOUTS, interleave, write_foreign_series
from thesis_lib.xmcd.layout import load_layout

STEP_UM = 25.0
INTEGRATION_S = 2.0
N_POS, N_FRAMES, SIZE = 5, 3, 20


def planted_scans(seed=0):
    """Counts I = S0 + h m s_t S_mag + noise on a small detector: a + and a - lobe."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]

    def lobe(cx):
        return np.exp(-((yy - SIZE / 2) ** 2 + (xx - cx) ** 2) / 6.0)

    smag = 40.0 * (lobe(SIZE * 0.3) - lobe(SIZE * 0.7))
    s0 = 1000.0 + 200.0 * rng.random((SIZE, SIZE))
    scans = []
    for t in range(N_POS):
        s_t = np.sin(2 * np.pi * t / N_POS) + 0.3
        scans.append({hm: np.rint(s0 + hm[0] * hm[1] * s_t * smag
                                  + rng.normal(0, 3, (N_FRAMES, SIZE, SIZE))).astype(np.uint16)
                      for hm in COMBINATIONS})
    return scans


POSITIONS = STEP_UM * np.arange(N_POS) + 1000.0


@pytest.fixture(autouse=True)
def one_thread():
    # k-means on a few hundred pixels: OpenMP threads only spin on a shared machine
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """Mask and waveform of the planted series in our own layout."""
    root = tmp_path_factory.mktemp("ours")
    series = root / "series"
    series.mkdir()
    for t, frames in enumerate(planted_scans()):
        write_scan(series / f"scan_{t:05d}.nxs", frames, position_um=POSITIONS[t],
                   acquisition=Acquisition(integration_s=INTEGRATION_S, step_um=STEP_UM))
    mask = write_mask(series, root / "mask.npz", radius=2)
    wave = write_waveform(series, mask, root / "waveform.npz")
    with np.load(mask) as m, np.load(wave) as w:
        return {"mask": m["mask"], "s": w["s"], "positions_um": w["positions_um"]}


@pytest.mark.parametrize("filter_name", sorted(FILTERS))
@pytest.mark.parametrize("layout_name", LAYOUTS)
def test_foreign_layout_gives_our_waveform(tmp_path, ours, layout_name, filter_name):
    series = tmp_path / "series"
    text = write_foreign_series(series, layout_name, planted_scans(), positions_um=POSITIONS,
                                integration_s=INTEGRATION_S, filter=filter_name)
    (tmp_path / "layout.yml").write_text(text)
    layout = load_layout(tmp_path / "layout.yml")
    mask = write_mask(series, tmp_path / "mask.npz", radius=2, layout=layout)
    wave = write_waveform(series, mask, tmp_path / "waveform.npz", layout=layout)
    with np.load(mask) as m, np.load(wave) as w:
        np.testing.assert_array_equal(m["mask"], ours["mask"])
        np.testing.assert_allclose(w["s"], ours["s"], rtol=1e-9, atol=0)
        # positions came in mm, nm or um: all converted to um
        np.testing.assert_allclose(w["positions_um"], ours["positions_um"], rtol=1e-12)


def test_the_planted_signal_is_recovered(ours):
    """Guard against a trivially equal pair: the waveform follows the planted s_t."""
    planted = np.sin(2 * np.pi * np.arange(N_POS) / N_POS) + 0.3
    assert abs(np.corrcoef(ours["s"], planted)[0, 1]) > 0.99


def test_stack_with_unequal_blocks_averages_each_block(tmp_path):
    """Any number of frames per block, in any order: each block's mean is its own frames'."""
    rng = np.random.default_rng(3)
    frames = {hm: rng.integers(0, 1000, (n, 6, 5)).astype(np.uint32)
              for hm, n in zip(COMBINATIONS, (1, 4, 2, 3), strict=True)}
    text = write_foreign_series(tmp_path / "s", "stack", [frames, frames],
                                positions_um=[0.0, 25.0], integration_s=1.0, filter="zstd", seed=5)
    scan = read_series(tmp_path / "s", load_text(tmp_path, text), meta={}).files[0]
    assert scan.n_frames == {hm: len(frames[hm]) for hm in COMBINATIONS}
    for hm in COMBINATIONS:
        np.testing.assert_allclose(scan.means()[hm], frames[hm].mean(axis=0), rtol=1e-12)


def test_interleave_keeps_every_frame_with_its_label():
    rng = np.random.default_rng(0)
    frames = {hm: np.full((2, 1, 1), 10 * i) for i, hm in enumerate(COMBINATIONS)}
    stack, hel, mag = interleave(frames, rng)
    for i, hm in enumerate(COMBINATIONS):
        picked = stack[(hel == hm[0]) & (mag == hm[1])]
        assert picked.shape[0] == 2 and np.all(picked == 10 * i)


def load_text(tmp_path, text):
    path = tmp_path / "layout.yml"
    path.write_text(text)
    return load_layout(path)


def test_nexusformat_writer_leaves_numpy_print_options_alone(tmp_path):
    # nexusformat lowers numpy's print threshold for the whole process when first imported;
    # a fresh interpreter shows whether the writer shields its callers (doctests print arrays)
    script = (
        "import numpy as np, sys\n"
        "before = np.get_printoptions()\n"
        "from thesis_lib.xmcd.foreign import write_foreign_series\n"
        "frames = {hm: np.ones((1, 4, 4), np.uint16) for hm in "
        "[(1, 1), (1, -1), (-1, 1), (-1, -1)]}\n"
        "write_foreign_series(sys.argv[1], 'nexusformat', [frames, frames], "
        "positions_um=[0.0, 4.0], integration_s=1.0, filter='gzip')\n"
        "assert 'nexusformat' in sys.modules\n"
        "assert np.get_printoptions() == before, np.get_printoptions()\n")
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "s")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

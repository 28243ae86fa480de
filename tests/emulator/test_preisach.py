import numpy as np
import pytest

from thesis_lib.emulator import PreisachModel, coarse_bin, fine_fit, load_model
from thesis_lib.emulator.engines import PreisachOperator


def test_binning_follows_eqs_4_1_and_4_2():
    # two hysterons share a cell, one is alone: the answer worked out by hand
    model = PreisachModel(alpha=np.array([1.0, 1.2, 3.0]), beta=np.array([-1.0, -0.8, 0.0]),
                          weight=np.array([0.6, -0.2, 0.6]))
    c = coarse_bin(model, 2)
    order = np.argsort(c.alpha)
    assert np.allclose(c.weight[order], [0.4, 0.6])                        # eq. 4.1
    assert np.isclose(c.alpha[order][0], (1.0 * 0.6 + 1.2 * 0.2) / 0.8)    # eq. 4.2, |w|
    assert np.isclose(c.beta[order][0], (-1.0 * 0.6 - 0.8 * 0.2) / 0.8)


@pytest.mark.parametrize("n", [100, 250, 500])
def test_coarse_models_keep_weight_and_alpha_ge_beta(fine_small, n):
    c = coarse_bin(fine_small, n)
    assert c.total_weight == pytest.approx(fine_small.total_weight, rel=1e-12)
    assert np.all(c.alpha >= c.beta) and c.size <= n * n
    assert c.chi_rev == fine_small.chi_rev


def test_coarse_major_loop_approaches_the_fine_loop(fine_small):
    top = 1.05 * fine_small.field_range
    sweep = np.concatenate([[top, -top], np.linspace(-top, top, 300)])
    fine = PreisachOperator(fine_small, "everett").trace(sweep)
    errors = [np.max(np.abs(PreisachOperator(coarse_bin(fine_small, n), "everett").trace(sweep)
                            - fine)) for n in (25, 100, 250)]
    assert errors[2] < 0.03 and errors[2] < errors[0]


def test_npz_round_trip_and_cache(tmp_path, fine_small):
    c = coarse_bin(fine_small, 50)
    back = PreisachModel.load(c.save(tmp_path / "m.npz"))
    assert back.digest() == c.digest() and back.name == "coarse50"
    m1 = load_model(100, cache_dir=tmp_path)
    path = tmp_path / "preisach_coarse100_seed20260301.npz"
    assert path.is_file() and PreisachModel.load(path).digest() == m1.digest()


def test_bad_models_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="alpha >= beta"):
        PreisachModel(np.array([0.0]), np.array([1.0]), np.array([1.0]))
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        PreisachModel.load(tmp_path / "nothing.npz")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match="junk.npz"):
        PreisachModel.load(tmp_path / "junk.npz")


def test_fine_fit_is_deterministic_and_centred_on_unit_coercivity():
    a, b = fine_fit(4000), fine_fit(4000)
    assert a.digest() == b.digest()
    hc = 0.5 * (a.alpha - a.beta)
    assert abs(np.median(hc[a.weight > 0]) - 1.0) < 0.05

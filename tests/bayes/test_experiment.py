"""Chapter plumbing of Task 3: held-out works beyond the corpus, one excerpt per track."""

from collections import namedtuple

import numpy as np
import pytest

from thesis_lib.bayes.experiment import corpus_splits, unseen_clips
from thesis_lib.data.audio import write_wav
from thesis_lib.data.clips import clip_name
from thesis_lib.denoise.experiment import PairedCorpus


def _tree(root, layout, offset):
    # clip k of track t holds the constant offset + 10·t + k, so a clip names itself
    for split, tracks in layout.items():
        for t, clips in tracks:
            for k in range(clips):
                value = offset + 10 * int(t[1:]) + k
                write_wav(root / split / clip_name(t, k), np.full(32, value / 1000, np.float32),
                          8000)


def test_one_clip_of_every_track_from_every_split(tmp_path):
    layout = {"train": [("t1", 2), ("t2", 3)], "test": [("t3", 2)]}    # no val folder
    _tree(tmp_path / "clean", layout, 0)
    _tree(tmp_path / "deg", layout, 500)
    corpus = PairedCorpus(tmp_path / "clean", tmp_path / "deg", 8000, "mixed")
    chosen, names = unseen_clips([corpus])
    assert names == ["t1", "t2", "t3"]
    for (subset, y, x), t in zip(chosen, names, strict=True):
        k = 10 * int(t[1:])                                   # the track's first clip
        assert subset == "mixed"
        assert x[0] == pytest.approx(k / 1000, abs=1e-6)
        assert y[0] == pytest.approx((500 + k) / 1000, abs=1e-6)


def test_corpus_splits_limits_spread_over_tracks_and_keep_subset_order(tmp_path, monkeypatch):
    import thesis_lib.denoise.experiment as dx

    layout = {"train": [("t1", 2)], "val": [("t2", 3), ("t3", 1)], "test": [("t4", 2)]}
    corpora = {}
    for offset, subset in ((0, "classical"), (1000, "mixed")):
        root = tmp_path / subset
        _tree(root / "clean", layout, offset)
        _tree(root / "deg", layout, offset + 500)
        corpora[subset] = PairedCorpus(root / "clean", root / "deg", 8000, subset)
    monkeypatch.setattr(dx, "prepare_pairs", lambda data_dir, subset, *a, **k: corpora[subset])
    splits, tracks = corpus_splits(tmp_path, "quick", limits={"val": 2, "test": 0})
    assert tracks["train"] == ["t1", "t1", "t1", "t1"]          # no limit: every clip
    assert tracks["val"] == ["t2", "t3", "t2", "t3"]            # one per track before seconds
    assert splits["test"] == [] and tracks["test"] == []
    assert [c[0] for c in splits["val"]] == ["classical", "classical", "mixed", "mixed"]
    _, y, x = splits["val"][2]                                  # mixed t2, first clip
    assert x[0] == pytest.approx((1000 + 20) / 1000, abs=1e-6)
    assert y[0] == pytest.approx((1500 + 20) / 1000, abs=1e-6)


@pytest.mark.slow
def test_unseen_works_are_not_the_corpus_works(tmp_path, monkeypatch):
    from thesis_lib.data import parse_clip_name, select_tracks
    from thesis_lib.denoise import experiment

    size = namedtuple("size", "tracks track_s clip_s")(2, 2.0, 1.0)
    monkeypatch.setattr(experiment, "data_profile", lambda profile: size)
    corpus = experiment.prepare_unseen_pairs(tmp_path, "mixed", "quick", count=2, gen_rate=16_000)
    chosen, names = unseen_clips([corpus])
    corpus_works = {s.name for s in select_tracks("mixed", 2)}
    assert len(set(names)) == 2 and not set(names) & corpus_works
    assert {parse_clip_name(p.name)[0] for p in corpus.clean.rglob("*.wav")} == set(names)
    for _, y, x in chosen:
        assert y.size == x.size == 16_000 and np.std(x) > 1e-3 and not np.allclose(y, x)


def test_shipped_models_are_loaded_even_when_the_run_folder_holds_a_retraining(tmp_path):
    import torch

    from thesis_lib.bayes.diffusion import EpsNet, Prior, Schedule
    from thesis_lib.bayes.experiment import models_for
    from thesis_lib.bayes.restore import save_models
    from thesis_lib.bayes.surrogate import Surrogate

    def tiny(scale, path):
        torch.manual_seed(0)
        save_models(path, Surrogate(width=4, depth=1),
                    Prior(EpsNet(width=4, depth=2, time_dim=8), Schedule.cosine(20), scale),
                    {"training": {"which": path.name}})

    run = tmp_path / "run"
    run.mkdir()
    tiny(0.1, run / "models.pt")            # an earlier retraining in the chapter's folder
    tiny(0.3, tmp_path / "shipped.pt")
    never_trains = {"train_pairs": [], "emulator": None, "profile": None}
    _, prior, training = models_for(*never_trains.values(), run, shipped=tmp_path / "shipped.pt")
    assert training == {"which": "shipped.pt"} and prior.scale == pytest.approx(0.3)
    _, prior, training = models_for(*never_trains.values(), run)     # retrain: its own run
    assert training == {"which": "models.pt"} and prior.scale == pytest.approx(0.1)
    with pytest.raises(FileNotFoundError, match="missing.pt does not exist"):
        models_for(*never_trains.values(), run, shipped=tmp_path / "missing.pt")


def test_paired_difference_matches_clips_not_row_order():
    from thesis_lib.bayes.experiment import paired_difference

    # three clips; the reference rows come in another order than the method's rows
    ours = [{"split": "test", "clip": c, "method": "a", "si_sdr_db": v}
            for c, v in ((0, 10.0), (1, 20.0), (2, 30.0))]
    theirs = [{"split": "test", "clip": c, "method": "b", "si_sdr_db": v}
              for c, v in ((2, 29.0), (0, 9.0), (1, 19.0))]
    mean, half_width = paired_difference(ours + theirs, "a", "b")
    assert mean == pytest.approx(1.0) and half_width == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="same clips"):
        paired_difference(ours + theirs[:2], "a", "b")

"""Chapter plumbing of Task 3: held-out works beyond the corpus, one excerpt per track."""

from collections import namedtuple

import numpy as np
import pytest

from thesis_lib.bayes.experiment import unseen_clips
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

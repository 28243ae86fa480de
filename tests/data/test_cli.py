"""The `thesis corpus` and `thesis pairs` verbs, called through the real dispatcher."""

import json

import pytest

from thesis_lib.cli import main
from thesis_lib.data import PairedAudioDataset


@pytest.mark.slow
def test_corpus_clips_pairs_round_trip(tmp_path, capsys):
    tracks, clean, pairs = tmp_path / "tracks", tmp_path / "clean", tmp_path / "pairs"
    assert main(["corpus", "render", "--subset", "mixed", "--tracks", "3", "--out", str(tracks),
                 "--duration", "10", "--rate", "16000"]) == 0
    # 10-s tracks fail the 30-s rule (thesis §4.1): refused with a one-line explanation
    assert main(["corpus", "clips", "--audio", str(tracks), "--out", str(clean),
                 "--rate", "16000"]) == 2
    assert "shorter than 29.5 s" in capsys.readouterr().err
    assert main(["corpus", "render", "--subset", "mixed", "--tracks", "3", "--out", str(tracks),
                 "--rate", "16000"]) == 0
    assert main(["corpus", "clips", "--audio", str(tracks), "--out", str(clean),
                 "--rate", "16000"]) == 0
    for k in (1, 2):
        assert main(["pairs", "--clean", str(clean), "--out", str(pairs), "--stand-in",
                     "--which-fraction", f"{k}/2", "--seed", "4"]) == 0
    summaries = [json.loads(line) for line in capsys.readouterr().out.splitlines()
                 if line.startswith("{")]
    assert [s["generated"] for s in summaries] == [9, 9]
    ds = PairedAudioDataset(pairs, clean, split="train", target_rate=None)
    assert len(ds) == 6


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main(["pairs", "--clean", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--which-fraction", "0/4"]) == 2
    assert "between 1 and K" in capsys.readouterr().err
    assert main(["pairs", "--clean", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--params", "p.json"]) == 2
    assert "--apply-transforms" in capsys.readouterr().err

import csv

import numpy as np
import pytest

from thesis_lib.data import fma
from thesis_lib.data.audio import read_audio
from thesis_lib.data.clips import make_clips

from .conftest import tone

GENRES = [("genre_id", "#tracks", "parent", "title", "top_level"),
          (5, 10, 0, "Classical", 5), (12, 50, 0, "Rock", 12),
          (187, 3, 5, "Opera", 5), (21, 7, 0, "Hip-Hop", 21)]


def _write_metadata(folder, genres_all):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "genres.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(GENRES)
    with open(folder / "tracks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        # FMA's three header rows: group, column, index label
        w.writerow(["", "album", "track", "track", "track"])
        w.writerow(["", "title", "genre_top", "genres", "genres_all"])
        w.writerow(["track_id", "", "", "", ""])
        for track_id, genres in genres_all.items():
            w.writerow([track_id, "x", "", str(genres[:1]), str(genres)])


def test_classical_filter_uses_genres_all(tmp_path):
    # 1002: tagged only with the subgenre Opera; genres_all carries the parent Classical
    _write_metadata(tmp_path, {2: [12], 1002: [187, 5], 3000: [5], 4001: [21, 12], 5005: []})
    wanted = fma.genre_ids(tmp_path / "genres.csv")
    assert wanted == [5]
    assert fma.tracks_with_genres(tmp_path / "tracks.csv", wanted) == [1002, 3000]


def test_metadata_errors_name_the_file(tmp_path):
    (tmp_path / "genres.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="genres.csv"):
        fma.genre_ids(tmp_path / "genres.csv")
    _write_metadata(tmp_path / "m", {1: [5]})
    with pytest.raises(ValueError, match="track.nope"):
        fma.tracks_with_genres(tmp_path / "m" / "tracks.csv", [5], column="nope")


def test_sample_and_split_are_seeded_disjoint_and_complete():
    pool = list(range(100, 5100, 2))  # 2500 candidates
    sample = fma.sample_tracks(pool, n=1602, seed=3)
    assert len(sample) == 1602 and set(sample) <= set(pool)
    assert (sample == fma.sample_tracks(pool, n=1602, seed=3)
            != fma.sample_tracks(pool, n=1602, seed=4))
    splits = fma.split_tracks(sample, seed=3)
    sizes = {k: len(v) for k, v in splits.items()}
    assert sizes == {"train": 1282, "val": 160, "test": 160}
    everything = splits["train"] + splits["val"] + splits["test"]
    assert sorted(everything) == sample and len(set(everything)) == len(everything)


def test_layout_and_clips_from_generated_mp3s(tmp_path):
    ids = {"train": [2, 1005, 1010], "val": [2050], "test": [7]}
    fma_root = tmp_path / "fma_large"
    for track_ids in ids.values():
        for t in track_ids:
            _mp3(fma_root / fma.fma_relpath(t))
    manifest = fma.layout_subset(fma_root, tmp_path / "classical", ids,
                                 manifest=tmp_path / "ids.json")
    assert (tmp_path / "classical" / "train" / "001" / "001010.mp3").is_file()
    assert (tmp_path / "classical" / "val" / "002" / "002050.mp3").is_file()
    assert '"test": [\n      7\n    ]' in manifest.read_text()
    clean = make_clips(tmp_path / "classical", tmp_path / "clean", rate=16000)
    assert (clean / "train" / "001" / "001005_clip05.wav").is_file()
    assert len(list(clean.rglob("*.wav"))) == 5 * 6
    clip, rate = read_audio(clean / "test" / "000" / "000007_clip02.wav")
    spectrum = np.abs(np.fft.rfft(clip[0]))
    assert abs(np.fft.rfftfreq(clip.shape[1], 1 / rate)[np.argmax(spectrum)] - 440) < 2


def _mp3(path):
    # soundfile (libsndfile >= 1.1) encodes MP3, the format FMA ships
    import soundfile as sf
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), tone(440, 30.2, 22050), 22050, format="MP3", subtype="MPEG_LAYER_III")


def test_layout_reports_missing_audio(tmp_path):
    with pytest.raises(FileNotFoundError, match="000002.mp3"):
        fma.layout_subset(tmp_path, tmp_path / "out", {"train": [2], "val": [], "test": []})
